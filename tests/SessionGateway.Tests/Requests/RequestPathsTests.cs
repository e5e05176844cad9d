using SessionGateway.Configuration;
using SessionGateway.Requests;

namespace SessionGateway.Tests.Requests;

/// <summary>
/// The path rules on paths as Kestrel hands them over (percent-decoded except <c>%2F</c>, dot segments resolved).
/// </summary>
public sealed class RequestPathsTests
{
    private static readonly PathSettings Defaults = new();

    [Theory]
    [InlineData("/")]
    [InlineData("/api/orders/42")]
    [InlineData("/public/caf\u00e9")]
    [InlineData("/public/%FF")]
    [InlineData("/public/a%2Eb")]
    [InlineData("")]
    [InlineData(null)]
    public void OrdinaryPath_IsUnchanged(string? path) =>
        Assert.Equal(PathVerdict.Unchanged, RequestPaths.Normalise(path, Defaults));

    [Theory]
    [InlineData("/public/..;/admin/x", nameof(PathRefusal.PathParameter))]
    [InlineData("/admin;jsessionid=1/x", nameof(PathRefusal.PathParameter))]
    [InlineData("/a;", nameof(PathRefusal.PathParameter))]
    [InlineData("/public/..%2Fadmin", nameof(PathRefusal.EscapedSlash))]
    [InlineData("/public/..%2fadmin", nameof(PathRefusal.EscapedSlash))]
    [InlineData("/public\\..\\admin", nameof(PathRefusal.Backslash))]
    [InlineData("//a\\b", nameof(PathRefusal.Backslash))]
    public void AmbiguousPath_IsRefusedByDefault(string path, string refusal) =>
        Assert.Equal(PathVerdict.Refused(Enum.Parse<PathRefusal>(refusal)), RequestPaths.Normalise(path, Defaults));

    [Theory]
    [InlineData("//admin/x", "/admin/x")]
    [InlineData("/a//b///c//", "/a/b/c/")]
    [InlineData("//", "/")]
    public void DoubleSlashes_AreMergedByDefault(string path, string normalised) =>
        Assert.Equal(PathVerdict.Normalised(normalised), RequestPaths.Normalise(path, Defaults));

    [Fact]
    public void DoubleSlashes_WithMergeSlashesOff_AreKept() =>
        Assert.Equal(PathVerdict.Unchanged, RequestPaths.Normalise("//admin/x", Defaults with { MergeSlashes = false }));

    [Theory]
    [InlineData("/public/..%2Fadmin/x", "/admin/x")]
    [InlineData("/public/%2F..%2F..%2Fadmin", "/admin")]
    [InlineData("/a%2F.%2Fb%2f%2fc", "/a/b/c")]
    [InlineData("/a/b%2F..", "/a/")]
    [InlineData("/%2Fadmin", "/admin")]
    public void EscapedSlashes_Unescape_DecodesResolvesAndMerges(string path, string normalised) =>
        Assert.Equal(PathVerdict.Normalised(normalised), RequestPaths.Normalise(path, Defaults with { EscapedSlashes = EscapedSlashAction.Unescape }));

    [Fact]
    public void EscapedSlashes_Keep_LeavesThemInTheirSegment() =>
        Assert.Equal(PathVerdict.Unchanged, RequestPaths.Normalise("/files/a%2Fb", Defaults with { EscapedSlashes = EscapedSlashAction.Keep }));

    [Fact]
    public void KeepEverything_StillMergesSlashes()
    {
        var keep = new PathSettings
        {
            EscapedSlashes = EscapedSlashAction.Keep,
            PathParameters = AmbiguousPathAction.Keep,
            Backslashes = AmbiguousPathAction.Keep,
        };

        Assert.Equal(PathVerdict.Unchanged, RequestPaths.Normalise("/a;v=1/b\\c%2Fd", keep));
        Assert.Equal(PathVerdict.Normalised("/a;v=1/b\\c"), RequestPaths.Normalise("/a;v=1//b\\c", keep));
    }

    [Theory]
    [InlineData("/a/b/../c", "/a/c")]
    [InlineData("/a/./b/.", "/a/b/")]
    [InlineData("/../../a", "/a")]
    [InlineData("/a/..", "/")]
    [InlineData("/a//..", "/a/")]
    [InlineData("/a/..b/.c", "/a/..b/.c")]
    public void RemoveDotSegments_FollowsRfc3986(string path, string expected) =>
        Assert.Equal(expected, RequestPaths.RemoveDotSegments(path));
}
