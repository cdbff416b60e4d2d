using System.Text.Json;

namespace AkkaRaft.Faults.History;

/// <summary>
/// Appends history lines to the run's file as they happen (flushed at once: a crashed harness leaves a checkable
/// prefix), and counts them. Thread-safe: the clients share it, and the order of lines is the order of events.
/// </summary>
internal sealed class HistoryWriter : IDisposable
{
    private readonly StreamWriter _file;
    private readonly RunClock _clock;
    private readonly object _gate = new();
    private int _nextOp;

    /// <summary>Creates (or truncates) <paramref name="path"/>.</summary>
    public HistoryWriter(string path, RunClock clock)
    {
        Path = path;
        _clock = clock;
        _file = new StreamWriter(path, append: false) { AutoFlush = true, NewLine = "\n" };
    }

    /// <summary>The history file.</summary>
    public string Path { get; }

    /// <summary>Completions by function and type, e.g. (<c>cas</c>, <c>info</c>).</summary>
    public Dictionary<(string F, string Type), int> Counts { get; } = new();

    /// <summary>Writes an invocation, stamped now; returns it (with its new operation number).</summary>
    public HistoryEvent Invoke(int process, string f, string key, string? value = null, string? expected = null, string? level = null, string? node = null)
    {
        lock (_gate)
        {
            var invoke = new HistoryEvent
            {
                Type = "invoke", Op = _nextOp++, Process = process, F = f, Key = key, Value = value, Expected = expected, Level = level, Node = node,
                Time = _clock.Micros,
            };
            WriteLine(invoke);
            return invoke;
        }
    }

    /// <summary>Writes the completion of <paramref name="invoke"/>, stamped now.</summary>
    public void Complete(HistoryEvent invoke, string type, string? value = null, bool? mismatch = null, string? node = null, string? error = null)
    {
        lock (_gate)
        {
            var completion = invoke with
            {
                Type = type, Value = invoke.F == "read" ? value : invoke.Value, Expected = null, Level = null, Node = node, Mismatch = mismatch, Error = error,
                Time = _clock.Micros,
            };
            WriteLine(completion);
            var key = (invoke.F, type);
            Counts[key] = Counts.GetValueOrDefault(key) + 1;
        }
    }

    private void WriteLine(HistoryEvent line) => _file.WriteLine(JsonSerializer.Serialize(line, HistoryEvent.Json));

    public void Dispose()
    {
        lock (_gate) _file.Dispose();
    }
}
