using AkkaRaft.Actors.Serialization;
using AkkaRaft.Actors.Simulation;
using AkkaRaft.Persistence.InMemory;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Snapshots;

namespace AkkaRaft.Simulation.Tests.Support;

/// <summary>
/// One peer's disk in a simulated world: the in-memory journal and snapshot store over a store without fsync on
/// write, where every write becomes durable (and is acknowledged) only after a seeded latency in virtual time.
/// <see cref="Crash"/> loses every write not yet flushed, as a power loss would, and the writes in flight are
/// never acknowledged.
/// </summary>
public sealed class SimulatedDisk : IJournal, ISnapshotStore
{
    private readonly SimulationWorld _world;
    private readonly int _maxLatencyMs;
    private readonly InMemoryJournal _journal;
    private readonly InMemorySnapshotStore _snapshots;
    private int _epoch;
    private bool _down;
    private bool _flushPending;

    /// <summary>A disk whose writes take 0 to <paramref name="maxLatencyMs"/> ms of virtual time.</summary>
    public SimulatedDisk(SimulationWorld world, int maxLatencyMs)
    {
        _world = world;
        _maxLatencyMs = maxLatencyMs;
        Store = new InMemoryStore(fsyncOnWrite: false);
        _journal = new InMemoryJournal(Store);
        _snapshots = new InMemorySnapshotStore(Store);
    }

    /// <summary>
    /// The bug to catch: acknowledge each write at once and flush it only after the latency, so a crash loses
    /// writes the peer already relied on (a disk cache that lies about fsync).
    /// </summary>
    public bool AcknowledgeBeforeFlush { get; init; }

    /// <summary>When set, the next journal write fails (nothing of it is stored) and the switch turns off.</summary>
    public bool FailNextWrite { get; set; }

    /// <summary>The simulated storage.</summary>
    public InMemoryStore Store { get; }

    /// <summary>Called when a snapshot save starts (a test may crash the peer right then).</summary>
    public Action? OnSnapshotSave { get; set; }

    /// <summary>Changes lost by crashes so far.</summary>
    public int LostChanges { get; private set; }

    /// <inheritdoc />
    public string PluginId => "simulated";

    /// <inheritdoc />
    public JournalCounters Counters => _journal.Counters;

    /// <summary>Power loss: unflushed changes are gone and writes in flight never complete.</summary>
    public void Crash()
    {
        _down = true;
        _epoch++;
        LostChanges += Store.Crash();
    }

    /// <summary>The peer restarts on this disk: writes are accepted again.</summary>
    public void Reopen() => _down = false;

    /// <inheritdoc />
    public ValueTask WriteAsync(AtomicWrite write, CancellationToken cancellationToken = default) => WriteAsync([write], cancellationToken);

    /// <inheritdoc />
    public ValueTask WriteAsync(IReadOnlyList<AtomicWrite> writes, CancellationToken cancellationToken = default)
    {
        // A crashed peer's actor may still be finishing its last message: it writes nothing any more.
        if (_down) return ValueTask.FromException(new JournalWriteException("the simulated disk is down (its peer crashed)"));
        if (FailNextWrite)
        {
            FailNextWrite = false;
            return ValueTask.FromException(new JournalWriteException("injected write failure"));
        }
        var written = _journal.WriteAsync(writes, cancellationToken);
        return written.IsCompletedSuccessfully ? Durable() : written;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<PersistentEvent> ReplayAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, long max, CancellationToken cancellationToken = default) =>
        _journal.ReplayAsync(persistenceId, fromSequenceNr, toSequenceNr, max, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default) =>
        _journal.ReadHighestSequenceNrAsync(persistenceId, cancellationToken);

    /// <inheritdoc />
    public ValueTask DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
    {
        if (_down) return ValueTask.FromException(new JournalWriteException("the simulated disk is down (its peer crashed)"));
        _journal.DeleteMessagesToAsync(persistenceId, toSequenceNr, cancellationToken);
        return Durable();
    }

    /// <inheritdoc />
    public ValueTask SaveAsync(SnapshotMetadata metadata, SerializedMessage snapshot, CancellationToken cancellationToken = default)
    {
        if (_down) return ValueTask.FromException(new JournalWriteException("the simulated disk is down (its peer crashed)"));
        _snapshots.SaveAsync(metadata, snapshot, cancellationToken);
        OnSnapshotSave?.Invoke();
        return Durable();
    }

    /// <inheritdoc />
    public ValueTask<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default) =>
        _snapshots.LoadAsync(persistenceId, criteria, cancellationToken);

    /// <inheritdoc />
    public ValueTask DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken = default)
    {
        if (_down) return ValueTask.FromException(new JournalWriteException("the simulated disk is down (its peer crashed)"));
        _snapshots.DeleteAsync(metadata, cancellationToken);
        return Durable();
    }

    /// <inheritdoc />
    public ValueTask DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default)
    {
        if (_down) return ValueTask.FromException(new JournalWriteException("the simulated disk is down (its peer crashed)"));
        _snapshots.DeleteAsync(persistenceId, criteria, cancellationToken);
        return Durable();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Completes after the seeded latency, flushing everything written so far, unless the disk crashed meanwhile.</summary>
    private ValueTask Durable()
    {
        if (AcknowledgeBeforeFlush)
        {
            // The page cache reaches the disk only every max latency: until then a crash loses what was acknowledged.
            if (!_flushPending)
            {
                _flushPending = true;
                _world.Scheduler.ScheduleOnce(TimeSpan.FromMilliseconds(_maxLatencyMs), () =>
                {
                    _flushPending = false;
                    Store.Flush();
                });
            }
            return ValueTask.CompletedTask;
        }
        var epoch = _epoch;
        var done = new TaskCompletionSource();
        _world.Scheduler.ScheduleOnce(TimeSpan.FromMilliseconds(_world.Random.NextInt(_maxLatencyMs + 1)), () =>
        {
            if (epoch != _epoch) return;
            Store.Flush();
            Counters.RecordFlush();
            done.SetResult();
        });
        return new ValueTask(done.Task);
    }
}
