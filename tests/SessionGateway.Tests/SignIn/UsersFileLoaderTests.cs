using SessionGateway.SignIn;

namespace SessionGateway.Tests.SignIn;

public sealed class UsersFileLoaderTests
{
    private const string Hash = "$2y$05$kJbRMpHpr22Oz6IucprbseyuWBTT0PoDloYND2lZIB0WwLSBftVA2";

    [Theory]
    [InlineData(Hash)]
    [InlineData("$2a$10$kJbRMpHpr22Oz6IucprbseyuWBTT0PoDloYND2lZIB0WwLSBftVA2")]
    [InlineData("$2b$12$kJbRMpHpr22Oz6IucprbseyuWBTT0PoDloYND2lZIB0WwLSBftVA2")]
    public void HashProblem_BcryptRevisions2a2b2y_AreAccepted(string hash) => Assert.Null(UsersFileLoader.HashProblem(hash));

    [Theory]
    [InlineData("$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/", "an MD5 (apr1) hash")]
    [InlineData("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "a SHA-1 hash")]
    [InlineData("$6$salt$abc", "a SHA-2 crypt hash")]
    [InlineData("$2x$05$kJbRMpHpr22Oz6IucprbseyuWBTT0PoDloYND2lZIB0WwLSBftVA2", "not a well-formed bcrypt hash")]
    [InlineData("$2y$05$kJbRMpHpr22Oz6IucprbseyuWBTT0PoDloYND2lZIB0WwLSBftVA", "not a well-formed bcrypt hash")]
    [InlineData("$2y$05$kJbRMpHpr22Oz6IucprbseyuWBTT0PoDloYND2lZIB0WwLSBftVA2\n", "not a well-formed bcrypt hash")]
    [InlineData("$2y$03$kJbRMpHpr22Oz6IucprbseyuWBTT0PoDloYND2lZIB0WwLSBftVA2", "bcrypt cost 3 is outside 4..17")]
    [InlineData("$2y$18$kJbRMpHpr22Oz6IucprbseyuWBTT0PoDloYND2lZIB0WwLSBftVA2", "bcrypt cost 18 is outside 4..17")]
    [InlineData("rqXexS6ZhobKA", "a crypt(3) hash or a plain-text password")]
    [InlineData("", "a crypt(3) hash or a plain-text password")]
    public void HashProblem_OtherKinds_AreRefusedWithTheirKind(string hash, string reason) =>
        Assert.Contains(reason, UsersFileLoader.HashProblem(hash), StringComparison.Ordinal);

    [Fact]
    public void Parse_SkipsBlankAndCommentLines_ToleratesCrLf_AndRefusesOtherHashesByLine()
    {
        var content = UsersFileLoader.Parse("/f", $"# users\r\nalice:{Hash}\r\n\r\nbob:{{SHA}}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\r\ncarol:{Hash}");

        Assert.Empty(content.Problems);
        Assert.Equal(["alice", "carol"], content.Users.Keys.Order(StringComparer.Ordinal));
        var refused = Assert.Single(content.Refused);
        Assert.Equal(4, refused.Line);
        Assert.Equal(5, content.UsualCost);
    }

    [Theory]
    [InlineData("alice", "'/f' line 1 is not 'user:hash'")]
    [InlineData("alice:" + Hash + "\nalice:" + Hash, "'/f' line 2: user 'alice' is listed again (first on line 1)")]
    [InlineData(":" + Hash, "'/f' line 1: the user name cannot be a user id: it is empty")]
    [InlineData("a\u200Bb:" + Hash, "'/f' line 1: the user name cannot be a user id: it holds U+200B")]
    public void Parse_BrokenLines_AreProblems(string text, string problem)
    {
        var content = UsersFileLoader.Parse("/f", text);
        Assert.Contains(content.Problems, p => p.StartsWith(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_AProblemNeverShowsTheLine_WhichCouldBeAPassword()
    {
        var content = UsersFileLoader.Parse("/f", "hunter2");
        Assert.DoesNotContain("hunter2", Assert.Single(content.Problems), StringComparison.Ordinal);
    }
}
