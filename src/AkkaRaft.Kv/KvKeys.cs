using System.Text;
using AkkaRaft.Client.Kv;

namespace AkkaRaft.Kv;

/// <summary>
/// The rules keys, prefixes and values must keep, as the state machine checks them when it applies a write.
/// Callers (the HTTP server, clients) may check a request up front to refuse it without a round through Raft.
/// </summary>
/// <remarks>
/// A key is 1 to <see cref="KvSettings.MaxKeyBytes"/> bytes of UTF-8 without control characters (U+0000 to
/// U+001F and U+007F); a prefix follows the same rules but may be empty. Keys are compared and listed in
/// ordinal order (<see cref="string.CompareOrdinal(string, string)"/>, UTF-16 code units).
/// </remarks>
public static class KvKeys
{
    /// <summary>Checks a key: <see cref="KvStatus.Ok"/>, <see cref="KvStatus.InvalidKey"/> or <see cref="KvStatus.KeyTooLarge"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="settings">The limits.</param>
    /// <param name="message">Empty when Ok; otherwise what is wrong, in a sentence.</param>
    public static KvStatus CheckKey(string key, KvSettings settings, out string message) => Check(key, settings, "key", allowEmpty: false, out message);

    /// <summary>Checks a List or DeleteTree prefix: as a key, but it may be empty.</summary>
    /// <param name="prefix">The prefix.</param>
    /// <param name="settings">The limits.</param>
    /// <param name="message">Empty when Ok; otherwise what is wrong, in a sentence.</param>
    public static KvStatus CheckPrefix(string prefix, KvSettings settings, out string message) => Check(prefix, settings, "prefix", allowEmpty: true, out message);

    /// <summary>Checks a value's length: <see cref="KvStatus.Ok"/> or <see cref="KvStatus.ValueTooLarge"/>.</summary>
    /// <param name="valueBytes">The value's length in bytes.</param>
    /// <param name="settings">The limits.</param>
    /// <param name="message">Empty when Ok; otherwise what is wrong, in a sentence.</param>
    public static KvStatus CheckValue(int valueBytes, KvSettings settings, out string message)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (valueBytes > settings.MaxValueBytes)
        {
            message = $"The value is {valueBytes} bytes, more than max-value-bytes ({settings.MaxValueBytes}).";
            return KvStatus.ValueTooLarge;
        }

        message = "";
        return KvStatus.Ok;
    }

    /// <summary>
    /// The first string ordinally greater than every string that starts with <paramref name="prefix"/>, or null
    /// when there is none (the empty prefix, or one of U+FFFF only).
    /// </summary>
    internal static string? PrefixEnd(string prefix)
    {
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] != char.MaxValue)
            {
                return string.Create(i + 1, prefix, static (span, p) =>
                {
                    p.AsSpan(0, span.Length - 1).CopyTo(span);
                    span[^1] = (char)(p[span.Length - 1] + 1);
                });
            }
        }

        return null;
    }

    private static KvStatus Check(string text, KvSettings settings, string what, bool allowEmpty, out string message)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(settings);
        if (text.Length == 0 && !allowEmpty)
        {
            message = $"The {what} is empty.";
            return KvStatus.InvalidKey;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsControl(text[i]) && text[i] <= '\u007F')
            {
                message = $"The {what} holds the control character U+{(int)text[i]:X4} at position {i}.";
                return KvStatus.InvalidKey;
            }
        }

        if (!KvText.IsWellFormed(text))
        {
            message = $"The {what} holds an unpaired UTF-16 surrogate.";
            return KvStatus.InvalidKey;
        }

        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > settings.MaxKeyBytes)
        {
            message = $"The {what} is {bytes} bytes of UTF-8, more than max-key-bytes ({settings.MaxKeyBytes}).";
            return KvStatus.KeyTooLarge;
        }

        message = "";
        return KvStatus.Ok;
    }
}
