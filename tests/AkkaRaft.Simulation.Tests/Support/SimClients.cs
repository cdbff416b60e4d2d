using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.TestSupport.Simulation;
using System.Text;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Peer;
using AkkaRaft.TestSupport.Linearizability;

namespace AkkaRaft.Simulation.Tests.Support;

/// <summary>Whoever a simulated peer answers: the <c>TClient</c> of the simulated <see cref="PeerLogic{TClient}"/>s.</summary>
internal abstract class SimClient
{
    /// <summary>An answer arrived.</summary>
    public abstract void OnAnswer(object answer);
}

/// <summary>One request's answer, as an Ask would give it: the first answer counts, later ones are ignored.</summary>
internal sealed class ProbeClient(string name) : SimClient
{
    /// <summary>The answer, or null while none came.</summary>
    public object? Answer { get; private set; }

    /// <summary>Answers after the first (a peer must answer each request once).</summary>
    public int ExtraAnswers { get; private set; }

    /// <inheritdoc />
    public override void OnAnswer(object answer)
    {
        if (Answer is null) Answer = answer;
        else ExtraAnswers++;
    }

    /// <inheritdoc />
    public override string ToString() => name;
}

/// <summary>What the clients of one simulated run share: the history, the operation budget.</summary>
internal sealed class ClientWorkload
{
    /// <summary>The recorded history.</summary>
    public HistoryRecorder History { get; } = new();

    /// <summary>Operations to issue in total (all clients together).</summary>
    public required int Operations { get; init; }

    /// <summary>The keys operated on.</summary>
    public required string[] Keys { get; init; }

    /// <summary>How long one operation may take before the client gives up (its outcome is then unknown).</summary>
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
/// A simulated key/value client: issues get/put/delete/create-if-absent one at a time against the peer it believes
/// leads, follows NotLeader hints, retries definite refusals, and records every invocation and answer. An ambiguous
/// outcome (a timeout) is recorded as such. Each attempt has its own reply endpoint, as an Ask has its own actor, so a
/// late answer to an earlier attempt is told apart.
/// </summary>
internal sealed class KvWorkloadClient
{
    private readonly int _id;
    private readonly PeerSimulator _simulator;
    private readonly ClientWorkload _work;
    private readonly SimRandom _random;
    private readonly bool _finalReadsOnly;
    private int _opId = -1;
    private KvInput? _input;
    private TimeSpan _deadline;
    private int _attempt;
    private ulong _leaderGuess;
    private int _written;
    private int _finalKey;

    /// <summary>Client <paramref name="id"/>; with <paramref name="finalReadsOnly"/> it reads every key once, consistently, and stops.</summary>
    public KvWorkloadClient(int id, PeerSimulator simulator, ClientWorkload work, SimRandom random, bool finalReadsOnly)
    {
        _id = id;
        _simulator = simulator;
        _work = work;
        _random = random;
        _finalReadsOnly = finalReadsOnly;
    }

    /// <summary>Starts issuing operations.</summary>
    public void Start()
    {
        _work.Running++;
        _simulator.ScheduleCall(_simulator.Now, StartOperation);
    }

    private TimeSpan Now => _simulator.Now;

    private void StartOperation()
    {
        if (_finalReadsOnly ? _finalKey >= _work.Keys.Length : _work.Invoked >= _work.Operations)
        {
            _work.Running--;
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
            var key = _work.Keys[_random.Next(_work.Keys.Length)];
            var roll = _random.Next(100);
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
        _opId = _work.History.Invoke(_id, input, Now.Ticks);
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
        var ids = _simulator.NodeIds;
        var target = _leaderGuess != 0 ? _leaderGuess : ids[_random.Next(ids.Count)];
        var opId = _opId;
        var attempt = _attempt;
        if (!_simulator.IsUp(target))
        {
            _leaderGuess = 0;
            _simulator.ScheduleCall(Now + TimeSpan.FromMilliseconds(20), () => Retry(opId, attempt));
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
        _simulator.SendRequest(target, request, new AttemptEndpoint(this, opId, attempt));
        // The Ask's own timeout: no answer by the deadline (the peer crashed, or the answer is late) is an unknown outcome.
        _simulator.ScheduleCall(_deadline, () =>
        {
            if (opId == _opId && attempt == _attempt) Finish(null);
        });
    }

    private void Retry(int opId, int attempt)
    {
        if (opId == _opId && attempt == _attempt) SendAttempt();
    }

    private void OnAnswer(int opId, int attempt, object answer)
    {
        if (opId != _opId || attempt != _attempt) return;
        var input = _input!;
        switch (answer)
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
                _simulator.ScheduleCall(Now + TimeSpan.FromMilliseconds(notLeader.LeaderHint == 0 ? 30 : 1), () => Retry(opId, attempt));
                break;
            case Overloaded or RequestRejected:
                _simulator.ScheduleCall(Now + TimeSpan.FromMilliseconds(30), () => Retry(opId, attempt));
                break;
            case RequestTimedOut:
                // The write may or may not have happened.
                _leaderGuess = 0;
                Finish(null);
                break;
            default:
                throw new InvalidOperationException($"client {_id} got a {answer.GetType().Name} for {input}: {answer}");
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
            _work.History.Return(_opId, output, Now.Ticks);
            _work.Completed++;
        }
        _opId = -1;
        _simulator.ScheduleCall(Now + TimeSpan.FromMilliseconds(_random.Next(20)), StartOperation);
    }

    /// <inheritdoc />
    public override string ToString() => $"client {_id}";

    /// <summary>Where the answers of one attempt go.</summary>
    private sealed class AttemptEndpoint(KvWorkloadClient owner, int opId, int attempt) : SimClient
    {
        public override void OnAnswer(object answer) => owner.OnAnswer(opId, attempt, answer);

        public override string ToString() => $"{owner} op {opId} attempt {attempt}";
    }
}
