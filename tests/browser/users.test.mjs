// The users-file sign-in (docs/login.md, "A users file") in a real browser: Chromium opens the gateway's built-in
// page (GET /api/signin), fills the form and submits it without any script of ours; the gateway checks the password
// against an htpasswd file (made by Debian's htpasswd when it is installed, else a fixed line htpasswd made),
// redirects to the page, and the supertokens-website SDK there sees the session. A wrong password shows the error.
// Run with run.sh (it builds the gateway and the bundle, and installs apache2-utils when missing).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundlePath, launchBrowser, startGateway } from './harness.mjs';
import { startUpstream } from './upstream.mjs';

const SIGNIN = '/api/signin';
const USER = 'zoë';
const PASSWORD = 'correct horse battery staple';
// htpasswd -nbB demo secret (Debian's apache2-utils): used when htpasswd is not installed here.
const FIXED_LINE = 'demo:$2y$05$kJbRMpHpr22Oz6IucprbseyuWBTT0PoDloYND2lZIB0WwLSBftVA2';

let tmpDir;
let upstream;
let gateway;
let browser;
let user;
let password;
let gw;

before(async () => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-users-'));
  const made = spawnSync('htpasswd', ['-nbB', '-C', '6', USER, PASSWORD], { encoding: 'utf8' });
  let line;
  if (made.status === 0) {
    line = made.stdout.trim();
    [user, password] = [USER, PASSWORD];
  } else {
    console.warn('htpasswd not found (run.sh installs apache2-utils): using a fixed line it made');
    line = FIXED_LINE;
    [user, password] = ['demo', 'secret'];
  }
  const usersFile = path.join(tmpDir, 'users.htpasswd');
  fs.writeFileSync(usersFile, line + '\n', { mode: 0o600 });
  upstream = await startUpstream({ bundlePath });
  gateway = await startGateway({ upstreamPort: upstream.port, tmpDir, extraArgs: ['--Session:Login:UsersFile', usersFile] });
  gw = gateway.origin;
  browser = await launchBrowser();
}, { timeout: 120_000 });

after(async () => {
  await browser?.close().catch(() => {});
  await gateway?.stop();
  await upstream?.close();
  if (tmpDir && !process.env.KEEP_TMP) fs.rmSync(tmpDir, { recursive: true, force: true });
});

/** A fresh browser context and page; CSP violations and page errors are collected. */
async function newPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  return { context, page, problems };
}

async function fillAndSubmit(page, name, pass) {
  await page.fill('input[name="username"]', name);
  await page.fill('input[name="password"]', pass);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
}

const t = (page, name, ...args) => page.evaluate(([n, a]) => window.t[n](...a), [name, args]);

describe('users file: the built-in sign-in page', () => {
  test('a right password lands on the target page with a session the SDK sees', async () => {
    const { context, page, problems } = await newPage();
    try {
      const shown = await page.goto(gw + SIGNIN + '?redirect=' + encodeURIComponent('/?from=signin'));
      assert.equal(shown.status(), 200);
      assert.match(shown.headers()['content-security-policy'], /default-src 'none'/);
      assert.equal(await page.locator('script').count(), 0, 'the page needs no script');
      assert.equal(await page.locator('#error').count(), 0);

      await fillAndSubmit(page, user, password);

      assert.equal(page.url(), gw + '/?from=signin');
      await page.waitForFunction(() => window.t && window.t.ready === true);
      const cookies = await context.cookies();
      assert.ok(cookies.find((c) => c.name === 'sAccessToken' && c.httpOnly), 'an HttpOnly access-token cookie');
      // The SDK did not see the form's answer: it finds the session by one refresh, then holds it.
      assert.equal(await t(page, 'doesSessionExist'), true);
      assert.equal(await t(page, 'getUserId'), user);
      const me = await t(page, 'callApi');
      assert.equal(me.status, 200);
      assert.equal(decodeURIComponent(me.body.userId), user);
      assert.equal(me.body.sawTokens, false, 'the upstream never sees the tokens');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('a wrong password shows the error and makes no session', async () => {
    const { context, page, problems } = await newPage();
    try {
      await page.goto(gw + SIGNIN);
      await fillAndSubmit(page, user, password + '!');

      assert.equal(new URL(page.url()).pathname, SIGNIN);
      assert.equal(new URL(page.url()).searchParams.get('error'), '1');
      assert.equal((await page.locator('#error').textContent()).trim(), 'Wrong user name or password.');
      assert.equal((await context.cookies()).find((c) => c.name === 'sAccessToken'), undefined);

      // An unknown user gets the very same page.
      await fillAndSubmit(page, 'nobody', password);
      assert.equal((await page.locator('#error').textContent()).trim(), 'Wrong user name or password.');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('a form posted from another site signs nobody in (login CSRF)', async () => {
    const { context, page } = await newPage();
    try {
      // The upstream's origin stands in for the attacker's site: another port is another origin.
      await page.goto(`http://127.0.0.1:${upstream.port}/`);
      await page.setContent(`<form method="post" action="${gw}${SIGNIN}">
        <input name="username" value="${user}"><input name="password" value="${password}"><button>go</button></form>`);
      const [response] = await Promise.all([page.waitForNavigation(), page.click('button')]);
      assert.equal(response.status(), 403);
      assert.equal((await context.cookies()).find((c) => c.name === 'sAccessToken'), undefined);
    } finally {
      await context.close();
    }
  });
});
