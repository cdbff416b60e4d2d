using System.Text;
using AkkaRaft.Client;
using AkkaRaft.Raft.Core;
using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Raft.Tests.Scenarios;

/// <summary>
/// Plays a scenario file from testdata/: lines starting with "&gt; " are commands, the lines after each
/// command (up to a blank line) are its expected output. "#" starts a comment line.
/// Commands: cluster N [prevote=off] [checkquorum=off] [lease=on] | campaign ID | propose ID TEXT |
/// tick ID N | tickall N | stabilize | cut A B | cutoneway A B | isolate ID | heal | crash ID | restart ID |
/// read ID CTX | reads ID | transfer ID TARGET | add ID | remove ID | addnode ID | compact ID | status |
/// applied ID | log ID | config ID | leader | snapshot ID | count MESSAGETYPE TO. An ID may be "leader".
/// </summary>
internal sealed class ScenarioRunner
{
    private RaftNetwork? _net;

    private RaftNetwork Net => _net ?? throw new InvalidOperationException("no cluster: start with 'cluster N'");

    public static (string Expected, string Actual) Play(string path)
    {
        var runner = new ScenarioRunner();
        var expected = new StringBuilder();
        var actual = new StringBuilder();
        var lines = File.ReadAllLines(path);
        var i = 0;
        while (i < lines.Length)
        {
            var line = lines[i];
            if (!line.StartsWith("> ", StringComparison.Ordinal))
            {
                expected.AppendLine(line);
                actual.AppendLine(line);
                i++;
                continue;
            }
            expected.AppendLine(line);
            actual.AppendLine(line);
            i++;
            while (i < lines.Length && lines[i].Length > 0 && !lines[i].StartsWith("> ", StringComparison.Ordinal))
            {
                expected.AppendLine(lines[i]);
                i++;
            }
            foreach (var output in runner.Run(line[2..].Split(' ', StringSplitOptions.RemoveEmptyEntries))) actual.AppendLine(output);
        }
        return (expected.ToString(), actual.ToString());
    }

    private IEnumerable<string> Run(string[] args)
    {
        // "leader" stands for the current leader's id, so scripts need not guess the outcome of an election.
        ulong Id(int i) => args[i] == "leader" ? Net.Leader() : ulong.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture);
        int Int(int i) => int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture);
        switch (args[0])
        {
            case "cluster":
                var preVote = !args.Contains("prevote=off");
                var checkQuorum = !args.Contains("checkquorum=off");
                var lease = args.Contains("lease=on");
                _net = new RaftNetwork(Int(1), c => c with
                {
                    PreVote = preVote,
                    CheckQuorum = checkQuorum,
                    LeaseReads = lease,
                });
                return Status();
            case "campaign": Net.Campaign(Id(1)); return Status();
            case "propose":
                var proposal = Net.Propose(Id(1), string.Join(' ', args.Skip(2)));
                return [Describe(proposal)];
            case "tick": Net.Tick(Id(1), Int(2)); return Status();
            case "tickall": Net.TickAll(Int(1)); return Status();
            case "stabilize": Net.Stabilize(); return Status();
            case "cut": Net.Cut(Id(1), Id(2)); return [];
            case "cutoneway": Net.CutOneWay(Id(1), Id(2)); return [];
            case "isolate": Net.Isolate(Id(1)); return [];
            case "heal": Net.Heal(); return [];
            case "crash": Net.Crash(Id(1)); return [];
            case "restart": Net.Restart(Id(1)); return Status();
            case "addnode": Net.AddNode(Id(1)); return [];
            case "read":
                var read = Net.Raft(Id(1)).ReadIndex(Id(2));
                Net.Stabilize();
                return [Describe(read)];
            case "reads": return [string.Join(" ", Net[Id(1)].Reads.Select(r => $"ctx={r.Context}@{r.Index}"))];
            case "transfer":
                var transfer = Net.Raft(Id(1)).TransferLeadership(Id(2));
                Net.Stabilize();
                return [Describe(transfer), .. Status()];
            case "add":
            case "remove":
                var leader = Net.Leader();
                var change = args[0] == "add" ? ConfChange.AddVoter(Id(1)) : ConfChange.Remove(Id(1));
                var result = Net.Raft(leader).ProposeConfChange(change);
                Net.Stabilize();
                return [$"at {leader}: {Describe(result)}"];
            case "compact":
                var node = Net.Raft(Id(1));
                var compacted = node.CompactLog(node.AppliedIndex, Encoding.UTF8.GetBytes(string.Join(",", Net[Id(1)].AppliedCommands())));
                Net.Stabilize();
                return [compacted ? $"compacted to {node.AppliedIndex}, first index {node.FirstIndex}" : "refused"];
            case "status": return Status();
            case "applied": return [List(Net[Id(1)].AppliedCommands())];
            case "log": return [List(Net.LogTerms(Id(1)).Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture)))];
            case "leader": return [$"leader {Net.Leader()}"];
            case "snapshot":
                var restored = Net[Id(1)].RestoredSnapshot;
                return [restored is null ? "(none)" : $"index={restored.Metadata.Index} term={restored.Metadata.Term} data={Encoding.UTF8.GetString(restored.Data)}"];
            case "count":
                var to = Id(2);
                return [$"{Net.Delivered.Count(m => m.GetType().Name == args[1] && m.To == to)} {args[1]} delivered to {to}"];
            case "config": return [Net.Raft(Id(1)).Configuration.ToString()];
            default: throw new InvalidOperationException($"unknown scenario command '{args[0]}'");
        }
    }

    private static string List(IEnumerable<string> items)
    {
        var text = string.Join(" ", items);
        return text.Length == 0 ? "(none)" : text;
    }

    private static string Describe(RequestResult result) => result.Status switch
    {
        RequestStatus.Accepted when result.Index > 0 => $"accepted index={result.Index} term={result.Term}",
        RequestStatus.Accepted => "accepted",
        RequestStatus.NotLeader => $"not leader (leader {result.LeaderHint})",
        _ => $"{result.Status}{(result.Reason is null ? "" : ": " + result.Reason)}",
    };

    private IEnumerable<string> Status()
    {
        foreach (var node in Net.Nodes.Values)
        {
            if (node.Down)
            {
                yield return $"{node.Id}: down";
                continue;
            }
            var raft = node.Raft;
            yield return $"{node.Id}: {raft.Role} term={raft.Term} lead={raft.Leader} commit={raft.CommitIndex} last={raft.LastIndex}";
        }
    }
}
