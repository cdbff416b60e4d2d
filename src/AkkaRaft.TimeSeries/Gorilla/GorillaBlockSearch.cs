namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>
/// Finding the block to start reading from in a series' finished blocks. A Gorilla block can only be read
/// forwards, but each block's first timestamp is in its first bits (<see cref="GorillaBlock.FirstTimestamp"/>),
/// so whole blocks are skipped by binary search without decoding them.
/// </summary>
public static class GorillaBlockSearch
{
    /// <summary>
    /// In <paramref name="blocks"/> (non-empty blocks of one series, oldest first, as a
    /// <see cref="GorillaSeriesWriter"/> hands them out), the index of the block where the first point at or after
    /// <paramref name="timestamp"/> is, if any block holds it: the last block whose first timestamp is at or
    /// before <paramref name="timestamp"/>, or 0 when there is none. When that block's
    /// <see cref="GorillaDecoder.SeekTo"/> finds nothing, the answer is the first point of the next block.
    /// Returns −1 for an empty list.
    /// </summary>
    public static int IndexOfBlockFor(IReadOnlyList<GorillaBlock> blocks, long timestamp)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        if (blocks.Count == 0)
        {
            return -1;
        }

        // Invariant: blocks[low].FirstTimestamp <= timestamp, or low == 0; blocks[high + 1..] start after timestamp.
        int low = 0;
        int high = blocks.Count - 1;
        while (low < high)
        {
            int middle = low + ((high - low + 1) / 2);
            if (blocks[middle].FirstTimestamp <= timestamp)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }
}
