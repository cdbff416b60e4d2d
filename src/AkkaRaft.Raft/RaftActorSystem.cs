using Akka.Actor;
using AkkaRaft.Configuration;
using AkkaRaft.Raft.Persistence;
using AkkaRaft.Raft.Remoting;

namespace AkkaRaft.Raft;

/// <summary>The Akka configuration of an actor system that hosts a Raft peer.</summary>
public static class RaftActorSystem
{
    /// <summary>
    /// Akka's configuration for a peer listening on <paramref name="host"/>:<paramref name="port"/> with its journal
    /// under <paramref name="dataDirectory"/>: what only this peer knows (its address, its journal) first, then the
    /// resolved file (its <c>akka</c> section and reference.conf's), then the plugins' own defaults. Prepares the
    /// storage first (SQLite: the file in WAL mode), so the journal finds it ready.
    /// </summary>
    /// <exception cref="ConfigException">An <c>akkaraft.remote</c> or <c>akkaraft.persistence</c> setting is invalid.</exception>
    public static Akka.Configuration.Config AkkaConfig(AkkaRaft.Configuration.Config resolved, string host, int port, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        var remoting = RemotingSettings.FromConfig(resolved);
        var persistence = RaftPersistenceSettings.FromConfig(resolved);
        Directory.CreateDirectory(dataDirectory);
        RaftPersistence.PrepareStorage(persistence, dataDirectory);
        return RaftRemoting.AkkaConfig(remoting, host, port)
            .WithFallback(RaftPersistence.AkkaConfig(persistence, dataDirectory))
            .WithFallback(AkkaHandover.ToAkkaConfig(resolved));
    }

    /// <summary>
    /// Creates the actor system of a peer: <see cref="AkkaConfig"/>, and with <c>akkaraft.remote.tls</c> on, this node's
    /// certificate and the cluster CA's validator (Akka.Remote's mutual TLS).
    /// </summary>
    /// <exception cref="ConfigException">A setting is invalid, or a TLS file cannot be read.</exception>
    public static ActorSystem Create(string name, AkkaRaft.Configuration.Config resolved, string host, int port, string dataDirectory)
    {
        var akka = AkkaConfig(resolved, host, port, dataDirectory);
        return ActorSystem.Create(name, RaftRemoting.ActorSystemSetup(RemotingSettings.FromConfig(resolved), akka));
    }
}
