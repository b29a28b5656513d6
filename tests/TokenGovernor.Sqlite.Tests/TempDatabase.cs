namespace TokenGovernor.Sqlite.Tests;

/// <summary>A directory of its own for one test's database files, deleted afterwards.</summary>
internal sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Directory.CreateDirectory(DirectoryPath);
    }

    public string DirectoryPath { get; } = Path.Combine(Path.GetTempPath(), "tokengov-sqlite-tests", Guid.NewGuid().ToString("N"));

    public string NewPath(string name = "governor") => Path.Combine(DirectoryPath, $"{name}-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        try
        {
            Directory.Delete(DirectoryPath, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
