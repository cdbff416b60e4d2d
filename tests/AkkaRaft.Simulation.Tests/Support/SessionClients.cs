using System.Text;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Kv;
using AkkaRaft.TestSupport.Linearizability;
using AkkaRaft.TestSupport.Simulation;

namespace AkkaRaft.Simulation.Tests.Support;

/// <summary>
/// A simulated key/value client that writes exactly once through a client session (thesis 6.3): it opens a session,
/// keeps it alive, and sends every put and delete with the session's next sequence number. Unlike
/// <see cref="KvWorkloadClient"/>, it does not give up on an ambiguous outcome: a lost reply, a timeout, a leader that
/// changed or crashed, all make it send the same (session, sequence) again, to whichever peer it now believes leads,
/// until the write's answer arrives. Only when its session is gone (expired while it could not reach a leader) is an
/// outcome unknown; it then opens a new session. Each put writes a value no other put writes, so
/// <see cref="AppliedCommands"/> shows any put applied at two indexes.
/// </summary>
internal sealed class SessionKvClient
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan KeepAliveEvery = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromMilliseconds(400);
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(8);

    private readonly int _id;
    private readonly PeerSimulator _simulator;
    private readonly ClientWorkload _work;
    private readonly SimRandom _random;
    private readonly bool _exactlyOnce;
    private long _session;
    private bool _opening;
    private ulong _sequence;
    private int _opId = -1;
    private KvInput? _input;
    private object? _request;
    private TimeSpan _deadline;
    private int _attempt;
    private ulong _leaderGuess;
    private int _written;
    private bool _done;

    /// <summary>
    /// Client <paramref name="id"/>. Without <paramref name="exactlyOnce"/> it retries the same way but sends no sequence
    /// numbers: what a client without sessions would do, which may apply a write twice (the control experiment).
    /// </summary>
    public SessionKvClient(int id, PeerSimulator simulator, ClientWorkload work, SimRandom random, bool exactlyOnce = true)
    {
        _id = id;
        _simulator = simulator;
        _work = work;
        _random = random;
        _exactlyOnce = exactlyOnce;
    }

    /// <summary>The put commands this client sent: each must apply at most once.</summary>
    public List<byte[]> Puts { get; } = new();

    /// <summary>Sessions this client opened.</summary>
    public int SessionsOpened { get; private set; }

    /// <summary>Sessions it lost to expiry while it still used them.</summary>
    public int SessionsLost { get; private set; }

    /// <summary>Writes answered with the saved response of an earlier attempt (the retry applied nothing).</summary>
    public int Retries { get; private set; }

    public void Start()
    {
        _work.Running++;
        _simulator.ScheduleCall(Now, StartOperation);
        _simulator.ScheduleCall(Now + KeepAliveEvery, KeepAlive);
    }

    private TimeSpan Now => _simulator.Now;

    private ulong Target()
    {
        var ids = _simulator.NodeIds;
        return _leaderGuess != 0 ? _leaderGuess : ids[_random.Next(ids.Count)];
    }

    // ------------------------------------------------------------------ the session

    private void KeepAlive()
    {
        if (_done) return;
        _simulator.ScheduleCall(Now + KeepAliveEvery, KeepAlive);
        if (_session == 0) return;
        var target = Target();
        if (!_simulator.IsUp(target))
        {
            _leaderGuess = 0;
            return;
        }
        var session = _session;
        _simulator.SendRequest(target, new KeepSessionAlive(session, _random.Chance(0.5) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject), new Endpoint(this, answer =>
        {
            switch (answer)
            {
                case NotLeader notLeader:
                    _leaderGuess = notLeader.LeaderHint;
                    break;
                case SessionNotFound when session == _session:
                    // Expired while we could not reach the leader: what is in flight in it has an unknown outcome.
                    SessionsLost++;
                    _session = 0;
                    break;
            }
        }));
    }

    private void OpenSession()
    {
        _opening = true;
        var target = Target();
        var opId = _opId;
        var attempt = ++_attempt;
        if (!_simulator.IsUp(target))
        {
            _leaderGuess = 0;
            _simulator.ScheduleCall(Now + TimeSpan.FromMilliseconds(20), () => Retry(opId, attempt));
            return;
        }
        _simulator.SendRequest(target, new OpenSession(Ttl, AttemptTimeout, _random.Chance(0.5) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject), new Endpoint(this, answer =>
        {
            if (opId != _opId || attempt != _attempt) return;
            switch (answer)
            {
                case SessionOpened opened:
                    _session = opened.SessionId;
                    _leaderGuess = opened.Leader;
                    _sequence = 0;
                    _opening = false;
                    SessionsOpened++;
                    SendAttempt();
                    break;
                case NotLeader notLeader:
                    _leaderGuess = notLeader.LeaderHint;
                    _simulator.ScheduleCall(Now + TimeSpan.FromMilliseconds(notLeader.LeaderHint == 0 ? 30 : 1), () => Retry(opId, attempt));
                    break;
                default:
                    // Timed out or overloaded: an open that may have happened only leaves a session that expires.
                    _leaderGuess = 0;
                    _simulator.ScheduleCall(Now + TimeSpan.FromMilliseconds(30), () => Retry(opId, attempt));
                    break;
            }
        }));
        _simulator.ScheduleCall(Now + AttemptTimeout, () => Retry(opId, attempt));
    }

    // ------------------------------------------------------------------ operations

    private void StartOperation()
    {
        if (_work.Invoked >= _work.Operations)
        {
            Finish();
            return;
        }
        _work.Invoked++;
        var key = _work.Keys[_random.Next(_work.Keys.Length)];
        var roll = _random.Next(100);
        var input = roll switch
        {
            < 35 => new KvInput(KvOpKind.Get, key),
            < 85 => new KvInput(KvOpKind.Put, key, $"s{_id}-{++_written}"),
            _ => new KvInput(KvOpKind.Delete, key),
        };
        _input = input;
        _request = null;
        _opId = _work.History.Invoke(_id, input, Now.Ticks);
        _deadline = Now + OperationTimeout;
        SendAttempt();
    }

    private void SendAttempt()
    {
        if (Now >= _deadline)
        {
            Complete(null);
            return;
        }
        var input = _input!;
        if (input.Kind != KvOpKind.Get && _request is null)
        {
            // A write needs a session; its sequence number is fixed at its first send and kept by every retry.
            if (_session == 0)
            {
                OpenSession();
                return;
            }
            var command = input.Kind == KvOpKind.Put ? KvCommands.Put(input.Key, input.Value!) : KvCommands.Delete(input.Key);
            if (input.Kind == KvOpKind.Put) Puts.Add(command);
            _sequence++;
            _request = _exactlyOnce
                ? new Write(command, AttemptTimeout) { SessionId = _session, Sequence = _sequence, AcknowledgedBelow = _sequence }
                : new Write(command, AttemptTimeout);
        }
        var opId = _opId;
        var attempt = ++_attempt;
        var target = Target();
        if (!_simulator.IsUp(target))
        {
            _leaderGuess = 0;
            _simulator.ScheduleCall(Now + TimeSpan.FromMilliseconds(20), () => Retry(opId, attempt));
            return;
        }
        var policy = _random.Chance(0.5) ? NotLeaderPolicy.Forward : NotLeaderPolicy.Reject;
        object request = input.Kind == KvOpKind.Get
            ? new Query(KvQueries.Get(input.Key), _random.Chance(0.5) ? ReadLevel.Consistent : ReadLevel.Default, AttemptTimeout, policy)
            : ((Write)_request!) with { OnNotLeader = policy };
        _simulator.SendRequest(target, request, new Endpoint(this, answer => OnAnswer(opId, attempt, answer)));
        // No answer in time (lost, late, or the peer crashed): the same request again.
        _simulator.ScheduleCall(Now + AttemptTimeout + TimeSpan.FromMilliseconds(50), () => Retry(opId, attempt));
    }

    private void Retry(int opId, int attempt)
    {
        if (opId != _opId || attempt != _attempt) return;
        _leaderGuess = 0;
        if (_opening) OpenSession();
        else SendAttempt();
    }

    private void OnAnswer(int opId, int attempt, object answer)
    {
        if (opId != _opId || attempt != _attempt) return;
        var input = _input!;
        switch (answer)
        {
            case WriteResult w:
                _leaderGuess = w.Leader;
                if (w.Index != 0 && _attempt > 1) Retries++;
                Complete(KvOutput.Written);
                break;
            case QueryResponse q:
                var read = KvResult.Decode(q.Response);
                Complete(KvOutput.Read(read.Status == KvStatus.Ok ? Encoding.UTF8.GetString(read.Pair!.Value.Span) : null));
                break;
            case NotLeader notLeader:
                _leaderGuess = notLeader.LeaderHint;
                _attempt++;
                var next = _attempt;
                _simulator.ScheduleCall(Now + TimeSpan.FromMilliseconds(notLeader.LeaderHint == 0 ? 30 : 1), () => { if (opId == _opId && next == _attempt) SendAttempt(); });
                break;
            case Overloaded or RequestTimedOut:
                _leaderGuess = 0;
                _attempt++;
                var again = _attempt;
                _simulator.ScheduleCall(Now + TimeSpan.FromMilliseconds(30), () => { if (opId == _opId && again == _attempt) SendAttempt(); });
                break;
            case SessionNotFound:
                // The session expired between attempts: an earlier attempt may have applied. Unknown, and a new session.
                if (((Write)_request!).SessionId == _session)
                {
                    SessionsLost++;
                    _session = 0;
                }
                Complete(null);
                break;
            default:
                throw new InvalidOperationException($"session client {_id} got a {answer.GetType().Name} for {input}: {answer}");
        }
    }

    private void Complete(KvOutput? output)
    {
        if (output is null)
        {
            _work.History.Timeout(_opId);
            _work.TimedOut++;
            // A write whose outcome is unknown may still apply under its sequence number; a new session starts afresh.
            if (_request is not null) _session = 0;
        }
        else
        {
            _work.History.Return(_opId, output, Now.Ticks);
            _work.Completed++;
        }
        _opId = -1;
        _request = null;
        _opening = false;
        _simulator.ScheduleCall(Now + TimeSpan.FromMilliseconds(_random.Next(20)), StartOperation);
    }

    private void Finish()
    {
        _done = true;
        _work.Running--;
        // Close the session (best effort: if the close is lost, the session expires).
        if (_session != 0 && _simulator.IsUp(Target()))
            _simulator.SendRequest(Target(), new CloseSession(_session, AttemptTimeout), new Endpoint(this, _ => { }));
    }

    public override string ToString() => $"session client {_id}";

    private sealed class Endpoint(SessionKvClient owner, Action<object> onAnswer) : SimClient
    {
        public override void OnAnswer(object answer) => onAnswer(answer);

        public override string ToString() => owner.ToString();
    }
}
