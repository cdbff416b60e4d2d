using System.Text;
using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries.Tests.Gorilla;

public sealed class Crc32CTests
{
    [Fact]
    public void Crc32C_of_the_standard_check_string_is_E3069283()
    {
        byte[] check = Encoding.ASCII.GetBytes("123456789");
        Assert.Equal(0xE3069283u, Crc32C.Compute(check));
        Assert.Equal(0xE3069283u, Crc32C.ComputeWithTable(check));
    }

    [Fact]
    public void Crc32C_of_nothing_is_zero_and_of_32_zero_bytes_is_8A9136AA()
    {
        // RFC 3720 (iSCSI) appendix B.4: 32 bytes of zeros give 0x8A9136AA.
        Assert.Equal(0u, Crc32C.Compute([]));
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x8A9136AAu, Crc32C.ComputeWithTable(new byte[32]));
    }

    [Fact]
    public void Hardware_and_table_paths_agree_on_every_length_and_alignment()
    {
        var random = new Random(3720);
        byte[] data = new byte[300];
        random.NextBytes(data);
        for (int start = 0; start < 9; start++)
        {
            for (int length = 0; start + length <= data.Length; length++)
            {
                ReadOnlySpan<byte> slice = data.AsSpan(start, length);
                Assert.Equal(Crc32C.ComputeWithTable(slice), Crc32C.Compute(slice));
            }
        }
    }
}
