using Microsoft.Extensions.Logging.Abstractions;
using SessionGateway.Keys;
using SessionGateway.Sessions;
using SessionGateway.Storage;
using SessionGateway.Tokens;

// Usage: SessionGateway.CrashProbe <database path>
// After each acknowledged write it prints "committed <handle> <hash2 of the session's current refresh token>";
// the parent kills it at a random moment and checks that every reported state survived.
if (args.Length != 1)
{
    await Console.Error.WriteLineAsync("usage: SessionGateway.CrashProbe <database path>");
    return 2;
}

var options = new SessionEngineOptions();
var store = new SqliteSessionStore(new SessionStoreOptions { ConnectionString = args[0] });
using var keys = new SigningKeyRing(store, options, KeyEncryption.None, TimeProvider.System, NullLogger<SigningKeyRing>.Instance);
var engine = new SessionEngine(store, keys, options, KeyEncryption.None, TimeProvider.System, NullLogger<SessionEngine>.Instance);
await engine.InitializeAsync(CancellationToken.None);
Console.Out.Flush();

var tokens = new Dictionary<string, string>();
var handles = new List<string>();
for (var i = 0; ; i++)
{
    if (i % 10 == 0)
    {
        var created = (await engine.CreateAsync("crash-user-" + (i % 3), null, false, CancellationToken.None)).Value
            ?? throw new InvalidOperationException("session store unavailable");
        tokens[created.SessionHandle] = created.RefreshToken;
        handles.Add(created.SessionHandle);
        Report(created.SessionHandle, created.RefreshToken);
        continue;
    }

    var handle = handles[i % handles.Count];
    var outcome = await engine.RefreshAsync(tokens[handle], CancellationToken.None);
    if (!outcome.IsSuccess)
    {
        await Console.Error.WriteLineAsync("refresh failed: " + outcome.Kind);
        return 1;
    }

    tokens[handle] = outcome.Session.RefreshToken;
    Report(handle, outcome.Session.RefreshToken);
}

static void Report(string handle, string refreshToken)
{
    // Console.Out auto-flushes: the line is in the pipe before the next write starts.
    Console.WriteLine("committed " + handle + " " + TokenHashing.Hash2(refreshToken));
}
