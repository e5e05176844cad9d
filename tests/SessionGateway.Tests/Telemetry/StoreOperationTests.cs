using System.Reflection;
using System.Text.RegularExpressions;
using SessionGateway.Storage;
using SessionGateway.Telemetry;
using SessionGateway.Tests.Configuration;

namespace SessionGateway.Tests.Telemetry;

/// <summary>
/// The <c>operation</c> values of <c>sessiongateway.store.duration</c>: one per store verb, and exactly the ones
/// docs/operations.md lists, so an operator's dashboard or alert on a new verb finds it documented.
/// </summary>
public sealed partial class StoreOperationTests
{
    private static readonly List<string> Operations =
        typeof(StoreOperation).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(StoreOperation))
            .Select(f => ((StoreOperation)f.GetValue(null)!).Name)
            .ToList();

    [Fact]
    public void EachStoreVerb_HasAnOperationOfItsOwn()
    {
        Assert.Equal(Operations.Count, Operations.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(typeof(ISessionStore).GetMethods().Length, Operations.Count);
    }

    [Fact]
    public void StoreDurationRow_InOperationsDoc_ListsEveryOperationAndNoOther()
    {
        var text = File.ReadAllText(ConfigTestData.RepositoryFile("docs/operations.md"));
        var row = Assert.Single(text.Split('\n'), line => line.StartsWith("| `sessiongateway.store.duration` |", StringComparison.Ordinal));
        var attributes = row.Split('|')[4];
        var documented = Code().Matches(attributes).Select(m => m.Groups[1].Value).Where(v => v != "operation").ToHashSet(StringComparer.Ordinal);

        Assert.Empty(Operations.Except(documented).Order(StringComparer.Ordinal));
        Assert.Empty(documented.Except(Operations).Order(StringComparer.Ordinal));
    }

    [GeneratedRegex("`([a-z_]+)`")]
    private static partial Regex Code();
}
