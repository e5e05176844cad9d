using SessionGateway.Keys;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Storage;

/// <summary>
/// The behaviour every <see cref="ISessionStore"/> backend must have. A backend's test class derives from
/// this and only says how to create a fresh, empty store.
/// </summary>
public abstract class SessionStoreContractTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken Ct = CancellationToken.None;

    private ISessionStore _store = null!;

    private protected abstract Task<ISessionStore> CreateStoreAsync();

    private protected ISessionStore Store => _store;

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await _store.InitializeAsync(Ct);
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private static SessionRecord Session(string handle, string user = "user-1", DateTimeOffset? expires = null, string hash = "h0") =>
        new(handle, user, """{"role":"admin"}""", "csrf", hash, null, null, expires ?? Now.AddDays(30), Now);

    [SkippableFact]
    public async Task Ping_OnAnInitialisedStore_Completes()
    {
        await Store.PingAsync(Ct);
    }

    [SkippableFact]
    public async Task Initialize_CalledTwice_IsIdempotent()
    {
        await Store.InitializeAsync(Ct);
        await Store.CreateAsync(Session("a"), new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);
        await Store.InitializeAsync(Ct);

        Assert.NotNull(await Store.FindAsync("a", Ct));
    }

    [SkippableFact]
    public async Task Find_AfterCreate_ReturnsSameRecord()
    {
        var session = Session("a");
        await Store.CreateAsync(session, new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);

        Assert.Equal(session, await Store.FindAsync("a", Ct));
    }

    [SkippableFact]
    public async Task Find_UnknownHandle_ReturnsNull()
    {
        Assert.Null(await Store.FindAsync("missing", Ct));
    }

    [SkippableFact]
    public async Task TryRotate_WithCurrentHash_MovesCurrentToPreviousSlidesExpiryAndReturnsTheRow()
    {
        await Store.CreateAsync(Session("a"), new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);

        var rotated = await Store.TryRotateAsync("a", "h0", "h1", Now.AddMinutes(1), Now.AddDays(31), SessionLimits.None, null, Ct);

        var expected = Session("a") with { CurrentHash = "h1", PreviousHash = "h0", RotatedAt = Now.AddMinutes(1), ExpiresAt = Now.AddDays(31) };
        Assert.Equal(expected, rotated);
        Assert.Equal(expected, await Store.FindAsync("a", Ct));
    }

    [SkippableFact]
    public async Task TryRotate_WithStaleHash_ChangesNothing()
    {
        await Store.CreateAsync(Session("a"), new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);
        await Store.TryRotateAsync("a", "h0", "h1", Now, Now.AddDays(30), SessionLimits.None, null, Ct);

        var rotated = await Store.TryRotateAsync("a", "h0", "h-fork", Now, Now.AddDays(30), SessionLimits.None, null, Ct);

        Assert.Null(rotated);
        Assert.Equal("h1", (await Store.FindAsync("a", Ct))!.CurrentHash);
    }

    [SkippableFact]
    public async Task TryRotate_ManyConcurrentWithOneHash_ExactlyOneWins()
    {
        await Store.CreateAsync(Session("a"), new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(() => Store.TryRotateAsync("a", "h0", "h" + (i + 1), Now.AddSeconds(1), Now.AddDays(30), SessionLimits.None, null, Ct))));

        var winner = Assert.Single(attempts, a => a is not null)!;
        Assert.Equal(winner.CurrentHash, (await Store.FindAsync("a", Ct))!.CurrentHash);
        Assert.Equal("h0", winner.PreviousHash);
    }

    [SkippableFact]
    public async Task TryRotate_ExpiredSession_Fails()
    {
        await Store.CreateAsync(Session("a", expires: Now), new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);

        Assert.Null(await Store.TryRotateAsync("a", "h0", "h1", Now.AddSeconds(1), Now.AddDays(30), SessionLimits.None, null, Ct));
    }

    [SkippableFact]
    public async Task Revoke_ExistingSession_DeletesItRecordsRevocationAndAudit()
    {
        await Store.CreateAsync(Session("a"), new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);

        Assert.Equal("user-1", await Store.RevokeAsync("a", Now.AddMinutes(16), new AuditEntry("signed-out", Now), Ct));

        Assert.Null(await Store.FindAsync("a", Ct));
        Assert.Equal([new Revocation("a", Now.AddMinutes(16))], await Store.ListRevocationsAsync(Now, Ct));
        Assert.Equal([new SessionAuditEvent("signed-out", "user-1", "a", Now)], await Store.ListAuditEventsAsync("user-1", Ct));
    }

    [SkippableFact]
    public async Task Revoke_UnknownSession_ReturnsNullButStillRecordsTheRevocation()
    {
        Assert.Null(await Store.RevokeAsync("gone", Now.AddMinutes(16), new AuditEntry("signed-out", Now), Ct));

        Assert.Equal([new Revocation("gone", Now.AddMinutes(16))], await Store.ListRevocationsAsync(Now, Ct));
    }

    [SkippableFact]
    public async Task RevokeAllForUser_DeletesOnlyThatUsersSessionsAndRevokesEach()
    {
        await Store.CreateAsync(Session("a", "alice"), new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);
        await Store.CreateAsync(Session("b", "alice"), new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);
        await Store.CreateAsync(Session("c", "bob"), new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);

        var handles = await Store.RevokeAllForUserAsync("alice", Now.AddMinutes(16), new AuditEntry("revoked", Now), null, Ct);

        Assert.Equal(["a", "b"], handles.Order());
        Assert.Empty(await Store.ListForUserAsync("alice", Ct));
        Assert.Single(await Store.ListForUserAsync("bob", Ct));
        Assert.Equal(["a", "b"], (await Store.ListRevocationsAsync(Now, Ct)).Select(r => r.SessionHandle).Order());
        Assert.Equal(["a", "b"], (await Store.ListAuditEventsAsync("alice", Ct)).Select(e => e.SessionHandle).Order());
    }

    [SkippableFact]
    public async Task Revocations_ExpiredOnes_AreNotListedAndAreSweptInBatches()
    {
        for (var i = 0; i < 7; i++)
        {
            await Store.RevokeAsync("old" + i, Now, new AuditEntry("revoked", Now.AddMinutes(-16)), Ct);
        }

        await Store.RevokeAsync("live", Now.AddSeconds(1), new AuditEntry("revoked", Now), Ct);

        Assert.Equal(["live"], (await Store.ListRevocationsAsync(Now, Ct)).Select(r => r.SessionHandle));
        Assert.Equal(5, await Store.DeleteExpiredRevocationsAsync(Now, 5, Ct));
        Assert.Equal(2, await Store.DeleteExpiredRevocationsAsync(Now, 5, Ct));
        Assert.Equal(0, await Store.DeleteExpiredRevocationsAsync(Now, 5, Ct));
        Assert.Single(await Store.ListRevocationsAsync(Now, Ct));
    }

    [SkippableFact]
    public async Task ListForUser_ReturnsOnlyThatUsersSessions()
    {
        await Store.CreateAsync(Session("a", "alice"), new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);
        await Store.CreateAsync(Session("c", "bob"), new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);

        var sessions = await Store.ListForUserAsync("alice", Ct);

        Assert.Equal("a", Assert.Single(sessions).Handle);
    }

    [SkippableFact]
    public async Task DeleteExpired_RespectsBatchSizeAndKeepsLiveSessions()
    {
        for (var i = 0; i < 7; i++)
        {
            await Store.CreateAsync(Session("old" + i, expires: Now), new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);
        }

        await Store.CreateAsync(Session("live", expires: Now.AddSeconds(1)), new AuditEntry("created", DateTimeOffset.UnixEpoch), Ct);

        Assert.Equal(5, await Store.DeleteExpiredAsync(Now, 5, Ct));
        Assert.Equal(2, await Store.DeleteExpiredAsync(Now, 5, Ct));
        Assert.Equal(0, await Store.DeleteExpiredAsync(Now, 5, Ct));
        Assert.NotNull(await Store.FindAsync("live", Ct));
    }

    private static StoredSigningKey Key(string kid, DateTimeOffset signsFrom, SigningAlgorithm algorithm = SigningAlgorithm.ES256) =>
        new(kid, algorithm, [1, 2, 3], Now, signsFrom, signsFrom.AddDays(7), signsFrom.AddDays(7).AddMinutes(16));

    [SkippableFact]
    public async Task TryAddSigningKey_SameSlotTwice_KeepsTheFirst()
    {
        Assert.True(await Store.TryAddSigningKeyAsync(Key("k1", Now), Now, Now, Ct));
        Assert.False(await Store.TryAddSigningKeyAsync(Key("k2", Now), Now, Now, Ct));
        Assert.True(await Store.TryAddSigningKeyAsync(Key("k3", Now, SigningAlgorithm.RS256), Now, Now, Ct));

        var keys = await Store.GetSigningKeysAsync(Ct);

        Assert.Equal(["k1", "k3"], keys.Select(k => k.KeyId).Order());
        Assert.Equal([1, 2, 3], keys[0].PrivateKey);
    }

    [SkippableFact]
    public async Task TryAddSigningKey_WhenAKeyAlreadySignsInTheGuardWindow_AddsNothing()
    {
        Assert.True(await Store.TryAddSigningKeyAsync(Key("current", Now), Now, Now, Ct));

        Assert.False(await Store.TryAddSigningKeyAsync(Key("earlier-slot", Now.AddHours(-1)), Now.AddSeconds(-1), Now.AddSeconds(1), Ct));
        Assert.True(await Store.TryAddSigningKeyAsync(Key("next", Now.AddDays(7)), Now.AddDays(7), Now.AddDays(7), Ct));

        Assert.Equal(["current", "next"], (await Store.GetSigningKeysAsync(Ct)).Select(k => k.KeyId).Order());
    }

    [SkippableFact]
    public async Task TryAddSigningKey_ReplicasAddingFirstKeysAtOnce_OnlyOneIsAdded()
    {
        // Different slots (their clocks straddle a boundary), the same guard: without serialisation both would land.
        var added = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            Store.TryAddSigningKeyAsync(Key("k" + i, Now.AddMinutes(-i)), Now.AddSeconds(-1), Now.AddSeconds(1), Ct))));

        Assert.Single(added, a => a);
        Assert.Single(await Store.GetSigningKeysAsync(Ct));
    }

    [SkippableFact]
    public async Task DeleteRetiredSigningKeys_RemovesOnlyKeysPastVerifyUntil()
    {
        await Store.TryAddSigningKeyAsync(Key("old", Now.AddDays(-30)), Now.AddDays(-30), Now.AddDays(-30), Ct);
        await Store.TryAddSigningKeyAsync(Key("current", Now), Now, Now, Ct);

        Assert.Equal(1, await Store.DeleteRetiredSigningKeysAsync(Now, Ct));
        Assert.Equal("current", Assert.Single(await Store.GetSigningKeysAsync(Ct)).KeyId);
    }

    [SkippableFact]
    public async Task GetOrAddSecret_ManyReplicasAtOnce_AllGetOneValue()
    {
        var values = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => Store.GetOrAddSecretAsync("race", [(byte)i], Ct))));

        Assert.Single(values.Select(v => v[0]).Distinct());
    }

    [SkippableFact]
    public async Task GetOrAddSecret_SecondCandidate_ReturnsFirstValue()
    {
        var first = await Store.GetOrAddSecretAsync("s", [1, 1, 1], Ct);
        var second = await Store.GetOrAddSecretAsync("s", [2, 2, 2], Ct);

        Assert.Equal([1, 1, 1], first);
        Assert.Equal([1, 1, 1], second);
    }
}
