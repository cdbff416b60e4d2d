using System.Globalization;
using AkkaRaft.Faults.Network;

namespace AkkaRaft.Faults.Nemesis;

/// <summary>
/// The limits of the link faults' draws (<c>--link-delay-max-ms</c>, <c>--link-duplicate-max</c>,
/// <c>--link-reorder-max</c>): each fault draws its own delay and shares below them.
/// </summary>
internal sealed record LinkFaultOptions
{
    /// <summary>
    /// Largest mean delay <see cref="FaultKind.LinkDelay"/> draws; it draws from a tenth of it to all of it. The default,
    /// 250 ms each way, makes a round trip as long as the nodes' election timeout (500 ms).
    /// </summary>
    public TimeSpan DelayMax { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Largest share of frames <see cref="FaultKind.LinkDuplicateReorder"/> sends twice; it draws from a third of it to all of it.</summary>
    public double DuplicateShareMax { get; init; } = 0.3;

    /// <summary>Largest share of frames <see cref="FaultKind.LinkDuplicateReorder"/> holds back behind the next; it draws from a third of it to all of it.</summary>
    public double ReorderShareMax { get; init; } = 0.3;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public LinkFaultOptions Validate()
    {
        if (DelayMax < TimeSpan.FromMilliseconds(1) || DelayMax > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentException($"--link-delay-max-ms must be from 1 to 10000, got {DelayMax.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}");
        }

        if (DuplicateShareMax is <= 0 or > 0.9) throw new ArgumentException($"--link-duplicate-max must be in (0, 0.9], got {DuplicateShareMax.ToString(CultureInfo.InvariantCulture)}");
        if (ReorderShareMax is <= 0 or > 0.9) throw new ArgumentException($"--link-reorder-max must be in (0, 0.9], got {ReorderShareMax.ToString(CultureInfo.InvariantCulture)}");
        return this;
    }

    /// <summary>
    /// What the proxy does during a fault of <paramref name="kind"/>, drawn with <paramref name="random"/>:
    /// <see cref="FaultKind.LinkDelay"/> a delay in [DelayMax/10, DelayMax] with a jitter of none, a quarter or half of
    /// it, in order; <see cref="FaultKind.LinkDuplicateReorder"/> a delay of up to a tenth of DelayMax with half of it as
    /// jitter, and shares of duplicated and held-back frames in [max/3, max].
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is not a link fault.</exception>
    public LinkBehavior Draw(FaultKind kind, Random random)
    {
        switch (kind)
        {
            case FaultKind.LinkDelay:
            {
                var delay = TimeSpan.FromMilliseconds(Math.Round(DelayMax.TotalMilliseconds * (0.1 + 0.9 * random.NextDouble())));
                double[] jitters = [0, 0.25, 0.5];
                return new LinkBehavior(delay, delay * jitters[random.Next(jitters.Length)], 0, 0).Validate();
            }
            case FaultKind.LinkDuplicateReorder:
            {
                var delay = TimeSpan.FromMilliseconds(Math.Round(DelayMax.TotalMilliseconds / 10 * random.NextDouble()));
                var duplicate = Math.Round(DuplicateShareMax * (1 + 2 * random.NextDouble()) / 3, 3);
                var reorder = Math.Round(ReorderShareMax * (1 + 2 * random.NextDouble()) / 3, 3);
                return new LinkBehavior(delay, delay / 2, duplicate, reorder).Validate();
            }
            default:
                throw new ArgumentException($"{FaultSchedule.NameOf(kind)} is not a link fault", nameof(kind));
        }
    }
}
