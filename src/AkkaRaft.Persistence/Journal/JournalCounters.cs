namespace AkkaRaft.Persistence.Journal;

/// <summary>
/// Thread-safe running totals of one journal. The ratio of <see cref="WriteRequests"/> to <see cref="Fsyncs"/> is
/// what group commit buys: many requests, few flushes.
/// </summary>
public sealed class JournalCounters
{
    private long _writeRequests;
    private long _events;
    private long _bytes;
    private long _transactions;
    private long _fsyncs;

    /// <summary>Calls to <see cref="IJournal.WriteAsync(AtomicWrite, CancellationToken)"/> (either overload) that succeeded.</summary>
    public long WriteRequests => Interlocked.Read(ref _writeRequests);

    /// <summary>Events stored.</summary>
    public long Events => Interlocked.Read(ref _events);

    /// <summary>Bytes of payload and manifest stored.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Write transactions committed (each holds one or more requests).</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>Flushes to stable storage: one per committed transaction when the plugin flushes on commit.</summary>
    public long Fsyncs => Interlocked.Read(ref _fsyncs);

    /// <summary>Records one committed transaction that held <paramref name="requests"/> requests.</summary>
    public void RecordTransaction(int requests, long events, long bytes, bool flushed)
    {
        Interlocked.Add(ref _writeRequests, requests);
        Interlocked.Add(ref _events, events);
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Increment(ref _transactions);
        if (flushed)
        {
            Interlocked.Increment(ref _fsyncs);
        }
    }

    /// <summary>Records a flush that was not part of a transaction (an explicit flush of the in-memory plugin).</summary>
    public void RecordFlush() => Interlocked.Increment(ref _fsyncs);

    /// <summary>A consistent-enough copy of the counters for reporting.</summary>
    public JournalCountersSnapshot Snapshot() => new(WriteRequests, Events, Bytes, Transactions, Fsyncs);
}

/// <summary>A copy of <see cref="JournalCounters"/> at one moment.</summary>
/// <param name="WriteRequests">Successful write calls.</param>
/// <param name="Events">Events stored.</param>
/// <param name="Bytes">Bytes stored.</param>
/// <param name="Transactions">Transactions committed.</param>
/// <param name="Fsyncs">Flushes to stable storage.</param>
public readonly record struct JournalCountersSnapshot(long WriteRequests, long Events, long Bytes, long Transactions, long Fsyncs)
{
    /// <summary>The counts that happened between <paramref name="earlier"/> and this snapshot.</summary>
    public JournalCountersSnapshot Since(JournalCountersSnapshot earlier) => new(
        WriteRequests - earlier.WriteRequests, Events - earlier.Events, Bytes - earlier.Bytes,
        Transactions - earlier.Transactions, Fsyncs - earlier.Fsyncs);
}
