using System.Text;
using SessionGateway.Configuration;
using SessionGateway.Webhooks;

namespace SessionGateway.Tests.Webhooks;

public sealed class WebhookSignatureTests
{
    /// <summary>The example of the Standard Webhooks specification's libraries (their shared test vector).</summary>
    [Fact]
    public void Sign_SpecificationExample_GivesItsSignature()
    {
        var key = WebhookSettings.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!;

        var signature = WebhookSignature.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, Encoding.UTF8.GetBytes("""{"test": 2432232314}"""));

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }
}
