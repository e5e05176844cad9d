using System.Buffers;
using System.Buffers.Text;

namespace SessionGateway.Tokens;

/// <summary>
/// Base64url as our encoder writes it and nothing else: only the 64 alphabet characters, no <c>=</c> padding, no
/// whitespace, and the unused low bits of the last character zero, so decoding and encoding again gives back the
/// same text. The framework's decoder is lenient (it skips whitespace anywhere and accepts padding), which let one
/// signed token be respelled into endless distinct strings that all verified; each bytes value has exactly one
/// canonical spelling. (It refuses set spare bits today; we check them ourselves rather than rely on that.)
/// </summary>
internal static class CanonicalBase64Url
{
    private static readonly SearchValues<char> Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>True when <paramref name="text"/> is the one spelling the encoder gives its bytes (empty included).</summary>
    public static bool IsCanonical(ReadOnlySpan<char> text)
    {
        if (text.ContainsAnyExcept(Alphabet))
        {
            return false;
        }

        // The last character of a 2- or 3-character tail carries 4 or 2 bits that belong to no byte.
        return (text.Length % 4) switch
        {
            0 => true,
            1 => false,
            2 => (ValueOf(text[^1]) & 0b1111) == 0,
            _ => (ValueOf(text[^1]) & 0b11) == 0,
        };
    }

    /// <summary>Decodes canonical text only; anything else (or a destination too small) is false.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int written)
    {
        written = 0;
        return IsCanonical(text)
            && Base64Url.DecodeFromChars(text, destination, out _, out written) == OperationStatus.Done;
    }

    private static int ValueOf(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '-' => 62,
        _ => 63,
    };
}
