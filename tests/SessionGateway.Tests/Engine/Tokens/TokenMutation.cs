using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Numerics;
using CsCheck;

namespace SessionGateway.Tests.Engine.Tokens;

/// <summary>
/// One edit of a token's text, as an attacker holding an issued token (and maybe a second one) could make it
/// without any key: respelling (whitespace, padding, spare bits, case), bit flips inside a segment re-encoded
/// cleanly, segments swapped in from the other token, truncation, duplication, and the other ECDSA signature.
/// </summary>
internal readonly record struct TokenMutation(TokenMutation.Kinds Kind, int Position, char Character, int Bit)
{
    public enum Kinds
    {
        InsertCharacter,
        DeleteCharacter,
        ReplaceCharacter,
        FlipBitInSegment,
        SegmentFromOtherToken,
        PadSegment,
        WhitespaceInSegment,
        Truncate,
        ToggleCase,
        SpareBitsOfSegment,
        DuplicateSegment,
        SwapSegments,
        NegateEcdsaS,
    }

    // Characters a lenient decoder or parser might skip or treat specially, and the base64url alphabet.
    private const string Characters = " \t\r\n=.+/%\"';,\0\u00e9\u2028-_AZaz09Qw";

    private static readonly BigInteger P256Order = BigInteger.Parse(
        "0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    public static readonly Gen<TokenMutation> Gen = CsCheck.Gen.Select(
        CsCheck.Gen.Enum<Kinds>(),
        CsCheck.Gen.Int[0, 100_000],
        CsCheck.Gen.Char[Characters],
        CsCheck.Gen.Int[0, 4_096],
        (kind, position, character, bit) => new TokenMutation(kind, position, character, bit));

    /// <summary>One to four edits in a row.</summary>
    public static readonly Gen<TokenMutation[]> Several = Gen.Array[1, 4];

    public static string ApplyAll(string token, string other, TokenMutation[] mutations)
    {
        foreach (var mutation in mutations)
        {
            token = mutation.Apply(token, other);
        }

        return token;
    }

    public string Apply(string token, string other)
    {
        var segments = token.Split('.');
        var otherSegments = other.Split('.');
        var index = Position % segments.Length;
        var at = token.Length == 0 ? 0 : Position % token.Length;
        switch (Kind)
        {
            case Kinds.InsertCharacter:
                return token.Insert(Position % (token.Length + 1), Character.ToString());
            case Kinds.DeleteCharacter:
                return token.Length == 0 ? token : token.Remove(at, 1);
            case Kinds.ReplaceCharacter:
                return token.Length == 0 ? token : string.Concat(token.AsSpan(0, at), Character.ToString(), token.AsSpan(at + 1));
            case Kinds.FlipBitInSegment:
                return WithSegment(segments, index, FlipBit(segments[index], Bit));
            case Kinds.SegmentFromOtherToken:
                return index < otherSegments.Length ? WithSegment(segments, index, otherSegments[index]) : token;
            case Kinds.PadSegment:
                return WithSegment(segments, index, segments[index] + new string('=', 1 + (Bit % 2)));
            case Kinds.WhitespaceInSegment:
                var segment = segments[index];
                return WithSegment(segments, index, segment.Insert(Bit % (segment.Length + 1), Character is ' ' or '\t' or '\r' or '\n' ? Character.ToString() : " "));
            case Kinds.Truncate:
                return token[..at];
            case Kinds.ToggleCase:
                return token.Length == 0 ? token : string.Concat(
                    token.AsSpan(0, at),
                    (char.IsUpper(token[at]) ? char.ToLowerInvariant(token[at]) : char.ToUpperInvariant(token[at])).ToString(),
                    token.AsSpan(at + 1));
            case Kinds.SpareBitsOfSegment:
                return WithSegment(segments, index, SetSpareBits(segments[index], 1 + (Bit % 15)));
            case Kinds.DuplicateSegment:
                return token + "." + segments[index];
            case Kinds.SwapSegments:
                var second = (index + 1 + (Bit % Math.Max(1, segments.Length - 1))) % segments.Length;
                (segments[index], segments[second]) = (segments[second], segments[index]);
                return string.Join('.', segments);
            case Kinds.NegateEcdsaS:
                return WithSegment(segments, segments.Length - 1, NegateS(segments[^1]));
            default:
                throw new InvalidOperationException("unknown mutation " + Kind);
        }
    }

    /// <summary>The other valid ECDSA signature of the same data: (r, n - s). Unchanged unless the text is a 64-byte r||s.</summary>
    public static string NegateS(string signatureText)
    {
        if (!TryDecode(signatureText, out var signature) || signature.Length != 64)
        {
            return signatureText;
        }

        var s = new BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: true);
        var negated = (P256Order - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        var forged = new byte[64];
        signature.AsSpan(0, 32).CopyTo(forged);
        negated.CopyTo(forged.AsSpan(64 - negated.Length));
        return Base64Url.EncodeToString(forged);
    }

    private static string WithSegment(string[] segments, int index, string replacement)
    {
        var copy = (string[])segments.Clone();
        copy[index] = replacement;
        return string.Join('.', copy);
    }

    private static string FlipBit(string segment, int bit)
    {
        if (!TryDecode(segment, out var bytes) || bytes.Length == 0)
        {
            return segment;
        }

        bit %= bytes.Length * 8;
        bytes[bit / 8] ^= (byte)(1 << (bit % 8));
        return Base64Url.EncodeToString(bytes);
    }

    private static string SetSpareBits(string segment, int bits)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var spare = (segment.Length % 4) switch { 2 => 0b1111, 3 => 0b11, _ => 0 };
        var last = segment.Length == 0 ? -1 : alphabet.IndexOf(segment[^1], StringComparison.Ordinal);
        return spare == 0 || last < 0 ? segment : segment[..^1] + alphabet[last | (bits & spare)];
    }

    private static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = new byte[Base64Url.GetMaxDecodedLength(text.Length)];
        if (Base64Url.DecodeFromChars(text, bytes, out _, out var written) != OperationStatus.Done)
        {
            return false;
        }

        bytes = bytes[..written];
        return true;
    }
}
