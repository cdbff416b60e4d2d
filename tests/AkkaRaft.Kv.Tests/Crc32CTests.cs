namespace AkkaRaft.Kv.Tests;

public sealed class Crc32CTests
{
    [Fact]
    public void The_checksum_of_the_standard_check_string_should_be_the_published_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Append(0, "123456789"u8));
        Assert.Equal(0xE3069283u, Crc32C.AppendPortable(0, "123456789"u8));
        Assert.Equal(0u, Crc32C.Append(0, []));
    }

    [Fact]
    public void Appending_in_pieces_should_equal_one_pass_on_every_path()
    {
        var data = new byte[1000];
        new Random(7).NextBytes(data);
        var whole = Crc32C.Append(0, data);

        for (var split = 0; split <= data.Length; split += 37)
        {
            Assert.Equal(whole, Crc32C.Append(Crc32C.Append(0, data.AsSpan(0, split)), data.AsSpan(split)));
            Assert.Equal(whole, Crc32C.AppendPortable(Crc32C.AppendPortable(0, data.AsSpan(0, split)), data.AsSpan(split)));
        }
    }
}
