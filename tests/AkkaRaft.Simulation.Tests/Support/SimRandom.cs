namespace AkkaRaft.Simulation.Tests.Support;

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
