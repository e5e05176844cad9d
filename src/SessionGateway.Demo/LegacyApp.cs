using System.Net;
using System.Text;

namespace SessionGateway.Demo;

/// <summary>
/// A stand-in for a legacy web app: it has a login form and an API, knows nothing about sessions or tokens,
/// and trusts the identity headers the gateway sets. It shows every header it received, so a visitor can see
/// what reaches an upstream (and that spoofed identity headers do not).
/// </summary>
internal static class LegacyApp
{
    public static WebApplication Build(string url)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();

        app.MapGet("/", (HttpRequest request) => Results.Content(Page(request), "text/html; charset=utf-8"));

        // The app's whole "login": check the form, then ask the gateway for a session with one response header.
        app.MapPost("/login", async (HttpRequest request, HttpResponse response) =>
        {
            var form = await request.ReadFormAsync();
            var user = form["username"].ToString().Trim();
            if (user.Length == 0)
            {
                return Results.Redirect("/?error=name");
            }

            response.Headers["X-Session-Create"] = user;
            response.Headers["X-Session-Claims"] = $$"""{"role":"{{(user == "admin" ? "admin" : "user")}}"}""";
            return Results.Redirect("/");
        });

        app.MapGet("/admin/", (HttpRequest request) => Results.Content(
            $"<!doctype html><p>Admin area. Only sessions with the claim role=admin get here; you are {WebUtility.HtmlEncode(request.Headers["X-User-Id"].ToString())} ({WebUtility.HtmlEncode(request.Headers["X-User-Role"].ToString())}).</p><p><a href=\"/\">back</a></p>",
            "text/html; charset=utf-8"));

        app.MapGet("/api/whoami", (HttpRequest request) => Results.Json(new
        {
            userId = request.Headers["X-User-Id"].ToString() is { Length: > 0 } id ? id : null,
            sessionHandle = request.Headers["X-Session-Handle"].ToString() is { Length: > 0 } h ? h : null,
            role = request.Headers["X-User-Role"].ToString() is { Length: > 0 } r ? r : null,
            time = DateTimeOffset.UtcNow,
        }));

        return app;
    }

    private static string Page(HttpRequest request)
    {
        var user = request.Headers["X-User-Id"].ToString();
        var rows = new StringBuilder();
        foreach (var (name, value) in request.Headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            var mark = name.StartsWith("X-User", StringComparison.OrdinalIgnoreCase) || name.StartsWith("X-Session", StringComparison.OrdinalIgnoreCase)
                ? " class=\"id\"" : "";
            rows.Append("<tr").Append(mark).Append("><td>").Append(WebUtility.HtmlEncode(name)).Append("</td><td>")
                .Append(WebUtility.HtmlEncode(value.ToString())).Append("</td></tr>");
        }

        var greeting = user.Length > 0
            ? $"<p class=\"ok\">Signed in as <b>{WebUtility.HtmlEncode(user)}</b> (the gateway told me, in <code>X-User-Id</code>).</p>" +
              "<p><button id=\"signout\">Sign out</button></p>" +
              "<h2>Your devices</h2><p><small>The gateway answers <code>GET /api/sessions</code> itself (this app is never asked): " +
              "every session of yours, where it signed in and last refreshed. <b>Sign out</b> ends that one " +
              "(<code>DELETE /api/sessions/{handle}</code>); its next request needs a login.</small></p>" +
              "<table id=\"devices\"><thead><tr><td>Device (user agent)</td><td>Address</td><td>Signed in</td><td>Last refresh</td><td></td></tr></thead><tbody></tbody></table>"
            : "<p>Nobody is signed in: no <code>X-User-Id</code> header reached me.</p>" +
              "<form method=\"post\" action=\"/login\"><label>User name <input name=\"username\" autofocus></label> <button>Sign in</button></form>" +
              "<p><small>Try <code>admin</code> to get the admin role (see <a href=\"/admin/\">/admin/</a>).</small></p>" +
              "<p>Or let the gateway check a password, with no help from this app: <a href=\"/api/signin?redirect=/\">sign in with the users file</a> " +
              $"as <code>{DemoUsers.User}</code>, password <code>{DemoUsers.Password}</code>.</p>";

        return $$"""
            <!doctype html>
            <html><head><meta charset="utf-8"><title>Legacy app behind SessionGateway</title>
            <style>
              body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 60rem; }
              table { border-collapse: collapse; } td { border: 1px solid #ccc; padding: .2rem .5rem; font-family: monospace; }
              tr.id td { background: #e8f4e8; font-weight: bold; } .ok { color: #185c18; }
              #devices td { font-family: system-ui, sans-serif; } #devices thead td { font-weight: bold; } #devices tr.current td { background: #eef3fb; }
            </style></head>
            <body>
              <h1>A legacy app</h1>
              <p>This app knows nothing about sessions or tokens. It reads who you are from headers set by the gateway.</p>
              {{greeting}}
              <p>API: <a href="/api/whoami">/api/whoami</a></p>
              <h2>What the page's script sees</h2>
              <p><small>Every 5 s the page calls <code>/api/whoami</code>. When the short-lived access token has expired
              the gateway answers <b>440</b>; the script then calls <code>POST /api/refresh</code> and retries, as the
              SuperTokens frontend SDK does.</small></p>
              <pre id="log"></pre>
              <h2>Headers this app received</h2>
              <table>{{rows}}</table>
              <script>
              const log = (line) => { const el = document.getElementById('log'); el.textContent = new Date().toLocaleTimeString() + '  ' + line + '\n' + el.textContent.split('\n').slice(0, 12).join('\n'); };
              const refresh = () => fetch('/api/refresh', { method: 'POST', headers: { rid: 'session' } });
              async function whoami(reloadOnRecovery) {
                let r = await fetch('/api/whoami');
                if (r.status === 440) {
                  log('GET /api/whoami -> 440 try refresh token; POST /api/refresh');
                  const refreshed = await refresh();
                  log('POST /api/refresh -> ' + refreshed.status);
                  if (refreshed.status !== 200) { if ({{(user.Length > 0 ? "true" : "false")}}) location.reload(); return; }
                  if (reloadOnRecovery) { location.reload(); return; }
                  r = await fetch('/api/whoami');
                }
                const body = r.status === 200 ? await r.json() : null;
                log('GET /api/whoami -> ' + r.status + (body ? ' user ' + body.userId : ''));
              }
              whoami({{(user.Length == 0 ? "true" : "false")}});
              setInterval(() => whoami(false), 5000);
              // Your devices: the gateway's own endpoints. A 440 means the access token expired: refresh, then retry once.
              async function withRefresh(call) {
                let r = await call();
                if (r.status === 440 && (await refresh()).status === 200) r = await call();
                return r;
              }
              const devices = document.querySelector('#devices tbody');
              const cell = (row, text) => { const td = row.insertCell(); td.textContent = text; return td; };
              const when = (iso) => iso ? new Date(iso).toLocaleString() : '-';
              async function listDevices() {
                if (!devices) return;
                const r = await withRefresh(() => fetch('/api/sessions'));
                if (r.status !== 200) { devices.innerHTML = ''; cell(devices.insertRow(), 'GET /api/sessions -> ' + r.status); return; }
                const sessions = await r.json();
                devices.innerHTML = '';
                for (const s of sessions) {
                  const row = devices.insertRow();
                  row.dataset.handle = s.handle;
                  if (s.current) row.className = 'current';
                  const client = s.lastRefreshBy ?? s.createdBy ?? {};
                  cell(row, (client.userAgent ?? 'unknown') + (s.current ? '  (this device)' : ''));
                  cell(row, client.address ?? '-');
                  cell(row, when(s.createdAt));
                  cell(row, when(s.lastRefreshAt));
                  const button = document.createElement('button');
                  button.textContent = 'Sign out';
                  button.className = 'end-session';
                  // rid: what the anti-CSRF mode custom-header asks of a cookie request (the SuperTokens SDK sends it too).
                  button.onclick = async () => {
                    const ended = await withRefresh(() => fetch('/api/sessions/' + encodeURIComponent(s.handle), { method: 'DELETE', headers: { rid: 'session' } }));
                    log('DELETE /api/sessions/' + s.handle.slice(0, 8) + '... -> ' + ended.status);
                    if (s.current) location.reload(); else listDevices();
                  };
                  row.insertCell().appendChild(button);
                }
              }
              listDevices();
              const out = document.getElementById('signout');
              if (out) out.onclick = async () => { await fetch('/api/signout', { method: 'POST', headers: { rid: 'session' } }); location.reload(); };
              </script>
            </body></html>
            """;
    }
}
