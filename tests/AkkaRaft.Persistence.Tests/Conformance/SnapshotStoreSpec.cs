using System.Text;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Snapshots;
using static AkkaRaft.Persistence.Tests.Support.Events;

namespace AkkaRaft.Persistence.Tests.Conformance;

/// <summary>
/// What every snapshot store plugin must do, in the manner of Akka.Persistence.TCK's SnapshotStoreSpec.
/// </summary>
public abstract class SnapshotStoreSpec : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    /// <summary>The store under test; replaced by <see cref="ReopenAsync"/>.</summary>
    protected ISnapshotStore Store { get; private set; } = null!;

    /// <summary>Opens a store over this test's storage; every call sees what earlier stores saved.</summary>
    protected abstract Task<ISnapshotStore> OpenStoreAsync();

    /// <summary>Damages the stored bytes of one snapshot.</summary>
    protected abstract Task CorruptStoredSnapshotAsync(string persistenceId, long sequenceNr, byte[] storedPayload);

    /// <summary>Removes this test's storage.</summary>
    protected abstract Task DeleteStorageAsync();

    /// <summary>Closes the store and opens a new one over the same storage.</summary>
    protected async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = await OpenStoreAsync();
    }

    public async Task InitializeAsync() => Store = await OpenStoreAsync();

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await DeleteStorageAsync();
    }

    private static SerializedMessage State(string text) =>
        new(BytesSerializer.Id, BytesSerializer.ArrayManifest, Encoding.UTF8.GetBytes(text));

    private static string Text(SelectedSnapshot snapshot) => Encoding.UTF8.GetString(snapshot.Snapshot.Payload.Span);

    /// <summary>Saves snapshots at sequence numbers 10, 20, 30, 40, taken one minute apart.</summary>
    private async Task<string> SaveFourAsync()
    {
        var pid = UniqueId("snap");
        for (var i = 1; i <= 4; i++)
        {
            await Store.SaveAsync(new SnapshotMetadata(pid, i * 10, T0.AddMinutes(i)), State($"state-{pid}-{i * 10}"));
        }

        return pid;
    }

    [Fact]
    public async Task Load_finds_nothing_for_an_unknown_persistence_id()
    {
        Assert.Null(await Store.LoadAsync(UniqueId("nobody"), SnapshotSelectionCriteria.Latest));
    }

    [Fact]
    public async Task Load_latest_returns_the_snapshot_with_the_highest_sequence_number_and_its_exact_metadata()
    {
        var pid = await SaveFourAsync();

        var loaded = await Store.LoadAsync(pid, SnapshotSelectionCriteria.Latest);

        Assert.NotNull(loaded);
        Assert.Equal(new SnapshotMetadata(pid, 40, T0.AddMinutes(4)), loaded.Metadata);
        Assert.Equal($"state-{pid}-40", Text(loaded));
        Assert.Equal(BytesSerializer.Id, loaded.Snapshot.SerializerId);
    }

    [Fact]
    public async Task Load_honours_the_maximum_sequence_number()
    {
        var pid = await SaveFourAsync();

        var loaded = await Store.LoadAsync(pid, new SnapshotSelectionCriteria(25));

        Assert.Equal(20, loaded?.Metadata.SequenceNr);
    }

    [Fact]
    public async Task Load_honours_the_timestamp_and_minimum_bounds()
    {
        var pid = await SaveFourAsync();

        var byTime = await Store.LoadAsync(pid, new SnapshotSelectionCriteria(long.MaxValue, T0.AddMinutes(2), 0, DateTimeOffset.MinValue));
        var byMinimum = await Store.LoadAsync(pid, new SnapshotSelectionCriteria(35, DateTimeOffset.MaxValue, 31, DateTimeOffset.MinValue));

        Assert.Equal(20, byTime?.Metadata.SequenceNr);
        Assert.Null(byMinimum);
    }

    [Fact]
    public async Task Criteria_none_loads_nothing()
    {
        var pid = await SaveFourAsync();

        Assert.Null(await Store.LoadAsync(pid, SnapshotSelectionCriteria.None));
    }

    [Fact]
    public async Task Saving_again_at_the_same_sequence_number_replaces_the_snapshot()
    {
        var pid = UniqueId("replace");
        await Store.SaveAsync(new SnapshotMetadata(pid, 5, T0), State("old"));

        await Store.SaveAsync(new SnapshotMetadata(pid, 5, T0.AddSeconds(1)), State("new"));

        var loaded = await Store.LoadAsync(pid, SnapshotSelectionCriteria.Latest);
        Assert.Equal("new", Text(loaded!));
        Assert.Equal(T0.AddSeconds(1), loaded!.Metadata.Timestamp);
    }

    [Fact]
    public async Task Delete_by_metadata_removes_only_that_snapshot()
    {
        var pid = await SaveFourAsync();

        await Store.DeleteAsync(new SnapshotMetadata(pid, 40, T0.AddMinutes(4)));

        Assert.Equal(30, (await Store.LoadAsync(pid, SnapshotSelectionCriteria.Latest))?.Metadata.SequenceNr);
        Assert.Equal(20, (await Store.LoadAsync(pid, new SnapshotSelectionCriteria(20)))?.Metadata.SequenceNr);
    }

    [Fact]
    public async Task Delete_by_criteria_removes_every_matching_snapshot()
    {
        var pid = await SaveFourAsync();

        await Store.DeleteAsync(pid, new SnapshotSelectionCriteria(30));

        Assert.Equal(40, (await Store.LoadAsync(pid, SnapshotSelectionCriteria.Latest))?.Metadata.SequenceNr);
        Assert.Null(await Store.LoadAsync(pid, new SnapshotSelectionCriteria(39)));
    }

    [Fact]
    public async Task Snapshots_of_other_persistence_ids_are_not_touched()
    {
        var a = await SaveFourAsync();
        var b = await SaveFourAsync();

        await Store.DeleteAsync(a, SnapshotSelectionCriteria.Latest);

        Assert.Null(await Store.LoadAsync(a, SnapshotSelectionCriteria.Latest));
        Assert.Equal($"state-{b}-40", Text((await Store.LoadAsync(b, SnapshotSelectionCriteria.Latest))!));
    }

    [Fact]
    public async Task Snapshots_survive_closing_and_reopening_the_store()
    {
        var pid = await SaveFourAsync();

        await ReopenAsync();

        Assert.Equal($"state-{pid}-40", Text((await Store.LoadAsync(pid, SnapshotSelectionCriteria.Latest))!));
    }

    [Fact]
    public async Task A_corrupted_snapshot_fails_to_load_with_an_error_naming_persistence_id_and_sequence_number()
    {
        var pid = await SaveFourAsync();

        await CorruptStoredSnapshotAsync(pid, 40, Encoding.UTF8.GetBytes($"state-{pid}-40"));

        var error = await Assert.ThrowsAsync<SnapshotCorruptedException>(async () => await Store.LoadAsync(pid, SnapshotSelectionCriteria.Latest));
        Assert.Equal(pid, error.PersistenceId);
        Assert.Equal(40, error.SequenceNr);
        Assert.Contains("sequence number 40", error.Message);
    }
}
