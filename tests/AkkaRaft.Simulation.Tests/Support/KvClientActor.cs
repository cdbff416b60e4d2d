using System.Text;
using AkkaRaft.Actors;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Peer;
using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Simulation.Tests.Support;

/// <summary>What the clients of one simulated run share: the history, the op budget and how to reach peers.</summary>
public sealed class ClientWorkload
{
    /// <summary>The recorded history.</summary>
    public HistoryRecorder History { get; } = new();

    /// <summary>Operations to issue in total (all clients together).</summary>
    public required int Operations { get; init; }

    /// <summary>The keys operated on.</summary>
    public required string[] Keys { get; init; }

    /// <summary>The node ids of the group.</summary>
    public required ulong[] NodeIds { get; init; }

    /// <summary>The current actor of a node, or null while it is down.</summary>
    public required Func<ulong, IActorRef?> PeerOf { get; init; }

    /// <summary>How long one operation may take before the client gives up (virtual time).</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Operations issued so far.</summary>
    public int Invoked { get; set; }

    /// <summary>Clients still running.</summary>
    public int Running { get; set; }

    /// <summary>Operations that completed with an answer.</summary>
    public int Completed { get; set; }

    /// <summary>Operations whose outcome is unknown.</summary>
    public int TimedOut { get; set; }
}

/// <summary>
/// A simulated client: issues get/put/delete/create-if-absent one at a time against the peer it believes leads,
/// follows NotLeader hints, retries definite refusals, and records every invocation and answer. An ambiguous
/// outcome (a timeout) is recorded as such.
/// </summary>
public sealed class KvClientActor : ReceiveActor, IWithTimers
{
    private readonly int _id;
    private readonly ClientWorkload _work;
    private readonly Actors.Simulation.DeterministicRandom _random;
    private readonly Func<long> _now;
    private readonly bool _finalReadsOnly;
    private int _opId = -1;
    private KvInput? _input;
    private TimeSpan _deadline;
    private int _attempt;
    private ulong _leaderGuess;
    private int _written;
    private int _finalKey;

    /// <summary>Creates client <paramref name="id"/>; with <paramref name="finalReadsOnly"/> it reads every key once, consistently, and stops.</summary>
    public KvClientActor(int id, ClientWorkload work, Actors.Simulation.DeterministicRandom random, Func<long> now, bool finalReadsOnly = false)
    {
        _id = id;
        _work = work;
        _random = random;
        _now = now;
        _finalReadsOnly = finalReadsOnly;
        Receive<Next>(_ => StartOperation());
        Receive<Retry>(r => { if (r.OpId == _opId && r.Attempt == _attempt) SendAttempt(); });
        Receive<Answer>(OnAnswer);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        _work.Running++;
        Self.Tell(Next.Instance);
    }

    private TimeSpan Now => TimeSpan.FromTicks(_now());

    private void StartOperation()
    {
        if (_finalReadsOnly ? _finalKey >= _work.Keys.Length : _work.Invoked >= _work.Operations)
        {
            _work.Running--;
            Context.Stop(Self);
            return;
        }
        KvInput input;
        if (_finalReadsOnly)
        {
            input = new KvInput(KvOpKind.Get, _work.Keys[_finalKey++]);
        }
        else
        {
            _work.Invoked++;
            var key = _work.Keys[_random.NextInt(_work.Keys.Length)];
            var roll = _random.NextInt(100);
            var value = $"c{_id}-{++_written}";
            input = roll switch
            {
                < 40 => new KvInput(KvOpKind.Get, key),
                < 75 => new KvInput(KvOpKind.Put, key, value),
                < 85 => new KvInput(KvOpKind.Delete, key),
                _ => new KvInput(KvOpKind.Cas, key, value, null),
            };
        }
        _input = input;
        _opId = _work.History.Invoke(_id, input, _now());
        _deadline = Now + _work.OperationTimeout;
        SendAttempt();
    }

    private void SendAttempt()
    {
        _attempt++;
        var remaining = _deadline - Now;
        if (remaining <= TimeSpan.Zero)
        {
            Finish(null);
            return;
        }
        var target = _leaderGuess != 0 ? _leaderGuess : _work.NodeIds[_random.NextInt(_work.NodeIds.Length)];
        var peer = _work.PeerOf(target);
        if (peer is null)
        {
            _leaderGuess = 0;
            Timers.StartSingleTimer("retry", new Retry(_opId, _attempt), TimeSpan.FromMilliseconds(20));
            return;
        }
        var policy = _random.Chance(0.5) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject;
        var input = _input!;
        object request = input.Kind switch
        {
            KvOpKind.Get => new Query(KvQueries.Get(input.Key), _finalReadsOnly || _random.Chance(0.5) ? ReadLevel.Consistent : ReadLevel.Default, remaining, policy),
            KvOpKind.Put => new Write(KvCommands.Put(input.Key, input.Value!), remaining, policy),
            KvOpKind.Delete => new Write(KvCommands.Delete(input.Key), remaining, policy),
            _ => new Write(KvCommands.AtomicPut(input.Key, input.Value!, null), remaining, policy),
        };
        var opId = _opId;
        var attempt = _attempt;
        peer.Ask<object>(request, remaining)
            .PipeTo(Self, success: r => new Answer(opId, attempt, r), failure: e => new Answer(opId, attempt, e));
    }

    private void OnAnswer(Answer answer)
    {
        if (answer.OpId != _opId || answer.Attempt != _attempt) return;
        var input = _input!;
        switch (answer.Reply)
        {
            case WriteResult w:
                var result = KvResult.Decode(w.Response);
                _leaderGuess = w.Leader;
                Finish(input.Kind switch
                {
                    KvOpKind.Cas => KvOutput.Cas(result.Status == KvStatus.Ok),
                    _ => KvOutput.Written,
                });
                break;
            case QueryResponse q:
                var read = KvResult.Decode(q.Response);
                Finish(KvOutput.Read(read.Status == KvStatus.Ok ? Encoding.UTF8.GetString(read.Pair!.Value.Span) : null));
                break;
            case NotLeader notLeader:
                // Definite: nothing was proposed (or our entry was replaced). Try where the hint points.
                _leaderGuess = notLeader.LeaderHint;
                Timers.StartSingleTimer("retry", new Retry(_opId, _attempt), TimeSpan.FromMilliseconds(notLeader.LeaderHint == 0 ? 30 : 1));
                break;
            case Overloaded or RequestRejected:
                Timers.StartSingleTimer("retry", new Retry(_opId, _attempt), TimeSpan.FromMilliseconds(30));
                break;
            default:
                // RequestTimedOut, an Ask timeout: the write may or may not have happened.
                _leaderGuess = 0;
                Finish(null);
                break;
        }
    }

    private void Finish(KvOutput? output)
    {
        if (output is null)
        {
            _work.History.Timeout(_opId);
            _work.TimedOut++;
        }
        else
        {
            _work.History.Return(_opId, output, _now());
            _work.Completed++;
        }
        _opId = -1;
        Timers.StartSingleTimer("next", Next.Instance, TimeSpan.FromMilliseconds(_random.NextInt(20)));
    }

    private sealed record Next
    {
        public static Next Instance { get; } = new();
    }

    private sealed record Retry(int OpId, int Attempt);

    private sealed record Answer(int OpId, int Attempt, object Reply);
}
