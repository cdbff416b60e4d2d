using System.Runtime.CompilerServices;
using AkkaRaft.Persistence.InMemory;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Snapshots;

namespace AkkaRaft.Persistence.Tests.Actors;

/// <summary>
/// An in-memory journal whose writes can be held open by the test (so that "the write is in flight" is a state the
/// test controls, not a race), that records every write call, and that can be told to fail writes.
/// </summary>
internal sealed class ControlledJournal(InMemoryStore store) : IJournal
{
    private readonly InMemoryJournal _inner = new(store);
    private TaskCompletionSource? _gate;

    public List<IReadOnlyList<AtomicWrite>> WriteCalls { get; } = new();

    public int WritesWaiting { get; private set; }

    public Exception? FailWritesWith { get; set; }

    public string PluginId => _inner.PluginId;

    public JournalCounters Counters => _inner.Counters;

    /// <summary>Holds every later write until <see cref="Open"/>.</summary>
    // Continuations run inline on Open(), on the test thread, so the simulation stays single-threaded.
    public void Close() => _gate = new TaskCompletionSource();

    /// <summary>Lets the held writes (and later ones) through.</summary>
    public void Open()
    {
        var gate = _gate;
        _gate = null;

        // .NET runs the awaiting continuation inline only where no synchronization context is set, and xunit sets one
        // on the test thread; without this the continuation would run on the thread pool, racing the simulation.
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            gate?.TrySetResult();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    public ValueTask WriteAsync(AtomicWrite write, CancellationToken cancellationToken = default) => WriteAsync([write], cancellationToken);

    public async ValueTask WriteAsync(IReadOnlyList<AtomicWrite> writes, CancellationToken cancellationToken = default)
    {
        WriteCalls.Add(writes);
        if (_gate is { } gate)
        {
            WritesWaiting++;
            await gate.Task.ConfigureAwait(false);
            WritesWaiting--;
        }

        if (FailWritesWith is { } failure)
        {
            throw failure;
        }

        await _inner.WriteAsync(writes, cancellationToken).ConfigureAwait(false);
    }

    public IAsyncEnumerable<PersistentEvent> ReplayAsync(
        string persistenceId, long fromSequenceNr, long toSequenceNr, long max, CancellationToken cancellationToken = default) =>
        _inner.ReplayAsync(persistenceId, fromSequenceNr, toSequenceNr, max, cancellationToken);

    public ValueTask<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default) =>
        _inner.ReadHighestSequenceNrAsync(persistenceId, cancellationToken);

    public ValueTask DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default) =>
        _inner.DeleteMessagesToAsync(persistenceId, toSequenceNr, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Plugins that hand every actor the same journal and snapshot store.</summary>
internal sealed class FixedPlugins(IJournal journal, ISnapshotStore snapshotStore) : IPersistencePlugins
{
    public ValueTask<IJournal> GetJournalAsync(string? pluginId = null, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(journal);

    public ValueTask<ISnapshotStore> GetSnapshotStoreAsync(string? pluginId = null, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(snapshotStore);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
