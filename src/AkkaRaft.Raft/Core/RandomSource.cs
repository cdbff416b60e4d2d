namespace AkkaRaft.Raft.Core;

/// <summary>The only source of randomness of the core (election timeouts). Injected so runs are reproducible.</summary>
public interface IRandomSource
{
    /// <summary>A uniformly distributed integer in [0, <paramref name="maxExclusive"/>).</summary>
    int Next(int maxExclusive);
}

/// <summary>A deterministic <see cref="IRandomSource"/> (xorshift64*): the same seed gives the same sequence on every platform.</summary>
public sealed class SeededRandomSource : IRandomSource
{
    private ulong _state;

    /// <summary>Creates a source from a seed (any value; 0 is remapped).</summary>
    public SeededRandomSource(ulong seed) => _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

    /// <inheritdoc />
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExclusive, 1);
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        var value = _state * 0x2545F4914F6CDD1DUL;
        return (int)((value >> 33) % (ulong)maxExclusive);
    }
}
