// A tiny stand-in for the "legacy app" behind SessionGateway. It knows nothing about sessions except
// the one header the gateway asks for at login (X-Session-Create), and it reports what reached it.
//
//   GET  /            HTML page that loads /bundle.js (the supertokens-website SDK, see page.js)
//   GET  /bundle.js   the esbuild output
//   POST /login       {user, role?} as JSON or form -> 200 + X-Session-Create: <user>, X-Session-Claims {role} ('user' by default)
//   GET  /api/me      {userId, handle, assertion, sawTokens, sdkTokenCookies} from what the gateway forwarded
//   GET  /admin/me    the same plus {role} (a route with a claim policy in deploy/proxy.forward-auth.yaml)
//   GET  /__stats     request counters (tests read them directly, not through the gateway)
//
// Run standalone: node upstream.mjs [port]   (port 0 or absent = any free port; prints "listening <port>")
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>SessionGateway browser test</title></head>
<body><h1>legacy app</h1><pre id="out"></pre><script src="/bundle.js"></script></body></html>
`;

/** True when a gateway token reached the upstream: an sAccessToken/sRefreshToken cookie or any Authorization header. */
export function sawTokens(headers) {
  const cookie = headers.cookie ?? '';
  const names = cookie.split(';').map((c) => c.trim().split('=')[0]);
  return names.includes('sAccessToken') || names.includes('sRefreshToken') || headers.authorization !== undefined;
}

/**
 * Names of the cookies in which supertokens-website keeps the tokens itself in header mode
 * (st-access-token, st-refresh-token: JS-readable cookies on the page's domain) that reached the upstream.
 */
export function sdkTokenCookies(headers) {
  const cookie = headers.cookie ?? '';
  return cookie.split(';').map((c) => c.trim().split('=')[0]).filter((n) => n === 'st-access-token' || n === 'st-refresh-token');
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res, status, body, extraHeaders = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...extraHeaders,
  });
  res.end(text);
}

/**
 * Starts the upstream. Returns { server, port, stats, close }.
 * bundlePath: the esbuild output to serve as /bundle.js (read per request, so a rebuild needs no restart).
 */
export function startUpstream({ port = 0, host = '127.0.0.1', bundlePath = path.join(here, 'bundle.js') } = {}) {
  const stats = { total: 0, byPath: {}, tokensSeen: 0, lastMe: null };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://upstream.invalid');
    stats.total++;
    stats.byPath[url.pathname] = (stats.byPath[url.pathname] ?? 0) + 1;
    if (sawTokens(req.headers)) stats.tokensSeen++;
    try {
      if (req.method === 'GET' && url.pathname === '/__stats') {
        return json(res, 200, stats);
      }
      if (req.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        return res.end(PAGE);
      }
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204);
        return res.end();
      }
      if (req.method === 'GET' && url.pathname === '/bundle.js') {
        let js;
        try {
          js = fs.readFileSync(bundlePath);
        } catch {
          res.writeHead(500, { 'content-type': 'text/plain' });
          return res.end('bundle.js missing: run the esbuild step (see run.sh)');
        }
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
        return res.end(js);
      }
      if (req.method === 'POST' && url.pathname === '/login') {
        const body = await readBody(req);
        let user;
        let role;
        const type = req.headers['content-type'] ?? '';
        if (type.includes('application/json')) {
          ({ user, role } = JSON.parse(body || '{}'));
        } else {
          user = new URLSearchParams(body).get('user');
        }
        if (!user) return json(res, 400, { error: 'user required' });
        return json(res, 200, { ok: true, user }, {
          'X-Session-Create': user,
          'X-Session-Claims': JSON.stringify({ role: role ?? 'user' }),
        });
      }
      if (req.method === 'GET' && (url.pathname === '/api/me' || url.pathname === '/admin/me')) {
        const me = {
          role: req.headers['x-user-role'] ?? null,
          userId: req.headers['x-user-id'] ?? null,
          handle: req.headers['x-session-handle'] ?? null,
          assertion: req.headers['x-session-assertion'] ?? null,
          sawTokens: sawTokens(req.headers),
          sdkTokenCookies: sdkTokenCookies(req.headers),
        };
        stats.lastMe = me;
        return json(res, 200, me);
      }
      return json(res, 404, { error: 'not found', path: url.pathname });
    } catch (err) {
      return json(res, 500, { error: String(err) });
    }
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        server,
        port: actual,
        stats,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

// Standalone mode.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? process.env.UPSTREAM_PORT ?? 0);
  const up = await startUpstream({ port });
  console.log(`listening ${up.port}`);
  const stop = () => up.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
