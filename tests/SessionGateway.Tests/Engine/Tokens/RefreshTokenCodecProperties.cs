using System.Security.Cryptography;
using CsCheck;
using SessionGateway.Tokens;

namespace SessionGateway.Tests.Engine.Tokens;

/// <summary>Properties of the refresh-token codec over generated input (CsCheck): nothing throws, only issued tokens parse.</summary>
[Trait("Category", PropertyRun.Category)]
public sealed class RefreshTokenCodecProperties
{
    private static readonly RefreshTokenCodec Codec = new(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void TryParse_MutationsOfIssuedTokens_ParseOnlyWhenIdenticalToOne()
    {
        // Two sessions, and a lineage of successors for the first, as the engine hands them out.
        var first = Codec.CreateInitial("O9KoSJZFhS4fVf2fCcXcfg");
        var next = Codec.DeriveNext(first, "O9KoSJZFhS4fVf2fCcXcfg");
        var afterNext = Codec.DeriveNext(next, "O9KoSJZFhS4fVf2fCcXcfg");
        var other = Codec.CreateInitial("h9by5xXwXGYQcBkt3HQV0Q");
        string[] issued = [first, next, afterNext, other];

        Gen.Select(Gen.Int[0, issued.Length - 1], Gen.Int[0, issued.Length - 1], TokenMutation.Several).Sample(
            (i, j, mutations) =>
            {
                var mutated = TokenMutation.ApplyAll(issued[i], issued[j], mutations);

                var parsed = Codec.TryParse(mutated, out var handle);

                Assert.True(!parsed || issued.Contains(mutated), mutated);
                Assert.True(!parsed || mutated.StartsWith("v1." + handle + ".", StringComparison.Ordinal));
            },
            iter: PropertyRun.Iter(5_000),
            threads: PropertyRun.Threads);
    }

    [Fact]
    public void TryParse_AnyText_IsRejectedAndNeverThrows()
    {
        var text = Gen.OneOf(
            Gen.String[0, 300],
            Gen.String[Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.= \t%"], 0, 300],
            Gen.String[Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."], 0, 200].Select(rest => "v1." + rest));

        text.Sample(
            candidate => Assert.False(Codec.TryParse(candidate, out _)),
            iter: PropertyRun.Iter(5_000),
            threads: PropertyRun.Threads);
    }
}
