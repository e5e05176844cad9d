namespace SessionGateway.Tests;

/// <summary>
/// Settings for the CsCheck property tests (trait <c>Category=Property</c>). In the suite each property runs a
/// bounded number of cases on one thread; CsCheck's own environment variables ask for a longer run instead:
/// <c>CsCheck_Iter</c> (cases), <c>CsCheck_Time</c> (seconds), <c>CsCheck_Threads</c>, and <c>CsCheck_Seed</c> to
/// replay the seed a failure printed. See docs/architecture.md, Tests.
/// </summary>
internal static class PropertyRun
{
    public const string Category = "Property";

    /// <summary><paramref name="bounded"/> cases, unless the environment asks CsCheck for more (then -1: CsCheck's value).</summary>
    public static long Iter(long bounded) =>
        Environment.GetEnvironmentVariable("CsCheck_Iter") is null && Environment.GetEnvironmentVariable("CsCheck_Time") is null
            ? bounded
            : -1;

    /// <summary>One thread in the suite (the machine is shared); CsCheck's value when <c>CsCheck_Threads</c> is set.</summary>
    public static int Threads => Environment.GetEnvironmentVariable("CsCheck_Threads") is null ? 1 : -1;
}
