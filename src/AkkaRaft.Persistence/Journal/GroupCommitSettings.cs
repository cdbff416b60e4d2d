namespace AkkaRaft.Persistence.Journal;

/// <summary>
/// Limits of group commit: how much one transaction (and so one fsync) may hold, and how many write requests may
/// wait for the writer before callers are made to wait too.
/// </summary>
/// <param name="MaxBatchSize">Most events in one transaction (events); a single larger atomic write still goes alone.</param>
/// <param name="MaxBatchBytes">Most payload bytes in one transaction (bytes); a single larger atomic write still goes alone.</param>
/// <param name="MaxPendingWrites">Most write requests queued for the writer (requests); beyond that, writers wait.</param>
public sealed record GroupCommitSettings(int MaxBatchSize = 1024, long MaxBatchBytes = 4 * 1024 * 1024, int MaxPendingWrites = 8192)
{
    /// <summary>The defaults of <c>reference.conf</c>.</summary>
    public static GroupCommitSettings Default { get; } = new();

    /// <summary>Checks every limit is positive.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is zero or negative.</exception>
    public GroupCommitSettings Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1, "akkaraft.persistence.journal.max-batch-size");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchBytes, 1, "akkaraft.persistence.journal.max-batch-bytes");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingWrites, 1, "akkaraft.persistence.journal.max-pending-writes");
        return this;
    }
}
