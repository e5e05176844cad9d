using System.ComponentModel;
using System.Globalization;

namespace SessionGateway.Configuration;

/// <summary>
/// Durations in configuration: a .NET <see cref="TimeSpan"/> string (<c>00:15:00</c>, <c>30.00:00:00</c>) or a
/// shorthand number with a unit (<c>250ms</c>, <c>30s</c>, <c>15m</c>, <c>12h</c>, <c>30d</c>).
/// </summary>
internal static class Durations
{
    private static int _registered;

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        var (unitLength, unit) = s switch
        {
            _ when s.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (2, TimeSpan.FromMilliseconds(1)),
            _ when s.EndsWith('s') || s.EndsWith('S') => (1, TimeSpan.FromSeconds(1)),
            _ when s.EndsWith('m') || s.EndsWith('M') => (1, TimeSpan.FromMinutes(1)),
            _ when s.EndsWith('h') || s.EndsWith('H') => (1, TimeSpan.FromHours(1)),
            _ when s.EndsWith('d') || s.EndsWith('D') => (1, TimeSpan.FromDays(1)),
            _ => (0, TimeSpan.Zero),
        };
        if (unitLength > 0)
        {
            if (double.TryParse(s.AsSpan(0, s.Length - unitLength), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) &&
                amount * unit.Ticks < TimeSpan.MaxValue.Ticks)
            {
                value = unit * amount;
                return true;
            }

            return false;
        }

        return TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// Lets <see cref="Microsoft.Extensions.Configuration.ConfigurationBinder"/> bind the shorthand too: the
    /// binder converts through <see cref="TypeDescriptor"/>, so registering a converter is the supported hook.
    /// </summary>
    public static void RegisterConverter()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            TypeDescriptor.AddAttributes(typeof(TimeSpan), new TypeConverterAttribute(typeof(DurationConverter)));
        }
    }
}
