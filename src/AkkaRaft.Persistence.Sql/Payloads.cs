using System.Runtime.InteropServices;

namespace AkkaRaft.Persistence.Sql;

/// <summary>How the SQL plugins hand a payload to their database driver.</summary>
internal static class Payloads
{
    /// <summary>
    /// The payload as a <c>byte[]</c> for a command parameter. The serializer registry hands out exactly sized
    /// arrays, so that array is used as it is; anything else (a slice) is copied once.
    /// </summary>
    public static byte[] AsExactArray(ReadOnlyMemory<byte> payload) =>
        MemoryMarshal.TryGetArray(payload, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : payload.ToArray();
}
