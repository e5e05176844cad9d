using System.Buffers.Text;
using CsCheck;
using SessionGateway.Tokens;

namespace SessionGateway.Tests.Engine.Tokens;

/// <summary>"Canonical" means exactly: decoding and encoding again gives back the same text.</summary>
[Trait("Category", PropertyRun.Category)]
public sealed class CanonicalBase64UrlProperties
{
    [Fact]
    public void IsCanonical_AnyText_HoldsExactlyWhenDecodingAndEncodingGivesItBack()
    {
        var text = Gen.OneOf(
            Gen.String[Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"], 0, 40],
            Gen.String[Gen.Char["AQgw-_9= \t\r\n+/."], 0, 40],
            Gen.Byte.Array[0, 40].Select(bytes => Base64Url.EncodeToString(bytes)));

        text.Sample(
            candidate =>
            {
                var buffer = new byte[candidate.Length];
                var roundTrips = Base64Url.DecodeFromChars(candidate, buffer, out _, out var written) == System.Buffers.OperationStatus.Done
                    && Base64Url.EncodeToString(buffer.AsSpan(0, written)) == candidate;

                Assert.Equal(roundTrips, CanonicalBase64Url.IsCanonical(candidate));
                Assert.Equal(roundTrips, CanonicalBase64Url.TryDecode(candidate, buffer, out _));
            },
            iter: PropertyRun.Iter(20_000),
            threads: PropertyRun.Threads);
    }
}
