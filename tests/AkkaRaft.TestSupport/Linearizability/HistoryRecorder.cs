namespace AkkaRaft.TestSupport.Linearizability;

/// <summary>
/// Records the invocations and answers of client operations, for <see cref="LinearizabilityChecker"/>.
/// Thread-safe: calls from several threads are serialised, and their order breaks ties between equal times
/// (so record an answer before issuing the request it caused, as a real client would).
/// </summary>
public sealed class HistoryRecorder
{
    private readonly object _gate = new();
    private readonly List<Operation> _operations = [];
    private readonly List<Status> _statuses = [];
    private long _sequence;

    private enum Status : byte { Pending, Returned, TimedOut }

    /// <summary>Number of operations recorded so far.</summary>
    public int Count
    {
        get { lock (_gate) return _operations.Count; }
    }

    /// <summary>
    /// A snapshot of the operations recorded so far, in invocation order. Operations still pending have an
    /// unknown outcome (as if they had timed out).
    /// </summary>
    public IReadOnlyList<Operation> Operations
    {
        get { lock (_gate) return _operations.ToArray(); }
    }

    /// <summary>Records that <paramref name="clientId"/> issued <paramref name="input"/> at <paramref name="time"/>.</summary>
    /// <param name="clientId">The client issuing the request.</param>
    /// <param name="input">What it asks.</param>
    /// <param name="time">When, in ticks.</param>
    /// <returns>The id of the new operation, for <see cref="Return"/> or <see cref="Timeout"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or its key is null.</exception>
    /// <exception cref="ArgumentException">A Put has no value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="time"/> is <see cref="long.MaxValue"/> (reserved for "unknown").</exception>
    public int Invoke(int clientId, KvInput input, long time)
    {
        ArgumentNullException.ThrowIfNull(input);
        LinearizabilityChecker.ValidateInput(input, "input");
        if (time == Operation.UnknownReturnTime)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, "long.MaxValue is reserved for an unknown return time");
        }

        lock (_gate)
        {
            var id = _operations.Count;
            _operations.Add(new Operation(id, clientId, input, null, time, Operation.UnknownReturnTime)
            {
                InvokeSequence = ++_sequence,
            });
            _statuses.Add(Status.Pending);
            return id;
        }
    }

    /// <summary>Records that operation <paramref name="opId"/> was answered with <paramref name="output"/> at <paramref name="time"/>.</summary>
    /// <param name="opId">An id returned by <see cref="Invoke"/>.</param>
    /// <param name="output">The answer.</param>
    /// <param name="time">When it arrived, in ticks; not before the invocation.</param>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Unknown id, or a time before the invocation or equal to long.MaxValue.</exception>
    /// <exception cref="InvalidOperationException">The operation already returned or timed out.</exception>
    public void Return(int opId, KvOutput output, long time)
    {
        ArgumentNullException.ThrowIfNull(output);
        lock (_gate)
        {
            var operation = Pending(opId);
            if (time < operation.InvokeTime || time == Operation.UnknownReturnTime)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(time), time, $"operation #{opId} was invoked at {operation.InvokeTime}; it cannot return at {time}");
            }

            _operations[opId] = operation with { Output = output, ReturnTime = time, ReturnSequence = ++_sequence };
            _statuses[opId] = Status.Returned;
        }
    }

    /// <summary>
    /// Records that operation <paramref name="opId"/> timed out: its outcome is unknown, it may or may not have
    /// taken effect (at any time after its invocation).
    /// </summary>
    /// <param name="opId">An id returned by <see cref="Invoke"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">Unknown id.</exception>
    /// <exception cref="InvalidOperationException">The operation already returned or timed out.</exception>
    public void Timeout(int opId)
    {
        lock (_gate)
        {
            Pending(opId);
            _statuses[opId] = Status.TimedOut;
        }
    }

    private Operation Pending(int opId)
    {
        if ((uint)opId >= (uint)_operations.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(opId), opId, $"no operation #{opId} was invoked ({_operations.Count} recorded)");
        }

        return _statuses[opId] switch
        {
            Status.Returned => throw new InvalidOperationException($"operation #{opId} already returned: {_operations[opId]}"),
            Status.TimedOut => throw new InvalidOperationException($"operation #{opId} already timed out: {_operations[opId]}"),
            _ => _operations[opId],
        };
    }
}
