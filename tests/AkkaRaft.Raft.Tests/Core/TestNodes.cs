using AkkaRaft.Raft.Core;

namespace AkkaRaft.Raft.Tests.Core;

/// <summary>One core with its storage, driven by hand.</summary>
internal sealed class Solo
{
    public Solo(RaftNode raft, MemoryStorage storage)
    {
        Raft = raft;
        Storage = storage;
    }

    public RaftNode Raft { get; }

    public MemoryStorage Storage { get; }

    public List<Entry> Applied { get; } = new();

    public List<ReadState> Reads { get; } = new();

    /// <summary>Persists and advances every Ready, returning the messages they carried.</summary>
    public List<RaftMessage> Drain()
    {
        var messages = new List<RaftMessage>();
        while (Raft.HasReady)
        {
            var ready = Raft.GetReady();
            Storage.Save(ready);
            messages.AddRange(ready.Messages);
            Applied.AddRange(ready.CommittedEntries);
            Reads.AddRange(ready.ReadStates);
            Raft.Advance(ready);
        }
        return messages;
    }

    /// <summary>Steps a message and drains.</summary>
    public List<RaftMessage> Step(RaftMessage message)
    {
        Raft.Step(message);
        return Drain();
    }
}

/// <summary>Builds single cores with a chosen persisted state, for tests that drive one node by hand.</summary>
internal static class TestNodes
{
    public static RaftConfig Config(ulong id, bool preVote = false, bool checkQuorum = false) =>
        new() { NodeId = id, PreVote = preVote, CheckQuorum = checkQuorum };

    /// <summary>Storage for voters with a log whose entry i+1 has term terms[i].</summary>
    public static MemoryStorage Storage(ulong[] voters, ulong[] terms, HardState? hardState = null)
    {
        var storage = new MemoryStorage(Snapshot.Initial(ConfState.OfVoters(voters)));
        var entries = new List<Entry>();
        for (var i = 0; i < terms.Length; i++) entries.Add(new Entry(terms[i], (ulong)i + 1, EntryType.Normal, [(byte)i]));
        storage.Append(entries);
        var last = terms.Length == 0 ? 0UL : terms[^1];
        storage.SetHardState(hardState ?? new HardState(last, 0, 0));
        return storage;
    }

    public static Solo Node(ulong id, ulong[] voters, ulong[] terms, RaftConfig? config = null, HardState? hardState = null)
    {
        var storage = Storage(voters, terms, hardState);
        return new Solo(new RaftNode(config ?? Config(id), storage, new SeededRandomSource(id)), storage);
    }

    /// <summary>Makes node 1 of <paramref name="voters"/> leader by granting it every vote; drains.</summary>
    public static Solo Leader(ulong[] voters, ulong[] terms, RaftConfig? config = null)
    {
        var solo = Node(1, voters, terms, config);
        solo.Raft.Campaign();
        solo.Drain();
        foreach (var v in voters)
        {
            if (v == 1) continue;
            solo.Raft.Step(new RequestVoteResponse(v, 1, solo.Raft.Term, false, true));
        }
        solo.Drain();
        return solo;
    }

    public static ulong[] Ids(int n) => Enumerable.Range(1, n).Select(i => (ulong)i).ToArray();
}
