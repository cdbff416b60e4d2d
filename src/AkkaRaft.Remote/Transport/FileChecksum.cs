using System.Buffers;
using AkkaRaft.Common;

namespace AkkaRaft.Remote.Transport;

/// <summary>The bulk channel's end-to-end checksum: the CRC-32C of a whole file, read in pooled chunks.</summary>
internal static class FileChecksum
{
    /// <summary>The CRC-32C of the file at <paramref name="path"/>, read <paramref name="bufferBytes"/> at a time.</summary>
    internal static async Task<uint> ComputeAsync(string path, int bufferBytes, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(bufferBytes);
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
            var crc = 0u;
            int read;
            while ((read = await file.ReadAsync(buffer.AsMemory(0, bufferBytes), ct).ConfigureAwait(false)) > 0)
            {
                crc = Crc32C.Append(crc, buffer.AsSpan(0, read));
            }

            return crc;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
