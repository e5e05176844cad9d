// The core scenarios of session.test.mjs with a proxy in front deciding through the gateway (forward-auth): real
// nginx (auth_request) and real Caddy (forward_auth), each running the shipped configuration (deploy/nginx,
// deploy/caddy/Caddyfile) with only its ports changed. Chromium with the real supertokens-website SDK loads the page
// through the proxy; the SDK must see exactly what it sees with the gateway in the path: 401 without a session,
// 440 + "try refresh token" on expiry, refresh at the gateway, 403 with the claim errors, theft logs it out.
// The gateway runs the forward-auth example the deploy files are written for (deploy/proxy.forward-auth.yaml), with
// access tokens living 10 s (FORWARD_AUTH_EXAMPLE in harness.mjs), so the expiry tests wait for it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrontToken, sleep, startForwardAuthStack } from './harness.mjs';

const REFRESH = '/api/refresh';
const SIGNOUT = '/api/signout';
const GRACE_MS = 2000; // Session:RefreshGracePeriod in FORWARD_AUTH_EXAMPLE (harness.mjs)

for (const kind of ['nginx', 'caddy']) {
  describe(`supertokens-website in Chromium through ${kind} asking SessionGateway (forward-auth)`, { concurrency: false }, () => {
    let stack;
    let origin; // the proxy's origin: the page, the API and the gateway's own paths all go through it

    before(async () => {
      stack = await startForwardAuthStack(kind);
      origin = stack.proxy.origin;
    }, { timeout: 120_000 });

    after(async () => {
      await stack?.stop();
    });

    async function newContext() {
      const context = await stack.browser.newContext();
      const responses = [];
      const pending = new Set();
      context.on('response', (res) => {
        const url = new URL(res.url());
        if (url.origin !== origin) return;
        const entry = { path: url.pathname, method: res.request().method(), status: res.status(), at: Date.now() };
        responses.push(entry);
        const p = res.allHeaders().then((h) => { entry.headers = h; }, () => { entry.headers = {}; });
        pending.add(p);
        p.finally(() => pending.delete(p));
      });
      const settled = async () => { await sleep(50); await Promise.all([...pending]); };
      const refreshes = () => responses.filter((r) => r.path === REFRESH);
      return { context, responses, settled, refreshes };
    }

    async function openTab(context) {
      const page = await context.newPage();
      page.on('pageerror', (err) => console.error(`page error (${kind}):`, err.message));
      await page.goto(origin + '/');
      await page.waitForFunction(() => window.t && window.t.ready === true);
      return page;
    }

    const t = (page, name, ...args) => page.evaluate(([n, a]) => window.t[n](...a), [name, args]);
    const wire = (page, path) => page.evaluate((p) => window.t.wire.filter((w) => !p || w.path === p), path);

    async function loggedIn(user, role) {
      const ctx = await newContext();
      const page = await openTab(ctx.context);
      const login = await t(page, 'login', user, role);
      assert.equal(login.status, 200, `login through ${kind}: ${JSON.stringify(login)}\n${stack.proxy.readLog()}`);
      return { ...ctx, page, login };
    }

    async function refreshCookie(context) {
      return (await context.cookies()).find((c) => c.name === 'sRefreshToken');
    }

    async function waitForAccessTokenExpiry(page) {
      const cookie = await t(page, 'documentCookie');
      const raw = cookie.split(';').map((c) => c.trim()).find((c) => c.startsWith('sFrontToken='));
      assert.ok(raw, `no sFrontToken in document.cookie: ${cookie}`);
      const { ate } = decodeFrontToken(raw.slice('sFrontToken='.length));
      const wait = ate - Date.now() + 1500;
      assert.ok(wait < 15_000, `access token expires in ${wait} ms; expected the 10 s of FORWARD_AUTH_EXAMPLE`);
      if (wait > 0) await sleep(wait);
    }

    test('no session: the refresh probe is "unauthorised", the API the gateway\'s 401 with its body', { timeout: 60_000 }, async () => {
      const { context, settled, refreshes } = await newContext();
      const tab = await openTab(context);
      assert.equal(await t(tab, 'doesSessionExist'), false);
      await settled();
      assert.ok(refreshes()[0], 'the SDK did not call the refresh endpoint to probe for a session');
      const [probe] = await wire(tab, REFRESH);
      assert.equal(probe.status, 440);
      assert.deepEqual(JSON.parse(probe.body), { message: 'unauthorised' });

      const api = await t(tab, 'callApi');
      assert.equal(api.status, 401, JSON.stringify(api));
      assert.deepEqual(api.body, { message: 'unauthorised' });
      await context.close();
    });

    test('login and an API call: the app gets the identity from the gateway\'s answer, never a token', { timeout: 60_000 }, async () => {
      const { context, page, login } = await loggedIn('alice');
      assert.equal(decodeFrontToken(login.frontToken).uid, 'alice');
      const cookies = await context.cookies();
      assert.ok(cookies.find((c) => c.name === 'sAccessToken' && c.httpOnly), 'no HttpOnly sAccessToken cookie');
      assert.equal((await refreshCookie(context))?.path, REFRESH);

      const api = await t(page, 'callApi');
      assert.equal(api.status, 200, JSON.stringify(api));
      assert.equal(api.body.userId, 'alice');
      assert.equal(api.body.handle, decodeFrontToken(login.frontToken).up.sessionHandle);
      assert.equal(api.body.role, 'user');
      assert.equal(api.body.sawTokens, false, 'a token reached the app');
      assert.equal(await t(page, 'getUserId'), 'alice');
      await context.close();
    });

    test('expired access token: 440 through the proxy, the SDK refreshes at the gateway and retries', { timeout: 60_000 }, async () => {
      const { context, page, responses, refreshes, settled } = await loggedIn('bob');
      const before = await t(page, 'callApi');
      assert.equal(before.status, 200);
      const rtBefore = (await refreshCookie(context)).value;
      await settled();
      const refreshesBefore = refreshes().length;

      await waitForAccessTokenExpiry(page);
      const mark = responses.length;
      const after = await t(page, 'callApi');
      await settled();
      assert.equal(after.status, 200, JSON.stringify(after));
      assert.equal(after.body.userId, 'bob');
      assert.equal(after.body.handle, before.body.handle);
      assert.equal(after.body.sawTokens, false);
      const seen = responses.slice(mark).map((r) => `${r.method} ${r.path} ${r.status}`);
      assert.deepEqual(seen, ['GET /api/me 440', `POST ${REFRESH} 200`, 'GET /api/me 200']);
      assert.equal(refreshes().length, refreshesBefore + 1);
      assert.notEqual((await refreshCookie(context)).value, rtBefore, 'the refresh token was not rotated');
      await context.close();
    });

    test('a missing claim is 403 with the claim errors the SDK reads (API_INVALID_CLAIM); the claim lets it through', { timeout: 60_000 }, async () => {
      const user = await loggedIn('carol', 'user');
      const refused = await t(user.page, 'callAdmin');
      assert.equal(refused.status, 403, JSON.stringify(refused));
      assert.equal(refused.body.message, 'invalid claim');
      assert.equal(refused.body.claimValidationErrors[0].id, 'role');
      const events = await user.page.evaluate(() => window.t.events);
      const invalid = events.find((e) => e.action === 'API_INVALID_CLAIM');
      assert.ok(invalid, `SDK events: ${events.map((e) => e.action).join(', ')}`);
      assert.deepEqual(invalid.claimValidationErrors, refused.body.claimValidationErrors);
      assert.equal(await t(user.page, 'doesSessionExist'), true, 'a claim failure must not end the session');
      await user.context.close();

      const admin = await loggedIn('root', 'admin');
      const allowed = await t(admin.page, 'callAdmin');
      assert.equal(allowed.status, 200, JSON.stringify(allowed));
      assert.equal(allowed.body.role, 'admin');
      await admin.context.close();
    });

    test('signOut through the proxy: the session is gone, the API 401, the old refresh token refused', { timeout: 60_000 }, async () => {
      const { context, page } = await loggedIn('dave');
      assert.equal((await t(page, 'callApi')).status, 200);
      const oldRt = (await refreshCookie(context)).value;

      assert.deepEqual(await t(page, 'signOut'), { ok: true });
      const [signout] = await wire(page, SIGNOUT);
      assert.equal(signout.status, 200);
      assert.deepEqual(JSON.parse(signout.body), { status: 'OK' });
      assert.equal(signout.frontToken, 'remove');
      assert.equal(await t(page, 'doesSessionExist'), false);
      assert.equal((await t(page, 'callApi')).status, 401);

      const res = await fetch(origin + REFRESH, { method: 'POST', headers: { rid: 'x', cookie: `sRefreshToken=${oldRt}` } });
      assert.equal(res.status, 440);
      assert.deepEqual(await res.json(), { message: 'unauthorised' });
      await context.close();
    });

    test('an old refresh token reused after the grace window is theft and logs the browser out', { timeout: 60_000 }, async () => {
      const { context, page, responses, refreshes, settled } = await loggedIn('erin');
      assert.equal((await t(page, 'callApi')).status, 200);
      const stolen = (await refreshCookie(context)).value;

      await waitForAccessTokenExpiry(page);
      assert.equal((await t(page, 'callApi')).status, 200);
      await settled();
      const rotatedAt = refreshes().at(-1).at;
      assert.notEqual((await refreshCookie(context)).value, stolen);

      await sleep(Math.max(0, rotatedAt + GRACE_MS + 1000 - Date.now()));
      const res = await fetch(origin + REFRESH, { method: 'POST', headers: { rid: 'x', cookie: `sRefreshToken=${stolen}` } });
      assert.equal(res.status, 440);
      assert.deepEqual(await res.json(), { message: 'token theft detected' });

      const mark = responses.length;
      const api = await t(page, 'callApi');
      await settled();
      const seen = responses.slice(mark).map((r) => `${r.method} ${r.path} ${r.status}`);
      assert.deepEqual(seen, ['GET /api/me 440', `POST ${REFRESH} 440`], `after theft: ${JSON.stringify(api)}`);
      assert.equal(await t(page, 'doesSessionExist'), false);
      assert.equal((await t(page, 'callApi')).status, 401);
      const events = await page.evaluate(() => window.t.events.map((e) => e.action));
      assert.ok(events.includes('UNAUTHORISED'), `SDK events: ${events.join(', ')}`);
      await context.close();
    });

    test('the app never received a gateway token', { timeout: 10_000 }, async () => {
      const stats = await (await fetch(`http://127.0.0.1:${stack.upstream.port}/__stats`)).json();
      assert.equal(stats.tokensSeen, 0, JSON.stringify(stats));
      assert.ok((stats.byPath['/api/me'] ?? 0) > 0);
    });
  });
}
