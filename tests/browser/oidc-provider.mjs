// A real OpenID provider for oidc.test.mjs: the certified oidc-provider package on a loopback port, with one
// confidential client (client_secret_post, PKCE required, the gateway's callback as its only redirect URI) and its
// development login and consent pages (any login name and password sign in; the name is the user id). Every user
// has the claim `groups`, which the gateway maps to a session claim.
//
//   const op = await startProvider({ port, gatewayOrigin }); ... await op.close();
import http from 'node:http';
import Provider from 'oidc-provider';

export const CLIENT_ID = 'gateway';
export const CLIENT_SECRET = 'gateway-test-secret';
export const PROVIDER_NAME = 'test';
export const GROUPS = ['admins', 'staff'];

export async function startProvider({ port, gatewayOrigin }) {
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [`${gatewayOrigin}/api/callback/${PROVIDER_NAME}`],
      post_logout_redirect_uris: [`${gatewayOrigin}/api/logout-callback/${PROVIDER_NAME}`],
    }],
    pkce: { required: () => true },
    claims: { openid: ['sub'], profile: ['name', 'groups'] },
    findAccount: (ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, name: `User ${id}`, groups: GROUPS }),
    }),
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    cookies: { keys: ['oidc-test-cookie-key'] },
    // Plain http on loopback: the provider's cookies must not demand https.
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><h1>provider error</h1><pre id="error">${out.error}: ${out.error_description ?? ''}</pre>`;
    },
  });
  provider.proxy = false;
  // Tests change the provider's redirect to the gateway's callback (a tampered state, or holding it back while the
  // provider is stopped): hooks.callbackRedirect(location) returns { location } to send instead, or { hold: true }
  // to answer with a page that links the callback instead of redirecting to it. A browser cannot do this itself:
  // redirects inside a navigation cannot be intercepted.
  const hooks = { callbackRedirect: null };
  provider.use(async (ctx, next) => {
    await next();
    const location = ctx.response.get('location');
    if (hooks.callbackRedirect && location?.startsWith(`${gatewayOrigin}/api/callback/`)) {
      const change = hooks.callbackRedirect(location);
      if (change.location) ctx.redirect(change.location);
      if (change.hold) {
        ctx.status = 200;
        ctx.remove('location');
        ctx.type = 'html';
        ctx.body = `<!doctype html><a id="callback" href="${location.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}">callback</a>`;
      }
    }
  });
  // Sessions (and so sign-out) are the subject of the tests: count what the provider holds.
  const sessions = new Set();
  provider.on('session.saved', (session) => sessions.add(session.jti));
  provider.on('session.destroyed', (session) => sessions.delete(session.jti));
  provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error:', err));

  const server = http.createServer(provider.callback());
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    issuer,
    provider,
    sessions,
    hooks,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
