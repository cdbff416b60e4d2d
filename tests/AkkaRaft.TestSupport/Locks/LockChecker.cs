namespace AkkaRaft.TestSupport.Locks;

/// <summary>
/// One client's hold of a lock, on one clock for every client: from the answer that granted it (<see cref="Acquired"/>)
/// to just before its release was sent (<see cref="Released"/>).
/// </summary>
/// <param name="Client">Who held it.</param>
/// <param name="Acquired">When the grant's answer arrived.</param>
/// <param name="Released">When the release was about to be sent.</param>
/// <param name="Token">The grant's fencing token.</param>
public sealed record LockHold(int Client, TimeSpan Acquired, TimeSpan Released, ulong Token)
{
    /// <summary>
    /// Until when the client knows it held the lock. A lock passes on only when its holder releases it or the holder's
    /// session ends, so the hold is known up to <see cref="Released"/> when the release answered that this session was
    /// the holder; otherwise (the session may have ended meanwhile) only up to the last moment the session was known
    /// alive, the sending of a keep-alive that was answered. Null: up to <see cref="Released"/>.
    /// </summary>
    public TimeSpan? KnownUntil { get; init; }

    /// <summary>The part of the hold the client knows it had the lock: from the grant's answer to <see cref="KnownUntil"/> or the release.</summary>
    public TimeSpan KnownEnd => KnownUntil is { } until && until < Released ? until : Released;

    /// <summary>Whether the whole hold, up to the release, is known.</summary>
    public bool Confirmed => KnownUntil is null;

    public override string ToString() =>
        $"client {Client} [{Acquired.TotalMilliseconds:F1}ms, {Released.TotalMilliseconds:F1}ms]{(Confirmed ? "" : $" known until {KnownEnd.TotalMilliseconds:F1}ms")} token {Token}";
}

/// <summary>The checks of one lock's history of holds: mutual exclusion, and fencing tokens that grow with the grants.</summary>
public static class LockChecker
{
    /// <summary>Holds that began while another was known to be held: mutual exclusion broken.</summary>
    public static List<string> Overlaps(IReadOnlyList<LockHold> holds)
    {
        var sorted = holds.Where(h => h.KnownEnd > h.Acquired).OrderBy(h => h.Acquired).ToList();
        var violations = new List<string>();
        LockHold? latest = null;
        foreach (var hold in sorted)
        {
            if (latest is not null && hold.Acquired < latest.KnownEnd) violations.Add($"{hold} began before {latest} ended");
            if (latest is null || hold.KnownEnd > latest.KnownEnd) latest = hold;
        }

        return violations;
    }

    /// <summary>
    /// Grants whose fencing token is not larger than the one before, among the holds known up to their release (a
    /// hold whose session may have ended early can be followed by a grant whose answer arrived sooner).
    /// </summary>
    public static List<string> TokensOutOfOrder(IReadOnlyList<LockHold> holds)
    {
        var sorted = holds.Where(h => h.Confirmed).OrderBy(h => h.Acquired).ToList();
        var violations = new List<string>();
        for (var i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].Token <= sorted[i - 1].Token) violations.Add($"{sorted[i]} after {sorted[i - 1]}");
        }

        return violations;
    }
}
