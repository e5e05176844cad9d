namespace SessionGateway.Keys;

/// <summary>JWS algorithms the engine signs access tokens with. Symmetric algorithms are deliberately absent.</summary>
internal enum SigningAlgorithm
{
    /// <summary>ECDSA P-256 with SHA-256: fast to sign, the default.</summary>
    ES256,

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-256 and a 2048-bit key: slow to sign, fast to verify.</summary>
    RS256,
}
