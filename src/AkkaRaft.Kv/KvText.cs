using System.Text.Unicode;
using Google.Protobuf;

namespace AkkaRaft.Kv;

/// <summary>Strict UTF-8 for keys on the wire: invalid bytes are refused, never replaced.</summary>
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
}
