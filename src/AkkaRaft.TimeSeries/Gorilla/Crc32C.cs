using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArmCrc32 = System.Runtime.Intrinsics.Arm.Crc32;
using X86Sse42 = System.Runtime.Intrinsics.X86.Sse42;

namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum in every block footer.
/// Uses the CPU's CRC32 instruction when there is one (SSE4.2 on x86, the CRC extension on Arm64)
/// and a table otherwise; both give the same value (tested).
/// </summary>
/// <remarks>
/// Written here because System.IO.Hashing is not among the pinned packages. The standard check value
/// is CRC-32C("123456789") = 0xE3069283.
/// </remarks>
public static class Crc32C
{
    private const uint ReflectedPolynomial = 0x82F63B78u;

    private static readonly uint[] Table = BuildTable();

    /// <summary>Computes the CRC-32C of <paramref name="data"/> (initial value and final XOR 0xFFFFFFFF).</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        if (X86Sse42.X64.IsSupported)
        {
            crc = UpdateSse42(crc, data);
        }
        else if (ArmCrc32.Arm64.IsSupported)
        {
            crc = UpdateArm64(crc, data);
        }
        else
        {
            crc = UpdateTable(crc, data);
        }

        return ~crc;
    }

    /// <summary>The table-driven computation alone, so tests can hold it against the hardware path.</summary>
    internal static uint ComputeWithTable(ReadOnlySpan<byte> data) => ~UpdateTable(0xFFFFFFFFu, data);

    private static uint UpdateSse42(uint crc, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int i = 0;
        ulong wide = crc;
        for (; i + 8 <= data.Length; i += 8)
        {
            // The CRC instruction consumes the 8 bytes in memory order, i.e. as a little-endian word.
            ulong word = BinaryPrimitives.ReadUInt64LittleEndian(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref start, i), 8));
            wide = X86Sse42.X64.Crc32(wide, word);
        }

        crc = (uint)wide;
        for (; i < data.Length; i++)
        {
            crc = X86Sse42.Crc32(crc, Unsafe.Add(ref start, i));
        }

        return crc;
    }

    private static uint UpdateArm64(uint crc, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            ulong word = BinaryPrimitives.ReadUInt64LittleEndian(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref start, i), 8));
            crc = ArmCrc32.Arm64.ComputeCrc32C(crc, word);
        }

        for (; i < data.Length; i++)
        {
            crc = ArmCrc32.ComputeCrc32C(crc, Unsafe.Add(ref start, i));
        }

        return crc;
    }

    private static uint UpdateTable(uint crc, ReadOnlySpan<byte> data)
    {
        uint[] table = Table;
        foreach (byte b in data)
        {
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? ReflectedPolynomial ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
