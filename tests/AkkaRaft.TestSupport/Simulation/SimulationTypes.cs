using AkkaRaft.Client;
using AkkaRaft.Raft.Core;

namespace AkkaRaft.TestSupport.Simulation;

/// <summary>A deterministic random stream (xorshift64*): the same seed gives the same run on every machine and runtime.</summary>
public sealed class SimRandom
{
    private ulong _state;

    /// <summary>A stream from <paramref name="seed"/> (any value).</summary>
    public SimRandom(ulong seed)
    {
        _state = (seed * 0x9E3779B97F4A7C15UL) ^ 0xD1B54A32D192ED03UL;
        if (_state == 0) _state = 0x9E3779B97F4A7C15UL;
    }

    /// <summary>The next raw 64 bits.</summary>
    public ulong NextRaw()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 0x2545F4914F6CDD1DUL;
    }

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>); 0 when the bound is 1 or less.</summary>
    public int Next(int maxExclusive) => maxExclusive <= 1 ? 0 : (int)((NextRaw() >> 33) % (ulong)maxExclusive);

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextRaw() >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with probability <paramref name="probability"/>.</summary>
    public bool Chance(double probability) => probability > 0 && NextDouble() < probability;

    /// <summary>A uniform span in [0, <paramref name="max"/>], at a resolution of 0.1 ms.</summary>
    public TimeSpan Upto(TimeSpan max) => TimeSpan.FromTicks(Next((int)(max.Ticks / Resolution) + 1) * Resolution);

    private const long Resolution = TimeSpan.TicksPerMillisecond / 10;
}

internal enum EventKind
{
    Deliver,
    Tick,
    PersistDone,
    ClientArrive,
    ClientReply,
    ClientTimeout,
    ClientStart,
    ClientRetry,
    Fault,
    Restart,
    Flush,
}

internal sealed class SimEvent(EventKind kind)
{
    public EventKind Kind { get; } = kind;
    public SimNode? Node { get; init; }
    public int Epoch { get; init; }
    public RaftMessage? Message { get; init; }
    public SimClient? Client { get; init; }
    public SimRequest? Request { get; init; }
    public long RequestId { get; init; }
    public int OpId { get; init; }
    public ClientReply? Reply { get; init; }
}

internal sealed class SimNode(ulong id, MemoryStorage storage, double tickMs)
{
    public ulong Id { get; } = id;
    public MemoryStorage Storage { get; set; } = storage;
    public MemoryStorage? Durable { get; set; }
    public Queue<(long Due, Ready Ready)> PageCache { get; } = new();
    public double TickMs { get; } = tickMs;
    public double NextTickAt { get; set; }
    public RaftNode Raft { get; set; } = null!;
    public KvStateMachine Kv { get; set; } = new();
    public ulong KvApplied { get; set; }
    public bool Up { get; set; }
    public int Epoch { get; set; }
    public Ready? Outstanding { get; set; }
    public ulong OutstandingTerm { get; set; }
    public bool SentEarly { get; set; }
    public Dictionary<ulong, SimRequest> PendingReads { get; } = new();
    public Dictionary<ulong, (SimRequest Request, ulong Term)> PendingWrites { get; } = new();
    public List<(ulong Index, SimRequest Request)> ReadsWaitingApply { get; } = new();
}

internal sealed class SimClient(int id)
{
    public int Id { get; } = id;
    public int OpId { get; set; } = -1;
    public KvRequest? Request { get; set; }
    public long RequestId { get; set; } = -1;
    public ulong Target { get; set; }
    public int Counter { get; set; }
    public Dictionary<string, string?> LastSeen { get; } = new();
}

internal sealed record SimRequest(SimClient Client, long RequestId, int OpId, KvRequest Operation);

internal enum ClientReplyKind
{
    Ok,
    NotLeader,
    Failed,
}

internal sealed record ClientReply(ClientReplyKind Kind, KvResponse? Response, ulong LeaderHint);
