// "Your devices" in Chromium on the demo itself (src/SessionGateway.Demo: the gateway on the committed proxy.yaml in
// front of the demo's legacy app, the README's first command), on free ports: two browser contexts (two devices with
// their own user agents and cookie jars) sign in as the same user with the app's form; the first sees both sessions on
// the demo page, ends the other one with its "Sign out" button, and the other device's next request needs a login.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { artifactsDir, freePort, launchBrowser, repoRoot, sleep } from './harness.mjs';

const demoDll = process.env.DEMO_DLL
  ?? path.join(repoRoot, 'src', 'SessionGateway.Demo', 'bin', 'Release', 'net10.0', 'SessionGateway.Demo.dll');
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) DeviceLaptop/1.0';
const PHONE = 'Mozilla/5.0 (iPhone) DevicePhone/2.0';

let demo; // { child, origin, logPath }
let browser;
let tmpDir;

async function startDemo() {
  if (!fs.existsSync(demoDll)) throw new Error(`demo build not found at ${demoDll}: run 'dotnet build src/SessionGateway.Demo -c Release' (run.sh does)`);
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-browser-devices-'));
  const [port, upstreamPort] = [await freePort(), await freePort()];
  const logPath = path.join(tmpDir, 'demo.log');
  const log = fs.openSync(logPath, 'a');
  // The committed proxy.yaml as it is; only the ports and the database move (the demo's own 8080/5080 may be in use).
  const child = spawn('dotnet', [
    demoDll,
    '--Urls', `http://127.0.0.1:${port}`,
    '--ReverseProxy:Clusters:legacy-app:Destinations:demo:Address', `http://127.0.0.1:${upstreamPort}/`,
    '--Session:Store:ConnectionString', path.join(tmpDir, 'sessions.db'),
  ], {
    cwd: repoRoot,
    stdio: ['ignore', log, log],
    env: { ...process.env, SESSIONGATEWAY_DEMO_UPSTREAM: `http://127.0.0.1:${upstreamPort}`, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
  });
  process.on('exit', () => { try { child.kill('SIGKILL'); } catch { /* gone */ } });
  const origin = `http://127.0.0.1:${port}`;
  const readLog = () => { try { return fs.readFileSync(logPath, 'utf8'); } catch { return ''; } };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`demo exited (${child.exitCode}) before answering:\n${readLog()}`);
    try {
      const res = await fetch(origin + '/', { signal: AbortSignal.timeout(2000) });
      const text = await res.text();
      if (res.status === 200 && text.includes('legacy app')) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`demo did not answer GET / within 60 s:\n${readLog()}`);
    await sleep(200);
  }
  return { child, origin, readLog };
}

before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
}, { timeout: 120_000 });

after(async () => {
  await browser?.close().catch(() => {});
  if (demo) {
    const exited = new Promise((r) => demo.child.once('exit', r));
    demo.child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGKILL');
    fs.mkdirSync(artifactsDir, { recursive: true });
    fs.writeFileSync(path.join(artifactsDir, 'demo-devices.log'), demo.readLog());
  }
  if (tmpDir && !process.env.KEEP_TMP) fs.rmSync(tmpDir, { recursive: true, force: true });
});

/** A device: its own browser context (cookie jar, user agent), signed in as user with the demo app's form. */
async function signedIn(user, userAgent) {
  const context = await browser.newContext({ userAgent });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(demo.origin + '/');
  await page.fill('input[name=username]', user);
  await Promise.all([page.waitForURL(demo.origin + '/'), page.click('form button')]);
  await page.waitForSelector('text=Signed in as');
  return { context, page };
}

const rows = (page) => page.locator('#devices tbody tr');

describe('your devices on the demo page', { concurrency: false }, () => {
  test('two devices are listed; ending the other one with its button signs that device out', { timeout: 90_000 }, async () => {
    const laptop = await signedIn('alice', LAPTOP);
    const phone = await signedIn('alice', PHONE);
    const bob = await signedIn('bob', 'BobsBrowser/1.0');

    // The laptop's list (reloaded: the phone signed in after the laptop's page listed its sessions).
    await laptop.page.reload();
    await laptop.page.waitForFunction(() => document.querySelectorAll('#devices tbody tr').length === 2);
    const current = laptop.page.locator('#devices tbody tr.current');
    assert.equal(await current.count(), 1);
    const currentText = await current.innerText();
    assert.ok(currentText.includes('DeviceLaptop/1.0') && currentText.includes('this device'), currentText);
    assert.ok(currentText.includes('127.0.0.1'), currentText);
    const other = laptop.page.locator('#devices tbody tr:not(.current)');
    const otherText = await other.innerText();
    assert.ok(otherText.includes('DevicePhone/2.0') && !otherText.includes('this device'), otherText);
    assert.ok(!(await rows(laptop.page).allInnerTexts()).join('\n').includes('BobsBrowser'), 'another user\'s session is listed');

    // The JSON behind it, from the laptop's cookie jar: exactly the two, nothing secret.
    const listed = await laptop.context.request.get(demo.origin + '/api/sessions');
    assert.equal(listed.status(), 200);
    const sessions = await listed.json();
    assert.equal(sessions.length, 2);
    for (const s of sessions) {
      assert.deepEqual(Object.keys(s).sort(), ['createdAt', 'createdBy', 'current', 'expiresAt', 'handle', 'lastRefreshAt', 'lastRefreshBy']);
    }

    await other.locator('button.end-session').click();
    await laptop.page.waitForFunction(() => document.querySelectorAll('#devices tbody tr').length === 1);
    assert.equal(await laptop.page.locator('#devices tbody tr.current').count(), 1);

    // The phone's next request needs a login: its access token is refused, its refresh is unauthorised.
    const api = await phone.context.request.get(demo.origin + '/api/whoami', { maxRedirects: 0 });
    assert.equal(api.status(), 440, await api.text());
    const refreshed = await phone.context.request.post(demo.origin + '/api/refresh', { headers: { rid: 'session' } });
    assert.equal(refreshed.status(), 440);
    assert.deepEqual(await refreshed.json(), { message: 'unauthorised' });
    await phone.page.reload();
    await phone.page.waitForSelector('input[name=username]');
    assert.ok((await phone.page.innerText('body')).includes('Nobody is signed in'));

    // The laptop and the other user are untouched.
    assert.equal((await laptop.context.request.get(demo.origin + '/api/whoami')).status(), 200);
    assert.equal((await bob.context.request.get(demo.origin + '/api/whoami')).status(), 200);
    await Promise.all([laptop.context.close(), phone.context.close(), bob.context.close()]);
  });

  test('the button on "this device" signs this device out', { timeout: 60_000 }, async () => {
    const laptop = await signedIn('carol', LAPTOP);
    await laptop.page.waitForFunction(() => document.querySelectorAll('#devices tbody tr.current').length === 1);

    await Promise.all([
      laptop.page.waitForEvent('load'),
      laptop.page.locator('#devices tbody tr.current button.end-session').click(),
    ]);

    await laptop.page.waitForSelector('input[name=username]');
    const cookies = (await laptop.context.cookies()).map((c) => c.name);
    assert.ok(!cookies.includes('sAccessToken'), `cookies left: ${cookies}`);
    assert.equal((await laptop.context.request.get(demo.origin + '/api/whoami')).status(), 401);
    await laptop.context.close();
  });
});
