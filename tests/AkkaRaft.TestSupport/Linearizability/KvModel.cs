namespace AkkaRaft.TestSupport.Linearizability;

/// <summary>The kinds of operation on the key/value register model the checker understands.</summary>
public enum KvOpKind
{
    /// <summary>Reads the value of a key; the output's <see cref="KvOutput.Value"/> is what was read (null = absent), its <see cref="KvOutput.Ok"/> true.</summary>
    Get,

    /// <summary>Sets a key to <see cref="KvInput.Value"/>; the output's <see cref="KvOutput.Ok"/> is true when it took effect.</summary>
    Put,

    /// <summary>Removes a key; the output's <see cref="KvOutput.Ok"/> is true when it took effect.</summary>
    Delete,

    /// <summary>
    /// Compare-and-set: if the key currently holds <see cref="KvInput.Expected"/> (null = absent), sets it to
    /// <see cref="KvInput.Value"/> (null = removes it); the output's <see cref="KvOutput.Ok"/> says whether it swapped.
    /// </summary>
    Cas,
}

/// <summary>
/// What a client asked for: one operation on one key. <paramref name="Value"/> is the value written by
/// <see cref="KvOpKind.Put"/> (required) and <see cref="KvOpKind.Cas"/>; <paramref name="Expected"/> is the value a
/// <see cref="KvOpKind.Cas"/> compares with (null = the key must be absent). Get and Delete ignore both.
/// </summary>
/// <param name="Kind">The operation.</param>
/// <param name="Key">The key it works on; histories are checked one key at a time.</param>
/// <param name="Value">The value written by Put and Cas.</param>
/// <param name="Expected">The value a Cas expects to find (null = absent).</param>
public sealed record KvInput(KvOpKind Kind, string Key, string? Value = null, string? Expected = null)
{
    /// <summary>A readable form such as <c>put("k", "v")</c> or <c>cas("k", "a" -> "b")</c>.</summary>
    public override string ToString() => Kind switch
    {
        KvOpKind.Get => $"get({HistoryText.Quote(Key)})",
        KvOpKind.Put => $"put({HistoryText.Quote(Key)}, {HistoryText.Value(Value)})",
        KvOpKind.Delete => $"delete({HistoryText.Quote(Key)})",
        KvOpKind.Cas => $"cas({HistoryText.Quote(Key)}, {HistoryText.Value(Expected)} -> {HistoryText.Value(Value)})",
        _ => $"{Kind}({HistoryText.Quote(Key)})",
    };
}

/// <summary>
/// What the system answered. Get: <paramref name="Value"/> is what was read (null = absent) when
/// <paramref name="Ok"/> is true; Ok = false means the read failed and observed nothing (it is ignored). Put and Delete: <paramref name="Ok"/> = true when the write took effect;
/// false means the system reported a definite failure, so the write must NOT have taken effect (record a
/// timeout instead when the outcome is unknown). Cas: <paramref name="Ok"/> = true when it swapped.
/// </summary>
/// <param name="Value">The value read by a Get (null = absent); ignored for the other kinds.</param>
/// <param name="Ok">Whether a Get answered, or a Put, Delete or Cas took effect.</param>
public sealed record KvOutput(string? Value, bool Ok)
{
    /// <summary>The answer to a successful Put or Delete.</summary>
    public static KvOutput Written { get; } = new(null, true);

    /// <summary>The answer to a Get that read <paramref name="value"/> (null = absent).</summary>
    /// <param name="value">The value read.</param>
    public static KvOutput Read(string? value) => new(value, true);

    /// <summary>The answer to a Cas: <paramref name="swapped"/> says whether it set the new value.</summary>
    /// <param name="swapped">Whether the compare matched and the value was set.</param>
    public static KvOutput Cas(bool swapped) => new(null, swapped);
}

/// <summary>Formatting shared by the readable forms of inputs, outputs and reports.</summary>
internal static class HistoryText
{
    /// <summary>A string in double quotes with quotes, backslashes and control characters escaped.</summary>
    public static string Quote(string text)
    {
        var builder = new System.Text.StringBuilder(text.Length + 2);
        builder.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) builder.Append($"\\u{(int)c:x4}");
                    else builder.Append(c);
                    break;
            }
        }

        builder.Append('"');
        return builder.ToString();
    }

    /// <summary>A value as the model sees it: quoted, or <c>absent</c> for null.</summary>
    public static string Value(string? value) => value is null ? "absent" : Quote(value);

    /// <summary>A point in time, with <c>inf</c> for an unknown return.</summary>
    public static string Time(long time) => time == long.MaxValue ? "inf" : time.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
