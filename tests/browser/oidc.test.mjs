// OpenID Connect login in Chromium against a real OpenID provider (oidc-provider, oidc-provider.mjs) on loopback:
// a page load without a session goes to the provider's login and consent pages and back through the gateway's
// callback, which creates the gateway's own session; the upstream sees the user and the mapped claim; the SDK
// refreshes after a 440; sign-out ends the gateway session and the provider's (RP-initiated logout). Failures
// (tampered state, denied consent, the provider down) end on the gateway's error page, and the login refuses to
// redirect anywhere but a local path or an allowed origin.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { artifactsDir, bundlePath, freePort, launchBrowser, sleep, startGateway } from './harness.mjs';
import { startUpstream } from './upstream.mjs';
import { CLIENT_SECRET, GROUPS, startProvider } from './oidc-provider.mjs';

const ACCESS_TOKEN_MS = 10_000; // Session:AccessTokenLifetime in oidc.yaml

describe('OpenID Connect login in Chromium through SessionGateway, against oidc-provider', { concurrency: false }, () => {
  let tmpDir;
  let upstream;
  let gateway;
  let gw;
  let op;
  let opPort;
  let browser;

  before(async () => {
    if (!fs.existsSync(bundlePath)) throw new Error(`${bundlePath} missing: bundle page.js with esbuild (run.sh does)`);
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-browser-oidc-'));
    // The client secret as a file next to proxy.yaml, readable by its owner only.
    fs.writeFileSync(path.join(tmpDir, 'client-secret'), CLIENT_SECRET + '\n', { mode: 0o600 });
    opPort = await freePort();
    upstream = await startUpstream({ bundlePath });
    // The gateway reads the provider's metadata at the first login, so it can start before the provider, which
    // needs the gateway's callback address.
    gateway = await startGateway({
      upstreamPort: upstream.port,
      tmpDir,
      config: 'oidc.yaml',
      extraArgs: ['--Session:Oidc:Providers:test:Authority', `http://127.0.0.1:${opPort}`],
    });
    gw = gateway.origin;
    op = await startProvider({ port: opPort, gatewayOrigin: gw });
    browser = await launchBrowser();
  }, { timeout: 120_000 });

  after(async () => {
    await browser?.close().catch(() => {});
    await op?.close().catch(() => {});
    await gateway?.stop().catch(() => {});
    await upstream?.close().catch(() => {});
    if (gateway) {
      fs.mkdirSync(artifactsDir, { recursive: true });
      fs.writeFileSync(path.join(artifactsDir, 'gateway-oidc.log'), gateway.readLog());
    }
    if (tmpDir && !process.env.KEEP_TMP) fs.rmSync(tmpDir, { recursive: true, force: true });
  });

  async function newContext() {
    const context = await browser.newContext();
    // The provider's development pages import a web font; there is no network here.
    await context.route((url) => !url.hostname.startsWith('127.0.0.1'), (route) => route.abort());
    return context;
  }

  /** On the provider's login page: signs in as user. */
  async function signInAtProvider(page, user) {
    assert.equal(new URL(page.url()).origin, op.issuer, `expected the provider's login page, at ${page.url()}`);
    await page.fill('input[name=login]', user);
    await page.fill('input[name=password]', 'any password');
    await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('button[type=submit]')]);
  }

  /** On the provider's consent page: agrees, and waits for the navigation that follows. */
  async function consent(page) {
    await page.waitForSelector('button:has-text("Continue")');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Continue")')]);
  }

  /** Navigates to a protected page, signs in as user at the provider and consents: lands back on the page. */
  async function logIn(context, user, pagePath = '/api/me') {
    const page = await context.newPage();
    await page.goto(gw + pagePath);
    await signInAtProvider(page, user);
    await consent(page);
    return page;
  }

  /** The gateway's cookies (the provider's, on the same host, are left out: cookies do not tell ports apart). */
  async function gatewayCookies(context) {
    const all = await context.cookies([gw + '/', gw + '/api/refresh']);
    return all.filter((c) => c.name.startsWith('s'));
  }

  const isCallback = (url) => url.origin === gw && url.pathname.startsWith('/api/callback/');

  async function bodyJson(page) {
    return JSON.parse(await page.evaluate(() => document.body.innerText));
  }

  test('a page load without a session goes to the provider and comes back with a gateway session', { timeout: 60_000 }, async () => {
    const context = await newContext();
    const page = await context.newPage();
    const first = await page.goto(gw + '/api/me?x=1');
    // Redirected (302 by the gateway, then the provider's own redirects) to the provider's login page.
    assert.equal(new URL(page.url()).origin, op.issuer);
    assert.equal(first.request().redirectedFrom() !== null, true);
    await signInAtProvider(page, 'alice');
    await consent(page);

    // Back on the very page asked for, as alice, with the provider's groups as the session claim "role".
    assert.equal(page.url(), gw + '/api/me?x=1');
    const me = await bodyJson(page);
    assert.equal(me.userId, 'alice');
    assert.ok(me.handle, 'no X-Session-Handle at the upstream');
    for (const group of GROUPS) assert.match(me.role ?? '', new RegExp(group), `X-User-Role ${me.role} lacks ${group}`);
    assert.equal(me.sawTokens, false, 'the gateway forwarded its tokens to the upstream');

    // The browser holds the gateway's session and nothing of the provider's: no provider token in any cookie, and
    // the handler's correlation and nonce cookies are gone.
    const cookies = await gatewayCookies(context);
    const names = cookies.map((c) => c.name).sort();
    assert.deepEqual(names, ['sAccessToken', 'sRefreshToken'], `cookies: ${names}`);
    assert.ok(cookies.every((c) => c.httpOnly), 'a session cookie is readable by scripts');
    await context.close();
  });

  test('after the access token expires, the SDK gets 440, refreshes and retries', { timeout: 60_000 }, async () => {
    const context = await newContext();
    const page = await logIn(context, 'bob');
    await page.goto(gw + '/');
    await page.waitForFunction(() => window.t && window.t.ready === true, null, { timeout: 10_000 });
    // The login ended in a redirect, which the SDK did not see: it finds the session by refreshing it.
    assert.equal(await page.evaluate(() => window.t.doesSessionExist()), true, 'the SDK does not see the session the login created');
    const payload = await page.evaluate(() => window.t.getPayload());
    assert.deepEqual(payload.role, GROUPS, JSON.stringify(payload));
    const statuses = [];
    page.on('response', (r) => { if (new URL(r.url()).origin === gw) statuses.push(`${new URL(r.url()).pathname} ${r.status()}`); });
    await sleep(ACCESS_TOKEN_MS + 1500);
    const api = await page.evaluate(() => window.t.callApi());
    assert.equal(api.status, 200, JSON.stringify(api));
    assert.equal(api.body.userId, 'bob');
    assert.ok(statuses.includes('/api/me 440'), `no 440 before the refresh: ${statuses}`);
    assert.ok(statuses.includes('/api/refresh 200'), `no refresh: ${statuses}`);
    await context.close();
  });

  test('sign-out ends the gateway session and the provider session', { timeout: 60_000 }, async () => {
    const context = await newContext();
    const page = await logIn(context, 'carol');
    assert.equal((await bodyJson(page)).userId, 'carol');
    const providerSessions = op.sessions.size;
    assert.ok(providerSessions > 0, 'the provider holds no session');
    const refreshToken = (await gatewayCookies(context)).find((c) => c.name === 'sRefreshToken').value;

    // To the provider's end_session_endpoint (client_id, no id_token_hint), its confirmation page, and back.
    await page.goto(gw + '/api/logout/test?redirect=/');
    assert.equal(new URL(page.url()).origin, op.issuer, `not at the provider's sign-out page: ${page.url()}`);
    await Promise.all([page.waitForURL(gw + '/'), page.click('button[name=logout]')]);
    assert.equal(op.sessions.size, providerSessions - 1, 'the provider session was not ended');

    const names = (await gatewayCookies(context)).map((c) => c.name);
    assert.deepEqual(names, [], `cookies left after sign-out: ${names}`);
    // The session is revoked, not only forgotten by the browser.
    const refreshed = await fetch(gw + '/api/refresh', { method: 'POST', headers: { cookie: `sRefreshToken=${refreshToken}` } });
    assert.equal(refreshed.status, 440);
    await refreshed.arrayBuffer();
    // The next page load asks for a login again (the provider's session is gone too).
    await page.goto(gw + '/api/me');
    assert.equal(new URL(page.url()).origin, op.issuer);
    assert.ok(await page.$('input[name=login]'), 'the provider did not ask for a login again');
    await context.close();
  });

  test('an API call without a session keeps its 401; only page loads are redirected', { timeout: 30_000 }, async () => {
    const api = await fetch(gw + '/api/me', { redirect: 'manual', headers: { accept: 'application/json' } });
    assert.equal(api.status, 401);
    await api.arrayBuffer();
    const sdk = await fetch(gw + '/api/me', { redirect: 'manual', headers: { accept: 'text/html', rid: 'session' } });
    assert.equal(sdk.status, 401);
    await sdk.arrayBuffer();
    const navigation = await fetch(gw + '/api/me?a=b', { redirect: 'manual', headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.equal(navigation.status, 302);
    assert.equal(navigation.headers.get('location'), '/api/login/test?redirect=%2Fapi%2Fme%3Fa%3Db');
  });

  test('open redirects are refused with a plain 400 page; local paths and allowed origins are not', { timeout: 30_000 }, async () => {
    for (const target of ['https://evil.example', '//evil.example', '/\\evil.example', '/\t/evil.example', 'http://app.localhost:1.evil.example/', 'javascript:alert(1)']) {
      const res = await fetch(`${gw}/api/login/test?redirect=${encodeURIComponent(target)}`, { redirect: 'manual' });
      const text = await res.text();
      assert.equal(res.status, 400, `${target}: ${res.status}`);
      assert.equal(res.headers.get('location'), null, target);
      assert.match(res.headers.get('content-type'), /^text\/html/);
      assert.match(text, /not allowed/);
    }
    for (const target of ['/api/me', 'http://app.localhost:1/after']) {
      const res = await fetch(`${gw}/api/login/test?redirect=${encodeURIComponent(target)}`, { redirect: 'manual' });
      await res.arrayBuffer();
      assert.equal(res.status, 302, target);
      assert.ok(res.headers.get('location').startsWith(op.issuer + '/'), res.headers.get('location'));
    }
  });

  test('a tampered state ends on the error page, with no session', { timeout: 60_000 }, async () => {
    const context = await newContext();
    const page = await context.newPage();
    // The provider's redirect to the callback carries a state with one character changed.
    op.hooks.callbackRedirect = (location) => {
      const url = new URL(location);
      const state = url.searchParams.get('state');
      const i = Math.floor(state.length / 2);
      url.searchParams.set('state', state.slice(0, i) + (state[i] === 'A' ? 'B' : 'A') + state.slice(i + 1));
      return { location: url.href };
    };
    try {
      await page.goto(gw + '/api/me');
      await signInAtProvider(page, 'mallory');
      await page.waitForSelector('button:has-text("Continue")');
      const [res] = await Promise.all([page.waitForResponse((r) => isCallback(new URL(r.url()))), page.click('button:has-text("Continue")')]);
      assert.equal(res.status(), 400);
    } finally {
      op.hooks.callbackRedirect = null;
    }
    await page.waitForLoadState('domcontentloaded');
    const text = await page.evaluate(() => document.body.innerText);
    assert.match(text, /Sign-in failed/);
    assert.match(text, /does not match a sign-in started in this browser/);
    assert.ok(await page.$('a[href^="/api/login/test?redirect="]'), 'no link to try again');
    assert.equal((await gatewayCookies(context)).some((c) => c.name === 'sAccessToken'), false);
    assert.match(gateway.readLog(), /state or correlation mismatch/);
    await context.close();
  });

  test('a denied consent ends on the error page', { timeout: 60_000 }, async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(gw + '/api/me');
    await signInAtProvider(page, 'dave');
    await page.waitForSelector('text=[ Cancel ]');
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().startsWith(`${gw}/api/callback/`)), page.click('text=[ Cancel ]')]);
    assert.equal(res.status(), 400);
    await page.waitForLoadState('domcontentloaded');
    const text = await page.evaluate(() => document.body.innerText);
    assert.match(text, /cancelled or refused at the provider/);
    assert.equal((await gatewayCookies(context)).some((c) => c.name === 'sAccessToken'), false);
    await context.close();
  });

  // Last: the provider is stopped.
  test('the provider down during the login ends on the error page (502)', { timeout: 60_000 }, async () => {
    const context = await newContext();
    const page = await context.newPage();
    op.hooks.callbackRedirect = () => ({ hold: true });
    try {
      await page.goto(gw + '/api/me');
      await signInAtProvider(page, 'erin');
      await consent(page);
    } finally {
      op.hooks.callbackRedirect = null;
    }
    const callback = await page.getAttribute('#callback', 'href');
    assert.ok(isCallback(new URL(callback)), `not the callback: ${callback}`);

    // The code is exchanged at the token endpoint, which is now gone.
    await op.close();
    const res = await page.goto(callback);
    assert.equal(res.status(), 502);
    const text = await page.evaluate(() => document.body.innerText);
    assert.match(text, /could not be reached/);
    assert.ok(await page.$('a[href^="/api/login/test?redirect="]'), 'no link to try again');
    assert.match(gateway.readLog(), /provider unreachable/);
    await context.close();
  });
});
