namespace AkkaRaft.Raft.StateMachines;

/// <summary>
/// Writes a snapshot (or a part of one) into an array of exactly its length, with no copy on the way: the state is
/// first written to a stream that only counts, then into the array. A growing <see cref="MemoryStream"/> and its
/// <c>ToArray</c> copied a state of tens of MB two or three times and faulted in the pages of every array it grew into,
/// at every level of a snapshot (shard, time-series store, node), on every peer at about the same moment.
/// </summary>
public static class SnapshotBytes
{
    /// <summary>
    /// The bytes <paramref name="write"/> writes. It is called twice and must write the same bytes both times (a
    /// snapshot of a state that does not change in between does).
    /// </summary>
    /// <exception cref="InvalidOperationException">The two calls wrote different lengths.</exception>
    public static byte[] Write(Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var counter = new CountingStream();
        write(counter);
        var bytes = new byte[counter.Length];
        using var output = new MemoryStream(bytes, writable: true);
        write(output);
        if (output.Position != bytes.Length)
        {
            throw new InvalidOperationException($"A snapshot writer wrote {counter.Length} bytes when counted and {output.Position} when written: it is not deterministic.");
        }

        return bytes;
    }

    /// <summary>A write-only stream that keeps nothing but the number of bytes written.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException("A counting stream only appends.");
        }

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;

        public override void WriteByte(byte value) => _length++;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("A counting stream is write-only.");

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A counting stream only appends.");

        public override void SetLength(long value) => throw new NotSupportedException("A counting stream only appends.");
    }
}
