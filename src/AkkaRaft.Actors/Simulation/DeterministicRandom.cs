namespace AkkaRaft.Actors.Simulation;

/// <summary>
/// A seeded pseudo-random source (xoshiro256** seeded by SplitMix64) whose sequence is fixed forever for a seed,
/// independent of the .NET version: the simulation's choices must replay bit for bit.
/// </summary>
public sealed class DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates the source for <paramref name="seed"/>.</summary>
    public DeterministicRandom(long seed)
    {
        var x = (ulong)seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A value in [0, <paramref name="maxExclusive"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxExclusive"/> is not positive.</exception>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        // Lemire's multiply-shift; the tiny bias is irrelevant here and the result is exactly reproducible.
        return (int)((NextUInt64() >> 32) * (ulong)maxExclusive >> 32);
    }

    /// <summary>A value in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int minInclusive, int maxExclusive)
    {
        if (maxExclusive <= minInclusive) throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "must be greater than minInclusive");
        return minInclusive + NextInt(maxExclusive - minInclusive);
    }

    /// <summary>A value in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with probability <paramref name="probability"/>.</summary>
    public bool Chance(double probability) => NextDouble() < probability;
}
