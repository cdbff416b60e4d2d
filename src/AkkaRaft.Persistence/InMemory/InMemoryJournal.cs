using System.Runtime.CompilerServices;
using AkkaRaft.Persistence.Journal;

namespace AkkaRaft.Persistence.InMemory;

/// <summary>
/// A journal in memory (plugin id <c>inmem</c>), for tests and the deterministic simulation. Every call completes
/// synchronously, on the caller's thread, so a single-threaded simulation stays deterministic. Durability follows the
/// <see cref="InMemoryStore"/>'s fsync switch: with it on, each write is one transaction and one flush.
/// </summary>
public sealed class InMemoryJournal : IJournal
{
    /// <summary>The plugin id of the in-memory journal.</summary>
    public const string Id = "inmem";

    private readonly InMemoryStore _store;

    /// <summary>A journal over <paramref name="store"/> (a fresh fsyncing store when null).</summary>
    public InMemoryJournal(InMemoryStore? store = null)
    {
        _store = store ?? new InMemoryStore();
    }

    /// <summary>The simulated disk this journal writes to.</summary>
    public InMemoryStore Store => _store;

    /// <inheritdoc />
    public string PluginId => Id;

    /// <inheritdoc />
    public JournalCounters Counters { get; } = new();

    /// <inheritdoc />
    public ValueTask WriteAsync(AtomicWrite write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        return WriteAsync([write], cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(IReadOnlyList<AtomicWrite> writes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        try
        {
            _store.Write(writes);
        }
        catch (JournalWriteException e)
        {
            return ValueTask.FromException(e);
        }

        var events = 0L;
        var bytes = 0L;
        foreach (var write in writes)
        {
            events += write.Events.Count;
            bytes += write.SizeBytes;
        }

        Counters.RecordTransaction(1, events, bytes, _store.FsyncOnWrite);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<PersistentEvent> ReplayAsync(
        string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        var (events, corruption) = _store.Read(persistenceId, fromSequenceNr, toSequenceNr, max);
        foreach (var e in events)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return e;
        }

        if (corruption is not null)
        {
            throw corruption;
        }

        await ValueTask.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        return ValueTask.FromResult(_store.Highest(persistenceId));
    }

    /// <inheritdoc />
    public ValueTask DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        _store.DeleteTo(persistenceId, toSequenceNr);
        return ValueTask.CompletedTask;
    }

    /// <summary>Nothing to release: the data belongs to the <see cref="InMemoryStore"/>.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
