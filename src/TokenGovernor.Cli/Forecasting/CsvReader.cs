using System.Text;

namespace TokenGovernor.Cli;

/// <summary>
/// A small RFC 4180 reader: fields separated by commas, records by CRLF or LF; a field in double quotes may hold commas, line
/// breaks and doubled quotes (<c>""</c>). Unquoted fields are taken as they are (a UTF-8 BOM at the start is skipped).
/// </summary>
internal static class CsvReader
{
    /// <summary>One record and the line it starts on (1-based).</summary>
    public readonly record struct Record(int Line, IReadOnlyList<string> Fields);

    /// <exception cref="FormatException">A quoted field is not closed, or text follows its closing quote.</exception>
    public static IEnumerable<Record> Read(TextReader reader, string source)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var atFieldStart = true;
        var quoted = false;
        var any = false;
        if (reader.Peek() == '\uFEFF')
        {
            reader.Read();
        }

        while (true)
        {
            var c = reader.Read();
            if (quoted)
            {
                switch (c)
                {
                    case -1:
                        throw new FormatException($"{source} line {recordLine}: a quoted field is not closed; end it with \" (write a quote inside a field as \"\")");
                    case '"' when reader.Peek() == '"':
                        reader.Read();
                        field.Append('"');
                        break;
                    case '"':
                        quoted = false;
                        var next = reader.Peek();
                        if (next is not (',' or '\r' or '\n' or -1))
                        {
                            throw new FormatException($"{source} line {line}: text after a closing quote; quote the whole field, writing a quote inside it as \"\"");
                        }

                        break;
                    case '\n':
                        line++;
                        field.Append('\n');
                        break;
                    default:
                        field.Append((char)c);
                        break;
                }

                continue;
            }

            switch (c)
            {
                case '"' when atFieldStart:
                    quoted = true;
                    atFieldStart = false;
                    any = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    atFieldStart = true;
                    any = true;
                    break;
                case '\r' when reader.Peek() == '\n':
                    break; // the LF ends the record
                case '\n' or '\r' or -1:
                    if (any || field.Length > 0)
                    {
                        fields.Add(field.ToString());
                        yield return new Record(recordLine, fields.ToArray());
                    }

                    if (c == -1)
                    {
                        yield break;
                    }

                    fields.Clear();
                    field.Clear();
                    atFieldStart = true;
                    any = false;
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append((char)c);
                    atFieldStart = false;
                    any = true;
                    break;
            }
        }
    }
}
