using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SessionGateway.Admin;

namespace SessionGateway.Tests.Admin;

/// <summary>
/// A user id from an admin path, read from the request target as sent. Each case gives the target and the path as
/// Kestrel decodes it (everything but <c>%2F</c>), which is what routing matched.
/// </summary>
public sealed class AdminPathValueTests
{
    [Theory]
    [InlineData("/admin/users/mia/sessions", "/admin/users/mia/sessions", "mia")]
    [InlineData("/admin/users/team%2Fann/sessions", "/admin/users/team%2Fann/sessions", "team/ann")]
    [InlineData("/admin/users/team%2fann/sessions", "/admin/users/team%2fann/sessions", "team/ann")]
    [InlineData("/admin/users/team%252Fann/sessions", "/admin/users/team%2Fann/sessions", "team%2Fann")] // the id "team%2Fann", not "team/ann"
    [InlineData("/admin/users/50%25/sessions", "/admin/users/50%/sessions", "50%")]
    [InlineData("/admin/users/%C3%A9l%C3%A8ve/sessions", "/admin/users/élève/sessions", "élève")]
    [InlineData("/admin/users/ann%40example.com/sessions?x=1", "/admin/users/ann@example.com/sessions", "ann@example.com")]
    [InlineData("/admin/users/a%20b/sessions", "/admin/users/a b/sessions", "a b")]
    [InlineData("http://127.0.0.1:9090/admin/users/team%2Fann/sessions", "/admin/users/team%2Fann/sessions", "team/ann")] // absolute form
    public void Read_DecodesTheSegmentOnceAndExactly(string target, string routedPath, string expected)
    {
        Assert.Equal(expected, AdminPathValue.Read(Context(target, routedPath), 3));
    }

    [Theory]
    [InlineData("/admin/users/x/../mia/sessions", "/admin/users/mia/sessions")] // Kestrel removed a dot segment
    [InlineData("/admin/./users/mia/sessions", "/admin/users/mia/sessions")]
    [InlineData("/admin/users/bob/sessions", "/admin/users/mia/sessions")]       // not the request routing saw
    [InlineData("*", "/admin/users/mia/sessions")]
    public void Read_TargetThatDoesNotLineUpWithTheRoutedPath_IsNull(string target, string routedPath)
    {
        Assert.Null(AdminPathValue.Read(Context(target, routedPath), 3));
    }

    private static DefaultHttpContext Context(string target, string routedPath)
    {
        var context = new DefaultHttpContext();
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = target;
        context.Request.Path = routedPath;
        return context;
    }
}
