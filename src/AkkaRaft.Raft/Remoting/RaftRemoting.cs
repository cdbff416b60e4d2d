using AkkaRaft.Configuration;

namespace AkkaRaft.Raft.Remoting;

/// <summary>The <c>akkaraft.remote</c> section.</summary>
/// <param name="MaximumFrameSizeBytes">Largest frame Akka.Remote sends or accepts.</param>
public sealed record RemotingSettings(long MaximumFrameSizeBytes)
{
    /// <summary>Reads the section.</summary>
    public static RemotingSettings FromConfig(AkkaRaft.Configuration.Config config) =>
        new(config.GetByteSizeInRange("akkaraft.remote.maximum-frame-size-bytes", 32000, int.MaxValue));
}

/// <summary>The Akka.Remote configuration of a node.</summary>
public static class RaftRemoting
{
    /// <summary>The akka.remote section binding <paramref name="hostname"/>:<paramref name="port"/>.</summary>
    public static Akka.Configuration.Config AkkaConfig(RemotingSettings settings, string hostname, int port) =>
        Akka.Configuration.ConfigurationFactory.ParseString($$"""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp {
              hostname = "{{hostname}}"
              port = {{port}}
              maximum-frame-size = {{settings.MaximumFrameSizeBytes}}b
              send-buffer-size = {{Math.Max(256000, settings.MaximumFrameSizeBytes)}}b
              receive-buffer-size = {{Math.Max(256000, settings.MaximumFrameSizeBytes)}}b
            }
            """);
}
