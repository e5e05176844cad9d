// Legacy login forms (SessionLogin: "form", form-login.yaml): a classic server-rendered app with its own HTML login
// form, started in this file, behind the real gateway; headless Chromium fills in the form and submits it. The app
// knows nothing about the gateway: on the right password it answers 302 to /home with its own session cookie, on a
// wrong one 302 back to /login?error. The gateway must let all of that through untouched and add its own session
// only to the successful answer, so the next request reaches the app with X-User-Id.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { artifactsDir, launchBrowser, startGateway } from './harness.mjs';

const PASSWORDS = { alice: 'correct horse', 'zoë': 'battery staple', mallory: 'mallory' };

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const loginPage = (error) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in</title></head>
<body><h1>Sign in</h1>${error ? '<p id="error">Wrong user name or password.</p>' : ''}
<form method="post" action="/login">
  <label>User <input name="username" autocomplete="username"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form></body></html>`;

/**
 * The classic app, with no CSRF protection of its own (as many legacy apps have none). It records every request:
 * method, path, cookies, X-User-Id (decoded: the gateway sends an id that is not visible ASCII percent-encoded as
 * UTF-8, docs/configuration.md) and the raw body.
 */
function startClassicApp() {
  const seen = [];
  const sessions = new Map(); // app_session cookie -> user
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://app');
      const body = Buffer.concat(chunks);
      const userId = req.headers['x-user-id'] === undefined ? undefined : decodeURIComponent(req.headers['x-user-id']);
      seen.push({ method: req.method, path: url.pathname, search: url.search, cookie: req.headers.cookie ?? '', userId, body });
      const html = (status, text, headers = {}) => {
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
        res.end(text);
      };
      if (req.method === 'GET' && url.pathname === '/') return html(200, '<!doctype html><p>Welcome to the app. <a href="/login">Sign in</a></p>');
      if (req.method === 'GET' && url.pathname === '/login') return html(200, loginPage(url.searchParams.has('error')));
      if (req.method === 'POST' && url.pathname === '/login') {
        const form = new URLSearchParams(body.toString('utf8'));
        const user = form.get('username') ?? '';
        if (Object.hasOwn(PASSWORDS, user) && PASSWORDS[user] === form.get('password')) {
          const id = `app-${sessions.size + 1}`;
          sessions.set(id, user);
          res.writeHead(302, { location: '/home', 'set-cookie': `app_session=${id}; Path=/; HttpOnly` });
          return res.end();
        }
        res.writeHead(302, { location: '/login?error' });
        return res.end();
      }
      if (req.method === 'GET' && url.pathname === '/home') {
        const appSession = (req.headers.cookie ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith('app_session='));
        const appUser = appSession ? sessions.get(appSession.slice('app_session='.length)) : undefined;
        if (appUser === undefined) {
          res.writeHead(302, { location: '/login' });
          return res.end();
        }
        return html(200, `<!doctype html><meta charset="utf-8"><h1 id="welcome">Hello, ${escapeHtml(appUser)}</h1><p id="gateway">${escapeHtml(userId ?? '')}</p>`);
      }
      // A page on another origin (the app's own port) that posts the login form to the gateway: login CSRF.
      if (req.method === 'GET' && url.pathname === '/evil') {
        const target = url.searchParams.get('target');
        return html(200, `<!doctype html><form id="f" method="post" action="${escapeHtml(target)}">
          <input name="username" value="mallory"><input name="password" value="mallory"></form>
          <script>document.getElementById('f').submit()</script>`);
      }
      html(404, 'not found');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      seen,
      close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
    }));
  });
}

describe('a legacy login form in Chromium through SessionGateway (SessionLogin: "form")', { concurrency: false }, () => {
  let app;
  let gateway;
  let browser;
  let tmpDir;

  before(async () => {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-browser-form-'));
    app = await startClassicApp();
    gateway = await startGateway({ upstreamPort: app.port, tmpDir, config: 'form-login.yaml' });
    browser = await launchBrowser();
  }, { timeout: 120_000 });

  after(async () => {
    await browser?.close().catch(() => {});
    await gateway?.stop().catch(() => {});
    await app?.close().catch(() => {});
    if (gateway) {
      fs.mkdirSync(artifactsDir, { recursive: true });
      fs.writeFileSync(path.join(artifactsDir, 'gateway-form-login.log'), gateway.readLog());
    }
    if (tmpDir && !process.env.KEEP_TMP) fs.rmSync(tmpDir, { recursive: true, force: true });
  });

  async function signIn(context, user, password) {
    const page = await context.newPage();
    await page.goto(gateway.origin + '/login');
    await page.fill('input[name=username]', user);
    await page.fill('input[name=password]', password);
    const from = app.seen.length;
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await page.waitForLoadState('load');
    return { page, requests: app.seen.slice(from) };
  }

  const cookieNames = async (context) => (await context.cookies()).map((c) => c.name).sort();

  for (const [user, password] of [['alice', 'correct horse'], ['zoë', 'battery staple']]) {
    test(`the right password lands on the app's home page with the app's cookie and the gateway's session (${user})`, { timeout: 60_000 }, async () => {
      const context = await browser.newContext();
      try {
        const { page, requests } = await signIn(context, user, password);

        assert.equal(new URL(page.url()).pathname, '/home', gateway.readLog());
        assert.equal(await page.textContent('#welcome'), `Hello, ${user}`);
        assert.deepEqual(await cookieNames(context), ['app_session', 'sAccessToken', 'sRefreshToken']);

        // The login POST reached the app as the browser sent it, and the redirect to /home carried both sessions.
        const post = requests.find((r) => r.method === 'POST' && r.path === '/login');
        assert.equal(new URLSearchParams(post.body.toString('utf8')).get('username'), user);
        const home = requests.find((r) => r.method === 'GET' && r.path === '/home');
        assert.equal(home.userId, user);
        assert.match(home.cookie, /app_session=app-\d+/);
        assert.doesNotMatch(home.cookie, /sAccessToken|sRefreshToken/, 'the gateway strips its own cookies');
        assert.equal(await page.textContent('#gateway'), user);

        // A later navigation is still the same user for the gateway.
        const again = await page.goto(gateway.origin + '/home');
        assert.equal(again.status(), 200);
        assert.equal(app.seen.at(-1).userId, user);
      } finally {
        await context.close();
      }
    });
  }

  test('a wrong password goes back to /login?error with no session', { timeout: 60_000 }, async () => {
    const context = await browser.newContext();
    try {
      const { page, requests } = await signIn(context, 'alice', 'wrong');

      assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/login?error');
      assert.equal(await page.textContent('#error'), 'Wrong user name or password.');
      assert.deepEqual(await cookieNames(context), []);
      assert.ok(requests.every((r) => r.userId === undefined), 'no request reached the app with a user');

      // The app's protected page stays closed: the gateway has no session for this browser.
      const from = app.seen.length;
      const home = await page.goto(gateway.origin + '/home');
      assert.equal(home.status(), 401);
      assert.equal(app.seen.length, from, 'not forwarded');
    } finally {
      await context.close();
    }
  });

  test('a login form posted from another site (login CSRF) gets no gateway session', { timeout: 60_000 }, async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const evil = `http://127.0.0.1:${app.port}/evil?target=${encodeURIComponent(gateway.origin + '/login')}`;
      await Promise.all([page.waitForURL((u) => u.origin === gateway.origin), page.goto(evil)]);
      await page.waitForLoadState('load');

      // The app itself (no CSRF protection) signed mallory in and sent the browser home; the gateway did not, so
      // the home page is closed: the victim is not silently working in the attacker's account.
      const post = app.seen.findLast((r) => r.method === 'POST' && r.path === '/login');
      assert.equal(new URLSearchParams(post.body.toString('utf8')).get('username'), 'mallory');
      const names = await cookieNames(context);
      assert.ok(!names.includes('sAccessToken') && !names.includes('sRefreshToken'), `gateway cookies: ${names}`);
      assert.match(gateway.readLog(), /another origin/);
      const home = await page.goto(gateway.origin + '/home');
      assert.equal(home.status(), 401);
    } finally {
      await context.close();
    }
  });
});
