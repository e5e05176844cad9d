using System.Globalization;
using System.Text;

namespace SessionGateway.Configuration;

/// <summary>
/// Reads the YAML that configuration files are written in (block mappings and sequences, one-line flow collections
/// of scalars, plain and quoted one-line scalars, comments) straight into a <see cref="YamlDocument"/>, without
/// YamlDotNet. Anything else (anchors, tags, block scalars, multi-line scalars, escapes, tabs, non-ASCII text, and
/// every error) is not read: <see cref="TryRead"/> returns null and YamlDotNet reads the file, so the two agree on
/// what they both read (a differential property test holds them to it) and YamlDotNet alone words the errors.
/// Why it exists: the first YamlDotNet parse in a process compiles a regular expression and loads the library,
/// about 20-25 ms of every start's critical path, for files this reader handles in well under a millisecond.
/// </summary>
internal sealed class SimpleYamlReader
{
    private readonly string _path;
    private readonly string _text;
    private readonly List<Line> _lines = [];
    private readonly Dictionary<string, string?> _data = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ConfigLocation> _locations = new(StringComparer.OrdinalIgnoreCase);
    private int _line;

    private SimpleYamlReader(string path, string text) => (_path, _text) = (path, text);

    /// <summary>The document, or null when the text leaves the subset this reader reads (not necessarily an error).</summary>
    public static YamlDocument? TryRead(string path, string text)
    {
        var reader = new SimpleYamlReader(path, text);
        return reader.SplitLines() && reader.ReadRoot() ? new YamlDocument(path, reader._data, reader._locations) : null;
    }

    /// <summary>One line with content: its number, where it starts in the text, its indentation and where its content ends.</summary>
    /// <remarks>A class: a list of a struct of this assembly is a generic instantiation the JIT compiles at every start.</remarks>
    private sealed record Line(int Number, int Start, int Indent, int End);

    /// <summary>Printable ASCII, spaces and line feeds only; blank and comment-only lines are dropped here.</summary>
    private bool SplitLines()
    {
        var (start, number) = (0, 1);
        for (var i = 0; i <= _text.Length; i++)
        {
            var c = i < _text.Length ? _text[i] : '\n';
            if (c == '\n')
            {
                var end = i > start && _text[i - 1] == '\r' ? i - 1 : i;
                var indent = 0;
                while (start + indent < end && _text[start + indent] == ' ')
                {
                    indent++;
                }

                while (end > start + indent && _text[end - 1] == ' ')
                {
                    end--;
                }

                if (end > start + indent && _text[start + indent] != '#')
                {
                    _lines.Add(new Line(number, start, indent, end));
                }

                (start, number) = (i + 1, number + 1);
            }
            else if (c is < ' ' or > '~' && !(c == '\r' && i + 1 < _text.Length && _text[i + 1] == '\n'))
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadRoot()
    {
        if (_lines.Count == 0)
        {
            return true; // an empty file is an empty configuration
        }

        return _lines[0].Indent == 0 && ReadMapping(0, "", 1) && _line == _lines.Count;
    }

    private int Column(int position) => position - _lines[_line].Start;

    private bool AtItem(int line) => _text[_lines[line].Start + _lines[line].Indent] == '-';

    /// <summary>A block mapping whose keys are at <paramref name="indent"/>; the first key is at the current line.</summary>
    /// <remarks>
    /// Depth counts collections from the root (1). YamlDotNet's reading refuses any node deeper than
    /// <see cref="YamlDocumentParser.MaxDepth"/>, a collection's values included, so collections that deep are left to it.
    /// </remarks>
    private bool ReadMapping(int indent, string prefix, int depth)
    {
        if (depth >= YamlDocumentParser.MaxDepth)
        {
            return false;
        }

        // The first key may follow a sequence item's dash on the same line; later keys start their own lines.
        var position = _lines[_line].Start + indent;
        while (true)
        {
            var line = _lines[_line];
            var keyEnd = KeyEnd(position, line.End);
            if (keyEnd < 0)
            {
                return false;
            }

            var key = prefix.Length == 0 ? _text[position..keyEnd] : prefix + ":" + _text.AsSpan(position, keyEnd - position).ToString();
            if (!Locate(key, position, overwrite: false))
            {
                return false; // a duplicate: YamlDotNet's reading names both places
            }

            var value = SkipSpaces(keyEnd + 1, line.End);
            if (value < line.End && _text[value] != '#')
            {
                if (!ReadInline(value, line.End, key, depth))
                {
                    return false;
                }

                _line++;
            }
            else if (!ReadNested(indent, key, depth))
            {
                return false;
            }

            if (_line == _lines.Count || _lines[_line].Indent < indent)
            {
                return true;
            }

            if (_lines[_line].Indent > indent || AtItem(_line))
            {
                return false; // a continuation line, or an indentation YAML rejects
            }

            position = _lines[_line].Start + indent;
        }
    }

    /// <summary>What follows a key written without a value: a nested block, or null.</summary>
    private bool ReadNested(int indent, string key, int depth)
    {
        _line++;
        if (_line < _lines.Count && (_lines[_line].Indent > indent || (_lines[_line].Indent == indent && AtItem(_line))))
        {
            // A sequence may sit at its key's own indentation.
            return AtItem(_line)
                ? ReadSequence(_lines[_line].Indent, key, depth + 1)
                : ReadMapping(_lines[_line].Indent, key, depth + 1);
        }

        _data[key] = null;
        return true;
    }

    /// <summary>A block sequence whose dashes are at <paramref name="indent"/>, starting at the current line.</summary>
    private bool ReadSequence(int indent, string prefix, int depth)
    {
        if (depth >= YamlDocumentParser.MaxDepth)
        {
            return false;
        }

        for (var index = 0; ; index++)
        {
            var line = _lines[_line];
            var dash = line.Start + indent;
            if (dash + 1 >= line.End || _text[dash + 1] != ' ')
            {
                return false; // an empty item, or a plain scalar starting with '-'
            }

            var content = SkipSpaces(dash + 1, line.End);
            var key = prefix + ":" + index.ToString(CultureInfo.InvariantCulture);
            if (_text[content] == '#' || (_text[content] == '-' && (content + 1 == line.End || _text[content + 1] == ' ')))
            {
                return false; // an item on the next lines, or a sequence in a sequence
            }

            if (!Locate(key, content, overwrite: true))
            {
                return false;
            }

            if (KeyEnd(content, line.End) >= 0)
            {
                if (!ReadMapping(Column(content), key, depth + 1))
                {
                    return false;
                }
            }
            else
            {
                if (!ReadInline(content, line.End, key, depth))
                {
                    return false;
                }

                _line++;
            }

            if (_line == _lines.Count || _lines[_line].Indent < indent)
            {
                return true;
            }

            if (_lines[_line].Indent > indent)
            {
                return false;
            }

            if (!AtItem(_line))
            {
                return true; // the next key of the mapping this sequence is the value of (same indentation)
            }
        }
    }

    /// <summary>A value written after its key or dash, to the end of the line: a scalar or a flow collection.</summary>
    private bool ReadInline(int start, int end, string key, int depth)
    {
        int after;
        switch (_text[start])
        {
            case '[':
            case '{':
            case '\'':
            case '"':
                after = ReadFlowValue(start, end, key, depth + 1);
                break;
            default:
                return ReadPlain(start, end, key);
        }

        return after >= 0 && EndsLine(after, end);
    }

    /// <summary>A block plain scalar: to the end of the line or a comment.</summary>
    private bool ReadPlain(int start, int end, string key)
    {
        if (!PlainStart(start, end))
        {
            return false;
        }

        var stop = start;
        while (stop < end && !(_text[stop] == '#' && _text[stop - 1] == ' '))
        {
            if (_text[stop] == ':' && (stop + 1 == end || _text[stop + 1] == ' '))
            {
                return false; // a mapping where a scalar must be
            }

            stop++;
        }

        while (_text[stop - 1] == ' ')
        {
            stop--;
        }

        var value = _text[start..stop];
        _data[key] = PlainValue(value);
        return true;
    }

    /// <summary>
    /// A plain scalar may not start with an indicator; '-' may start one when a non-space follows (<c>-1</c>).
    /// </summary>
    private bool PlainStart(int start, int end) =>
        _text[start] switch
        {
            '-' => start + 1 < end && _text[start + 1] is not (' ' or ',' or '[' or ']' or '{' or '}'),
            '?' or ':' or ',' or '[' or ']' or '{' or '}' or '#' or '&' or '*' or '!' or '|' or '>' or '\'' or '"' or '%' or '@' or '`' => false,
            _ => true,
        };

    /// <summary>
    /// <c>[a, "b"]</c> or <c>{ a: 1, b: "2" }</c> (<paramref name="close"/> says which), all on this line; returns the
    /// position after the closing bracket or -1.
    /// </summary>
    private int ReadFlowCollection(int position, int end, string prefix, int depth, char close)
    {
        position = SkipSpaces(position, end);
        if (position < end && _text[position] == close)
        {
            _data[prefix] = null;
            return position + 1;
        }

        for (var index = 0; ; index++)
        {
            position = close == ']' ? ReadFlowItem(position, end, prefix, index, depth) : ReadFlowEntry(position, end, prefix, depth);
            if (position < 0 || (position = SkipSpaces(position, end)) == end)
            {
                return -1;
            }

            if (_text[position] == close)
            {
                return position + 1;
            }

            if (_text[position] != ',')
            {
                return -1;
            }

            position = SkipSpaces(position + 1, end);
        }
    }

    /// <summary>An item of a flow sequence; the position after it or -1.</summary>
    private int ReadFlowItem(int position, int end, string prefix, int index, int depth)
    {
        var key = prefix + ":" + index.ToString(CultureInfo.InvariantCulture);
        return Locate(key, position, overwrite: true) ? ReadFlowValue(position, end, key, depth + 1) : -1;
    }

    /// <summary>A <c>key: value</c> entry of a flow mapping; the position after it or -1.</summary>
    private int ReadFlowEntry(int position, int end, string prefix, int depth)
    {
        var keyEnd = KeyEnd(position, end);
        if (keyEnd < 0 || keyEnd + 1 == end || _text[keyEnd + 1] != ' ')
        {
            return -1;
        }

        var key = prefix + ":" + _text[position..keyEnd];
        return Locate(key, position, overwrite: false) ? ReadFlowValue(SkipSpaces(keyEnd + 1, end), end, key, depth + 1) : -1;
    }

    /// <summary>
    /// A value in a flow collection (or a quoted one after a key): a flow collection of its own, a quoted scalar, or
    /// a plain one of name-like characters (no spaces, no indicators). Returns the position after it, or -1.
    /// </summary>
    private int ReadFlowValue(int position, int end, string key, int depth)
    {
        if (position == end)
        {
            return -1;
        }

        switch (_text[position])
        {
            case '[' or '{' when depth >= YamlDocumentParser.MaxDepth:
                return -1;
            case '[':
                return ReadFlowCollection(position + 1, end, key, depth, ']');
            case '{':
                return ReadFlowCollection(position + 1, end, key, depth, '}');
            case '\'' or '"':
                var after = ReadQuoted(position, end, out var quoted);
                _data[key] = quoted;
                return after;
        }

        var stop = position;
        while (stop < end && (char.IsAsciiLetterOrDigit(_text[stop]) || _text[stop] is '_' or '.' or '/' or '-' or '+' or '=' or '~' or '*' or '$' or '(' or ')'))
        {
            stop++;
        }

        if (stop == position || !char.IsAsciiLetterOrDigit(_text[position]) && _text[position] is not ('_' or '.' or '/' or '~'))
        {
            return -1;
        }

        var value = _text[position..stop];
        _data[key] = PlainValue(value);
        return stop;
    }

    /// <summary>A quoted scalar closed on this line; double-quoted ones without escapes. Returns the position after it or -1.</summary>
    private int ReadQuoted(int position, int end, out string? value)
    {
        value = null;
        var quote = _text[position];
        StringBuilder? builder = null;
        var from = position + 1;
        for (var i = from; i < end; i++)
        {
            if (_text[i] == '\\' && quote == '"')
            {
                return -1;
            }

            if (_text[i] != quote)
            {
                continue;
            }

            if (quote == '\'' && i + 1 < end && _text[i + 1] == '\'')
            {
                builder ??= new StringBuilder();
                builder.Append(_text, from, i + 1 - from);
                from = i + 2;
                i++;
                continue;
            }

            value = builder is null ? _text[from..i] : builder.Append(_text, from, i - from).ToString();
            return i + 1;
        }

        return -1;
    }

    /// <summary>A plain scalar's value: YAML's null literals are null (quoted ones are text).</summary>
    private static string? PlainValue(string text) => text is "~" or "null" or "Null" or "NULL" ? null : text;

    /// <summary>
    /// The end of a key (<c>name:</c> followed by a space or the line's end) starting at <paramref name="position"/>,
    /// or -1. Keys are name-like: letters, digits, '_' first, then also '-', '.', '/'.
    /// </summary>
    private int KeyEnd(int position, int end)
    {
        if (position >= end || !(char.IsAsciiLetterOrDigit(_text[position]) || _text[position] == '_'))
        {
            return -1;
        }

        var i = position + 1;
        while (i < end && (char.IsAsciiLetterOrDigit(_text[i]) || _text[i] is '_' or '-' or '.' or '/'))
        {
            i++;
        }

        // YamlDotNet refuses simple keys longer than 1024 characters; such a file is its to word.
        return i < end && _text[i] == ':' && (i + 1 == end || _text[i + 1] == ' ') && i - position < 1000 ? i : -1;
    }

    /// <summary>True when only spaces and a comment (after a space) follow <paramref name="position"/>.</summary>
    private bool EndsLine(int position, int end)
    {
        var next = SkipSpaces(position, end);
        return next == end || (_text[next] == '#' && next > position);
    }

    private int SkipSpaces(int position, int end)
    {
        while (position < end && _text[position] == ' ')
        {
            position++;
        }

        return position;
    }

    /// <summary>Records where <paramref name="key"/> was written; false for a key written twice (case-insensitively).</summary>
    private bool Locate(string key, int position, bool overwrite)
    {
        if (_locations.Count >= YamlDocumentParser.MaxKeys - 1)
        {
            return false;
        }

        var location = new ConfigLocation(_path, _lines[_line].Number, Column(position) + 1);
        if (overwrite)
        {
            _locations[key] = location;
            return true;
        }

        return _locations.TryAdd(key, location);
    }
}
