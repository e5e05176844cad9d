// Real-browser end-to-end tests: headless Chromium runs a page with the real supertokens-website SDK
// (page.js, bundled by esbuild), served through the real SessionGateway in front of upstream.mjs.
// Run with run.sh (it builds the gateway and the bundle first). Access tokens live 10 s here, so the
// tests that need an expired token wait for it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import { decodeFrontToken, sleep, startStack } from './harness.mjs';

const REFRESH = '/api/refresh';
const SIGNOUT = '/api/signout';
const GRACE_MS = 2000; // Session:RefreshGracePeriod in proxy.yaml

let stack;
let gw; // the gateway's origin, e.g. http://127.0.0.1:40123

before(async () => {
  stack = await startStack();
  gw = stack.gateway.origin;
}, { timeout: 120_000 });

// Stops Chromium, the gateway and the upstream; the gateway's log is kept in tests/browser/.artifacts/.
after(async () => {
  await stack?.stop();
});

/** A browser context (cookie jar + storage) with every gateway response recorded. */
async function newContext() {
  const context = await stack.browser.newContext();
  const responses = [];
  const pending = new Set();
  context.on('response', (res) => {
    const url = new URL(res.url());
    if (url.origin !== gw) return;
    const entry = { path: url.pathname, method: res.request().method(), status: res.status(), at: Date.now() };
    responses.push(entry);
    const p = (async () => {
      entry.headers = await res.allHeaders().catch(() => ({}));
      entry.frontToken = entry.headers['front-token'];
      entry.setCookie = entry.headers['set-cookie'] ?? '';
      entry.requestHeaders = await res.request().allHeaders().catch(() => ({}));
      // No res.text() here: it never resolves for a response body the page does not read (the SDK leaves
      // failed refreshes unread). Bodies come from the page's own log (window.t.wire).
    })();
    pending.add(p);
    p.finally(() => pending.delete(p));
  });
  const settled = async () => { await sleep(50); await Promise.all([...pending]); };
  const refreshes = () => responses.filter((r) => r.path === REFRESH);
  return { context, responses, settled, refreshes };
}

async function openTab(context, query = '') {
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(gw + '/' + query);
  await page.waitForFunction(() => window.t && window.t.ready === true);
  return page;
}

const t = (page, name, ...args) => page.evaluate(([n, a]) => window.t[n](...a), [name, args]);
/** The page's log of gateway answers on /login, /api/refresh and /api/signout, with bodies. */
const wire = (page, path) => page.evaluate((p) => window.t.wire.filter((w) => !p || w.path === p), path);

async function gatewayCookies(context) {
  const all = await context.cookies();
  const pick = (name) => all.find((c) => c.name === name);
  return { all, at: pick('sAccessToken'), rt: pick('sRefreshToken') };
}

/** Waits until the access token the page holds has expired (front token's `ate`, plus a margin). */
async function waitForAccessTokenExpiry(page) {
  const cookie = await t(page, 'documentCookie');
  const raw = cookie.split(';').map((c) => c.trim()).find((c) => c.startsWith('sFrontToken='));
  assert.ok(raw, `no sFrontToken in document.cookie: ${cookie}`);
  const { ate } = decodeFrontToken(raw.slice('sFrontToken='.length));
  const wait = ate - Date.now() + 1500;
  assert.ok(wait < 15_000, `access token expires in ${wait} ms; expected the 10 s lifetime of proxy.yaml`);
  if (wait > 0) await sleep(wait);
}

async function loggedIn(user, query = '') {
  const ctx = await newContext();
  const page = await openTab(ctx.context, query);
  const login = await t(page, 'login', user);
  assert.equal(login.status, 200, `login: ${JSON.stringify(login)}`);
  return { ...ctx, page, login };
}

async function upstreamStats() {
  return (await fetch(`http://127.0.0.1:${stack.upstream.port}/__stats`)).json();
}

describe('supertokens-website in Chromium through SessionGateway', { concurrency: false }, () => {
  test('a fresh page has no session: the token-less refresh is answered unauthorised, the API 401', { timeout: 60_000 }, async () => {
    const { context, settled, refreshes } = await newContext();
    const tab = await openTab(context);
    assert.equal(await t(tab, 'doesSessionExist'), false);
    await settled();
    // With no local state the SDK asks the refresh endpoint first; it must say "unauthorised" at once.
    assert.ok(refreshes()[0], 'the SDK did not call the refresh endpoint to probe for a session');
    const [first] = await wire(tab, REFRESH);
    assert.equal(first.status, 440);
    assert.deepEqual(JSON.parse(first.body), { message: 'unauthorised' });
    assert.equal(first.frontToken, 'remove');

    const api = await t(tab, 'callApi');
    assert.equal(api.status, 401, JSON.stringify(api));
    assert.deepEqual(api.body, { message: 'unauthorised' });
    await context.close();
  });

  test('login through the gateway: HttpOnly cookies, identity reaches the upstream, never the tokens', { timeout: 60_000 }, async () => {
    const { context, page, login, responses, settled } = await loggedIn('alice');
    await settled();
    assert.deepEqual(login.body, { ok: true, user: 'alice' });
    assert.ok(login.frontToken, 'login response has no front-token header the page can read');
    const front = decodeFrontToken(login.frontToken);
    assert.equal(front.uid, 'alice');
    assert.equal(front.up.sub, 'alice');
    assert.equal(front.up.role, 'user', 'custom claims from X-Session-Claims are flat in the payload');
    assert.ok(front.ate > Date.now() && front.ate <= Date.now() + 11_000, `ate ${front.ate} not ~10 s ahead`);

    const loginResponse = responses.find((r) => r.path === '/login');
    assert.equal(loginResponse.headers['x-session-create'], undefined, 'X-Session-Create leaked to the browser');
    assert.equal(loginResponse.headers['x-session-claims'], undefined, 'X-Session-Claims leaked to the browser');

    const { at, rt } = await gatewayCookies(context);
    assert.ok(at, 'no sAccessToken cookie');
    assert.ok(rt, 'no sRefreshToken cookie');
    assert.equal(at.httpOnly, true);
    assert.equal(at.path, '/');
    assert.equal(rt.httpOnly, true);
    assert.equal(rt.path, REFRESH);
    assert.equal(at.sameSite, 'Lax');
    assert.ok(!(await t(page, 'documentCookie')).includes('sAccessToken'), 'page script can read the access token');

    const api = await t(page, 'callApi');
    assert.equal(api.status, 200, JSON.stringify(api));
    assert.equal(api.body.userId, 'alice');
    assert.equal(typeof api.body.handle, 'string');
    assert.ok(api.body.handle.length > 0);
    assert.equal(api.body.sawTokens, false, 'a token reached the upstream');
    assert.equal(api.body.handle, front.up.sessionHandle);

    assert.equal(await t(page, 'doesSessionExist'), true);
    assert.equal(await t(page, 'getUserId'), 'alice');
    const payload = await t(page, 'getPayload');
    assert.equal(payload.role, 'user');
    await context.close();
  });

  test('expired access token: the SDK gets 440, refreshes at /api/refresh and retries transparently', { timeout: 60_000 }, async () => {
    const { context, page, responses, refreshes, settled } = await loggedIn('bob');
    const before = await t(page, 'callApi');
    assert.equal(before.status, 200);
    const rtBefore = (await gatewayCookies(context)).rt.value;
    await settled();
    const refreshesBefore = refreshes().length;

    await waitForAccessTokenExpiry(page);
    const mark = responses.length;
    const after = await t(page, 'callApi');
    await settled();
    assert.equal(after.status, 200, JSON.stringify(after));
    assert.equal(after.body.userId, 'bob');
    assert.equal(after.body.handle, before.body.handle, 'the refresh must keep the same session');
    assert.equal(after.body.sawTokens, false);

    const seen = responses.slice(mark).map((r) => `${r.method} ${r.path} ${r.status}`);
    assert.deepEqual(seen, ['GET /api/me 440', `POST ${REFRESH} 200`, 'GET /api/me 200'],
      'expected: expired call answered 440, one refresh, the retried call 200');
    const refresh = (await wire(page, REFRESH)).at(-1);
    assert.equal(refreshes().length, refreshesBefore + 1);
    assert.equal(refresh.status, 200);
    assert.deepEqual(JSON.parse(refresh.body), {});
    assert.ok(refresh.frontToken && refresh.frontToken !== 'remove', 'refresh must answer a new front-token');
    assert.equal(decodeFrontToken(refresh.frontToken).uid, 'bob');
    const rtAfter = (await gatewayCookies(context)).rt.value;
    assert.notEqual(rtAfter, rtBefore, 'the refresh token was not rotated');

    assert.equal(await t(page, 'doesSessionExist'), true);
    assert.equal(await t(page, 'getUserId'), 'bob');
    await context.close();
  });

  test('signOut clears the session: doesSessionExist false, the API 401, the refresh token revoked', { timeout: 60_000 }, async () => {
    const { context, page, responses, settled } = await loggedIn('carol');
    assert.equal((await t(page, 'callApi')).status, 200);
    const oldRt = (await gatewayCookies(context)).rt.value;

    const out = await t(page, 'signOut');
    assert.deepEqual(out, { ok: true });
    await settled();
    assert.ok(responses.find((r) => r.path === SIGNOUT), 'the SDK did not call /api/signout (preAPIHook)');
    const [signout] = await wire(page, SIGNOUT);
    assert.equal(signout.status, 200);
    assert.deepEqual(JSON.parse(signout.body), { status: 'OK' });
    assert.equal(signout.frontToken, 'remove');

    const { at, rt } = await gatewayCookies(context);
    assert.equal(at, undefined, 'sAccessToken cookie not cleared');
    assert.equal(rt, undefined, 'sRefreshToken cookie not cleared');
    assert.equal(await t(page, 'doesSessionExist'), false);
    const api = await t(page, 'callApi');
    assert.equal(api.status, 401, JSON.stringify(api));

    // The signed-out session's refresh token no longer works from anywhere.
    const res = await fetch(gw + REFRESH, { method: 'POST', headers: { rid: 'x', cookie: `sRefreshToken=${oldRt}` } });
    assert.equal(res.status, 440);
    assert.deepEqual(await res.json(), { message: 'unauthorised' });
    await context.close();
  });

  test('two tabs hitting expiry together both succeed, without theft', { timeout: 60_000 }, async () => {
    const { context, page: tab1, refreshes, settled } = await loggedIn('dave');
    const tab2 = await openTab(context);
    assert.equal(await t(tab2, 'doesSessionExist'), true, 'second tab does not see the session');
    const first = await t(tab1, 'callApi');
    assert.equal(first.status, 200);
    await settled();
    const refreshesBefore = refreshes().length;

    await waitForAccessTokenExpiry(tab1);
    const [a, b] = await Promise.all([t(tab1, 'callApi'), t(tab2, 'callApi')]);
    await settled();
    assert.equal(a.status, 200, `tab 1: ${JSON.stringify(a)}`);
    assert.equal(b.status, 200, `tab 2: ${JSON.stringify(b)}`);
    assert.equal(a.body.userId, 'dave');
    assert.equal(b.body.userId, 'dave');
    assert.equal(a.body.handle, first.body.handle);
    assert.equal(b.body.handle, first.body.handle);
    const during = refreshes().slice(refreshesBefore);
    assert.ok(during.length >= 1 && during.length <= 2, `refreshes: ${during.length}`);
    const bodies = [...(await wire(tab1, REFRESH)), ...(await wire(tab2, REFRESH))].map((w) => `${w.status} ${w.body}`);
    for (const r of during) assert.equal(r.status, 200, `refresh answers: ${bodies.join(' | ')}`);

    // Still alive: the browser's refresh token is the current one, and both tabs keep working.
    assert.equal(await t(tab1, 'attemptRefreshingSession'), true);
    assert.equal((await t(tab1, 'callApi')).status, 200);
    assert.equal((await t(tab2, 'callApi')).status, 200);
    assert.equal(await t(tab2, 'doesSessionExist'), true);
    await context.close();
  });

  test('two refreshes racing with the same refresh token (no SDK lock) both succeed with the same new token', { timeout: 60_000 }, async () => {
    const { context, page, settled, refreshes } = await loggedIn('erin');
    await settled();
    // Plain fetches the SDK does not intercept (the marker is in the fragment, which is never sent). The
    // browser decides when each one leaves; a try counts only when both carried the same refresh token.
    let raced = null;
    const tries = [];
    for (let attempt = 0; attempt < 4 && !raced; attempt++) {
      const rtBefore = (await gatewayCookies(context)).rt.value;
      const mark = refreshes().length;
      const results = await page.evaluate(async (path) => {
        const once = () => fetch(path + '#superTokensDoNotDoInterception', { method: 'POST', headers: { rid: 'session' } })
          .then(async (r) => ({ status: r.status, body: await r.text() }));
        return Promise.all([once(), once()]);
      }, REFRESH);
      await settled();
      const racing = refreshes().slice(mark);
      assert.deepEqual(results.map((r) => r.status), [200, 200], JSON.stringify(results));
      assert.equal(racing.length, 2);
      const presented = racing.map((r) => /sRefreshToken=([^;]*)/.exec(r.requestHeaders.cookie ?? '')?.[1]);
      tries.push(presented);
      if (presented[0] === rtBefore && presented[1] === rtBefore) raced = { racing, rtBefore };
    }
    assert.ok(raced, `the browser never sent the two refreshes with the same token: ${JSON.stringify(tries)}`);
    const newRts = raced.racing.map((r) => /sRefreshToken=([^;]*)/.exec(r.setCookie)?.[1]);
    assert.ok(newRts[0] && newRts[1], `both responses set sRefreshToken: ${JSON.stringify(raced.racing.map((r) => r.setCookie))}`);
    assert.equal(newRts[0], newRts[1], 'the grace window must answer the same rotated refresh token');
    assert.notEqual(newRts[0], raced.rtBefore);

    // The browser keeps working on the SDK's next refresh, with no theft.
    assert.equal(await t(page, 'attemptRefreshingSession'), true);
    assert.equal((await t(page, 'callApi')).status, 200);
    await context.close();
  });

  test('reuse of an old refresh token from outside the browser is theft and logs the browser out', { timeout: 60_000 }, async () => {
    const { context, page, responses, refreshes, settled } = await loggedIn('mallory-victim');
    const first = await t(page, 'callApi');
    assert.equal(first.status, 200);
    const stolen = (await gatewayCookies(context)).rt.value;

    // The browser refreshes (rotation); the stolen token is now the previous one.
    await waitForAccessTokenExpiry(page);
    assert.equal((await t(page, 'callApi')).status, 200);
    await settled();
    const rotatedAt = refreshes().at(-1).at;
    const current = (await gatewayCookies(context)).rt.value;
    assert.notEqual(current, stolen);

    // Past the grace window, the attacker presents the old token.
    await sleep(Math.max(0, rotatedAt + GRACE_MS + 1000 - Date.now()));
    const res = await fetch(gw + REFRESH, { method: 'POST', headers: { rid: 'x', cookie: `sRefreshToken=${stolen}` } });
    const body = await res.json();
    assert.equal(res.status, 440, JSON.stringify(body));
    assert.deepEqual(body, { message: 'token theft detected' });
    assert.equal(res.headers.get('front-token'), 'remove');

    // The session is revoked: the browser's access token (still within its 10 s) stops working, the SDK's
    // refresh with the current token fails, and the SDK concludes it is logged out.
    const mark = responses.length;
    const api = await t(page, 'callApi');
    await settled();
    const seen = responses.slice(mark).map((r) => `${r.method} ${r.path} ${r.status}`);
    assert.ok([401, 440].includes(api.status), `after theft: ${JSON.stringify(api)}; saw ${seen.join(', ')}`);
    assert.deepEqual(seen, ['GET /api/me 440', `POST ${REFRESH} 440`],
      'expected: the revoked session\'s access token answered "try refresh", and the refresh "unauthorised"');
    const lastRefresh = (await wire(page, REFRESH)).at(-1);
    assert.equal(lastRefresh.status, 440);
    assert.deepEqual(JSON.parse(lastRefresh.body), { message: 'unauthorised' });
    assert.equal(lastRefresh.frontToken, 'remove');
    assert.equal(await t(page, 'doesSessionExist'), false);
    const again = await t(page, 'callApi');
    assert.equal(again.status, 401, JSON.stringify(again));
    const events = await page.evaluate(() => window.t.events.map((e) => e.action));
    assert.ok(events.includes('UNAUTHORISED'), `SDK events: ${events.join(', ')}`);
    await context.close();
  });

  test('header mode (tokenTransferMethod "header"): login, API call and refresh without cookies', { timeout: 60_000 }, async () => {
    const { context, page, refreshes, responses, settled, login } = await loggedIn('frank', '?mode=header');
    await settled();
    const loginResponse = responses.find((r) => r.path === '/login');
    assert.ok(loginResponse.headers['st-access-token'], 'login in header mode must answer st-access-token');
    assert.ok(loginResponse.headers['st-refresh-token'], 'login in header mode must answer st-refresh-token');
    assert.ok(login.frontToken);
    const { at, rt } = await gatewayCookies(context);
    assert.equal(at, undefined, 'header mode must not set sAccessToken');
    assert.equal(rt, undefined, 'header mode must not set sRefreshToken');

    const api = await t(page, 'callApi');
    assert.equal(api.status, 200, JSON.stringify(api));
    assert.equal(api.body.userId, 'frank');
    assert.equal(api.body.sawTokens, false, 'the bearer token reached the upstream');

    await waitForAccessTokenExpiry(page);
    const mark = refreshes().length;
    const after = await t(page, 'callApi');
    await settled();
    assert.equal(after.status, 200, JSON.stringify(after));
    assert.equal(after.body.handle, api.body.handle);
    assert.equal(refreshes().length, mark + 1);
    assert.equal(refreshes().at(-1).status, 200);
    assert.ok(refreshes().at(-1).headers['st-access-token'], 'refresh in header mode must answer st-access-token');
    assert.equal(await t(page, 'getUserId'), 'frank');
    await context.close();
  });

  // In header mode the SDK keeps both tokens in JS-readable cookies named st-access-token and st-refresh-token on
  // the page's domain; same-site, the browser sends them with every request. The gateway must not forward them.
  test('header mode: the SDK\'s own token cookies (st-access-token, st-refresh-token) do not reach the upstream', {
    timeout: 60_000,
  }, async () => {
    const { context, page } = await loggedIn('grace', '?mode=header');
    const names = (await t(page, 'documentCookie')).split(';').map((c) => c.trim().split('=')[0]);
    assert.ok(names.includes('st-access-token'), `the SDK keeps the access token in a cookie: ${names}`);
    const api = await t(page, 'callApi');
    assert.equal(api.status, 200);
    await context.close();
    assert.deepEqual(api.body.sdkTokenCookies, [], 'token cookies reached the upstream');
  });

  // An implementation of JWS/JWKS that is not ours (jose) checks the token the SDK got against the JWKS the running
  // gateway serves, as an upstream app verifying our tokens itself would: a signing bug cannot hide behind our verifier.
  test('the access token the browser got verifies with jose against the gateway\'s JWKS; a tampered one does not', {
    timeout: 60_000,
  }, async () => {
    const { context, page } = await loggedIn('heidi');
    const api = await t(page, 'callApi');
    assert.equal(api.status, 200);
    const { at } = await gatewayCookies(context);
    assert.ok(at, 'no sAccessToken cookie');
    const jwks = createRemoteJWKSet(new URL(gw + '/.well-known/jwks.json'));

    const { payload, protectedHeader } = await jwtVerify(at.value, jwks, { issuer: 'session-gateway', algorithms: ['ES256'] });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload.sub, 'heidi');
    assert.equal(payload.sessionHandle, api.body.handle);
    assert.equal(payload.role, 'user');
    assert.equal(payload.exp - payload.iat, 10, 'Session:AccessTokenLifetime in proxy.yaml');

    const [header, body, signature] = at.value.split('.');
    const forged = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    forged.sub = 'admin';
    const tampered = [header, Buffer.from(JSON.stringify(forged)).toString('base64url'), signature].join('.');
    await assert.rejects(jwtVerify(tampered, jwks, { issuer: 'session-gateway' }), joseErrors.JWSSignatureVerificationFailed);
    await context.close();
  });

  test('the upstream never received a gateway token', { timeout: 60_000 }, async () => {
    const stats = await upstreamStats();
    assert.equal(stats.tokensSeen, 0, JSON.stringify(stats));
    assert.ok((stats.byPath['/api/me'] ?? 0) > 0);
  });
});
