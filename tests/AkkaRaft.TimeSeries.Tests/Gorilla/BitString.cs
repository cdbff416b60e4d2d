using System.Text;

namespace AkkaRaft.TimeSeries.Tests.Gorilla;

/// <summary>Expected bit streams written out by hand, most-significant bit first, then packed into bytes.</summary>
internal sealed class BitString
{
    private readonly StringBuilder _bits = new();

    public int Length => _bits.Length;

    /// <summary>Appends literal bits such as "10" or "0110"; spaces are ignored.</summary>
    public BitString Bits(string bits)
    {
        foreach (char c in bits)
        {
            if (c is '0' or '1')
            {
                _bits.Append(c);
            }
            else if (c != ' ')
            {
                throw new ArgumentException($"Not a bit: '{c}'.");
            }
        }

        return this;
    }

    /// <summary>Appends the low <paramref name="width"/> bits of <paramref name="value"/>.</summary>
    public BitString Field(ulong value, int width)
    {
        for (int i = width - 1; i >= 0; i--)
        {
            _bits.Append(((value >> i) & 1) == 1 ? '1' : '0');
        }

        return this;
    }

    /// <summary>The bits packed into bytes, the last one padded with zeros.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[(_bits.Length + 7) / 8];
        for (int i = 0; i < _bits.Length; i++)
        {
            if (_bits[i] == '1')
            {
                bytes[i / 8] |= (byte)(0x80 >> (i % 8));
            }
        }

        return bytes;
    }

    public override string ToString() => _bits.ToString();

    /// <summary>Renders bytes as a bit string, for readable assertion failures.</summary>
    public static string Render(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length * 9);
        foreach (byte b in bytes)
        {
            sb.Append(Convert.ToString(b, 2).PadLeft(8, '0')).Append(' ');
        }

        return sb.ToString().TrimEnd();
    }
}
