namespace TokenGovernor.Cli;

/// <summary>What every command gets besides its arguments: the standard streams and the price catalog.</summary>
/// <param name="Stdin">Standard input.</param>
/// <param name="Stdout">Standard output: the command's result.</param>
/// <param name="Stderr">Standard error: warnings (errors are thrown and printed by <see cref="CliApp"/>).</param>
/// <param name="Catalog">The built-in price catalog, with the file of <c>--catalog F</c> loaded over it when given.</param>
internal sealed record CliContext(TextReader Stdin, TextWriter Stdout, TextWriter Stderr, PriceCatalog Catalog);
