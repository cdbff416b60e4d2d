using AkkaRaft.Configuration;
using AkkaRaft.Raft.Peer;

namespace AkkaRaft.Simulation.Tests;

public sealed class RaftPeerSettingsTests
{
    private static RaftPeerSettings With(string overrides) =>
        RaftPeerSettings.FromConfig(ConfigurationFactory.ParseString(overrides).WithFallback(ConfigurationFactory.Default()));

    [Fact]
    public void Defaults_derive_the_core_ticks_from_the_election_timeout_and_the_heartbeat_interval()
    {
        var settings = RaftPeerSettings.Default;
        Assert.Equal(TimeSpan.FromMilliseconds(500), settings.ElectionTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(50), settings.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.RequestTimeout);
        var core = settings.CoreConfig(7);
        Assert.Equal(7UL, core.NodeId);
        Assert.Equal(10, core.ElectionTicks);
        Assert.Equal(1, core.HeartbeatTicks);
    }

    [Fact]
    public void The_defaults_of_reference_conf_make_a_valid_core_config()
    {
        var core = RaftPeerSettings.Default.CoreConfig(7);
        Assert.True(core.PreVote);
        Assert.True(core.CheckQuorum);
        Assert.False(core.LeaseReads);
        Assert.Equal(1024 * 1024, core.MaxAppendEntriesBytes);
        Assert.Equal(1024 * 1024, RaftPeerSettings.Default.Transfer.ChunkBytes);
        Assert.False(RaftPeerSettings.Default.Transfer.Backup);
        Assert.Equal(256L * 1024 * 1024, core.MaxSnapshotBytes);
    }

    [Fact]
    public void A_core_setting_that_breaks_a_rule_is_refused_naming_the_setting_and_where_it_was_set()
    {
        var user = ConfigurationFactory.ParseString("akkaraft.raft { max-inflight-messages = 0 }", "user.conf").WithFallback(ConfigurationFactory.Default());
        var error = Assert.Throws<ConfigException>(() => RaftPeerSettings.FromConfig(user));
        Assert.Contains("akkaraft.raft.max-inflight-messages = 0", error.Message);
        Assert.Contains("user.conf", error.Message);
    }

    [Theory]
    [InlineData("snapshot-listener = \"nowhere\"", "akkaraft.raft.snapshot-listener")]
    [InlineData("snapshot-chunk-bytes = 1KiB", "akkaraft.raft.snapshot-chunk-bytes")]
    [InlineData("snapshot-chunk-bytes = 8MiB, max-snapshot-chunk-bytes = 4MiB", "akkaraft.raft.max-snapshot-chunk-bytes")]
    [InlineData("max-snapshot-connections = 0", "akkaraft.raft.max-snapshot-connections")]
    [InlineData("snapshot-backup-count = 0", "akkaraft.raft.snapshot-backup-count")]
    public void A_snapshot_transfer_setting_out_of_range_is_refused_naming_it(string setting, string key)
    {
        var user = ConfigurationFactory.ParseString($"akkaraft.raft {{ {setting} }}", "user.conf").WithFallback(ConfigurationFactory.Default());
        var error = Assert.Throws<ConfigException>(() => RaftPeerSettings.FromConfig(user));
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void The_core_ticks_follow_the_timeouts_when_the_settings_are_changed_in_code()
    {
        var settings = RaftPeerSettings.Default with { ElectionTimeout = TimeSpan.FromSeconds(1), HeartbeatInterval = TimeSpan.FromMilliseconds(50) };
        Assert.Equal(20, settings.CoreConfig(1).ElectionTicks);
        Assert.Equal(1, settings.CoreConfig(1).HeartbeatTicks);
    }

    [Fact]
    public void The_core_keys_of_the_section_reach_the_core_settings()
    {
        var settings = With("akkaraft.raft { lease-reads = on, max-inflight-messages = 7, snapshot-chunk-bytes = 8KiB, snapshot-backup = on, snapshot-backup-count = 5 }");
        var core = settings.CoreConfig(1);
        Assert.True(core.LeaseReads);
        Assert.Equal(7, core.MaxInflightMessages);
        Assert.Equal(8192, settings.Transfer.ChunkBytes);
        Assert.Equal(5, settings.Transfer.KeepFiles);
    }

    [Fact]
    public void Request_timeout_auto_follows_the_election_timeout_and_an_explicit_one_is_kept()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), With("akkaraft.raft.election-timeout = 1s").RequestTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(750), With("akkaraft.raft.request-timeout = 750ms").RequestTimeout);
        Assert.Equal(20, With("akkaraft.raft { election-timeout = 1s, heartbeat-interval = 50ms }").ElectionTicks);
    }

    [Fact]
    public void The_restart_backoff_of_a_supervised_peer_is_read_from_the_section()
    {
        Assert.Equal(new RestartBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2), RaftPeerSettings.Default.Restart);
        Assert.Equal(
            new RestartBackoff(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(4), 0),
            With("akkaraft.raft { restart-min-backoff = 250ms, restart-max-backoff = 4s, restart-random-factor = 0 }").Restart);
    }

    [Fact]
    public void Compaction_waits_for_a_log_the_size_of_a_large_snapshot_up_to_512_MiB_unless_set()
    {
        Assert.Equal((1.0, 512L << 20), (RaftPeerSettings.Default.LogToSnapshotRatio, RaftPeerSettings.Default.MaxLogBytesCeiling));
        var set = With("akkaraft.raft { log-to-snapshot-ratio = 0.5, max-log-bytes-ceiling = 1GiB }");
        Assert.Equal((0.5, 1L << 30), (set.LogToSnapshotRatio, set.MaxLogBytesCeiling));
    }

    [Fact]
    public void Stale_consistent_reads_are_off_unless_the_fault_harness_turns_them_on()
    {
        Assert.False(RaftPeerSettings.Default.UnsafeStaleConsistentReads);
        Assert.True(With("akkaraft.raft.unsafe-stale-consistent-reads = on").UnsafeStaleConsistentReads);
    }

    [Fact]
    public void The_learner_promotion_lag_is_100_entries_unless_set()
    {
        Assert.Equal(100, RaftPeerSettings.Default.LearnerPromotionLag);
        Assert.Equal(0, With("akkaraft.raft.learner-promotion-lag = 0").LearnerPromotionLag);
    }

    [Fact]
    public void Acknowledging_before_fsync_is_off_unless_the_fault_harness_turns_it_on()
    {
        Assert.False(RaftPeerSettings.Default.UnsafeAckBeforeFsync);
        Assert.True(With("akkaraft.raft.unsafe-ack-before-fsync = on").UnsafeAckBeforeFsync);
    }

    [Theory]
    [InlineData("akkaraft.raft.election-timeout = 60ms", "election-timeout")]
    [InlineData("akkaraft.raft.max-log-count = 0", "max-log-count")]
    [InlineData("akkaraft.raft.max-proposal-queue = -1", "max-proposal-queue")]
    [InlineData("akkaraft.raft.max-log-bytes = 0", "max-log-bytes")]
    [InlineData("akkaraft.raft.request-timeout = 1ms", "request-timeout")]
    [InlineData("akkaraft.raft.lease-drift-margin-ticks = -1", "lease-drift-margin-ticks")]
    [InlineData("akkaraft.raft { lease-reads = on, check-quorum = off }", "lease-reads")]
    [InlineData("akkaraft.raft.restart-min-backoff = 0s", "restart-min-backoff")]
    [InlineData("akkaraft.raft { restart-min-backoff = 2s, restart-max-backoff = 1s }", "restart-max-backoff")]
    [InlineData("akkaraft.raft.restart-random-factor = 1.5", "restart-random-factor")]
    [InlineData("akkaraft.raft.learner-promotion-lag = -1", "learner-promotion-lag")]
    [InlineData("akkaraft.raft.log-to-snapshot-ratio = 11", "log-to-snapshot-ratio")]
    [InlineData("akkaraft.raft.log-to-snapshot-ratio = -0.5", "log-to-snapshot-ratio")]
    [InlineData("akkaraft.raft { max-log-bytes = 64MiB, max-log-bytes-ceiling = 32MiB }", "max-log-bytes-ceiling")]
    public void An_out_of_range_setting_is_refused_with_its_name(string overrides, string key)
    {
        var error = Assert.Throws<ConfigException>(() => With(overrides));
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void Core_rules_on_ticks_are_checked_against_the_ticks_derived_from_the_timeouts()
    {
        // 2s / 50ms = 40 election ticks, so a 15-tick lease margin is fine (it would not be against the default 10).
        var core = With("akkaraft.raft { election-timeout = 2s, lease-reads = on, lease-drift-margin-ticks = 15 }").CoreConfig(1);
        Assert.Equal(40, core.ElectionTicks);
        Assert.Equal(15, core.LeaseDriftMarginTicks);

        var error = Assert.Throws<ConfigException>(
            () => With("akkaraft.raft { election-timeout = 500ms, lease-reads = on, lease-drift-margin-ticks = 15 }"));
        Assert.Contains("lease-drift-margin-ticks", error.Message);
        Assert.Contains("election-ticks = election-timeout / heartbeat-interval = 10", error.Message);
    }
}
