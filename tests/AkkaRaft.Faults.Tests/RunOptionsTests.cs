using AkkaRaft.Faults.Nemesis;

namespace AkkaRaft.Faults.Tests;

/// <summary>The run command's options: what <c>--remote-tls</c> and <c>--max-log-count</c> allow.</summary>
public sealed class RunOptionsTests
{
    [Fact]
    public void Remote_TLS_leaves_the_link_faults_out_of_all_and_keeps_every_other_kind()
    {
        var options = Cli.ParseRun(["--remote-tls", "--seconds", "30"]);

        Assert.True(options.RemoteTls);
        Assert.DoesNotContain(options.Kinds, FaultSchedule.IsLinkFault);
        Assert.Equal(FaultSchedule.AllKinds.Count - 2, options.Kinds.Count);
    }

    [Fact]
    public void Remote_TLS_with_a_link_fault_named_is_refused_naming_it()
    {
        var error = Assert.Throws<ArgumentException>(() => Cli.ParseRun(["--remote-tls", "--faults", "kill-leader,link-delay"]));

        Assert.Contains("link-delay", error.Message, StringComparison.Ordinal);
        Assert.Contains("TLS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_max_log_count_below_ten_is_refused_and_one_above_is_kept()
    {
        Assert.Throws<ArgumentException>(() => Cli.ParseRun(["--max-log-count", "5"]));
        Assert.Equal(200, Cli.ParseRun(["--max-log-count", "200"]).MaxLogCount);
    }
}
