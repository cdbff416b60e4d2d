namespace AkkaRaft.Client.Grpc;

/// <summary>
/// Exponential backoff with full jitter (AWS's "Exponential Backoff And Jitter"): before retry <c>n</c> (from 0) the
/// client waits a time drawn uniformly from [0, ceiling(n)), where ceiling(n) = min(max, base · multiplier^n). Full
/// jitter spreads the clients an election left without a leader, so they do not all call the new one at once.
/// Pure: the randomness is passed in.
/// </summary>
public sealed class Backoff
{
    /// <summary>A schedule from <paramref name="baseDelay"/>, growing by <paramref name="multiplier"/>, up to <paramref name="max"/>.</summary>
    /// <exception cref="ArgumentException">A non-positive delay, <paramref name="max"/> under <paramref name="baseDelay"/>, or a multiplier under 1.</exception>
    public Backoff(TimeSpan baseDelay, TimeSpan max, double multiplier)
    {
        Check(baseDelay, max, multiplier);
        Base = baseDelay;
        Max = max;
        Multiplier = multiplier;
    }

    /// <summary>The schedule of <paramref name="options"/>.</summary>
    public static Backoff Of(AkkaRaftGrpcClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new Backoff(options.BackoffBase, options.BackoffMax, options.BackoffMultiplier);
    }

    /// <summary>Checks a schedule's values, naming the options they come from.</summary>
    /// <exception cref="ArgumentException">A value out of range.</exception>
    internal static void Check(TimeSpan baseDelay, TimeSpan max, double multiplier)
    {
        if (baseDelay <= TimeSpan.Zero) throw new ArgumentException($"BackoffBase must be more than zero, not {baseDelay}", nameof(baseDelay));
        if (max < baseDelay) throw new ArgumentException($"BackoffMax ({max}) is less than BackoffBase ({baseDelay})", nameof(max));
        if (!(multiplier >= 1) || double.IsInfinity(multiplier))
        {
            throw new ArgumentException($"BackoffMultiplier must be a finite number of at least 1, not {multiplier}", nameof(multiplier));
        }
    }

    /// <summary>The first ceiling.</summary>
    public TimeSpan Base { get; }

    /// <summary>The largest ceiling.</summary>
    public TimeSpan Max { get; }

    /// <summary>Growth of the ceiling per retry.</summary>
    public double Multiplier { get; }

    /// <summary>The most retry <paramref name="attempt"/> (from 0) may wait: min(max, base · multiplier^attempt).</summary>
    public TimeSpan Ceiling(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        // In doubles, so that a large attempt saturates at Max instead of overflowing the ticks.
        var ticks = Base.Ticks * Math.Pow(Multiplier, attempt);
        return ticks >= Max.Ticks ? Max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The wait before retry <paramref name="attempt"/>: uniform in [0, <see cref="Ceiling"/>), drawn from <paramref name="random"/>.</summary>
    public TimeSpan Delay(int attempt, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return TimeSpan.FromTicks((long)(Ceiling(attempt).Ticks * random.NextDouble()));
    }
}
