using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Raft.Tests.Linearizability;

/// <summary>The recorder that simulated clients report their requests and answers to.</summary>
public sealed class HistoryRecorderTests
{
    private static readonly KvInput PutA = new(KvOpKind.Put, "x", "a");

    [Fact]
    public void Invoke_hands_out_ids_in_order_and_records_a_pending_operation()
    {
        var recorder = new HistoryRecorder();

        var first = recorder.Invoke(1, PutA, 5);
        var second = recorder.Invoke(2, new KvInput(KvOpKind.Get, "x"), 6);

        Assert.Equal(0, first);
        Assert.Equal(1, second);
        var operation = recorder.Operations[0];
        Assert.Equal(1, operation.ClientId);
        Assert.Equal(PutA, operation.Input);
        Assert.Equal(5, operation.InvokeTime);
        Assert.False(operation.IsOutcomeKnown);
        Assert.Equal(Operation.UnknownReturnTime, operation.ReturnTime);
    }

    [Fact]
    public void Return_records_the_output_and_the_time()
    {
        var recorder = new HistoryRecorder();
        var id = recorder.Invoke(1, PutA, 5);

        recorder.Return(id, KvOutput.Written, 9);

        Assert.Equal(KvOutput.Written, recorder.Operations[id].Output);
        Assert.Equal(9, recorder.Operations[id].ReturnTime);
        Assert.True(recorder.Operations[id].ReturnSequence > recorder.Operations[id].InvokeSequence);
    }

    [Fact]
    public void Timeout_leaves_the_outcome_unknown()
    {
        var recorder = new HistoryRecorder();
        var id = recorder.Invoke(1, PutA, 5);

        recorder.Timeout(id);

        Assert.Null(recorder.Operations[id].Output);
        Assert.Equal(Operation.UnknownReturnTime, recorder.Operations[id].ReturnTime);
    }

    [Fact]
    public void Operations_is_a_snapshot_that_later_recording_does_not_change()
    {
        var recorder = new HistoryRecorder();
        var id = recorder.Invoke(1, PutA, 5);
        var snapshot = recorder.Operations;

        recorder.Return(id, KvOutput.Written, 9);
        recorder.Invoke(2, PutA, 10);

        Assert.Single(snapshot);
        Assert.Null(snapshot[0].Output);
        Assert.Equal(2, recorder.Count);
    }

    [Fact]
    public void Returning_twice_is_rejected_and_keeps_the_first_answer()
    {
        var recorder = new HistoryRecorder();
        var id = recorder.Invoke(1, PutA, 5);
        recorder.Return(id, KvOutput.Written, 9);

        var error = Assert.Throws<InvalidOperationException>(() => recorder.Return(id, new KvOutput(null, false), 12));

        Assert.Contains("already returned", error.Message);
        Assert.Equal(KvOutput.Written, recorder.Operations[id].Output);
    }

    [Fact]
    public void Returning_after_a_timeout_is_rejected()
    {
        var recorder = new HistoryRecorder();
        var id = recorder.Invoke(1, PutA, 5);
        recorder.Timeout(id);

        Assert.Throws<InvalidOperationException>(() => recorder.Return(id, KvOutput.Written, 12));
        Assert.Throws<InvalidOperationException>(() => recorder.Timeout(id));
    }

    [Fact]
    public void An_unknown_operation_id_is_rejected()
    {
        var recorder = new HistoryRecorder();

        Assert.Throws<ArgumentOutOfRangeException>(() => recorder.Return(0, KvOutput.Written, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => recorder.Timeout(-1));
    }

    [Fact]
    public void A_return_before_the_invocation_is_rejected()
    {
        var recorder = new HistoryRecorder();
        var id = recorder.Invoke(1, PutA, 5);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => recorder.Return(id, KvOutput.Written, 4));

        Assert.Contains("invoked at 5", error.Message);
        Assert.Null(recorder.Operations[id].Output);
    }

    [Fact]
    public void A_put_without_a_value_is_rejected_when_invoked()
    {
        var recorder = new HistoryRecorder();

        Assert.Throws<ArgumentException>(() => recorder.Invoke(1, new KvInput(KvOpKind.Put, "x"), 0));
        Assert.Equal(0, recorder.Count);
    }

    [Fact]
    public void Concurrent_clients_recording_at_once_lose_no_operation()
    {
        var recorder = new HistoryRecorder();

        Parallel.For(0, 8, client =>
        {
            for (var i = 0; i < 250; i++)
            {
                var id = recorder.Invoke(client, new KvInput(KvOpKind.Put, $"k{client}", $"v{i}"), i * 2);
                recorder.Return(id, KvOutput.Written, (i * 2) + 1);
            }
        });

        var operations = recorder.Operations;
        Assert.Equal(2_000, operations.Count);
        Assert.All(operations, o => Assert.True(o.IsOutcomeKnown));
        Assert.True(LinearizabilityChecker.Check(operations).IsLinearizable);
    }
}
