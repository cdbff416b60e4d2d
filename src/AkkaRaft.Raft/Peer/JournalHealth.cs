using Microsoft.Data.Sqlite;
using Npgsql;

namespace AkkaRaft.Raft.Peer;

/// <summary>
/// Whether a peer's journal takes writes, as its incarnations saw it: a failed write stops the incarnation (Akka
/// persistence semantics) and the next one, started by the backoff supervisor, must not propose clients' writes
/// into a journal it already knows is failing. It learns that here, and clears it when one of its writes succeeds.
/// </summary>
/// <remarks>
/// Shared by the incarnations of one peer (it lives in <see cref="RaftPeerSetup"/>) and read by the node for its
/// status; safe to read from any thread. A failure is reported with the error the journal gave, classified as out of
/// space (SQLite's <c>SQLITE_FULL</c>, PostgreSQL's <c>53100 disk_full</c>, or an I/O error that says so) or not.
/// </remarks>
public sealed class JournalHealth
{
    private const int SqliteFull = 13;
    private const string PostgresDiskFull = "53100";

    private volatile JournalFailure? _failure;
    private long _failures;

    /// <summary>The journal's last write failed (null once a later write succeeded, or before any failed).</summary>
    public JournalFailure? Failure => _failure;

    /// <summary>Journal writes that failed since the node started.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>A journal write failed with <paramref name="cause"/>.</summary>
    public void WriteFailed(Exception cause, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(cause);
        Interlocked.Increment(ref _failures);
        _failure = new JournalFailure(Describe(cause), IsOutOfSpace(cause), at);
    }

    /// <summary>A journal write succeeded: the journal takes writes again.</summary>
    public void WriteSucceeded()
    {
        if (_failure is not null) _failure = null;
    }

    /// <summary>True when <paramref name="cause"/> (or an exception inside it) says the disk or database is full.</summary>
    public static bool IsOutOfSpace(Exception cause)
    {
        for (var e = cause; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SqliteException sqlite when sqlite.SqliteErrorCode == SqliteFull:
                case PostgresException postgres when postgres.SqlState == PostgresDiskFull:
                case IOException io when (io.HResult & 0xFFFF) == 28: // ENOSPC
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsOutOfSpace):
                    return true;
            }
        }
        return false;
    }

    // The innermost message says what the database said; the wrappers around it say only that a write failed.
    private static string Describe(Exception cause)
    {
        var inner = cause;
        while (inner.InnerException is not null) inner = inner.InnerException;
        return inner.Message;
    }
}

/// <summary>Why a peer's journal takes no writes.</summary>
/// <param name="Reason">The storage error.</param>
/// <param name="OutOfSpace">The error says the disk or database is full.</param>
/// <param name="At">When the write failed (wall clock, for operators).</param>
public sealed record JournalFailure(string Reason, bool OutOfSpace, DateTimeOffset At);
