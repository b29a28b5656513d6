using TokenGovernor.Cli;

namespace TokenGovernor.Tests.Cli;

public class CsvReaderTests
{
    private static List<string[]> Read(string text) => [.. CsvReader.Read(new StringReader(text), "history").Select(r => r.Fields.ToArray())];

    [Fact]
    public void Read_QuotedFieldWithCommaAndDoubledQuote_KeepsThemInTheField()
    {
        var rows = Read("2026-10-01,\"support, \"\"tier 1\"\"\",1.5\n");

        Assert.Equal(["2026-10-01", "support, \"tier 1\"", "1.5"], Assert.Single(rows));
    }

    [Fact]
    public void Read_QuotedFieldWithLineBreak_IsOneRecordAndLaterLinesCountOn()
    {
        var records = CsvReader.Read(new StringReader("a,\"x\ny\",1\r\nb,z,2"), "history").ToList();

        Assert.Equal(2, records.Count);
        Assert.Equal("x\ny", records[0].Fields[1]);
        Assert.Equal(3, records[1].Line);
    }

    [Fact]
    public void Read_CrLfAndBomAndBlankLines_AreHandled()
    {
        var rows = Read("\uFEFFa,b\r\n\r\nc,d\r\n");

        Assert.Equal([["a", "b"], ["c", "d"]], rows);
    }

    [Fact]
    public void Read_EmptyTrailingField_IsKept()
    {
        Assert.Equal(["a", "b", ""], Assert.Single(Read("a,b,\n")));
    }

    [Fact]
    public void Read_UnclosedQuote_ThrowsNamingTheLine()
    {
        var ex = Assert.Throws<FormatException>(() => Read("a,b\nc,\"open,1\n"));

        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TextAfterClosingQuote_Throws()
    {
        Assert.Throws<FormatException>(() => Read("a,\"b\"c,1\n"));
    }
}
