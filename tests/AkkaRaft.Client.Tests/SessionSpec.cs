using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using AkkaRaft.Client.Sessions;

namespace AkkaRaft.Client.Tests;

/// <summary>
/// Three probes stand in for three members' inboxes (node ids 1, 2, 3; each answers for itself), and time is
/// Akka.TestKit's <see cref="TestScheduler"/>: a peer "does not answer" until the test advances the clock past the
/// answer timeout, so nothing here depends on how fast the machine is.
/// </summary>
public abstract class SessionSpec : TestKit
{
    protected static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(3);
    protected static readonly TimeSpan FailTimeout = TimeSpan.FromSeconds(10);
    protected static readonly TimeSpan ElectionTimeout = TimeSpan.FromSeconds(1);

    private static readonly Config VirtualTime = ConfigurationFactory.ParseString("""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.loglevel = WARNING
        """);

    protected SessionSpec()
        : base(VirtualTime)
    {
        Peers = [CreateTestProbe("p1"), CreateTestProbe("p2"), CreateTestProbe("p3")];
    }

    /// <summary>Node i+1's inbox.</summary>
    protected IReadOnlyList<TestProbe> Peers { get; }

    protected TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    /// <summary>The three inboxes by path; each member's "Raft address" is its probe's path.</summary>
    protected RaftContacts Contacts(bool readMembers = false) =>
        RaftContacts.AtPaths(readMembers ? [PathOf(0)] : Peers.Select((_, i) => PathOf(i)), readMembers, m => m.RaftAddress);

    protected string PathOf(int peer) => Peers[peer].Ref.Path.ToString();

    /// <summary>What an inbox answers to GetClusterMembers.</summary>
    protected ClusterMembers Members() =>
        new(Peers.Select((_, i) => new ClusterMember((ulong)(i + 1), $"p{i + 1}", PathOf(i), "")).ToArray());

    /// <summary>Waits until one of the peers receives a <typeparamref name="T"/>; its index and the message.</summary>
    protected (int Peer, T Message) ExpectAtSomePeer<T>()
    {
        // TestKit's own wait (AwaitCondition), not a sleep: it returns as soon as a peer holds a message.
        AwaitCondition(() => Peers.Any(p => p.HasMessages), TimeSpan.FromSeconds(5), $"a peer to receive a {typeof(T).Name}");
        var peer = Peers.Select((p, i) => (Probe: p, Index: i)).First(p => p.Probe.HasMessages);
        return (peer.Index, peer.Probe.ExpectMsg<T>());
    }

    /// <summary>No peer received anything (within a short real wait: what was sent is delivered by then).</summary>
    protected void ExpectNothingAtPeers()
    {
        foreach (var peer in Peers) peer.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    protected static WriteResult Written(ulong index, ulong leader) => new(new byte[] { 1 }, index, leader);
}
