using System.Globalization;

namespace SessionGateway.Configuration;

/// <summary>
/// Durations in configuration: a .NET <see cref="TimeSpan"/> string (<c>00:15:00</c>, <c>30.00:00:00</c>) or a
/// shorthand number with a unit (<c>250ms</c>, <c>30s</c>, <c>15m</c>, <c>12h</c>, <c>30d</c>).
/// </summary>
internal static class Durations
{
    /// <summary>
    /// The longest duration a <c>Session</c> setting takes: far past any lifetime or retention that makes sense, and
    /// far inside what dates can add and subtract (year 9999 is about 2.9 million days away; a lifetime beyond it
    /// failed every login, a retention beyond year 1 every sweep).
    /// </summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(36_500);

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
    /// <paramref name="section"/> with every shorthand duration written for a <see cref="TimeSpan"/> setting of
    /// <paramref name="type"/> rewritten as a .NET <see cref="TimeSpan"/> string, which is all the configuration
    /// binder reads (it is source-generated: <c>TimeSpan.Parse</c>, no converters). The section itself when it has none.
    /// Only settings of type <see cref="TimeSpan"/> are touched: a secret or a name that happens to read <c>30s</c> stays.
    /// </summary>
    public static IConfiguration ExpandShorthand(IConfigurationSection section, Type type)
    {
        List<KeyValuePair<string, string?>>? values = null;
        foreach (var (key, value) in section.AsEnumerable(makePathsRelative: true))
        {
            if (value is not null && TryParse(value, out var span) && !TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out _) &&
                ConfigSchema.LeafType(type, key) is { } leaf && (Nullable.GetUnderlyingType(leaf) ?? leaf) == typeof(TimeSpan))
            {
                values ??= [];
                values.Add(new(section.Path + ConfigurationPath.KeyDelimiter + key, span.ToString("c", CultureInfo.InvariantCulture)));
            }
        }

        if (values is null)
        {
            return section;
        }

        // The whole section, keys with no value (an empty list) included, with the rewritten values on top; the
        // section keeps its path, so a value that does not convert is still named in full.
        return new ConfigurationBuilder()
            .AddInMemoryCollection(section.AsEnumerable())
            .AddInMemoryCollection(values)
            .Build()
            .GetSection(section.Path);
    }
}
