using System.Text;

namespace AkkaRaft.Persistence.Tests.Journal;

public sealed class Crc32CTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("a", 0xC1D04330u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void Compute_gives_the_published_check_values(string text, uint expected)
    {
        Assert.Equal(expected, Crc32C.Compute(Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void Thirty_two_zero_bytes_give_the_rfc_3720_value()
    {
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
    }

    [Fact]
    public void The_accelerated_and_the_table_computation_agree_on_random_buffers_of_every_length()
    {
        var random = new Random(20261122);
        for (var length = 0; length < 300; length++)
        {
            var buffer = new byte[length];
            random.NextBytes(buffer);
            Assert.True(Crc32C.ComputeSoftware(buffer) == Crc32C.Compute(buffer), $"length {length} (seed 20261122)");
        }
    }

    [Fact]
    public void Append_continues_a_checksum_across_pieces()
    {
        var data = Encoding.ASCII.GetBytes("123456789");

        var pieced = Crc32C.Append(Crc32C.Compute(data.AsSpan(0, 4)), data.AsSpan(4));

        Assert.Equal(0xE3069283u, pieced);
    }

    [Fact]
    public void Event_checksums_differ_when_only_the_sequence_number_differs()
    {
        byte[] payload = [1, 2, 3];

        Assert.NotEqual(
            Checksums.ForEvent("p", 1, 2, "m", payload),
            Checksums.ForEvent("p", 2, 2, "m", payload));
    }

    [Fact]
    public void Event_checksums_keep_field_boundaries_apart()
    {
        // Moving a character from the persistence id to the manifest must change the checksum.
        Assert.NotEqual(
            Checksums.ForEvent("ab", 1, 2, "c", []),
            Checksums.ForEvent("a", 1, 2, "bc", []));
    }
}
