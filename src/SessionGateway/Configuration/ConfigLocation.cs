namespace SessionGateway.Configuration;

/// <summary>Where a configuration key was written: file, 1-based line and column.</summary>
internal readonly record struct ConfigLocation(string File, int Line, int Column);
