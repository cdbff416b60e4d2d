using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;

namespace AkkaRaft.Remote.Transport;

/// <summary>
/// CRC-32C (Castagnoli), the bulk channel's end-to-end checksum: hardware instructions where the CPU has them
/// (SSE4.2, ARMv8 CRC32), a table otherwise. Start with <see cref="Initial"/>, <see cref="Append"/> the bytes,
/// and <see cref="Finish"/> the state.
/// </summary>
internal static class Crc32C
{
    internal const uint Initial = 0xFFFFFFFFu;

    // Reflected form of the Castagnoli polynomial 0x1EDC6F41.
    private const uint ReflectedPolynomial = 0x82F63B78u;
    private static readonly uint[] Table = CreateTable();

    internal static uint Finish(uint state) => ~state;

    /// <summary>The checksum of a whole byte span.</summary>
    internal static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Initial, data));

    /// <summary>Feeds <paramref name="data"/> into a running state.</summary>
    internal static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
        {
            ulong wide = state;
            while (data.Length >= 8)
            {
                wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            state = (uint)wide;
        }
        else if (System.Runtime.Intrinsics.Arm.Crc32.Arm64.IsSupported)
        {
            while (data.Length >= 8)
            {
                state = System.Runtime.Intrinsics.Arm.Crc32.Arm64.ComputeCrc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
        }
        foreach (var b in data)
        {
            state = Table[(state ^ b) & 0xFF] ^ (state >> 8);
        }
        return state;
    }

    /// <summary>The checksum of a file's contents.</summary>
    internal static async Task<uint> ComputeFileAsync(string path, int bufferBytes, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(bufferBytes);
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
            var state = Initial;
            int read;
            while ((read = await file.ReadAsync(buffer.AsMemory(0, bufferBytes), ct).ConfigureAwait(false)) > 0)
            {
                state = Append(state, buffer.AsSpan(0, read));
            }
            return Finish(state);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var entry = i;
            for (var bit = 0; bit < 8; bit++) entry = (entry & 1) != 0 ? (entry >> 1) ^ ReflectedPolynomial : entry >> 1;
            table[i] = entry;
        }
        return table;
    }
}
