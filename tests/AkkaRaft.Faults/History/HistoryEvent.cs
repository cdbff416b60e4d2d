using System.Text.Json;
using System.Text.Json.Serialization;

namespace AkkaRaft.Faults.History;

/// <summary>
/// One line of a history file (JSON lines, Jepsen's shape): an <c>invoke</c>, then its completion: <c>ok</c>,
/// <c>fail</c> (it certainly did not take effect, or a compare-and-set certainly did not swap: <see cref="Mismatch"/>),
/// or <c>info</c> (indeterminate: a write may or may not have taken effect).
/// </summary>
internal sealed record HistoryEvent
{
    /// <summary><c>invoke</c>, <c>ok</c>, <c>fail</c> or <c>info</c>.</summary>
    public required string Type { get; init; }

    /// <summary>The operation's number, unique in the history; an invocation and its completion share it.</summary>
    public required int Op { get; init; }

    /// <summary>The client (Jepsen's process) that ran it.</summary>
    public required int Process { get; init; }

    /// <summary><c>read</c>, <c>write</c> or <c>cas</c>.</summary>
    public required string F { get; init; }

    /// <summary>The register's key.</summary>
    public required string Key { get; init; }

    /// <summary>Written by a write or a cas (on invoke); read by a read (on ok; null = the key is absent).</summary>
    public string? Value { get; init; }

    /// <summary>What a cas expects the register to hold (null = absent), on invoke.</summary>
    public string? Expected { get; init; }

    /// <summary>The read level of a read: <c>consistent</c> or <c>default</c>.</summary>
    public string? Level { get; init; }

    /// <summary>The node asked first (invoke), or the node that answered (completion).</summary>
    public string? Node { get; init; }

    /// <summary>Microseconds since the start of the run.</summary>
    public required long Time { get; init; }

    /// <summary>On a fail of a cas: true when the compare failed (an observation), false or absent when nothing happened.</summary>
    public bool? Mismatch { get; init; }

    /// <summary>Why a fail or info, for people.</summary>
    public string? Error { get; init; }

    /// <summary>The JSON form of history lines: camelCase, nulls left out.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Whether this line completes an operation.</summary>
    [JsonIgnore]
    public bool IsCompletion => Type is "ok" or "fail" or "info";
}
