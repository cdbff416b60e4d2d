using System.Runtime.CompilerServices;
using AkkaRaft.Persistence.Journal;
using static AkkaRaft.Persistence.Tests.Support.Events;

namespace AkkaRaft.Persistence.Tests.Journal;

/// <summary>
/// The coalescing logic, made deterministic: the journal below holds its first commit open until the test has queued
/// every other write, so which writes share a transaction does not depend on timing.
/// </summary>
public sealed class GroupCommitJournalTests
{
    [Fact]
    public async Task Writes_queued_during_a_commit_share_the_next_transaction_and_fsync()
    {
        await using var journal = new GatedJournal(new GroupCommitSettings(MaxBatchSize: 1000));
        var first = journal.WriteAsync(Write("first", 1, 1)).AsTask();
        await journal.FirstCommitEntered;

        var rest = Enumerable.Range(0, 10).Select(i => journal.WriteAsync(Write($"p{i}", 1, 2)).AsTask()).ToList();
        journal.ReleaseFirstCommit();
        await Task.WhenAll(rest.Append(first));

        Assert.Equal([1, 10], journal.CommittedRequestCounts);
        var counters = journal.Counters.Snapshot();
        Assert.Equal((11L, 21L, 2L, 2L), (counters.WriteRequests, counters.Events, counters.Transactions, counters.Fsyncs));
    }

    [Fact]
    public async Task A_transaction_holds_at_most_max_batch_size_events()
    {
        await using var journal = new GatedJournal(new GroupCommitSettings(MaxBatchSize: 4));
        var first = journal.WriteAsync(Write("first", 1, 1)).AsTask();
        await journal.FirstCommitEntered;

        var rest = Enumerable.Range(0, 10).Select(i => journal.WriteAsync(Write($"p{i}", 1, 1)).AsTask()).ToList();
        journal.ReleaseFirstCommit();
        await Task.WhenAll(rest.Append(first));

        Assert.Equal([1, 4, 4, 2], journal.CommittedEventCounts);
    }

    [Fact]
    public async Task A_transaction_holds_at_most_max_batch_bytes_but_a_larger_single_write_still_goes_alone()
    {
        var eventBytes = Write("p0", 1, 1).SizeBytes;
        await using var journal = new GatedJournal(new GroupCommitSettings(MaxBatchBytes: eventBytes * 2));
        var first = journal.WriteAsync(Write("first", 1, 1)).AsTask();
        await journal.FirstCommitEntered;

        var big = journal.WriteAsync(Write("big", 1, 5)).AsTask();
        var small = Enumerable.Range(0, 3).Select(i => journal.WriteAsync(Write($"p{i}", 1, 1)).AsTask()).ToList();
        journal.ReleaseFirstCommit();
        await Task.WhenAll(small.Append(big).Append(first));

        Assert.Equal([1, 5, 2, 1], journal.CommittedEventCounts);
    }

    [Fact]
    public async Task A_failing_write_in_a_coalesced_transaction_fails_alone_and_the_others_are_stored()
    {
        await using var journal = new GatedJournal(GroupCommitSettings.Default) { PoisonPersistenceId = "poison" };
        var first = journal.WriteAsync(Write("first", 1, 1)).AsTask();
        await journal.FirstCommitEntered;

        var good1 = journal.WriteAsync(Write("good1", 1, 1)).AsTask();
        var poison = journal.WriteAsync(Write("poison", 1, 1)).AsTask();
        var good2 = journal.WriteAsync(Write("good2", 1, 1)).AsTask();
        journal.ReleaseFirstCommit();

        await Task.WhenAll(first, good1, good2);
        var error = await Assert.ThrowsAsync<JournalWriteException>(() => poison);
        Assert.Contains("poison", error.Message);
        Assert.Equal(["first", "good1", "good2"], journal.StoredPersistenceIds);
    }

    [Fact]
    public async Task A_write_after_dispose_is_refused()
    {
        var journal = new GatedJournal(GroupCommitSettings.Default);
        journal.ReleaseFirstCommit();
        await journal.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await journal.WriteAsync(Write("late", 1, 1)));
    }

    [Fact]
    public async Task Dispose_lets_queued_writes_finish()
    {
        var journal = new GatedJournal(GroupCommitSettings.Default);
        var first = journal.WriteAsync(Write("first", 1, 1)).AsTask();
        await journal.FirstCommitEntered;
        var second = journal.WriteAsync(Write("second", 1, 1)).AsTask();

        var disposing = journal.DisposeAsync().AsTask();
        journal.ReleaseFirstCommit();
        await disposing;

        await Task.WhenAll(first, second);
        Assert.Equal(["first", "second"], journal.StoredPersistenceIds);
    }

    [Fact]
    public void Settings_below_one_are_refused_naming_the_setting()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new GroupCommitSettings(MaxBatchSize: 0).Validate());

        Assert.Contains("max-batch-size", error.Message);
    }

    /// <summary>A group-commit journal whose first commit waits for the test; it records every transaction.</summary>
    private sealed class GatedJournal(GroupCommitSettings settings) : GroupCommitJournal("gated", settings)
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<string> _stored = new();
        private int _commits;

        public string? PoisonPersistenceId { get; init; }

        public Task FirstCommitEntered => _entered.Task;

        public List<int> CommittedRequestCounts { get; } = new();

        public List<int> CommittedEventCounts { get; } = new();

        public List<string> StoredPersistenceIds
        {
            get
            {
                lock (_stored)
                {
                    return _stored.Order(StringComparer.Ordinal).ToList();
                }
            }
        }

        public void ReleaseFirstCommit() => _release.TrySetResult();

        protected override bool CommitFlushes => true;

        protected override async ValueTask CommitBatchAsync(IReadOnlyList<AtomicWrite> writes)
        {
            if (Interlocked.Increment(ref _commits) == 1)
            {
                _entered.TrySetResult();
                await _release.Task;
            }

            if (writes.Any(w => w.PersistenceId == PoisonPersistenceId))
            {
                throw new InvalidOperationException($"refusing {PoisonPersistenceId}");
            }

            lock (_stored)
            {
                CommittedRequestCounts.Add(writes.Count);
                CommittedEventCounts.Add(writes.Sum(w => w.Events.Count));
                _stored.AddRange(writes.Select(w => w.PersistenceId));
            }
        }

        public override async IAsyncEnumerable<PersistentEvent> ReplayAsync(
            string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.CompletedTask;
            yield break;
        }

        public override ValueTask<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(0L);

        public override ValueTask DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default) =>
            ValueTask.CompletedTask;

        protected override ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;
    }
}
