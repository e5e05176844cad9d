using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;

namespace SessionGateway.Configuration;

/// <summary>
/// Checks a configuration section against the shape of the type it binds to, so a misspelt key is an error
/// instead of a silently ignored setting. Every problem is collected; nothing stops at the first.
/// </summary>
internal static class ConfigSchema
{
    private const string NeedsAValue = "needs a value";
    private const string NotASection = "expects a single value, not a section";

    // Reading nullability is reflection-heavy and the types never change: once per property. The context is not
    // thread-safe, hence the lock (taken only on the first sight of a property).
    private static readonly NullabilityInfoContext NullabilityContext = new();
    private static readonly ConcurrentDictionary<PropertyInfo, NullabilityInfo> Nullabilities = new();

    /// <summary>
    /// Checks keys and, when <paramref name="checkValues"/> is set, that each value converts to its type and that no
    /// setting declared non-nullable is written empty (YAML reads <c>Key:</c> with nothing after it as null, which
    /// the binder would put into a string the code trusts never to be null).
    /// </summary>
    /// <returns>
    /// False when such an empty value, or a list or mapping where one value belongs, was found: the bound settings would
    /// hold a null where none may be.
    /// </returns>
    public static bool Check(IConfigurationSection section, Type type, bool checkValues, List<ConfigProblem> problems)
    {
        var before = problems.Count;
        Check(section, type, nullability: null, checkValues, problems);
        return !problems.Skip(before).Any(p => p.Message.StartsWith(NeedsAValue, StringComparison.Ordinal) || p.Message == NotASection);
    }

    private static void Check(IConfigurationSection section, Type type, NullabilityInfo? nullability, bool checkValues, List<ConfigProblem> problems)
    {
        if (IsLeaf(type))
        {
            CheckLeaf(section, type, nullability, checkValues, problems);
            return;
        }

        var children = section.GetChildren();
        if (section.Value is { Length: > 0 } && !children.Any())
        {
            problems.Add(new ConfigProblem(section.Path, $"expects a section of settings, not the value '{section.Value}'"));
            return;
        }

        if (DictionaryValueType(type) is { } valueType)
        {
            var valueNullability = nullability?.GenericTypeArguments is [_, var value] ? value : null;
            foreach (var child in children)
            {
                Check(child, valueType, valueNullability, checkValues, problems);
            }

            return;
        }

        if (ListItemType(type) is { } itemType)
        {
            var itemNullability = nullability?.ElementType ?? (nullability?.GenericTypeArguments is [var item] ? item : null);
            foreach (var child in children)
            {
                if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    problems.Add(new ConfigProblem(child.Path, $"'{section.Key}' is a list; write its items as a YAML sequence (- item)"));
                    continue;
                }

                Check(child, itemType, itemNullability, checkValues, problems);
            }

            return;
        }

        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetMethod is not null && p.GetIndexParameters().Length == 0)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in children)
        {
            if (properties.TryGetValue(child.Key, out var property))
            {
                Check(child, property.PropertyType, NullabilityOf(property), checkValues, problems);
            }
            else
            {
                problems.Add(new ConfigProblem(child.Path, $"unknown key '{child.Key}'{Suggest(child.Key, properties.Keys)}; known keys here: {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))}"));
            }
        }
    }

    /// <summary>
    /// The type a setting at <paramref name="path"/> (relative, <c>Webhooks:Timeout</c>) binds to under
    /// <paramref name="type"/>, through dictionaries and lists as the binder goes; null for a key the type does not have.
    /// </summary>
    public static Type? LeafType(Type type, string path)
    {
        Type? current = type;
        foreach (var segment in path.Split(ConfigurationPath.KeyDelimiter))
        {
            if (current is null || IsLeaf(current))
            {
                return null;
            }

            current = DictionaryValueType(current) ?? ListItemType(current) ??
                current.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.PropertyType;
        }

        return current;
    }

    private static NullabilityInfo NullabilityOf(PropertyInfo property) =>
        Nullabilities.GetOrAdd(property, static p =>
        {
            lock (NullabilityContext)
            {
                return NullabilityContext.Create(p);
            }
        });

    /// <summary>Names the closest known key when one is a likely misspelling.</summary>
    public static string Suggest(string key, IEnumerable<string> known)
    {
        var best = known
            .Select(k => (Key: k, Distance: Distance(key.ToUpperInvariant(), k.ToUpperInvariant())))
            .OrderBy(x => x.Distance)
            .FirstOrDefault();
        return best.Key is not null && best.Distance <= Math.Max(2, key.Length / 4) ? $" (did you mean '{best.Key}'?)" : "";
    }

    private static void CheckLeaf(IConfigurationSection section, Type type, NullabilityInfo? nullability, bool checkValues, List<ConfigProblem> problems)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        var children = section.GetChildren().ToList();
        if (children.Count > 0)
        {
            // Flag enums (YARP's SslProtocols) may be written as a list of names.
            var isFlagList = target.IsEnum && target.IsDefined(typeof(FlagsAttribute)) &&
                children.TrueForAll(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _));
            if (!isFlagList)
            {
                problems.Add(new ConfigProblem(section.Path, NotASection));
            }

            return;
        }

        if (checkValues && section.Value is null && !type.IsValueType && nullability?.ReadState == NullabilityState.NotNull)
        {
            problems.Add(new ConfigProblem(section.Path, NeedsAValue + " (written empty, it reads as null; quote it, \"\", for an empty text)"));
            return;
        }

        if (checkValues && section.Value is null && type.IsValueType && Nullable.GetUnderlyingType(type) is null)
        {
            // A number, switch or duration written empty has no value to take: the binder keeps the default, which is
            // neither what was written nor necessarily off. Only the settings that can be unset (IdleTimeout...) may be.
            problems.Add(new ConfigProblem(section.Path, $"{NeedsAValue}: write {Describe(target)}"));
            return;
        }

        if (!checkValues || section.Value is null || target == typeof(string))
        {
            return;
        }

        var value = section.Value;
        if (target == typeof(TimeSpan) && Durations.TryParse(value, out var duration) && (duration > Durations.Longest || duration < -Durations.Longest))
        {
            problems.Add(new ConfigProblem(section.Path, $"'{value}' is longer than {Durations.Longest.TotalDays:0} days (100 years), the longest duration a setting takes"));
            return;
        }

        var ok = target switch
        {
            _ when target == typeof(bool) => bool.TryParse(value, out _),
            _ when target == typeof(int) => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
            _ when target == typeof(long) => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
            _ when target == typeof(double) => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
            _ when target == typeof(TimeSpan) => Durations.TryParse(value, out _),
            _ when target == typeof(Uri) => Uri.TryCreate(value, UriKind.RelativeOrAbsolute, out _),
            _ when target.IsEnum => Enum.TryParse(target, value, ignoreCase: true, out var parsed) && Enum.IsDefined(target, parsed!),
            _ => true,
        };
        if (!ok)
        {
            problems.Add(new ConfigProblem(section.Path, $"'{value}' is not {Describe(target)}"));
        }
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) => "a whole number",
        _ when type == typeof(double) => "a number",
        _ when type == typeof(TimeSpan) => "a duration (for example 00:15:00, 30s, 15m, 12h, 30d)",
        _ when type == typeof(Uri) => "a URI",
        _ when type.IsEnum => "one of: " + string.Join(", ", Enum.GetNames(type)),
        _ => "a valid " + type.Name,
    };

    private static bool IsLeaf(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(TimeSpan) ||
            t == typeof(Uri) || t == typeof(Version) || t == typeof(DateTimeOffset) || t == typeof(DateTime);
    }

    private static Type? DictionaryValueType(Type type)
    {
        foreach (var candidate in (Type[])[type, .. type.GetInterfaces()])
        {
            if (candidate.IsGenericType &&
                (candidate.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>) || candidate.GetGenericTypeDefinition() == typeof(IDictionary<,>)) &&
                candidate.GetGenericArguments()[0] == typeof(string))
            {
                return candidate.GetGenericArguments()[1];
            }
        }

        return null;
    }

    private static Type? ListItemType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        foreach (var candidate in (Type[])[type, .. type.GetInterfaces()])
        {
            if (candidate.IsGenericType && candidate.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            {
                return candidate.GetGenericArguments()[0];
            }
        }

        return null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
