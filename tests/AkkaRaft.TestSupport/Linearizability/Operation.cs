namespace AkkaRaft.TestSupport.Linearizability;

/// <summary>
/// One operation of a history: a client invoked <paramref name="Input"/> at <paramref name="InvokeTime"/> and
/// received <paramref name="Output"/> at <paramref name="ReturnTime"/>. An operation whose outcome is unknown
/// (it timed out, or was still pending when the history ended) has a null <paramref name="Output"/>; the checker
/// then lets it take effect at any time after its invocation, or never, whatever <paramref name="ReturnTime"/>
/// says (the recorder sets it to <see cref="UnknownReturnTime"/>).
/// </summary>
/// <remarks>
/// Times are virtual ticks. When two events have the same time, <see cref="InvokeSequence"/> and
/// <see cref="ReturnSequence"/> (the order in which a <see cref="HistoryRecorder"/> saw them) decide which came
/// first; operations built by hand leave both at 0, and then an invocation and a return at the same time count
/// as concurrent.
/// </remarks>
/// <param name="Id">Identifies the operation in reports; unique within a history.</param>
/// <param name="ClientId">The client that issued it (reported only; the checker does not need it).</param>
/// <param name="Input">What was asked.</param>
/// <param name="Output">What was answered, or null when the outcome is unknown.</param>
/// <param name="InvokeTime">When the request was issued, in ticks.</param>
/// <param name="ReturnTime">When the answer arrived, in ticks; <see cref="UnknownReturnTime"/> when unknown.</param>
public sealed record Operation(int Id, int ClientId, KvInput Input, KvOutput? Output, long InvokeTime, long ReturnTime)
{
    /// <summary>The return time of an operation whose outcome is unknown: it may take effect at any later time.</summary>
    public const long UnknownReturnTime = long.MaxValue;

    /// <summary>Position of the invocation in recording order; breaks ties between equal times (0 when built by hand).</summary>
    public long InvokeSequence { get; init; }

    /// <summary>Position of the return in recording order; breaks ties between equal times (0 when built by hand).</summary>
    public long ReturnSequence { get; init; }

    /// <summary>True when the answer is known; false for a timed-out or pending operation.</summary>
    public bool IsOutcomeKnown => Output is not null;

    /// <summary>Creates an operation whose outcome is known.</summary>
    /// <param name="id">Unique id.</param>
    /// <param name="clientId">The client.</param>
    /// <param name="input">What was asked.</param>
    /// <param name="output">What was answered.</param>
    /// <param name="invokeTime">When it was issued, in ticks.</param>
    /// <param name="returnTime">When it returned, in ticks.</param>
    public static Operation Completed(int id, int clientId, KvInput input, KvOutput output, long invokeTime, long returnTime) =>
        new(id, clientId, input, output, invokeTime, returnTime);

    /// <summary>Creates an operation whose outcome is unknown (it timed out): it may take effect after <paramref name="invokeTime"/>, or never.</summary>
    /// <param name="id">Unique id.</param>
    /// <param name="clientId">The client.</param>
    /// <param name="input">What was asked.</param>
    /// <param name="invokeTime">When it was issued, in ticks.</param>
    public static Operation TimedOut(int id, int clientId, KvInput input, long invokeTime) =>
        new(id, clientId, input, null, invokeTime, UnknownReturnTime);

    /// <summary>
    /// A readable one-line form, e.g. <c>#3 client 1 put("k", "v") -> ok [10, 25]</c> or
    /// <c>#4 client 2 get("k") -> ? (outcome unknown) [30, inf)</c>.
    /// </summary>
    public override string ToString() =>
        IsOutcomeKnown
            ? $"#{Id} client {ClientId} {Input} -> {DescribeOutput()} [{HistoryText.Time(InvokeTime)}, {HistoryText.Time(ReturnTime)}]"
            : $"#{Id} client {ClientId} {Input} -> ? (outcome unknown) [{HistoryText.Time(InvokeTime)}, inf)";

    private string DescribeOutput()
    {
        var output = Output!;
        return Input.Kind switch
        {
            KvOpKind.Get => output.Ok ? HistoryText.Value(output.Value) : "failed (observed nothing)",
            KvOpKind.Cas => output.Ok ? "swapped" : "not swapped",
            _ => output.Ok ? "ok" : "failed (no effect)",
        };
    }
}
