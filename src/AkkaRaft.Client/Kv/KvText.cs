using System.Text.Unicode;
using Google.Protobuf;

namespace AkkaRaft.Client.Kv;

/// <summary>Strict UTF-8 for keys on the wire: invalid bytes are refused, never replaced, and text without a UTF-8 form is refused before it is encoded.</summary>
internal static class KvText
{
    /// <summary>Decodes <paramref name="bytes"/> if they are valid UTF-8.</summary>
    public static bool TryDecode(ByteString bytes, out string text)
    {
        if (!Utf8.IsValid(bytes.Span))
        {
            text = "";
            return false;
        }

        text = bytes.ToStringUtf8();
        return true;
    }

    /// <summary>Whether <paramref name="text"/> has no unpaired UTF-16 surrogate, so that it has a UTF-8 form.</summary>
    internal static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
