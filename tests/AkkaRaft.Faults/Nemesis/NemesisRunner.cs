using System.Globalization;
using AkkaRaft.Faults.Network;

namespace AkkaRaft.Faults.Nemesis;

/// <summary>
/// Carries out a <see cref="FaultSchedule"/>: at each step's start it injects the fault, logs what it did with a
/// timestamp, holds it, then heals everything (links direct, network whole, paused nodes resumed, killed nodes
/// restarted) before the next. Only one fault is active at a time, so the cluster keeps a live majority between faults.
/// </summary>
internal sealed class NemesisRunner(NetworkLab lab, IReadOnlyList<NodeProcess> nodes, ClusterProbe probe, LinkProxy proxy, LinkFaultOptions linkFaults, RunClock clock, Action<string> log)
{
    private readonly Dictionary<FaultKind, int> _injected = new();

    /// <summary>How many faults of each kind were injected.</summary>
    public IReadOnlyDictionary<FaultKind, int> Injected => _injected;

    /// <summary>What the link proxy carried during the link faults, summed.</summary>
    public LinkTraffic Links { get; private set; } = LinkTraffic.None;

    /// <summary>Processes that exited without the nemesis killing them (restarted at the next heal).</summary>
    public List<string> Crashes { get; } = [];

    /// <summary>Membership faults after which the cluster did not take every node back as a voter in time.</summary>
    public List<string> MembershipFailures { get; } = [];

    /// <summary>
    /// Runs the schedule; heals on the way out, also when cancelled. A fault that overruns its hold
    /// (<see cref="FaultKind.DiskFullFollowers"/> waits for an election) delays the rest of the schedule by as much, so
    /// that every fault keeps its hold and the quiet time after it; a fault that would then end later than
    /// <see cref="FaultSchedule.QuietEnd"/> before <paramref name="until"/> is skipped, and the log says so.
    /// </summary>
    public async Task RunAsync(IReadOnlyList<FaultStep> schedule, TimeSpan until, CancellationToken cancellationToken)
    {
        try
        {
            var lag = TimeSpan.Zero;
            foreach (var planned in schedule)
            {
                var step = planned with { Start = planned.Start + lag };
                if (step.End > until - FaultSchedule.QuietEnd)
                {
                    log($"nemesis: {FaultSchedule.NameOf(step.Kind)} skipped: the schedule runs {lag.TotalSeconds:0.0}s late and it would not end before the quiet end");
                    continue;
                }

                await clock.DelayUntilAsync(step.Start, cancellationToken).ConfigureAwait(false);
                await InjectAsync(step, cancellationToken).ConfigureAwait(false);
                Heal($"end of {FaultSchedule.NameOf(step.Kind)}");
                if (clock.Elapsed - step.End is var late && late > TimeSpan.FromSeconds(1)) lag += late;
            }
        }
        finally
        {
            Heal("end of the schedule");
        }
    }

    /// <summary>
    /// Makes the network whole, resumes paused nodes and starts killed ones; a node that exited on its own is
    /// reported as a crash and started again.
    /// </summary>
    public void Heal(string why)
    {
        var actions = new List<string>();
        var proxied = lab.Proxied;
        if (proxied.Count > 0)
        {
            // Direct routes first, then the cut, then the proxy's own sockets: a node that dials again goes direct. Emptying
            // the nat table already drops the NAT bindings of the open connections: their next packet reaches the real
            // peer, which has no such connection and answers with a reset. ss -K closes whatever is left.
            var closed = lab.RouteDirect();
            var traffic = proxy.Disengage();
            Links += traffic;
            actions.Add($"{string.Join(", ", proxied)} direct again ({closed} sockets left for ss -K to close); the proxy carried {traffic}");
        }

        lab.Apply(Grudge.None);
        foreach (var node in nodes)
        {
            if (node.HasCrashed(out var code) && node.State != NodeState.Down)
            {
                Crashes.Add($"{node.Id} exited on its own with code {code} (noticed at {clock.Elapsed.TotalSeconds:0.0}s); see {node.LogFile}");
                log($"nemesis: CRASH: {node.Id} exited on its own with code {code}");
                node.Reap();
            }

            if (NodeDisks.MakeWritable(node.DataDir, node.Pid)) actions.Add($"{node.Id}'s disk writable again");
            if (DiskFiller.Empty(node.DataDir)) actions.Add($"disk space back on {node.Id}");
            switch (node.State)
            {
                case NodeState.Paused:
                    node.Resume();
                    actions.Add($"SIGCONT {node.Id}");
                    break;
                case NodeState.Down:
                    node.Start();
                    actions.Add($"restart {node.Id}");
                    break;
            }
        }

        log($"nemesis: heal ({why}): network whole{(actions.Count > 0 ? ", " + string.Join(", ", actions) : "")}");
    }

    private async Task InjectAsync(FaultStep step, CancellationToken cancellationToken)
    {
        var random = new Random(step.Seed);
        var name = FaultSchedule.NameOf(step.Kind);
        var holdUntil = step.End;
        _injected[step.Kind] = _injected.GetValueOrDefault(step.Kind) + 1;
        switch (step.Kind)
        {
            case FaultKind.PartitionHalves:
            {
                var (minority, majority) = Halves(random);
                Cut(name, Grudge.Partition(minority, majority), $"{Names(minority)} | {Names(majority)}");
                break;
            }
            case FaultKind.PartitionLeader:
            {
                var leader = await LeaderOrRandomAsync(random, name, cancellationToken).ConfigureAwait(false);
                var rest = All().Where(n => n != leader.Number).ToList();
                Cut(name, Grudge.Partition([leader.Number], rest), $"leader {leader.Id} | {Names(rest)}");
                break;
            }
            case FaultKind.PartitionBridge:
            {
                var shuffled = Shuffled(random);
                var bridge = shuffled[0];
                var left = shuffled.Skip(1).Take((nodes.Count - 1) / 2).ToList();
                var right = shuffled.Skip(1 + left.Count).ToList();
                Cut(name, Grudge.Bridge(left, bridge, right), $"{Names(left)} | {Names(right)}, n{bridge} hears both");
                break;
            }
            case FaultKind.PartitionOneWay:
            {
                var target = random.Next(2) == 0
                    ? await LeaderOrRandomAsync(random, name, cancellationToken).ConfigureAwait(false)
                    : nodes[random.Next(nodes.Count)];
                var rest = All().Where(n => n != target.Number).ToList();
                if (random.Next(2) == 0)
                {
                    Cut(name, Grudge.OneWay(target.Number, rest), $"{target.Id} hears nobody, everybody hears {target.Id}");
                }
                else
                {
                    Cut(name, Grudge.Of(rest.Select(other => new Drop(other, target.Number))), $"nobody hears {target.Id}, {target.Id} hears everybody");
                }

                break;
            }
            case FaultKind.PartitionFlapping:
            {
                var flaps = 0;
                while (clock.Elapsed < holdUntil)
                {
                    var (minority, majority) = Halves(random);
                    Cut(name, Grudge.Partition(minority, majority), $"flap {++flaps}: {Names(minority)} | {Names(majority)}");
                    await Task.Delay(random.Next(500, 2_000), cancellationToken).ConfigureAwait(false);
                    lab.Apply(Grudge.None);
                    log($"nemesis: {name}: flap {flaps} healed");
                    await Task.Delay(random.Next(500, 2_000), cancellationToken).ConfigureAwait(false);
                }

                break;
            }
            case FaultKind.Loss:
            {
                double[] probabilities = [0.1, 0.25, 0.5];
                var probability = probabilities[random.Next(probabilities.Length)];
                Cut(name, Grudge.Loss(nodes.Count, probability), $"every link drops {probability * 100:0}% of packets");
                break;
            }
            case FaultKind.KillRandom:
            case FaultKind.KillLeader:
            {
                var victim = step.Kind == FaultKind.KillLeader
                    ? await LeaderOrRandomAsync(random, name, cancellationToken).ConfigureAwait(false)
                    : nodes[random.Next(nodes.Count)];
                victim.Kill();
                log($"nemesis: {name}: SIGKILL {victim.Id}");
                break;
            }
            case FaultKind.PauseLeader:
            case FaultKind.PauseFollower:
            {
                NodeProcess victim;
                if (step.Kind == FaultKind.PauseLeader)
                {
                    victim = await LeaderOrRandomAsync(random, name, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var leader = await probe.LeaderAsync(cancellationToken).ConfigureAwait(false);
                    var followers = nodes.Where(n => n != leader).ToList();
                    victim = followers[random.Next(followers.Count)];
                }

                victim.Pause();
                log($"nemesis: {name}: SIGSTOP {victim.Id}");
                break;
            }
            case FaultKind.DiskFull:
            {
                var leader = random.Next(2) == 0;
                var victim = leader ? await LeaderOrRandomAsync(random, name, cancellationToken).ConfigureAwait(false) : nodes[random.Next(nodes.Count)];
                var bytes = DiskFiller.Fill(victim.DataDir);
                log($"nemesis: {name}: filled {victim.Id}'s disk ({bytes / (1024 * 1024)} MiB of filler in {victim.DataDir})");
                break;
            }
            case FaultKind.DiskReadOnly:
            {
                var leader = random.Next(2) == 0;
                var victim = leader ? await LeaderOrRandomAsync(random, name, cancellationToken).ConfigureAwait(false) : nodes[random.Next(nodes.Count)];
                // The kernel remounts a disk read-only only while nothing has a file on it open for writing.
                victim.Kill();
                NodeDisks.MakeReadOnly(victim.DataDir);
                victim.Start();
                log($"nemesis: {name}: SIGKILL {victim.Id}, its disk remounted read-only, {victim.Id} started again on it");
                break;
            }
            case FaultKind.DiskFullFollowers:
                await FillFollowersThenKillLeaderAsync(random, name, holdUntil, cancellationToken).ConfigureAwait(false);
                return;
            case FaultKind.Membership:
                await ReconfigureAsync(random, name, holdUntil, cancellationToken).ConfigureAwait(false);
                return;
            case FaultKind.LinkDelay:
            case FaultKind.LinkDuplicateReorder:
            {
                var (links, which) = await LinksAsync(random, name, cancellationToken).ConfigureAwait(false);
                var behavior = linkFaults.Draw(step.Kind, random);
                proxy.Engage(behavior, step.Seed);
                var closed = lab.RouteThroughProxy(links, n => proxy.PortOf(NodeId(n)));
                log($"nemesis: {name}: {string.Join(", ", links)} ({which}) through the proxy: {behavior} ({closed} sockets closed to redial through it)");
                // The hold counts from here: finding the leader (seconds, right after a pause or an election) and rerouting
                // came out of it, and a link fault held for one second carried a dozen frames, none of them reordered
                // (seed 38223 in CI). Ending late moves the rest of the schedule, as any late fault does.
                if (clock.Elapsed + step.Hold is var fullHold && fullHold > holdUntil) holdUntil = fullHold;
                break;
            }
            default:
                throw new InvalidOperationException($"no injection for {step.Kind}");
        }

        await clock.DelayUntilAsync(holdUntil, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How long <see cref="FaultKind.DiskFullFollowers"/> waits for the other nodes to elect a leader before it heals anyway.</summary>
    public static readonly TimeSpan ElectionPatience = TimeSpan.FromSeconds(20);

    /// <summary>
    /// <see cref="FaultKind.DiskFullFollowers"/>: fills every follower's disk for the hold, then kills the leader,
    /// empties the disks and waits until another node leads (up to <see cref="ElectionPatience"/>) before the heal
    /// starts the old leader again: an entry that only the old leader had made durable cannot come back with it.
    /// </summary>
    private async Task FillFollowersThenKillLeaderAsync(Random random, string name, TimeSpan holdUntil, CancellationToken cancellationToken)
    {
        var leader = await LeaderOrRandomAsync(random, name, cancellationToken).ConfigureAwait(false);
        var followers = nodes.Where(n => n != leader).ToList();
        foreach (var follower in followers) DiskFiller.Fill(follower.DataDir);
        log($"nemesis: {name}: filled the disks of {Names(followers.Select(f => f.Number))}; {leader.Id} leads");
        await clock.DelayUntilAsync(holdUntil, cancellationToken).ConfigureAwait(false);

        leader.Kill();
        foreach (var follower in followers) DiskFiller.Empty(follower.DataDir);
        log($"nemesis: {name}: SIGKILL {leader.Id}, disk space back on {Names(followers.Select(f => f.Number))}; {leader.Id} stays down until another node leads");
        var deadline = clock.Elapsed + ElectionPatience;
        while (clock.Elapsed < deadline)
        {
            if (await probe.LeaderAsync(cancellationToken).ConfigureAwait(false) is { } next)
            {
                log($"nemesis: {name}: {next.Id} leads without {leader.Id}");
                return;
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        log($"nemesis: {name}: no other node led within {ElectionPatience.TotalSeconds:0}s; healing anyway");
    }

    /// <summary>How long <see cref="FaultKind.Membership"/> keeps trying, after its hold, to make every node a voter again.</summary>
    public static readonly TimeSpan RestorePatience = TimeSpan.FromSeconds(20);

    /// <summary>
    /// <see cref="FaultKind.Membership"/>: a minority of the nodes (the leader among them half the time, so that it must
    /// hand over) become learners in one change by joint consensus, while the workloads go on; at the end of the hold a
    /// second change makes every node a voter again. Either change is retried until it commits, through whichever node
    /// leads then, each time expecting the voters that node reports; a cluster that has not taken every node back as a
    /// voter within <see cref="RestorePatience"/> fails the run.
    /// </summary>
    private async Task ReconfigureAsync(Random random, string name, TimeSpan holdUntil, CancellationToken cancellationToken)
    {
        var leader = await LeaderOrRandomAsync(random, name, cancellationToken).ConfigureAwait(false);
        var all = nodes.Select(n => n.Id).Order(StringComparer.Ordinal).ToList();
        var others = Shuffled(random).Select(NodeId).Where(id => id != leader.Id).ToList();
        var count = (nodes.Count - 1) / 2;
        List<string> demoted = random.Next(2) == 0 ? [leader.Id, .. others.Take(count - 1)] : [.. others.Take(count)];
        var voters = all.Except(demoted).ToList();
        log($"nemesis: {name}: {leader.Id} leads; making {string.Join(",", demoted.Order(StringComparer.Ordinal))} learners");
        var (_, demotion) = await ChangeConfigurationAsync(voters, demoted, holdUntil, cancellationToken).ConfigureAwait(false);
        log($"nemesis: {name}: {demotion}");
        await clock.DelayUntilAsync(holdUntil, cancellationToken).ConfigureAwait(false);

        var (restored, restoration) = await ChangeConfigurationAsync(all, [], clock.Elapsed + RestorePatience, cancellationToken).ConfigureAwait(false);
        log($"nemesis: {name}: every node a voter again: {restoration}");
        if (!restored) MembershipFailures.Add($"{name} at {holdUntil.TotalSeconds:0.0}s: not every node a voter again within {RestorePatience.TotalSeconds:0}s: {restoration}");
    }

    /// <summary>
    /// Asks whichever node leads to make <paramref name="voters"/> the voters and <paramref name="learners"/> the learners,
    /// until it answers 200 or reports that configuration already, or <paramref name="deadline"/> passes; whether it
    /// holds, and what was answered last.
    /// </summary>
    private async Task<(bool Done, string What)> ChangeConfigurationAsync(IReadOnlyList<string> voters, IReadOnlyList<string> learners, TimeSpan deadline,
        CancellationToken cancellationToken)
    {
        var last = "no node led";
        var attempts = 0;
        while (clock.Elapsed < deadline)
        {
            if (await probe.LeaderAsync(cancellationToken).ConfigureAwait(false) is { } leader
                && await probe.ConfigurationAsync(leader, cancellationToken).ConfigureAwait(false) is var (current, currentLearners))
            {
                if (current.SequenceEqual(voters) && currentLearners.SequenceEqual(learners.Order(StringComparer.Ordinal)))
                    return (true, $"{leader.Id} reports voters {string.Join(",", current)} after {attempts} request(s)");
                attempts++;
                var (status, body) = await probe.SetConfigurationAsync(leader, voters, learners, current, cancellationToken).ConfigureAwait(false);
                if (status == 200) return (true, $"{leader.Id} answered 200 {body.Trim()} (request {attempts})");
                last = $"{leader.Id} answered {(status == 0 ? "nothing" : status.ToString(CultureInfo.InvariantCulture))}: {body.Trim()}";
            }

            await Task.Delay(300, cancellationToken).ConfigureAwait(false);
        }

        return (false, $"gave up after {attempts} request(s); last: {last}");
    }

    /// <summary>
    /// The links a link fault proxies: the leader's link to one follower, or every link of one node (the leader or a
    /// random one). The leader's links carry its heartbeats every 50 ms, so the proxy always has frames to work on.
    /// </summary>
    private async Task<(List<Link> Links, string Which)> LinksAsync(Random random, string name, CancellationToken cancellationToken)
    {
        var pair = random.Next(2) == 0;
        var center = pair || random.Next(2) == 0
            ? await LeaderOrRandomAsync(random, name, cancellationToken).ConfigureAwait(false)
            : nodes[random.Next(nodes.Count)];
        var others = All().Where(n => n != center.Number).ToList();
        if (pair)
        {
            var peer = others[random.Next(others.Count)];
            return ([new Link(center.Number, peer)], $"{center.Id} and n{peer}");
        }

        return ([.. others.Select(other => new Link(center.Number, other))], $"{center.Id} and all others");
    }

    private static string NodeId(int number) => "n" + number.ToString(CultureInfo.InvariantCulture);

    private void Cut(string name, Grudge grudge, string what)
    {
        lab.Apply(grudge);
        log($"nemesis: {name}: {what} ({grudge})");
    }

    private async Task<NodeProcess> LeaderOrRandomAsync(Random random, string name, CancellationToken cancellationToken)
    {
        // Drawn whether or not it is needed, so that the step's later choices do not depend on who answered.
        var fallback = nodes[random.Next(nodes.Count)];
        var leader = await probe.LeaderAsync(cancellationToken).ConfigureAwait(false);
        if (leader is not null) return leader;
        log($"nemesis: {name}: no node says it leads; {fallback.Id} instead");
        return fallback;
    }

    private (List<int> Minority, List<int> Majority) Halves(Random random)
    {
        var shuffled = Shuffled(random);
        var minority = shuffled.Take(nodes.Count / 2).ToList();
        return (minority, shuffled.Skip(minority.Count).ToList());
    }

    private List<int> Shuffled(Random random)
    {
        var numbers = All().ToArray();
        random.Shuffle(numbers);
        return [.. numbers];
    }

    private IEnumerable<int> All() => nodes.Select(n => n.Number);

    private static string Names(IEnumerable<int> numbers) => string.Join(",", numbers.Order().Select(n => "n" + n.ToString(CultureInfo.InvariantCulture)));
}
