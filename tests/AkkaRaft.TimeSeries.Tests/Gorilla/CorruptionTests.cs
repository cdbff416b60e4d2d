using System.Buffers.Binary;
using AkkaRaft.TimeSeries.Gorilla;
using AkkaRaft.Common;

namespace AkkaRaft.TimeSeries.Tests.Gorilla;

/// <summary>A finished block that changed in any way is refused, never decoded into wrong points.</summary>
public sealed class CorruptionTests
{
    private static GorillaBlock SampleBlock(TimestampUnit unit)
    {
        var random = new Random(7);
        var writer = new GorillaSeriesWriter("corruption", GorillaSettings.Default, unit);
        long t = unit == TimestampUnit.Seconds ? 1_427_162_400 : 1_427_162_400_000;
        long step = unit == TimestampUnit.Seconds ? 60 : 60_000;
        double v = 12.0;
        for (int i = 0; i < 100; i++)
        {
            t += step + random.Next(-2, 3);
            v = random.Next(3) == 0 ? v : v + random.Next(-5, 6) * 0.5;
            writer.Append(t, v);
        }

        return writer.FinishOpenBlock()!;
    }

    [Theory]
    [InlineData(TimestampUnit.Seconds)]
    [InlineData(TimestampUnit.Milliseconds)]
    public void Flipping_any_single_bit_of_a_finished_block_is_detected_by_the_checksum(TimestampUnit unit)
    {
        byte[] intact = SampleBlock(unit).Bytes.ToArray();
        GorillaBlock.Open(intact); // the intact block opens
        for (int bit = 0; bit < intact.Length * 8; bit++)
        {
            byte[] damaged = (byte[])intact.Clone();
            damaged[bit / 8] ^= (byte)(0x80 >> (bit % 8));
            Assert.Throws<CorruptBlockException>(() => GorillaBlock.Open(damaged));
        }
    }

    [Fact]
    public void Overwriting_any_byte_of_a_finished_block_is_detected_by_the_checksum()
    {
        byte[] intact = SampleBlock(TimestampUnit.Seconds).Bytes.ToArray();
        for (int i = 0; i < intact.Length; i++)
        {
            foreach (byte mask in new byte[] { 0xFF, 0x55, 0x0F, 0x81 })
            {
                byte[] damaged = (byte[])intact.Clone();
                damaged[i] ^= mask;
                var error = Assert.Throws<CorruptBlockException>(() => GorillaBlock.Open(damaged));
                Assert.Contains("checksum", error.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void A_truncated_or_extended_block_is_refused()
    {
        byte[] intact = SampleBlock(TimestampUnit.Seconds).Bytes.ToArray();
        for (int length = 0; length < intact.Length; length++)
        {
            Assert.Throws<CorruptBlockException>(() => GorillaBlock.Open(intact.AsSpan(0, length)));
        }

        byte[] longer = new byte[intact.Length + 1];
        intact.CopyTo(longer, 0);
        Assert.Throws<CorruptBlockException>(() => GorillaBlock.Open(longer));
    }

    [Fact]
    public void A_checksum_error_names_both_checksums()
    {
        byte[] damaged = SampleBlock(TimestampUnit.Seconds).Bytes.ToArray();
        damaged[10] ^= 1;
        var error = Assert.Throws<CorruptBlockException>(() => GorillaBlock.Open(damaged));
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(damaged.AsSpan(damaged.Length - 4));
        Assert.Contains($"0x{stored:X8}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"0x{Crc32C.Compute(damaged.AsSpan(0, damaged.Length - 4)):X8}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_footer_count_far_from_the_stream_is_refused_even_with_a_matching_checksum()
    {
        // Someone rewrote the count and recomputed the checksum: the decoder's own checks (no more than 7 bits of
        // padding left at the end, never reading past the stream) still catch a count that is far off. A count off
        // by one can hide in the padding, which is why the checksum covers the footer.
        byte[] bytes = SampleBlock(TimestampUnit.Seconds).Bytes.ToArray();
        int countAt = bytes.Length - 6;

        byte[] fewer = Rewrite(bytes, countAt, 50);
        GorillaBlock block = GorillaBlock.Open(fewer);
        Assert.Throws<CorruptBlockException>(() => Drain(block));
        Assert.Throws<CorruptBlockException>(() => block.Decode(new long[50], new double[50]));

        byte[] more = Rewrite(bytes, countAt, 150);
        Assert.Throws<CorruptBlockException>(() => Drain(GorillaBlock.Open(more)));
        Assert.Throws<CorruptBlockException>(() => GorillaBlock.Open(more).Decode(new long[150], new double[150]));

        byte[] absurd = Rewrite(bytes, countAt, 60000);
        Assert.Throws<CorruptBlockException>(() => GorillaBlock.Open(absurd));
    }

    [Fact]
    public void Bit_flips_behind_a_recomputed_checksum_either_decode_or_throw_CorruptBlockException()
    {
        // The checksum stops accidental damage; this checks the decoders themselves stay inside the bytes and
        // either decode some points or throw CorruptBlockException, whatever the stream holds.
        byte[] intact = SampleBlock(TimestampUnit.Seconds).Bytes.ToArray();
        int streamBytes = intact.Length - 6;
        for (int bit = 40; bit < streamBytes * 8; bit++)
        {
            byte[] damaged = (byte[])intact.Clone();
            damaged[bit / 8] ^= (byte)(0x80 >> (bit % 8));
            BinaryPrimitives.WriteUInt32BigEndian(damaged.AsSpan(damaged.Length - 4), Crc32C.Compute(damaged.AsSpan(0, damaged.Length - 4)));
            GorillaBlock block = GorillaBlock.Open(damaged);
            try
            {
                Drain(block);
            }
            catch (CorruptBlockException)
            {
            }

            try
            {
                block.Decode(new long[block.Count], new double[block.Count]);
            }
            catch (CorruptBlockException)
            {
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_10_value_code_before_any_window_is_refused(bool bulk)
    {
        // Header, first point, then D = 0 ('0') and value '10': the encoder never writes '10' before a '11'.
        byte[] stream = new BitString()
            .Bits("0001 0000").Field(0, 32)
            .Field(5, 14).Field(0x4028000000000000, 64)
            .Bits("0").Bits("10").Field(1, 20)
            .ToBytes();
        var error = Assert.Throws<CorruptBlockException>(() => DecodeOpen(stream, 2, bulk));
        Assert.Contains("'10' value before any '11'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_value_window_wider_than_64_bits_is_refused(bool bulk)
    {
        // '11' with 31 leading zeros and a length of 40: 71 bits, more than a double has.
        byte[] stream = new BitString()
            .Bits("0001 0000").Field(0, 32)
            .Field(5, 14).Field(0x4028000000000000, 64)
            .Bits("0").Bits("11").Field(31, 5).Field(40, 6).Field(1, 40)
            .ToBytes();
        var error = Assert.Throws<CorruptBlockException>(() => DecodeOpen(stream, 2, bulk));
        Assert.Contains("exceeds 64 bits", error.Message, StringComparison.Ordinal);
    }

    private static void DecodeOpen(byte[] stream, int count, bool bulk)
    {
        GorillaDecoder decoder = GorillaDecoder.ForOpenBlock(stream, count);
        if (bulk)
        {
            decoder.DecodeAll(new long[count], new double[count]);
        }
        else
        {
            while (decoder.MoveNext())
            {
            }
        }
    }

    [Fact]
    public void An_unknown_format_version_is_refused_with_its_number()
    {
        byte[] bytes = SampleBlock(TimestampUnit.Seconds).Bytes.ToArray();
        bytes[0] = 0x20;
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(bytes.Length - 4), Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)));
        var error = Assert.Throws<CorruptBlockException>(() => GorillaBlock.Open(bytes));
        Assert.Contains("version 2", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Rewrite(byte[] original, int countAt, ushort count)
    {
        byte[] bytes = (byte[])original.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(countAt, 2), count);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(bytes.Length - 4), Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)));
        return bytes;
    }

    private static void Drain(GorillaBlock block)
    {
        foreach (DataPoint _ in block.GetDecoder())
        {
        }
    }
}
