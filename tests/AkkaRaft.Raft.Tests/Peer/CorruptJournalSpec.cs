using System.Runtime.Serialization;
using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Configuration;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.Persistence;
using AkkaRaft.Raft.Tests.Persistence;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Peer;

/// <summary>
/// A byte flipped in one journal row of a Raft peer, with SQL, on SQLite and on PostgreSQL: the peer's recovery
/// fails loudly, naming its persistence id and the sequence number of the bad row, and the peer stops before it
/// answers anything, so nothing of the row is ever applied.
/// </summary>
public abstract class CorruptJournalSpec : Akka.TestKit.Xunit2.TestKit
{
    private const string PersistenceId = "raft-peer-1";

    private readonly TestStorage _storage;

    protected CorruptJournalSpec(RaftPersistencePlugin plugin, ITestOutputHelper output) : this(TestStorage.Create(plugin), output)
    {
    }

    private CorruptJournalSpec(TestStorage storage, ITestOutputHelper output)
        : base(RaftPersistence.AkkaConfig(storage.Settings, storage.DataDirectory).WithFallback(AkkaHandover.ToAkkaConfig(ConfigurationFactory.Default())), "corrupt-journal", output)
    {
        _storage = storage;
    }

    [Fact]
    public async Task A_flipped_byte_in_a_journal_row_fails_recovery_naming_the_persistence_id_and_sequence_number_and_the_peer_stops_unanswered()
    {
        var peer = Sys.ActorOf(RaftPeer.Props(Setup()), "peer-first");
        await AwaitAssertAsync(async () =>
            Assert.Equal(RaftRole.Leader, (await peer.Ask<PeerStatus>(GetPeerStatus.Instance, TimeSpan.FromSeconds(1))).Role), TimeSpan.FromSeconds(20));
        for (var i = 0; i < 10; i++)
        {
            Assert.IsType<WriteResult>(await peer.Ask<object>(new Write(KvCommands.Put($"k{i}", $"v{i}"), TimeSpan.FromSeconds(10)), TimeSpan.FromSeconds(15)));
        }
        await peer.GracefulStop(TimeSpan.FromSeconds(10));

        var corrupted = FlipAByteOfARowNearTheEnd();

        Sys.EventStream.Subscribe(TestActor, typeof(Akka.Event.Error));
        var again = Sys.ActorOf(RaftPeer.Props(Setup()), "peer-again");
        Watch(again);
        again.Tell(GetPeerStatus.Instance);
        var error = FishForMessage<Akka.Event.Error>(e => e.Message?.ToString()?.Contains("recovery of persistence id", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(20));
        Assert.Contains($"'{PersistenceId}'", error.Message!.ToString());
        Assert.Contains($"at journal event {corrupted}", error.Message.ToString());
        Assert.IsType<SerializationException>(error.Cause);
        Assert.Contains("corrupt", error.Cause.Message);
        // It stopped without answering the status it was asked for: nothing of the bad row was applied or served.
        FishForMessage(m => m is Terminated t && t.ActorRef.Equals(again), TimeSpan.FromSeconds(10));
    }

    private RaftPeerSetup Setup() =>
        new(1, [1], new ActorRefTransport(), () => new KvStateMachine(KvSettings.Default), RaftPeerSettings.Default with
        {
            ElectionTimeout = TimeSpan.FromMilliseconds(300), HeartbeatInterval = TimeSpan.FromMilliseconds(30),
        })
        {
            PersistenceId = PersistenceId,
            JournalPluginId = RaftPersistence.JournalPluginId,
            SnapshotPluginId = RaftPersistence.SnapshotPluginId,
        };

    /// <summary>Flips one byte in the payload of the row two before the last one; returns its sequence number.</summary>
    private long FlipAByteOfARowNearTheEnd()
    {
        using var connection = _storage.Open();
        long sequenceNr;
        byte[] payload;
        using (var select = connection.CreateCommand())
        {
            select.CommandText = $"SELECT sequence_number, message FROM {_storage.JournalTable} WHERE persistence_id = '{PersistenceId}' ORDER BY sequence_number DESC LIMIT 1 OFFSET 2";
            using var reader = select.ExecuteReader();
            Assert.True(reader.Read(), "the peer journaled fewer than 3 events");
            sequenceNr = reader.GetInt64(0);
            payload = (byte[])reader.GetValue(1);
        }
        payload[payload.Length / 2] ^= 0x5A;
        using var update = connection.CreateCommand();
        update.CommandText = $"UPDATE {_storage.JournalTable} SET message = @payload WHERE persistence_id = '{PersistenceId}' AND sequence_number = {sequenceNr}";
        var parameter = update.CreateParameter();
        parameter.ParameterName = "@payload";
        parameter.Value = payload;
        update.Parameters.Add(parameter);
        Assert.Equal(1, update.ExecuteNonQuery());
        return sequenceNr;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _storage.Dispose();
    }
}

/// <summary>On the embedded SQLite journal.</summary>
public sealed class CorruptSqliteJournalSpec(ITestOutputHelper output) : CorruptJournalSpec(RaftPersistencePlugin.Sqlite, output);

/// <summary>On the PostgreSQL server.</summary>
public sealed class CorruptPostgreSqlJournalSpec(ITestOutputHelper output) : CorruptJournalSpec(RaftPersistencePlugin.PostgreSql, output);
