using AkkaRaft.Configuration;
using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Tests.Core;

public class SettingsTests
{
    [Fact(DisplayName = "Settings: the defaults of reference.conf read into a valid RaftConfig")]
    public void Reference_defaults_read_into_a_valid_config()
    {
        var config = RaftConfig.FromConfig(ConfigurationFactory.Default(), 7);
        Assert.Equal(7UL, config.NodeId);
        Assert.Equal(10, config.ElectionTicks);
        Assert.Equal(1, config.HeartbeatTicks);
        Assert.True(config.PreVote);
        Assert.True(config.CheckQuorum);
        Assert.False(config.LeaseReads);
        Assert.Equal(1024 * 1024, config.MaxAppendEntriesBytes);
        Assert.Equal(512 * 1024, config.SnapshotChunkBytes);
        Assert.Equal(256L * 1024 * 1024, config.MaxSnapshotBytes);
    }

    [Fact(DisplayName = "Settings: a value that breaks a rule is refused naming the setting")]
    public void Invalid_value_is_refused_naming_the_setting()
    {
        var user = ConfigurationFactory.ParseString("akkaraft.raft { max-inflight-messages = 0 }", "user.conf").WithFallback(ConfigurationFactory.Default());
        var ex = Assert.Throws<ConfigException>(() => RaftConfig.FromConfig(user, 1));
        Assert.Contains("akkaraft.raft.max-inflight-messages = 0", ex.Message);
        Assert.Contains("user.conf", ex.Message);
    }
}
