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

public sealed class BlockSearchTests
{
    // Three windows of points every 600 s starting at 7200·k + 300: blocks start at 300, 7500, 14700.
    private static List<GorillaBlock> Blocks()
    {
        var writer = new GorillaSeriesWriter("search", GorillaSettings.Default);
        var blocks = new List<GorillaBlock>();
        for (long t = 300; t < 3 * 7200; t += 600)
        {
            if (writer.Append(t, t) is { FinishedBlock: { } finished })
            {
                blocks.Add(finished);
            }
        }

        blocks.Add(writer.FinishOpenBlock()!);
        return blocks;
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(300, 0)]
    [InlineData(7499, 0)]
    [InlineData(7500, 1)]
    [InlineData(14699, 1)]
    [InlineData(14700, 2)]
    [InlineData(99999, 2)]
    public void Block_search_finds_the_last_block_starting_at_or_before_the_time(long timestamp, int expected) =>
        Assert.Equal(expected, GorillaBlockSearch.IndexOfBlockFor(Blocks(), timestamp));

    [Fact]
    public void Seek_across_blocks_finds_the_first_point_at_or_after_the_time()
    {
        List<GorillaBlock> blocks = Blocks();
        int index = GorillaBlockSearch.IndexOfBlockFor(blocks, 7000); // block 0 ends at 6900; block 1 starts at 7500
        Assert.Equal(0, index);
        GorillaDecoder decoder = blocks[index].GetDecoder();
        Assert.False(decoder.SeekTo(7000));
        decoder = blocks[index + 1].GetDecoder();
        Assert.True(decoder.SeekTo(7000));
        Assert.Equal(new DataPoint(7500, 7500), decoder.Current);
    }

    [Fact]
    public void Block_search_in_no_blocks_is_minus_one() =>
        Assert.Equal(-1, GorillaBlockSearch.IndexOfBlockFor([], 5));
}
