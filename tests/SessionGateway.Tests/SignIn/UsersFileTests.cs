using Microsoft.Extensions.Logging.Abstractions;
using SessionGateway.SignIn;

namespace SessionGateway.Tests.SignIn;

public sealed class UsersFileTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "sg-users-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => File.Delete(_path);

    private UsersFile Load(string text)
    {
        File.WriteAllText(_path, text);
        return new UsersFile(_path, TimeProvider.System, NullLogger<UsersFile>.Instance);
    }

    [Fact]
    public async Task VerifyAsync_WhenNoCheckSlotComesFreeInTime_IsBusy_AndChecksNothing()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        File.WriteAllText(_path, "demo:$2y$05$kJbRMpHpr22Oz6IucprbseyuWBTT0PoDloYND2lZIB0WwLSBftVA2\n");
        using var users = new UsersFile(_path, clock, NullLogger<UsersFile>.Instance);
        var slots = UsersFile.CheckSlots;
        var taken = 0;
        while (slots.Wait(0))
        {
            taken++;
        }

        try
        {
            var waiting = users.VerifyAsync("demo", "secret", CancellationToken.None);
            Assert.False(waiting.IsCompleted);
            clock.Advance(UsersFile.MaxQueueWait);

            var check = await waiting.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.True(check.IsBusy);
            Assert.Null(check.UserId);
        }
        finally
        {
            slots.Release(taken);
        }

        var free = await users.VerifyAsync("demo", "secret", CancellationToken.None);
        Assert.Equal(new PasswordCheck("demo", IsBusy: false), free);
    }

    [Fact]
    public void Verify_HtpasswdsY2Hash_RightPasswordOnly()
    {
        // htpasswd -nbB demo secret
        using var users = Load("demo:$2y$05$kJbRMpHpr22Oz6IucprbseyuWBTT0PoDloYND2lZIB0WwLSBftVA2\n");

        Assert.Equal("demo", users.Verify("demo", "secret"));
        Assert.Null(users.Verify("demo", "secret "));
        Assert.Null(users.Verify("Demo", "secret"));
        Assert.Null(users.Verify("nobody", "secret"));
    }

    [Fact]
    public void Verify_OnlyTheFirst72BytesCount_AsBcryptDefines()
    {
        var prefix = new string('p', 72);
        using var users = Load("u:" + BCrypt.Net.BCrypt.HashPassword(prefix + "one", 4) + "\n");

        Assert.Equal("u", users.Verify("u", prefix + "two"));
        Assert.Null(users.Verify("u", new string('p', 71)));
    }

    [Fact]
    public void Reload_AppliesAWholeFile_AndKeepsTheLastGoodOneOtherwise()
    {
        using var users = Load("a:" + BCrypt.Net.BCrypt.HashPassword("pa", 4) + "\n");
        File.WriteAllText(_path, "b:" + BCrypt.Net.BCrypt.HashPassword("pb", 4) + "\n");
        Assert.Empty(users.Reload());
        Assert.Null(users.Verify("a", "pa"));
        Assert.Equal("b", users.Verify("b", "pb"));

        File.WriteAllText(_path, "broken\n");
        Assert.NotEmpty(users.Reload());
        Assert.Equal("b", users.Verify("b", "pb"));

        File.Delete(_path);
        Assert.NotEmpty(users.Reload());
        Assert.Equal("b", users.Verify("b", "pb"));
    }
}
