namespace TokenGovernor.Cli;

/// <summary><c>tokengov prices import</c>: converts a LiteLLM or genai-prices price file into the library's own format.</summary>
internal sealed class PricesCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "prices";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = [];

    /// <inheritdoc />
    public string Usage => """
          tokengov prices import --from F --out prices.json
              Converts a price file (LiteLLM model_prices_and_context_window.json, genai-prices data.json, or this format)
              into the library's format, with every rate, dated price, service tier and match rule it carries. Load the result
              with --catalog, TokenGovernor:PriceFiles or PriceCatalogBuilder.AddPriceFile.

        """;

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArguments cli, CliContext context)
    {
        var sub = cli.Subcommand;
        var from = cli.String("from");
        var output = cli.String("out");
        cli.ThrowIfUnknownOptions();
        if (sub != "import")
        {
            throw new CliUsageException(sub is null ? "prices needs a subcommand: tokengov prices import --from F --out prices.json" : $"unknown prices subcommand '{sub}'; use: import");
        }

        if (from is null || output is null)
        {
            throw new CliUsageException("prices import needs --from F and --out prices.json");
        }

        CliApp.RequireFile(from, "--from");
        var catalog = new PriceCatalogBuilder().AddPriceFile(from).Build();
        var temp = output + ".tmp";
        await using (var stream = File.Create(temp))
        {
            catalog.WriteJson(stream);
        }

        File.Move(temp, output, overwrite: true);
        var asOf = catalog.AsOf is { } d ? d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "no date (set one with PriceCatalogBuilder.SetAsOf)";
        await context.Stderr.WriteLineAsync($"{catalog.Models.Count} models from '{from}' written to '{output}' (as of {asOf})");
        return 0;
    }
}
