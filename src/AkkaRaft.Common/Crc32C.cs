using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace AkkaRaft.Common;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the one checksum of AkkaRaft, over journal rows and
/// snapshots, Gorilla block footers, key/value snapshots and bulk file transfers. Uses the SSE4.2 or ARMv8 CRC
/// instructions when the processor has them, a table otherwise; both give the same values (the check value of
/// "123456789" is 0xE3069283). Written here because System.IO.Hashing has no CRC-32C.
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>
    /// Extends a CRC-32C: <c>Append(Compute(a), b) == Compute(a ++ b)</c>. Start from 0 for the first piece.
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        if (Sse42.X64.IsSupported)
        {
            while (data.Length >= 8)
            {
                state = (uint)Sse42.X64.Crc32(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }

            foreach (var b in data)
            {
                state = Sse42.Crc32(state, b);
            }
        }
        else if (Crc32.Arm64.IsSupported)
        {
            while (data.Length >= 8)
            {
                state = Crc32.Arm64.ComputeCrc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }

            foreach (var b in data)
            {
                state = Crc32.ComputeCrc32C(state, b);
            }
        }
        else
        {
            state = AppendSoftware(state, data);
        }

        return ~state;
    }

    /// <summary>The table-driven computation, exposed so tests can check it against the hardware one.</summary>
    internal static uint ComputeSoftware(ReadOnlySpan<byte> data) => ~AppendSoftware(~0u, data);

    private static uint AppendSoftware(uint state, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            state = Table[(byte)(state ^ b)] ^ (state >> 8);
        }

        return state;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var entry = i;
            for (var bit = 0; bit < 8; bit++)
            {
                entry = (entry & 1) != 0 ? (entry >> 1) ^ Polynomial : entry >> 1;
            }

            table[i] = entry;
        }

        return table;
    }
}
