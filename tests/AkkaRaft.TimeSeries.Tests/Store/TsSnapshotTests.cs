using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.TimeSeries.Tests.Store;

public sealed class TsSnapshotTests
{
    [Fact]
    public void A_snapshot_holds_each_sealed_block_as_its_compressed_bytes()
    {
        var ts = new TsHarness();
        ts.Put("cpu", (10, 1.5), (20, 2.5), (70, 3.5));
        var block = ts.Machine.SealedBlockBytes("cpu").Single();

        var snapshot = ts.Snapshot();

        Assert.True(snapshot.AsSpan().IndexOf(block.Span) >= 0, "the sealed block's bytes are not in the snapshot as they are");
    }

    [Fact]
    public void A_restored_store_answers_as_the_original_and_keeps_accepting_points_in_its_open_block()
    {
        var ts = new TsHarness();
        ts.Put("cpu", (10, 1.5), (20, 2.5), (70, 3.5), (80, 4.5));
        var restored = new TsHarness();
        using (var input = new MemoryStream(ts.Snapshot())) restored.Machine.RestoreSnapshot(input);

        Assert.Equal(ts.Query(TsQueries.Range("cpu")).Points, restored.Query(TsQueries.Range("cpu")).Points);
        Assert.Equal(ts.Query(TsQueries.Stats("cpu")).Stats, restored.Query(TsQueries.Stats("cpu")).Stats);
        Assert.True(restored.Put("cpu", (75, 9)).IsOk);
        Assert.Equal(TsStatus.OutOfWindow, restored.Put("cpu", (59, 9)).Status);
    }

    [Fact]
    public void A_snapshot_with_a_flipped_bit_is_refused_and_the_state_is_unchanged()
    {
        var ts = new TsHarness();
        ts.Put("cpu", (10, 1.5), (70, 3.5));
        var snapshot = ts.Snapshot();
        snapshot[30] ^= 0x10;
        var other = new TsHarness();
        other.Put("mem", (1, 1));

        using var input = new MemoryStream(snapshot);
        Assert.Throws<InvalidSnapshotException>(() => other.Machine.RestoreSnapshot(input));

        Assert.True(other.Query(TsQueries.Latest("mem")).IsOk);
    }
}
