using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using SessionGateway.Hosting;
using SessionGateway.Sessions;
using SessionGateway.Tests.Configuration;

namespace SessionGateway.Tests.Telemetry;

/// <summary>Log event ids: one meaning each across the gateway and the engine, and every one in docs/operations.md.</summary>
public sealed partial class EventIdTests
{
    private static readonly Assembly[] Assemblies = [typeof(GatewayHost).Assembly, typeof(SessionEngine).Assembly];

    [Fact]
    public void EventIds_AreUniqueAcrossGatewayAndEngine()
    {
        var duplicates = LoggerMessages().GroupBy(m => m.Id).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}").ToList();

        Assert.Empty(duplicates);
    }

    /// <summary>The ranges docs/operations.md gives: 1000-1499 the engine's, the rest the gateway's, so an id tells which assembly logged it.</summary>
    [Fact]
    public void EventIds_OfTheEngine_AreInItsRange_AndTheGatewaysOutsideIt()
    {
        static bool Engines(int id) => id is >= 1000 and <= 1499;
        var misplaced = LoggerMessages(typeof(SessionEngine).Assembly).Where(m => !Engines(m.Id))
            .Concat(LoggerMessages(typeof(GatewayHost).Assembly).Where(m => Engines(m.Id)))
            .Select(m => $"{m.Id}: {m.Method}");

        Assert.Empty(misplaced);
    }

    [Fact]
    public void EventIdTable_InOperationsDoc_ListsEveryIdInSourceAndNoOther()
    {
        var text = File.ReadAllText(ConfigTestData.RepositoryFile("docs/operations.md"));
        var documented = TableRow().Matches(text).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var inSource = LoggerMessages().Select(m => m.Id).ToHashSet();

        Assert.Empty(inSource.Except(documented).Order());
        Assert.Empty(documented.Except(inSource).Order());
    }

    private static IEnumerable<(int Id, string Method)> LoggerMessages(params Assembly[] assemblies) =>
        from assembly in assemblies.Length > 0 ? assemblies : Assemblies
        from type in assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
        where attribute is not null
        select (attribute.EventId, type.FullName + "." + method.Name);

    // A row of the event-id table: "| 1000 | Information | ...".
    [GeneratedRegex(@"^\| (\d{4}) \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
