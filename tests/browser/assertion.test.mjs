// The signed identity assertion (docs/assertion.md) as a node upstream would check it: the real gateway, with the
// api route opted in from the command line, forwards a signed-in request to upstream.mjs, which echoes the
// X-Session-Assertion it received; jose (a JWS implementation that is not ours) verifies it against the JWKS the
// gateway serves. No browser: plain fetch with the session cookie. Run with run.sh (it builds the gateway first).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startGateway } from './harness.mjs';
import { startUpstream } from './upstream.mjs';

const ISSUER = 'session-gateway'; // Session:Issuer's default
const AUDIENCE = 'app'; // the api route's cluster id: the default audience
const TYP = 'session-assertion+jwt';

let tmpDir;
let upstream;
let gateway;
let jwks;

before(async () => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-assertion-'));
  upstream = await startUpstream();
  gateway = await startGateway({
    upstreamPort: upstream.port,
    tmpDir,
    extraArgs: [
      '--ReverseProxy:Routes:api:Metadata:SessionAssertion', 'true',
      '--Session:Assertion:Claims:0', 'role',
    ],
  });
  jwks = createRemoteJWKSet(new URL(gateway.origin + '/.well-known/jwks.json'));
}, { timeout: 120_000 });

after(async () => {
  await gateway?.stop();
  await upstream?.close();
  if (tmpDir && !process.env.KEEP_TMP) fs.rmSync(tmpDir, { recursive: true, force: true });
});

/** Signs in through the upstream's login route; returns the access token the gateway set as a cookie. */
async function login(user) {
  const res = await fetch(gateway.origin + '/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  await res.arrayBuffer();
  assert.equal(res.status, 200);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sAccessToken='));
  assert.ok(cookie, 'no sAccessToken cookie');
  return cookie.slice('sAccessToken='.length).split(';')[0];
}

/** GET /api/me with the session; what the upstream received. */
async function me(accessToken, headers = {}) {
  const res = await fetch(gateway.origin + '/api/me', { headers: { cookie: `sAccessToken=${accessToken}`, ...headers } });
  assert.equal(res.status, 200);
  return res.json();
}

describe('signed identity assertion verified with jose', { concurrency: false }, () => {
  test('the upstream gets an assertion that jose verifies against the gateway JWKS', async () => {
    const accessToken = await login('alice');
    const seen = await me(accessToken);

    assert.ok(seen.assertion, 'the upstream got no X-Session-Assertion');
    const { payload, protectedHeader } = await jwtVerify(seen.assertion, jwks, { issuer: ISSUER, audience: AUDIENCE, typ: TYP });
    assert.equal(protectedHeader.typ, TYP);
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.sid, seen.handle);
    assert.equal(payload.role, 'user');
    assert.ok(payload.exp - payload.iat <= 60, `lifetime ${payload.exp - payload.iat} s`);
    assert.ok(payload.exp <= decodeJwt(accessToken).exp, 'the assertion outlives the access token');
  });

  test('the access token is not an assertion, and a client-sent assertion never reaches the upstream', async () => {
    const accessToken = await login('bob');
    await assert.rejects(jwtVerify(accessToken, jwks, { issuer: ISSUER, audience: AUDIENCE, typ: TYP }));

    const seen = await me(accessToken, { 'X-Session-Assertion': accessToken, 'x_session_assertion': 'forged' });
    assert.notEqual(seen.assertion, accessToken);
    const { payload } = await jwtVerify(seen.assertion, jwks, { issuer: ISSUER, audience: AUDIENCE, typ: TYP });
    assert.equal(payload.sub, 'bob');
  });

  test('another audience does not accept it', async () => {
    const seen = await me(await login('carol'));
    await assert.rejects(jwtVerify(seen.assertion, jwks, { issuer: ISSUER, audience: 'another-app', typ: TYP }), /aud/);
  });
});
