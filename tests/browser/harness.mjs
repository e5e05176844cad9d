// Test harness: starts the upstream (in this process), the real gateway (a child process running the
// Release build) and headless Chromium (Debian's /usr/bin/chromium through playwright-core), and tears
// all of it down whatever happens.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startUpstream } from './upstream.mjs';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const gatewayDll = process.env.GATEWAY_DLL
  ?? path.join(repoRoot, 'src', 'SessionGateway', 'bin', 'Release', 'net10.0', 'SessionGateway.dll');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const bundlePath = path.join(here, 'bundle.js');
export const artifactsDir = path.join(here, '.artifacts');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const children = new Set();
function killChildren(signal = 'SIGKILL') {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try { child.kill(signal); } catch { /* already gone */ }
    }
  }
}
// Whatever happens (a failed assertion, an uncaught error, Ctrl-C), no gateway outlives the run.
process.on('exit', () => killChildren('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killChildren('SIGKILL');
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

/**
 * Starts the gateway on a free port with config (a path relative to tests/browser; proxy.yaml by default), its
 * appAddress (the text standing for the upstream's address, exactly once in the file) pointed at the upstream.
 * extraArgs are more command-line arguments, which override the file's keys (for example a route's metadata).
 */
export async function startGateway({ upstreamPort, tmpDir, config = 'proxy.yaml', appAddress = '"UPSTREAM_ADDRESS"', extraArgs = [] }) {
  if (!fs.existsSync(gatewayDll)) {
    throw new Error(`gateway build not found at ${gatewayDll}: run 'dotnet build src/SessionGateway -c Release' (run.sh does)`);
  }
  const port = await freePort();
  const configFile = path.resolve(here, config);
  const text = fs.readFileSync(configFile, 'utf8');
  if (text.split(appAddress).length !== 2) throw new Error(`${configFile}: expected ${appAddress} exactly once`);
  const yaml = text.replace(appAddress, `"http://127.0.0.1:${upstreamPort}/"`);
  const configPath = path.join(tmpDir, 'proxy.yaml');
  fs.writeFileSync(configPath, yaml);
  const logPath = path.join(tmpDir, 'gateway.log');
  const log = fs.openSync(logPath, 'a');
  const args = [
    gatewayDll,
    '--config', configPath,
    '--Urls', `http://127.0.0.1:${port}`,
    '--Session:Store:ConnectionString', path.join(tmpDir, 'sessions.db'),
    ...extraArgs,
  ];
  const child = spawn('dotnet', args, {
    cwd: repoRoot,
    stdio: ['ignore', log, log],
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
  });
  children.add(child);
  child.on('exit', () => children.delete(child));

  const origin = `http://127.0.0.1:${port}`;
  const readLog = () => { try { return fs.readFileSync(logPath, 'utf8'); } catch { return ''; } };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`gateway exited (code ${child.exitCode}, signal ${child.signalCode}) before listening:\n${readLog()}`);
    }
    try {
      const res = await fetch(origin + '/', { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`gateway did not answer GET / within 60 s:\n${readLog()}`);
    await sleep(200);
  }

  return {
    origin,
    port,
    child,
    logPath,
    readLog,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

const proxiesScript = path.join(repoRoot, 'tests', 'proxies.sh');

/** Resolves once something accepts connections on 127.0.0.1:port, or throws after timeoutMs. */
async function waitForPort(port, child, what, readLog, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (code ${child.exitCode}, signal ${child.signalCode}) before listening:\n${readLog()}`);
    }
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${timeoutMs / 1000} s:\n${readLog()}`);
    await sleep(50);
  }
}

/**
 * Starts nginx or Caddy (kind) on a free port with the shipped forward-auth configuration (deploy/nginx,
 * deploy/caddy/Caddyfile), rendered by tests/proxies.sh: it asks the gateway and forwards to the upstream.
 */
export async function startProxy({ kind, gatewayPort, upstreamPort, tmpDir }) {
  const missing = spawnSync('bash', [proxiesScript, 'missing', kind], { encoding: 'utf8' });
  if (missing.status !== 0) throw new Error(`${kind} cannot run here: ${missing.stdout}${missing.stderr} (run.sh installs it)`);
  const port = await freePort();
  const dir = path.join(tmpDir, kind);
  const render = spawnSync('bash', [proxiesScript, 'render', kind, dir, String(port), String(gatewayPort), String(upstreamPort)], { encoding: 'utf8' });
  if (render.status !== 0) throw new Error(`tests/proxies.sh render ${kind} failed: ${render.stdout}${render.stderr}`);
  const logPath = path.join(dir, 'proxy.log');
  const log = fs.openSync(logPath, 'a');
  // proxies.sh execs the proxy: this child is nginx's master process (or Caddy) itself.
  const child = spawn('bash', [proxiesScript, 'run', kind, dir], { stdio: ['ignore', log, log] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const readLog = () => ['proxy.log', 'error.log'].map((f) => { try { return fs.readFileSync(path.join(dir, f), 'utf8'); } catch { return ''; } }).join('');
  await waitForPort(port, child, kind, readLog);
  return {
    kind,
    origin: `http://127.0.0.1:${port}`,
    port,
    readLog,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      // SIGTERM: nginx's master stops its workers with it (a SIGKILLed master would leave them running).
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function launchBrowser() {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} not found: install Debian's chromium package (run.sh does)`);
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
}

/** Everything the suite needs, started in order; stop() undoes whatever was started. */
export async function startStack() {
  if (!fs.existsSync(bundlePath)) {
    throw new Error(`${bundlePath} missing: bundle page.js with esbuild (run.sh does)`);
  }
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-browser-'));
  const stack = { tmpDir, upstream: null, gateway: null, browser: null };
  stack.stop = async () => {
    await stack.browser?.close().catch(() => {});
    await stack.gateway?.stop().catch(() => {});
    await stack.upstream?.close().catch(() => {});
    // Keep the gateway's log of the last run where it can be read after a failure.
    if (stack.gateway) {
      fs.mkdirSync(artifactsDir, { recursive: true });
      fs.writeFileSync(path.join(artifactsDir, 'gateway.log'), stack.gateway.readLog());
    }
    if (!process.env.KEEP_TMP) fs.rmSync(tmpDir, { recursive: true, force: true });
  };
  try {
    stack.upstream = await startUpstream({ bundlePath });
    stack.gateway = await startGateway({ upstreamPort: stack.upstream.port, tmpDir });
    stack.browser = await launchBrowser();
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

/**
 * The forward-auth example the deploy files are written for, as forward-auth.test.mjs runs it: the file itself with its
 * app address pointed at the upstream, and only what the tests need changed on the command line.
 */
export const FORWARD_AUTH_EXAMPLE = {
  config: path.join(repoRoot, 'deploy', 'proxy.forward-auth.yaml'),
  appAddress: 'http://127.0.0.1:5080/',
  extraArgs: [
    '--Session:AccessTokenLifetime', '10s', // the engine's minimum; the expiry tests wait for it
    '--Session:RefreshGracePeriod', '2s',
    '--Logging:LogLevel:Default', 'Warning',
  ],
};

/**
 * The stack of forward-auth.test.mjs: the upstream, the gateway with the forward-auth example
 * (deploy/proxy.forward-auth.yaml, FORWARD_AUTH_EXAMPLE), nginx or Caddy (kind) in front running the shipped
 * configuration, and Chromium. stop() undoes whatever was started and keeps the gateway's and the proxy's logs in
 * .artifacts/.
 */
export async function startForwardAuthStack(kind) {
  if (!fs.existsSync(bundlePath)) {
    throw new Error(`${bundlePath} missing: bundle page.js with esbuild (run.sh does)`);
  }
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), `sg-browser-${kind}-`));
  const stack = { tmpDir, upstream: null, gateway: null, proxy: null, browser: null };
  stack.stop = async () => {
    await stack.browser?.close().catch(() => {});
    await stack.proxy?.stop().catch(() => {});
    await stack.gateway?.stop().catch(() => {});
    await stack.upstream?.close().catch(() => {});
    fs.mkdirSync(artifactsDir, { recursive: true });
    if (stack.gateway) fs.writeFileSync(path.join(artifactsDir, `gateway-${kind}.log`), stack.gateway.readLog());
    if (stack.proxy) fs.writeFileSync(path.join(artifactsDir, `${kind}.log`), stack.proxy.readLog());
    if (!process.env.KEEP_TMP) fs.rmSync(tmpDir, { recursive: true, force: true });
  };
  try {
    stack.upstream = await startUpstream({ bundlePath });
    stack.gateway = await startGateway({ upstreamPort: stack.upstream.port, tmpDir, ...FORWARD_AUTH_EXAMPLE });
    stack.proxy = await startProxy({ kind, gatewayPort: stack.gateway.port, upstreamPort: stack.upstream.port, tmpDir });
    stack.browser = await launchBrowser();
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

/** Decodes a front-token header value (standard base64 of UTF-8 JSON {uid, ate, up}). */
export function decodeFrontToken(value) {
  return JSON.parse(Buffer.from(decodeURIComponent(value), 'base64').toString('utf8'));
}
