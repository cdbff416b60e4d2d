using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries.Tests.Gorilla;

public sealed class SeekTests
{
    // Points at 100, 160, 220, ... 100 + 60·49, values equal to their index.
    private static GorillaBlock Block()
    {
        var encoder = new GorillaEncoder("seek", TimestampUnit.Seconds, 0);
        for (int i = 0; i < 50; i++)
        {
            encoder.TryAppend(100 + (60 * i), i);
        }

        return encoder.Finish();
    }

    [Fact]
    public void Seek_to_an_existing_timestamp_lands_on_that_point()
    {
        GorillaDecoder decoder = Block().GetDecoder();
        Assert.True(decoder.SeekTo(100 + (60 * 17)));
        Assert.Equal(new DataPoint(1120, 17), decoder.Current);
    }

    [Fact]
    public void Seek_between_points_lands_on_the_next_point()
    {
        GorillaDecoder decoder = Block().GetDecoder();
        Assert.True(decoder.SeekTo(1121));
        Assert.Equal(new DataPoint(1180, 18), decoder.Current);
        Assert.True(decoder.MoveNext());
        Assert.Equal(new DataPoint(1240, 19), decoder.Current);
    }

    [Fact]
    public void Seek_before_the_first_point_lands_on_the_first_point()
    {
        GorillaDecoder decoder = Block().GetDecoder();
        Assert.True(decoder.SeekTo(0));
        Assert.Equal(new DataPoint(100, 0), decoder.Current);
    }

    [Fact]
    public void Seek_after_the_last_point_finds_nothing_and_exhausts_the_decoder()
    {
        GorillaDecoder decoder = Block().GetDecoder();
        Assert.False(decoder.SeekTo(100 + (60 * 49) + 1));
        Assert.Equal(0, decoder.Remaining);
        Assert.False(decoder.MoveNext());
    }

    [Fact]
    public void Seek_to_the_last_point_lands_on_it()
    {
        GorillaDecoder decoder = Block().GetDecoder();
        Assert.True(decoder.SeekTo(3040));
        Assert.Equal(new DataPoint(3040, 49), decoder.Current);
        Assert.False(decoder.MoveNext());
    }

    [Fact]
    public void Seek_backwards_keeps_the_current_point_since_it_is_already_at_or_after_the_target()
    {
        GorillaDecoder decoder = Block().GetDecoder();
        decoder.SeekTo(2000);
        Assert.True(decoder.SeekTo(500));
        Assert.Equal(new DataPoint(2020, 32), decoder.Current);
    }

    [Fact]
    public void Seek_works_on_an_open_block()
    {
        var encoder = new GorillaEncoder("seek-open", TimestampUnit.Milliseconds, 1_000);
        for (int i = 0; i < 10; i++)
        {
            encoder.TryAppend(1_000 + (i * 250), i * 1.5);
        }

        GorillaDecoder decoder = encoder.DecodeSoFar();
        Assert.True(decoder.SeekTo(1_600));
        Assert.Equal(new DataPoint(1_750, 4.5), decoder.Current);
        Assert.Equal(6, decoder.Remaining);
    }

    [Fact]
    public void First_timestamp_of_a_block_is_read_without_decoding_and_matches_the_first_point()
    {
        GorillaBlock block = Block();
        Assert.Equal(100, block.FirstTimestamp);
        GorillaDecoder decoder = block.GetDecoder();
        decoder.MoveNext();
        Assert.Equal(block.FirstTimestamp, decoder.Current.Timestamp);
    }
}
