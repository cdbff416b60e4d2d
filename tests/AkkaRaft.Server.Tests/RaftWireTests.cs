using System.Runtime.Serialization;
using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Client.Wire;
using AkkaRaft.Configuration;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.Wire;

namespace AkkaRaft.Server.Tests;

/// <summary>
/// Raft peer messages and the client protocol survive the wire form Akka.Remote carries, through the serializers the
/// shipped configuration (reference.conf handed to Akka) binds them to: peer messages to the Raft wire serializer
/// (101), the client protocol to AkkaRaft.Client's (103).
/// </summary>
public sealed class RaftWireTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("wire-tests", AkkaHandover.ToAkkaConfig(ConfigurationFactory.Default()));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private object RoundTrip(object message)
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        Assert.Equal(message is RaftMessage ? RaftWireSerializer.Id : RaftClientSerializer.Id, serializer.Identifier);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        return _system.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
    }

    public static TheoryData<object> PeerMessages() =>
    [
        new RequestVote(1, 2, 7, 10, 6, PreVote: true, LeadershipTransfer: false),
        new RequestVoteResponse(2, 1, 7, PreVote: false, Granted: true),
        new AppendEntriesResponse(2, 1, 7, Success: false, Index: 9, RejectHint: 4, LogTermHint: 3),
        new Heartbeat(1, 3, 7, Commit: 12, Round: 99),
        new HeartbeatResponse(3, 1, 7, Round: 99),
        new TimeoutNow(1, 2, 7),
        new ReadIndexRequest(2, 1, 7, 41),
        new ReadIndexResponse(1, 2, 7, 41, 99, true),
    ];

    [Theory]
    [MemberData(nameof(PeerMessages))]
    public void A_peer_message_should_come_back_equal(object message) => Assert.Equal(message, RoundTrip(message));

    [Fact]
    public void Append_entries_should_keep_every_entry_with_its_bytes()
    {
        var entries = new[] { new Entry(3, 5, EntryType.Normal, [1, 2, 3]), new Entry(3, 6, EntryType.ConfChange, [9]) };
        var back = Assert.IsType<AppendEntries>(RoundTrip(new AppendEntries(1, 2, 3, 4, 3, entries, 5)));
        Assert.Equal((1UL, 2UL, 3UL, 4UL, 3UL, 5UL), (back.From, back.To, back.Term, back.PrevLogIndex, back.PrevLogTerm, back.LeaderCommit));
        Assert.Equal(2, back.Entries.Length);
        Assert.Equal(EntryType.ConfChange, back.Entries[1].Type);
        Assert.Equal([1, 2, 3], back.Entries[0].Data);
    }

    [Fact]
    public void Install_snapshot_should_keep_its_metadata_and_data()
    {
        var metadata = new SnapshotMetadata(40, 6, new ConfState([1, 2, 3], [4], [], [], false));
        var back = Assert.IsType<InstallSnapshot>(RoundTrip(new InstallSnapshot(1, 4, 7, new Snapshot(metadata, [7, 7]))));
        Assert.Equal((40UL, 6UL), (back.Snapshot.Metadata.Index, back.Snapshot.Metadata.Term));
        Assert.True(back.Snapshot.Metadata.ConfState.SameAs(metadata.ConfState));
        Assert.Equal([7, 7], back.Snapshot.Data);
    }

    [Fact]
    public void A_snapshot_offer_should_carry_only_the_metadata_length_crc_endpoint_and_token()
    {
        var metadata = new SnapshotMetadata(40, 6, new ConfState([1, 2, 3], [4], [], [], false));
        var token = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var offer = new AkkaRaft.Raft.Peer.Snapshots.SnapshotOffer(1, 4, 7, metadata, 1L << 30, 0xCAFEF00D, "10.0.0.5:41234", token);
        var back = Assert.IsType<AkkaRaft.Raft.Peer.Snapshots.SnapshotOffer>(RoundTrip(offer));
        Assert.Equal((1UL, 4UL, 7UL, 40UL, 6UL), (back.From, back.To, back.Term, back.Metadata.Index, back.Metadata.Term));
        Assert.True(back.Metadata.ConfState.SameAs(metadata.ConfState));
        Assert.Equal((1L << 30, 0xCAFEF00Du, "10.0.0.5:41234"), (back.TotalBytes, back.Crc32C, back.Endpoint));
        Assert.Equal(token, back.Token);
        // A 1GiB snapshot's offer is a few dozen bytes on the wire.
        Assert.True(_system.Serialization.FindSerializerFor(offer).ToBinary(offer).Length < 128);
    }

    [Fact]
    public void A_forwarded_write_should_keep_its_command_timeout_policy_and_hop_count()
    {
        var back = Assert.IsType<Write>(RoundTrip(new Write([1, 2], TimeSpan.FromSeconds(2), NotLeaderPolicy.Reject)));
        Assert.Equal([1, 2], back.Command);
        Assert.Equal(TimeSpan.FromSeconds(2), back.Timeout);
        Assert.Equal(NotLeaderPolicy.Reject, back.OnNotLeader);
    }

    [Fact]
    public void A_query_and_its_answers_should_come_back_with_their_fields()
    {
        var query = Assert.IsType<Query>(RoundTrip(new Query([5], ReadLevel.Consistent)));
        Assert.Equal((ReadLevel.Consistent, (TimeSpan?)null, NotLeaderPolicy.Forward), (query.Level, query.Timeout, query.OnNotLeader));
        var response = Assert.IsType<QueryResponse>(RoundTrip(new QueryResponse(new byte[] { 8 }, 12, 1, ReadPath.ReadIndex) { Term = 6 }));
        Assert.Equal((12UL, 1UL, ReadPath.ReadIndex, 6UL), (response.AppliedIndex, response.Leader, response.ServedBy, response.Term));
        Assert.Equal([8], response.Response.ToArray());
        var result = Assert.IsType<WriteResult>(RoundTrip(new WriteResult(new byte[] { 4 }, 13, 1) { Term = 7 }));
        Assert.Equal((13UL, 1UL, 7UL), (result.Index, result.Leader, result.Term));
    }

    [Fact]
    public void Failures_and_membership_messages_should_come_back_equal()
    {
        Assert.Equal(new NotLeader(3, "no"), RoundTrip(new NotLeader(3, "no")));
        Assert.Equal(new Overloaded("full"), RoundTrip(new Overloaded("full")));
        Assert.Equal(new RequestTimedOut(TimeSpan.FromSeconds(1)), RoundTrip(new RequestTimedOut(TimeSpan.FromSeconds(1))));
        Assert.Equal(new RequestRejected("bad"), RoundTrip(new RequestRejected("bad")));
        Assert.Equal(new StorageUnavailable("SQLite Error 13: 'database or disk is full'", true), RoundTrip(new StorageUnavailable("SQLite Error 13: 'database or disk is full'", true)));
        Assert.Equal(new TransferLeadership(2), RoundTrip(new TransferLeadership(2)));
        Assert.Same(GetPeerStatus.Instance, RoundTrip(GetPeerStatus.Instance));
        Assert.Equal(new AddVoter(4, TimeSpan.FromSeconds(3)), RoundTrip(new AddVoter(4, TimeSpan.FromSeconds(3))));
        var changed = Assert.IsType<MembershipChanged>(RoundTrip(new MembershipChanged(9, [1, 2, 4])));
        Assert.Equal([1UL, 2UL, 4UL], changed.Voters);
        var status = Assert.IsType<PeerStatus>(RoundTrip(new PeerStatus(1, RaftRole.Leader, 5, 1, 10, 9, 1, 10, [1, 2], new RaftPeerCounters(1, 2, 3, 4, 5, 6))));
        Assert.Equal((RaftRole.Leader, 5UL, 10UL, 9UL), (status.Role, status.Term, status.CommitIndex, status.AppliedIndex));
        Assert.Equal(new RaftPeerCounters(1, 2, 3, 4, 5, 6), status.Counters);
        Assert.Equal(new AddLearner(5, true, TimeSpan.FromSeconds(3)), RoundTrip(new AddLearner(5, true, TimeSpan.FromSeconds(3))));
        Assert.Equal([5UL], Assert.IsType<MembershipChanged>(RoundTrip(new MembershipChanged(9, [1]) { Learners = [5] })).Learners);
        Assert.Equal(new ConfigurationChangeInProgress("busy"), RoundTrip(new ConfigurationChangeInProgress("busy")));
        var mismatch = Assert.IsType<ConfigurationMismatch>(RoundTrip(new ConfigurationMismatch([1, 2], [5])));
        Assert.Equal([1UL, 2UL], mismatch.Voters);
        Assert.Equal([5UL], mismatch.Learners);
    }

    [Fact]
    public void A_set_configuration_should_keep_an_empty_expectation_apart_from_none()
    {
        var expecting = Assert.IsType<SetConfiguration>(RoundTrip(new SetConfiguration([6, 7], [1], ExpectVoters: [], TimeSpan.FromSeconds(4))));
        Assert.Equal([6UL, 7UL], expecting.Voters);
        Assert.Equal([1UL], expecting.Learners);
        Assert.Equal(TimeSpan.FromSeconds(4), expecting.Timeout);
        Assert.NotNull(expecting.ExpectVoters);
        Assert.Empty(expecting.ExpectVoters);
        Assert.Null(Assert.IsType<SetConfiguration>(RoundTrip(new SetConfiguration([6], []))).ExpectVoters);
    }

    [Fact]
    public void A_status_should_keep_its_members_progress_and_commit_latency()
    {
        var buckets = new long[CommitLatencyHistogram.BucketBoundsSeconds.Count + 1];
        buckets[3] = 7;
        var sent = new PeerStatus(1, RaftRole.Leader, 5, 1, 10, 9, 1, 10, [1, 2], new RaftPeerCounters(1, 2, 3, 4, 5, 6))
        {
            Members = [new MemberProgress(1, true, new ReplicationProgress(ProgressState.Replicate, 10, 11)), new MemberProgress(3, false, null)],
            CommitLatency = new CommitLatencyHistogram(buckets, TimeSpan.FromMilliseconds(42), 7),
        };
        var status = Assert.IsType<PeerStatus>(RoundTrip(sent));
        Assert.Equal(sent.Members, status.Members);
        Assert.Equal(buckets, status.CommitLatency.BucketCounts);
        Assert.Equal((TimeSpan.FromMilliseconds(42), 7L), (status.CommitLatency.Sum, status.CommitLatency.Count));
        var members = Assert.IsType<ClusterMembers>(RoundTrip(new ClusterMembers([new ClusterMember(7, "n1", "127.0.0.1:1", "")])));
        Assert.Equal(new ClusterMember(7, "n1", "127.0.0.1:1", ""), Assert.Single(members.Members));
        Assert.Same(GetClusterMembers.Instance, RoundTrip(GetClusterMembers.Instance));
    }

    [Fact]
    public void A_client_message_with_an_unknown_manifest_or_value_should_be_a_serialization_exception()
    {
        var unknown = Assert.Throws<SerializationException>(() => _system.Serialization.Deserialize([], RaftClientSerializer.Id, "zz"));
        Assert.Contains("no manifest 'zz'", unknown.Message);
        Assert.Throws<SerializationException>(() => _system.Serialization.Deserialize([0xFF, 0xFF, 0xFF], RaftClientSerializer.Id, "W"));
        // A query whose level (field 2, varint) is 9: no ReadLevel has that value.
        var level = Assert.Throws<SerializationException>(() => _system.Serialization.Deserialize([0x10, 0x09], RaftClientSerializer.Id, "Q"));
        Assert.Contains("unknown read level 9", level.Message);
        // A status whose latency histogram (field 17) has one bucket: there are more.
        var histogram = Assert.Throws<SerializationException>(() => _system.Serialization.Deserialize([0x8A, 0x01, 0x02, 0x08, 0x01], RaftClientSerializer.Id, "PS"));
        Assert.Contains("1 buckets", histogram.Message);
    }

    [Fact]
    public void A_payload_that_does_not_parse_should_be_a_serialization_exception()
    {
        Assert.Throws<SerializationException>(() => _system.Serialization.Deserialize([0xFF, 0xFF, 0xFF], RaftWireSerializer.Id, "p"));
        var unknown = Assert.Throws<SerializationException>(() => _system.Serialization.Deserialize([], RaftWireSerializer.Id, "zz"));
        Assert.Contains("no manifest 'zz'", unknown.Message);
    }

    [Fact]
    public void An_entry_of_a_type_no_peer_sends_should_be_a_serialization_exception()
    {
        // A well-formed message whose one entry says type 7: the entry's type field (field 3, varint) is the
        // last 0x18 0x01 of the payload, since the entry is the innermost and last thing written.
        var message = new AppendEntries(5, 6, 9, 4, 8, [new Entry(8, 5, EntryType.ConfChange, [])], 2);
        var serializer = _system.Serialization.FindSerializerFor(message);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var bytes = serializer.ToBinary(message);
        var at = -1;
        for (var i = bytes.Length - 2; i >= 0 && at < 0; i--)
        {
            if (bytes[i] == 0x18 && bytes[i + 1] == 0x01) at = i + 1;
        }

        Assert.True(at > 0, "the entry's type field was not found in the payload");
        bytes[at] = 0x07;

        var error = Assert.Throws<SerializationException>(
            () => _system.Serialization.Deserialize(bytes, serializer.Identifier, manifest));
        Assert.Contains("unknown type 7", error.Message);
    }
}
