using System.ComponentModel;
using System.Globalization;

namespace SessionGateway.Configuration;

/// <summary>A <see cref="TimeSpanConverter"/> that also reads the shorthand of <see cref="Durations"/>.</summary>
internal sealed class DurationConverter : TimeSpanConverter
{
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text
            ? Durations.TryParse(text, out var span) ? span : throw new FormatException($"'{text}' is not a duration (for example 00:15:00 or 15m)")
            : base.ConvertFrom(context, culture, value);
}
