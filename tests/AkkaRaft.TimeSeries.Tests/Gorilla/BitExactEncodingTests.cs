using System.Buffers.Binary;
using AkkaRaft.TimeSeries.Gorilla;
using AkkaRaft.Common;

namespace AkkaRaft.TimeSeries.Tests.Gorilla;

/// <summary>
/// Small streams worked out bit by bit by hand, in the style of Figure 2 of the Gorilla paper
/// (Pelkonen et al., VLDB 2015). Each expected stream is written field by field with the reasoning beside it.
/// </summary>
public sealed class BitExactEncodingTests
{
    // March 24 2015 02:00:00 UTC, the header of Figure 2: 1427162400 = 0x5510C520.
    private const long Figure2Header = 1427162400;

    private static BitString SecondsHeader(long header) =>
        new BitString()
            .Bits("0001 0000") // format: version 1, unit 0 (seconds)
            .Field((ulong)header, 32); // header: the aligned window start, 32 bits

    [Fact]
    public void Figure_2_stream_is_encoded_bit_for_bit()
    {
        var encoder = new GorillaEncoder("figure-2", TimestampUnit.Seconds, Figure2Header);
        Assert.Equal(AppendStatus.Appended, encoder.TryAppend(Figure2Header + 62, 12.0)); // 02:01:02
        Assert.Equal(AppendStatus.Appended, encoder.TryAppend(Figure2Header + 122, 12.0)); // 02:02:02
        Assert.Equal(AppendStatus.Appended, encoder.TryAppend(Figure2Header + 182, 24.0)); // 02:03:02

        BitString expected = SecondsHeader(Figure2Header)
            // Point 1: first delta 62 s in 14 bits, then 12.0 raw (0x4028000000000000).
            .Field(62, 14)
            .Field(0x4028000000000000, 64)
            // Point 2: delta 60, D = 60 − 62 = −2, in [−63, 64]: '10' then −2 in 7 bits, 1111110.
            .Bits("10").Bits("1111110")
            // 12.0 XOR 12.0 = 0: '0'.
            .Bits("0")
            // Point 3: delta 60, D = 0: '0'.
            .Bits("0")
            // 24.0 (0x4038000000000000) XOR 12.0 = 0x0010000000000000: 11 leading zeros, 52 trailing, 1 meaningful bit.
            // No window yet, so '11', leading 11 in 5 bits (01011), length 1 in 6 bits (000001), the bit '1'.
            .Bits("11").Bits("01011").Bits("000001").Bits("1");

        Assert.Equal(8 + 32 + 14 + 64 + 9 + 1 + 1 + 2 + 5 + 6 + 1, expected.Length); // 143 bits
        Assert.Equal(143, encoder.BitLength);
        AssertBytes(expected.ToBytes(), encoder.BytesSoFar);

        GorillaBlock block = encoder.Finish();
        byte[] stream = expected.ToBytes(); // 18 bytes: 143 bits and one bit of zero padding
        AssertBytes(stream, block.Bytes.Span[..stream.Length]);
        Assert.Equal(stream.Length + 6, block.SizeBytes);
        Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(block.Bytes.Span.Slice(stream.Length, 2)));
        uint crc = Crc32C.Compute(block.Bytes.Span[..(stream.Length + 2)]);
        Assert.Equal(crc, BinaryPrimitives.ReadUInt32BigEndian(block.Bytes.Span.Slice(stream.Length + 2, 4)));
    }

    [Fact]
    public void Value_inside_the_previous_window_reuses_it_with_control_bits_10()
    {
        var encoder = new GorillaEncoder("reuse", TimestampUnit.Seconds, 0);
        encoder.TryAppend(10, 12.0);
        encoder.TryAppend(20, 24.0);
        encoder.TryAppend(30, 12.0);

        BitString expected = SecondsHeader(0)
            .Field(10, 14).Field(0x4028000000000000, 64)
            // Delta 10, D = 0: '0'. XOR 0x0010000000000000: '11' 01011 000001 '1' (sets the window: 11 leading, 52 trailing).
            .Bits("0").Bits("11 01011 000001 1")
            // D = 0: '0'. 12.0 XOR 24.0 is the same single bit, 11 ≥ 11 leading and 52 ≥ 52 trailing zeros:
            // '10' and the window's 64 − 11 − 52 = 1 meaningful bit, '1'.
            .Bits("0").Bits("10 1");
        AssertBytes(expected.ToBytes(), encoder.BytesSoFar);
    }

    [Fact]
    public void Value_outside_the_previous_window_writes_a_new_window_with_control_bits_11()
    {
        var encoder = new GorillaEncoder("new-window", TimestampUnit.Seconds, 0);
        encoder.TryAppend(1, 12.0);
        encoder.TryAppend(2, 24.0); // XOR 0x0010000000000000: window 11 leading, 52 trailing
        encoder.TryAppend(3, 25.0); // 25.0 = 0x4039000000000000; XOR 24.0 = 0x0001000000000000

        BitString expected = SecondsHeader(0)
            .Field(1, 14).Field(0x4028000000000000, 64)
            .Bits("0").Bits("11 01011 000001 1")
            // XOR 0x0001000000000000 has 15 leading zeros (≥ 11) but 48 trailing (< 52): outside the window.
            // '11', leading 15 (01111), length 64 − 15 − 48 = 1 (000001), the bit '1'.
            .Bits("0").Bits("11 01111 000001 1");
        AssertBytes(expected.ToBytes(), encoder.BytesSoFar);
    }

    [Fact]
    public void Xor_of_64_meaningful_bits_writes_length_0_which_stands_for_64()
    {
        // +0.0 is all zero bits; 0x8000000000000001 (the negative smallest subnormal) differs in the top and the
        // bottom bit, so the XOR has 0 leading and 0 trailing zeros: 64 meaningful bits. The length field has
        // 6 bits (0..63), so 64 is written as 0, a length no non-zero XOR can have.
        var encoder = new GorillaEncoder("len64", TimestampUnit.Seconds, 0);
        encoder.TryAppend(5, 0.0);
        encoder.TryAppend(6, BitConverter.UInt64BitsToDouble(0x8000000000000001));

        BitString expected = SecondsHeader(0)
            .Field(5, 14).Field(0, 64)
            // Delta 1, D = 1 − 5 = −4: '10' and −4 in 7 bits, 1111100.
            .Bits("10 1111100")
            .Bits("11").Bits("00000").Bits("000000").Field(0x8000000000000001, 64);
        AssertBytes(expected.ToBytes(), encoder.BytesSoFar);

        GorillaBlock block = encoder.Finish();
        GorillaDecoder decoder = block.GetDecoder();
        Assert.True(decoder.MoveNext());
        Assert.True(decoder.MoveNext());
        Assert.Equal(0x8000000000000001UL, BitConverter.DoubleToUInt64Bits(decoder.Current.Value));
    }

    [Fact]
    public void More_than_31_leading_zeros_are_stored_as_31_and_the_rest_travel_as_meaningful_bits()
    {
        // 1.0 = 0x3FF0000000000000; the next double up differs only in the last bit: XOR = 1, 63 leading zeros.
        // 5 bits hold at most 31, so the window is 31 leading, 0 trailing, 33 meaningful bits (32 zeros and a 1).
        var encoder = new GorillaEncoder("clamp", TimestampUnit.Seconds, 0);
        encoder.TryAppend(0, 1.0);
        encoder.TryAppend(60, BitConverter.UInt64BitsToDouble(0x3FF0000000000001));

        BitString expected = SecondsHeader(0)
            .Field(0, 14).Field(0x3FF0000000000000, 64)
            // Delta 60, D = 60 − 0 = 60: '10' and 60 in 7 bits, 0111100.
            .Bits("10 0111100")
            .Bits("11").Bits("11111").Bits("100001").Field(1, 33);
        AssertBytes(expected.ToBytes(), encoder.BytesSoFar);
    }

    [Theory]
    // Each bucket's edges: a field of w bits holds [−(2^(w−1) − 1), 2^(w−1)].
    [InlineData(64, "10", 7)]
    [InlineData(-63, "10", 7)]
    [InlineData(65, "110", 9)]
    [InlineData(-64, "110", 9)]
    [InlineData(256, "110", 9)]
    [InlineData(-255, "110", 9)]
    [InlineData(257, "1110", 12)]
    [InlineData(-256, "1110", 12)]
    [InlineData(2048, "1110", 12)]
    [InlineData(-2047, "1110", 12)]
    [InlineData(2049, "1111", 32)]
    [InlineData(-2048, "1111", 32)]
    public void Delta_of_delta_goes_to_the_papers_bucket_for_its_range(long deltaOfDelta, string prefix, int width)
    {
        // Points at 3000 (first delta 3000 from header 0), 6000 (delta 3000, D = 0), then delta 3000 + D.
        var encoder = new GorillaEncoder("buckets", TimestampUnit.Seconds, 0);
        encoder.TryAppend(3000, 7.0);
        encoder.TryAppend(6000, 7.0);
        Assert.Equal(AppendStatus.Appended, encoder.TryAppend(9000 + deltaOfDelta, 7.0));

        BitString expected = SecondsHeader(0)
            .Field(3000, 14).Field(BitConverter.DoubleToUInt64Bits(7.0), 64)
            .Bits("0").Bits("0")
            .Bits(prefix).Field((ulong)deltaOfDelta & ((1UL << width) - 1), width).Bits("0");
        AssertBytes(expected.ToBytes(), encoder.BytesSoFar);

        GorillaDecoder decoder = encoder.DecodeSoFar();
        decoder.MoveNext();
        decoder.MoveNext();
        decoder.MoveNext();
        Assert.Equal(9000 + deltaOfDelta, decoder.Current.Timestamp);
    }

    [Fact]
    public void Milliseconds_block_has_a_64_bit_header_a_24_bit_first_delta_and_millisecond_buckets()
    {
        const long header = 1_427_162_400_000; // Figure 2's header in milliseconds
        var encoder = new GorillaEncoder("ms", TimestampUnit.Milliseconds, header);
        encoder.TryAppend(header + 62_003, 12.0); // first delta 62003 ms
        encoder.TryAppend(header + 122_010, 12.0); // delta 60007, D = 60007 − 62003 = −1996
        encoder.TryAppend(header + 182_090, 12.0); // delta 60080, D = 73
        encoder.TryAppend(header + 242_170, 12.0); // delta 60080, D = 0
        encoder.TryAppend(header + 302_420, 12.0); // delta 60250, D = 170

        BitString expected = new BitString()
            .Bits("0001 0001") // format: version 1, unit 1 (milliseconds)
            .Field(header, 64)
            .Field(62_003, 24).Field(0x4028000000000000, 64)
            // D = −1996: beyond 8 bits ([−127, 128]); within 13 bits ([−4095, 4096]): '110' + 13 bits.
            .Bits("110").Field(unchecked((ulong)-1996) & 0x1FFF, 13).Bits("0")
            // D = 73: fits 8 bits: '10' + 01001001.
            .Bits("10").Bits("01001001").Bits("0")
            .Bits("0").Bits("0")
            // D = 170: beyond 128: '110' + 170 in 13 bits.
            .Bits("110").Field(170, 13).Bits("0");
        AssertBytes(expected.ToBytes(), encoder.BytesSoFar);
    }

    [Fact]
    public void Milliseconds_buckets_of_20_and_32_bits_hold_a_missed_sample_and_the_rest()
    {
        var encoder = new GorillaEncoder("ms-wide", TimestampUnit.Milliseconds, 0);
        encoder.TryAppend(60_000, 1.0);
        encoder.TryAppend(120_000, 1.0); // D = 0
        encoder.TryAppend(240_000, 1.0); // a missed sample: delta 120000, D = 60000, within [−524287, 524288]
        encoder.TryAppend(840_001, 1.0); // delta 600001, D = 480001: 20 bits
        encoder.TryAppend(2_040_002, 1.0); // delta 1200001, D = 600000 > 524288: 32 bits

        BitString expected = new BitString()
            .Bits("0001 0001").Field(0, 64)
            .Field(60_000, 24).Field(BitConverter.DoubleToUInt64Bits(1.0), 64)
            .Bits("0 0")
            .Bits("1110").Field(60_000, 20).Bits("0")
            .Bits("1110").Field(480_001, 20).Bits("0")
            .Bits("1111").Field(600_000, 32).Bits("0");
        AssertBytes(expected.ToBytes(), encoder.BytesSoFar);
    }

    private static void AssertBytes(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual) =>
        Assert.Equal(BitString.Render(expected), BitString.Render(actual));
}
