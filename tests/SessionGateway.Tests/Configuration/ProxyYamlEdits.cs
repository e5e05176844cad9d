using CsCheck;

namespace SessionGateway.Tests.Configuration;

/// <summary>
/// Generated edits of a working configuration file: the lines and characters a person (or a bad merge) changes, one
/// to six per file. The properties of the YAML loader and of the start run on them.
/// </summary>
internal static class ProxyYamlEdits
{
    /// <summary>Characters that mean something to YAML, and a few that are hard to get right (NUL, U+2028, é).</summary>
    public const string YamlCharacters = " \n\t:-?,[]{}#&*!|>'\"%@`~=.\\/01aZ\u00e9\u2028\0";

    // Edits a person (or a bad merge) makes to a working file, line by line and character by character.
    private static readonly Gen<Func<List<string>, List<string>>> LineEdit = Gen.OneOf(
        Gen.Int.Select<int, Func<List<string>, List<string>>>(i => lines => Without(lines, i)),
        Gen.Int.Select<int, Func<List<string>, List<string>>>(i => lines => With(lines, i, lines.Count == 0 ? "" : lines[Index(lines, i)])),
        Gen.Select(Gen.Int, Gen.Int[-4, 4]).Select<(int, int), Func<List<string>, List<string>>>(t => lines => Reindent(lines, t.Item1, t.Item2)),
        Gen.Select(Gen.Int, Gen.Int, Gen.Char[YamlCharacters]).Select<(int, int, char), Func<List<string>, List<string>>>(
            t => lines => InsertCharacter(lines, t.Item1, t.Item2, t.Item3)),
        Gen.Select(Gen.Int, Gen.String[Gen.Char[YamlCharacters], 0, 12]).Select<(int, string), Func<List<string>, List<string>>>(
            t => lines => With(lines, t.Item1, t.Item2)),
        Gen.Select(Gen.Int, Gen.Int).Select<(int, int), Func<List<string>, List<string>>>(t => lines => Swap(lines, t.Item1, t.Item2)));

    /// <summary>The text of <paramref name="file"/> after one to six generated edits.</summary>
    public static Gen<string> Of(string file)
    {
        var lines = file.Split('\n').ToList();
        return LineEdit.Array[1, 6].Select(edits =>
        {
            var edited = lines;
            foreach (var edit in edits)
            {
                edited = edit(edited);
            }

            return string.Join('\n', edited);
        });
    }

    private static int Index(List<string> lines, int i) => (int)((uint)i % (uint)Math.Max(1, lines.Count));

    private static List<string> Without(List<string> lines, int i)
    {
        var copy = lines.ToList();
        if (copy.Count > 0)
        {
            copy.RemoveAt(Index(copy, i));
        }

        return copy;
    }

    private static List<string> With(List<string> lines, int i, string line)
    {
        var copy = lines.ToList();
        copy.Insert(Index(copy, i), line);
        return copy;
    }

    private static List<string> Reindent(List<string> lines, int i, int by)
    {
        var copy = lines.ToList();
        if (copy.Count > 0)
        {
            var at = Index(copy, i);
            copy[at] = by >= 0 ? new string(' ', by) + copy[at] : copy[at][Math.Min(-by, copy[at].Length - copy[at].TrimStart(' ').Length)..];
        }

        return copy;
    }

    private static List<string> InsertCharacter(List<string> lines, int i, int column, char character)
    {
        var copy = lines.ToList();
        if (copy.Count > 0)
        {
            var at = Index(copy, i);
            copy[at] = copy[at].Insert((int)((uint)column % (uint)(copy[at].Length + 1)), character.ToString());
        }

        return copy;
    }

    private static List<string> Swap(List<string> lines, int i, int j)
    {
        var copy = lines.ToList();
        if (copy.Count > 1)
        {
            var (a, b) = (Index(copy, i), Index(copy, j));
            (copy[a], copy[b]) = (copy[b], copy[a]);
        }

        return copy;
    }
}
