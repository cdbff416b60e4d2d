using AkkaRaft.Faults.History;
using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Faults.Tests;

public sealed class HistoryFileTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"akkaraft-faults-history-{Guid.NewGuid():N}.jsonl");

    public void Dispose() => File.Delete(_path);

    private LoadedHistory Load(params string[] lines)
    {
        File.WriteAllLines(_path, lines);
        return HistoryFile.Load(_path);
    }

    [Fact]
    public void A_file_the_writer_wrote_loads_back_as_the_same_operations()
    {
        var clock = new RunClock();
        using (var writer = new HistoryWriter(_path, clock))
        {
            var put = writer.Invoke(1, "write", "k", value: "1-0", node: "n1");
            writer.Complete(put, "ok", node: "n2");
            var read = writer.Invoke(2, "read", "k", level: "consistent", node: "n2");
            writer.Complete(read, "ok", value: "1-0", node: "n2");
            var cas = writer.Invoke(1, "cas", "k", value: "1-1", expected: "1-0", node: "n1");
            writer.Complete(cas, "info", node: "n1", error: "no answer within 5s");
        }

        var loaded = HistoryFile.Load(_path);
        Assert.Equal(3, loaded.Invocations);
        Assert.Collection(loaded.Operations.OrderBy(o => o.Id),
            put => Assert.Equal((new KvInput(KvOpKind.Put, "k", "1-0"), KvOutput.Written), (put.Input, put.Output!)),
            read => Assert.Equal((new KvInput(KvOpKind.Get, "k"), KvOutput.Read("1-0")), (read.Input, read.Output!)),
            cas =>
            {
                Assert.Equal(new KvInput(KvOpKind.Cas, "k", "1-1", "1-0"), cas.Input);
                Assert.False(cas.IsOutcomeKnown);
            });
        Assert.Equal(1, loaded.Counts[("cas", "info")]);
        Assert.True(LinearizabilityChecker.Check(loaded.Operations).IsLinearizable);
    }

    [Fact]
    public void A_stale_read_after_an_acknowledged_write_is_a_violation()
    {
        var loaded = Load(
            """{"type":"invoke","op":0,"process":0,"f":"write","key":"k","value":"0-0","time":10}""",
            """{"type":"ok","op":0,"process":0,"f":"write","key":"k","value":"0-0","time":20}""",
            """{"type":"invoke","op":1,"process":0,"f":"write","key":"k","value":"0-1","time":30}""",
            """{"type":"ok","op":1,"process":0,"f":"write","key":"k","value":"0-1","time":40}""",
            """{"type":"invoke","op":2,"process":1,"f":"read","key":"k","level":"consistent","time":50}""",
            """{"type":"ok","op":2,"process":1,"f":"read","key":"k","value":"0-0","time":60}""");
        var check = LinearizabilityChecker.Check(loaded.Operations);
        Assert.Equal(Verdict.NotLinearizable, check.Verdict);
        Assert.Equal("k", check.Key);
    }

    [Fact]
    public void A_timed_out_write_may_have_taken_effect_later()
    {
        var loaded = Load(
            """{"type":"invoke","op":0,"process":0,"f":"write","key":"k","value":"0-0","time":10}""",
            """{"type":"info","op":0,"process":0,"f":"write","key":"k","value":"0-0","time":20,"error":"504"}""",
            """{"type":"invoke","op":1,"process":1,"f":"read","key":"k","time":30}""",
            """{"type":"ok","op":1,"process":1,"f":"read","key":"k","time":40}""",
            """{"type":"invoke","op":2,"process":1,"f":"read","key":"k","time":50}""",
            """{"type":"ok","op":2,"process":1,"f":"read","key":"k","value":"0-0","time":60}""");
        Assert.True(LinearizabilityChecker.Check(loaded.Operations).IsLinearizable);
    }

    [Fact]
    public void A_failed_write_must_not_have_taken_effect_and_failed_reads_observe_nothing()
    {
        var loaded = Load(
            """{"type":"invoke","op":0,"process":0,"f":"write","key":"k","value":"0-0","time":10}""",
            """{"type":"fail","op":0,"process":0,"f":"write","key":"k","value":"0-0","time":20,"error":"503 no leader yet"}""",
            """{"type":"invoke","op":1,"process":1,"f":"read","key":"k","time":30}""",
            """{"type":"fail","op":1,"process":1,"f":"read","key":"k","time":40}""",
            """{"type":"invoke","op":2,"process":1,"f":"read","key":"k","time":50}""",
            """{"type":"ok","op":2,"process":1,"f":"read","key":"k","value":"0-0","time":60}""");
        Assert.Single(loaded.Operations);
        Assert.Equal(Verdict.NotLinearizable, LinearizabilityChecker.Check(loaded.Operations).Verdict);
    }

    [Fact]
    public void A_compare_that_failed_is_an_observation_that_the_register_held_something_else()
    {
        var loaded = Load(
            """{"type":"invoke","op":0,"process":0,"f":"write","key":"k","value":"0-0","time":10}""",
            """{"type":"ok","op":0,"process":0,"f":"write","key":"k","value":"0-0","time":20}""",
            """{"type":"invoke","op":1,"process":1,"f":"cas","key":"k","value":"1-0","expected":"0-0","time":30}""",
            """{"type":"fail","op":1,"process":1,"f":"cas","key":"k","value":"1-0","mismatch":true,"time":40}""");
        Assert.Equal(KvOutput.Cas(false), loaded.Operations.Single(o => o.Id == 1).Output);
        Assert.Equal(Verdict.NotLinearizable, LinearizabilityChecker.Check(loaded.Operations).Verdict);
    }

    [Fact]
    public void An_invocation_the_file_never_completes_is_indeterminate()
    {
        var loaded = Load(
            """{"type":"invoke","op":0,"process":0,"f":"write","key":"k","value":"0-0","time":10}""",
            """{"type":"invoke","op":1,"process":1,"f":"read","key":"k","time":30}""");
        var write = Assert.Single(loaded.Operations);
        Assert.False(write.IsOutcomeKnown);
        Assert.Equal(1, loaded.Counts[("read", "info")]);
    }

    [Fact]
    public void A_completion_without_its_invocation_is_refused_with_the_line()
    {
        var error = Assert.Throws<InvalidDataException>(() => Load(
            """{"type":"ok","op":3,"process":0,"f":"write","key":"k","value":"0-0","time":20}"""));
        Assert.Contains(":1:", error.Message);
    }
}
