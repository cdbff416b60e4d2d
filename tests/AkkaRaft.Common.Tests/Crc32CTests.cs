using System.Text;
using AkkaRaft.Common;

namespace AkkaRaft.Common.Tests;

public sealed class Crc32CTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("a", 0xC1D04330u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void Compute_gives_the_published_check_values(string text, uint expected)
    {
        var bytes = Encoding.ASCII.GetBytes(text);

        Assert.Equal(expected, Crc32C.Compute(bytes));
        Assert.Equal(expected, Crc32C.ComputeSoftware(bytes));
    }

    [Fact]
    public void Thirty_two_zero_bytes_give_the_rfc_3720_value()
    {
        // RFC 3720 (iSCSI) appendix B.4.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x8A9136AAu, Crc32C.ComputeSoftware(new byte[32]));
    }

    [Fact]
    public void The_accelerated_and_the_table_computation_agree_on_every_length_and_alignment()
    {
        const int seed = 3720;
        var data = new byte[300];
        new Random(seed).NextBytes(data);
        for (var start = 0; start < 9; start++)
        {
            for (var length = 0; start + length <= data.Length; length++)
            {
                var slice = data.AsSpan(start, length);
                Assert.True(
                    Crc32C.ComputeSoftware(slice) == Crc32C.Compute(slice),
                    $"start {start}, length {length} (seed {seed})");
            }
        }
    }

    [Fact]
    public void Append_continues_a_checksum_across_pieces_of_any_size()
    {
        const int seed = 7;
        var data = new byte[1000];
        new Random(seed).NextBytes(data);
        var whole = Crc32C.Compute(data);

        for (var split = 0; split <= data.Length; split += 37)
        {
            Assert.Equal(whole, Crc32C.Append(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
        }

        var running = 0u;
        for (var i = 0; i < data.Length; i += 3)
        {
            running = Crc32C.Append(running, data.AsSpan(i, Math.Min(3, data.Length - i)));
        }

        Assert.Equal(whole, running);
    }
}
