using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using SessionGateway.Authorization;

namespace SessionGateway.Tests.Authorization;

public sealed class ClaimRequirementHandlerTests
{
    [Theory]
    [InlineData("admin", "admin", true)]
    [InlineData("admin,ops", "ops", true)]
    [InlineData("admin", "Admin", false)]
    [InlineData("admin", "user", false)]
    [InlineData("admin", "[\"user\",\"admin\"]", true)]
    [InlineData("admin", "[\"user\"]", false)]
    [InlineData("admin", "[not json", false)]
    [InlineData("admin", null, false)]
    public async Task Handle_ClaimValue_MeetsRequirementOnlyWhenAllowed(string allowed, string? actual, bool expected)
    {
        var requirement = ClaimRequirement.Parse("role", allowed);
        var claims = actual is null ? [] : new[] { new Claim("role", actual) };
        var context = new AuthorizationHandlerContext([requirement], new ClaimsPrincipal(new ClaimsIdentity(claims, "test")), null);

        await new ClaimRequirementHandler().HandleAsync(context);

        Assert.Equal(expected, context.HasSucceeded);
    }
}
