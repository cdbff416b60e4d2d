using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;

namespace AkkaRaft.Kv;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) for the snapshot trailer. Private to this assembly
/// until the checksum code of the solution lives in one shared place; the values are the standard ones
/// (the check value of "123456789" is 0xE3069283), so it agrees with any other CRC-32C.
/// </summary>
internal static class Crc32C
{
    private const uint ReflectedPolynomial = 0x82F63B78u;
    private static readonly uint[] Table = CreateTable();

    /// <summary>Extends a running CRC with <paramref name="data"/>; start from 0. Append(Append(0, a), b) == Append(0, a ++ b).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        if (!Sse42.X64.IsSupported)
        {
            return AppendPortable(crc, data);
        }

        // The SSE4.2 crc32 instruction computes exactly this polynomial, eight bytes per step.
        var state = ~crc;
        while (data.Length >= sizeof(ulong))
        {
            state = (uint)Sse42.X64.Crc32(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        for (var i = 0; i < data.Length; i++)
        {
            state = Sse42.Crc32(state, data[i]);
        }

        return ~state;
    }

    /// <summary>The CRC of <paramref name="data"/> computed byte by byte from the table, whatever the processor.</summary>
    internal static uint AppendPortable(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        for (var i = 0; i < data.Length; i++)
        {
            state = Table[(byte)(state ^ data[i])] ^ (state >> 8);
        }

        return ~state;
    }

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < table.Length; n++)
        {
            var value = n;
            for (var bit = 0; bit < 8; bit++)
            {
                value = (value & 1) != 0 ? (value >> 1) ^ ReflectedPolynomial : value >> 1;
            }

            table[n] = value;
        }

        return table;
    }
}
