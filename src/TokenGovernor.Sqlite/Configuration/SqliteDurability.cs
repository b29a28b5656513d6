namespace TokenGovernor.Sqlite;

/// <summary>How far a committed write to a TokenGovernor SQLite database survives a crash (SQLite's <c>synchronous</c> setting in WAL mode).</summary>
public enum SqliteDurability
{
    /// <summary><c>synchronous=NORMAL</c>: every commit is in the write-ahead log before the call returns, so it survives the process
    /// being killed; an operating-system crash or power loss can lose the commits since the last checkpoint. The fast default.</summary>
    ProcessCrash = 0,

    /// <summary><c>synchronous=FULL</c>: every commit is flushed to disk (fsync) before the call returns, so it also survives power loss;
    /// each commit then costs a disk flush.</summary>
    PowerLoss = 1,
}
