using System.Text;

namespace AkkaRaft.Persistence.Tests.Journal;

public sealed class ChecksumsTests
{
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
