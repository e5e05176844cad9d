namespace SessionGateway.Keys;

/// <summary>
/// Low-S form of P-256 signatures (raw r||s, 32 bytes each). ECDSA is malleable: if (r, s) verifies, so does
/// (r, n - s), which anyone can compute from a token without the key, giving every ES256 token a second spelling
/// that verifies. We sign only with s &lt;= n/2 and verify only that form, so each token has one signature.
/// </summary>
internal static class EcdsaLowS
{
    private const int ScalarBytes = 32;

    // The order n of the P-256 group, and n / 2 rounded down (both big-endian).
    private static ReadOnlySpan<byte> Order =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
    ];

    private static ReadOnlySpan<byte> HalfOrder =>
    [
        0x7F, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xDE, 0x73, 0x7D, 0x56, 0xD3, 0x8B, 0xCF, 0x42, 0x79, 0xDC, 0xE5, 0x61, 0x7E, 0x31, 0x92, 0xA8,
    ];

    /// <summary>True when the s half of a 64-byte r||s signature is at most n/2.</summary>
    public static bool IsLowS(ReadOnlySpan<byte> signature) =>
        signature.Length == 2 * ScalarBytes && signature[ScalarBytes..].SequenceCompareTo(HalfOrder) <= 0;

    /// <summary>Replaces a high s with n - s in place; the signature stays valid for the same key and data.</summary>
    public static void Normalize(Span<byte> signature)
    {
        if (signature.Length != 2 * ScalarBytes || IsLowS(signature))
        {
            return;
        }

        var s = signature[ScalarBytes..];
        var borrow = 0;
        for (var i = ScalarBytes - 1; i >= 0; i--)
        {
            var difference = Order[i] - s[i] - borrow;
            borrow = difference < 0 ? 1 : 0;
            s[i] = (byte)(difference + (borrow << 8));
        }
    }
}
