// The page under test: the real supertokens-website SDK, configured the way a legacy app behind
// SessionGateway would configure it. Bundled by esbuild into bundle.js (see run.sh); the tests drive
// it through the window.t helpers with page.evaluate.
import SuperTokens from 'supertokens-website';

// ?mode=header selects the SDK's header transfer (st-access-token/st-refresh-token, Authorization: Bearer).
const MODE = new URLSearchParams(location.search).get('mode') === 'header' ? 'header' : 'cookie';
const REFRESH_PATH = '/api/refresh';
const SIGNOUT_PATH = '/api/signout';

// What the gateway answered on the endpoints the SDK calls itself, bodies included (Playwright cannot read
// the body of a fetch response the page never reads). Installed before init, so the SDK's own refresh and
// signout calls go through it as the "original fetch" it keeps.
const wire = [];
const pageFetch = window.fetch.bind(window);
window.fetch = async (input, init) => {
  const response = await pageFetch(input, init);
  const url = new URL(typeof input === 'string' ? input : input.url ?? String(input), location.href);
  if ([REFRESH_PATH, SIGNOUT_PATH, '/login'].includes(url.pathname)) {
    const body = await response.clone().text();
    wire.push({ path: url.pathname, status: response.status, body, frontToken: response.headers.get('front-token'), at: Date.now() });
  }
  return response;
};

// Every SDK event, in order, so the tests can see what the SDK concluded (REFRESH_SESSION, SIGN_OUT,
// UNAUTHORISED with sessionExpiredOrRevoked, SESSION_CREATED, ...).
const events = [];

SuperTokens.init({
  apiDomain: location.origin,
  apiBasePath: '/api',
  sessionExpiredStatusCode: 440,
  tokenTransferMethod: MODE,
  // The SDK's refresh URL is apiDomain + apiBasePath + "/session/refresh" and its signout URL
  // apiDomain + apiBasePath + "/signout"; only preAPIHook can point them at the gateway's paths.
  preAPIHook: async (ctx) => {
    if (ctx.action === 'REFRESH_SESSION') ctx.url = location.origin + REFRESH_PATH;
    if (ctx.action === 'SIGN_OUT') ctx.url = location.origin + SIGNOUT_PATH;
    return ctx;
  },
  onHandleEvent: (event) => {
    events.push({
      action: event.action,
      sessionExpiredOrRevoked: event.sessionExpiredOrRevoked,
      claimValidationErrors: event.claimValidationErrors,
      at: Date.now(),
    });
  },
});

async function asResult(response) {
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body, frontToken: response.headers.get('front-token') };
}

async function guard(fn) {
  try {
    return await fn();
  } catch (err) {
    // The SDK throws Responses and Errors; make both serialisable for page.evaluate.
    if (err instanceof Response) return { thrown: true, ...(await asResult(err)) };
    return { thrown: true, error: String(err && err.message ? err.message : err) };
  }
}

window.t = {
  ready: true,
  mode: MODE,
  events,
  wire,
  login: (user, role) => guard(async () =>
    asResult(await fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user, role }),
    }))),
  callApi: () => guard(async () => asResult(await fetch('/api/me'))),
  // A route with a claim policy (role admin) in deploy/proxy.forward-auth.yaml.
  callAdmin: () => guard(async () => asResult(await fetch('/admin/me'))),
  doesSessionExist: () => SuperTokens.doesSessionExist(),
  getUserId: () => guard(() => SuperTokens.getUserId()),
  getPayload: () => guard(() => SuperTokens.getAccessTokenPayloadSecurely()),
  signOut: () => guard(async () => { await SuperTokens.signOut(); return { ok: true }; }),
  attemptRefreshingSession: () => guard(() => SuperTokens.attemptRefreshingSession()),
  // The front cookies the SDK keeps itself (sFrontToken, st-last-access-token-update); never the HttpOnly ones.
  documentCookie: () => document.cookie,
};
document.getElementById('out').textContent = 'ready';
