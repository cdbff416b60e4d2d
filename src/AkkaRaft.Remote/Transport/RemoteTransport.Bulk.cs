using System.Buffers;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using AkkaRaft.Remote.Wire;

namespace AkkaRaft.Remote.Transport;

/// <summary>A file that arrived completely over the bulk channel and passed its checksum.</summary>
/// <param name="From">The sending system.</param>
/// <param name="Name">The name the sender gave the file.</param>
/// <param name="Path">Where the file now is (inside the bulk directory).</param>
/// <param name="Length">Its length in bytes.</param>
/// <param name="ResumedFromOffset">Bytes that were already on disk from an earlier, cut transfer.</param>
public sealed record BulkFileReceived(RemoteAddress From, string Name, string Path, long Length, long ResumedFromOffset);

/// <summary>The outcome of a completed <see cref="RemoteTransport.SendFileAsync"/>.</summary>
/// <param name="Length">The file's length in bytes.</param>
/// <param name="ResumedFromOffset">Where this attempt started: bytes the receiver already had from an earlier cut attempt.</param>
/// <param name="UsedSendFile">True when the bytes went through kernel sendfile (plain TCP); false under TLS.</param>
public sealed record BulkSendResult(long Length, long ResumedFromOffset, bool UsedSendFile);

/// <summary>The receiver refused a bulk transfer or found its checksum wrong. Retrying the same file will not help.</summary>
public sealed class BulkTransferException(string message) : Exception(message);

public sealed partial class RemoteTransport
{
    // Kept conservative on purpose: names become file names inside the bulk directory.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]
    private static partial Regex BulkNamePattern();

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _bulkTurns = new(StringComparer.Ordinal);

    /// <summary>Where files received over the bulk channel land; null when this system refuses bulk transfers.</summary>
    public string? BulkDirectory { get; }

    /// <summary>Raised (on an I/O thread) when a file arrived completely and its CRC-32C matched.</summary>
    public event Action<BulkFileReceived>? FileReceived;

    /// <summary>
    /// Sends the file at <paramref name="path"/> to <paramref name="to"/>'s bulk directory as <paramref name="name"/>
    /// on a dedicated connection. The receiver tells where to start, so a transfer cut by a network failure resumes
    /// where it stopped when called again. Bytes go through the kernel's sendfile on plain TCP
    /// (<see cref="Socket.SendFile(string)"/> from offset 0, a file <see cref="SendPacketsElement"/> from a resume offset),
    /// and through the TLS stream otherwise. The CRC-32C of the whole file is checked by the receiver over the bytes it wrote, which writes a
    /// temporary file and renames it only when the checksum matches.
    /// </summary>
    /// <exception cref="BulkTransferException">The receiver refused the file or the checksum did not match.</exception>
    /// <exception cref="IOException">The connection failed; calling again resumes.</exception>
    /// <exception cref="RemoteProtocolException">The handshake failed.</exception>
    public async Task<BulkSendResult> SendFileAsync(RemoteAddress to, string path, string name, CancellationToken ct = default)
    {
        if (!BulkNamePattern().IsMatch(name))
        {
            throw new ArgumentException($"bulk name '{name}' must match {BulkNamePattern()}", nameof(name));
        }
        var length = new FileInfo(path).Length;
        var crc = await FileChecksum.ComputeAsync(path, Settings.BulkBufferBytes, ct).ConfigureAwait(false);

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
        var connection = await DialAsync(to, ConnectionPurpose.Bulk, linked.Token).ConfigureAwait(false);
        _connections.TryAdd(connection, 0);
        try
        {
            await using var cancelRegistration = linked.Token.Register(() => connection.Close(CloseReason.Shutdown, "bulk send cancelled"));
            await FrameCodec.WriteOneAsync(connection.Writer, new Frame
            {
                BulkOffer = new BulkOffer { Name = name, Length = length, Crc32C = crc },
            }, linked.Token).ConfigureAwait(false);
            var reply = await FrameCodec.ReadOneAsync(connection.Reader, Settings.MaximumFrameSizeBytes, linked.Token).ConfigureAwait(false);
            if (reply.BodyCase == Frame.BodyOneofCase.BulkResult)
            {
                throw new BulkTransferException($"{to} refused '{name}': {reply.BulkResult.Reason}");
            }
            if (reply.BodyCase != Frame.BodyOneofCase.BulkResume || reply.BulkResume.Offset < 0 || reply.BulkResume.Offset > length)
            {
                throw new RemoteProtocolException(CloseReason.ProtocolViolation, $"{to} answered a bulk offer with {reply}");
            }
            var offset = reply.BulkResume.Offset;
            var usedSendFile = !connection.IsTls;
            if (offset < length)
            {
                if (usedSendFile)
                {
                    await SendFileBytesAsync(connection.Socket, path, offset, length, linked.Token).ConfigureAwait(false);
                }
                else
                {
                    await CopyThroughStreamAsync(connection, path, offset, linked.Token).ConfigureAwait(false);
                }
            }
            var result = await FrameCodec.ReadOneAsync(connection.Reader, Settings.MaximumFrameSizeBytes, linked.Token).ConfigureAwait(false);
            if (result.BodyCase != Frame.BodyOneofCase.BulkResult)
            {
                throw new RemoteProtocolException(CloseReason.ProtocolViolation, $"{to} ended a bulk transfer with {result.BodyCase}");
            }
            if (!result.BulkResult.Ok)
            {
                throw new BulkTransferException($"{to} rejected '{name}': {result.BulkResult.Reason}");
            }
            connection.Close(CloseReason.PeerClosed, $"bulk transfer of '{name}' complete");
            return new BulkSendResult(length, offset, usedSendFile);
        }
        catch (RemoteProtocolException e) when (e.Reason is CloseReason.PeerClosed or CloseReason.TruncatedFrame)
        {
            connection.Close(CloseReason.IoError, $"bulk send of '{name}' lost its connection: {e.Message}");
            throw new IOException($"bulk send of '{name}' to {to} lost its connection; calling again resumes", e);
        }
        catch (Exception e) when (e is RemoteProtocolException or BulkTransferException)
        {
            CloseFor(connection, e as RemoteProtocolException ?? new RemoteProtocolException(CloseReason.BulkRejected, e.Message));
            throw;
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            connection.Close(ct.IsCancellationRequested ? CloseReason.Shutdown : CloseReason.IoError, $"bulk send of '{name}' failed: {e.Message}");
            if (ct.IsCancellationRequested) throw new OperationCanceledException("bulk send cancelled", e, ct);
            throw new IOException($"bulk send of '{name}' to {to} failed; calling again resumes", e);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }
    }

    private static async Task SendFileBytesAsync(Socket socket, string path, long offset, long length, CancellationToken ct)
    {
        if (offset == 0)
        {
            await socket.SendFileAsync(path, ct).ConfigureAwait(false);
            return;
        }
        // Socket.SendFile has no offset; a file SendPacketsElement is the same kernel sendfile from an offset.
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous);
        const int chunkBytesMax = 1 << 30;
        for (var position = offset; position < length;)
        {
            var count = (int)Math.Min(chunkBytesMax, length - position);
            await SendPacketsAsync(socket, new SendPacketsElement(file, position, count), ct).ConfigureAwait(false);
            position += count;
        }
    }

    private static Task SendPacketsAsync(Socket socket, SendPacketsElement element, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var args = new SocketAsyncEventArgs { SendPacketsElements = [element] };
        args.Completed += (_, e) => Finish(e);
        var registration = ct.Register(() => done.TrySetCanceled(ct));
        if (!socket.SendPacketsAsync(args)) Finish(args);
        return done.Task.ContinueWith(t =>
        {
            registration.Dispose();
            return t;
        }, TaskScheduler.Default).Unwrap();

        void Finish(SocketAsyncEventArgs e)
        {
            if (e.SocketError == SocketError.Success) done.TrySetResult();
            else done.TrySetException(new SocketException((int)e.SocketError));
            e.Dispose();
        }
    }

    private async Task CopyThroughStreamAsync(Connection connection, string path, long offset, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        file.Seek(offset, SeekOrigin.Begin);
        var buffer = ArrayPool<byte>.Shared.Rent(Settings.BulkBufferBytes);
        try
        {
            int read;
            while ((read = await file.ReadAsync(buffer.AsMemory(0, Settings.BulkBufferBytes), ct).ConfigureAwait(false)) > 0)
            {
                await connection.Stream.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
            }
            await connection.Stream.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Receiver side of one bulk connection: offer, resume offset, raw bytes, checksum, rename.</summary>
    private async Task ReceiveBulkAsync(Connection connection, RemoteAddress from)
    {
        var directory = BulkDirectory!;
        var offerFrame = await ReadWithIdleTimeoutAsync(connection).ConfigureAwait(false);
        if (offerFrame.BodyCase != Frame.BodyOneofCase.BulkOffer)
        {
            throw new RemoteProtocolException(CloseReason.ProtocolViolation, $"bulk connection opened with {offerFrame.BodyCase}, expected BulkOffer");
        }
        var offer = offerFrame.BulkOffer;
        var refusal = !BulkNamePattern().IsMatch(offer.Name) ? $"name '{offer.Name}' is not allowed"
            : offer.Length < 0 || offer.Length > Settings.BulkFileSizeBytesMax ? $"length {offer.Length} is outside 0..bulk.file-size-bytes-max = {Settings.BulkFileSizeBytesMax}"
            : null;
        if (refusal is not null)
        {
            await FrameCodec.WriteOneAsync(connection.Writer, new Frame { BulkResult = new BulkResult { Ok = false, Reason = refusal } }, connection.ClosedToken).ConfigureAwait(false);
            throw new RemoteProtocolException(CloseReason.BulkRejected, $"bulk offer from {from} refused: {refusal}");
        }

        Directory.CreateDirectory(directory);
        var expected = offer.Crc32C;
        // The partial file's name carries length and checksum, so a different file under the same name never resumes it.
        var partialPath = Path.Combine(directory, $".{offer.Name}.{offer.Length:x}-{expected:x8}.partial");
        // A resumed attempt may arrive while the cut one is still flushing its partial file: take turns per file.
        var turn = _bulkTurns.GetOrAdd(partialPath, static _ => new SemaphoreSlim(1, 1));
        using var idleWait = CancellationTokenSource.CreateLinkedTokenSource(connection.ClosedToken);
        idleWait.CancelAfter(Settings.BulkIdleTimeout);
        await turn.WaitAsync(idleWait.Token).ConfigureAwait(false);
        try
        {
            await ReceiveBulkFileAsync(connection, from, offer, expected, partialPath, Path.Combine(directory, offer.Name)).ConfigureAwait(false);
        }
        finally
        {
            turn.Release();
        }
    }

    private async Task ReceiveBulkFileAsync(Connection connection, RemoteAddress from, BulkOffer offer, uint expected, string partialPath, string finalPath)
    {
        var resumeFrom = File.Exists(partialPath) ? new FileInfo(partialPath).Length : 0;
        if (resumeFrom > offer.Length) resumeFrom = 0;

        await FrameCodec.WriteOneAsync(connection.Writer, new Frame { BulkResume = new BulkResume { Offset = resumeFrom } }, connection.ClosedToken).ConfigureAwait(false);

        var received = resumeFrom;
        var chunk = ArrayPool<byte>.Shared.Rent(Settings.BulkBufferBytes);
        await using (var file = new FileStream(partialPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, 0))
        {
            file.SetLength(resumeFrom);
            file.Seek(resumeFrom, SeekOrigin.Begin);
            try
            {
                // Bytes the pipe already holds come first (none, normally: the sender waits for BulkResume).
                if (connection.Reader.TryRead(out var buffered))
                {
                    var take = Math.Min(buffered.Buffer.Length, offer.Length - received);
                    foreach (var segment in buffered.Buffer.Slice(0, take)) file.Write(segment.Span);
                    received += take;
                    connection.Reader.AdvanceTo(buffered.Buffer.GetPosition(take));
                }
                // Then straight from the stream in large chunks: the pipe's small segments would cost one write each.
                while (received < offer.Length)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(connection.ClosedToken);
                    idle.CancelAfter(Settings.BulkIdleTimeout);
                    var want = (int)Math.Min(Settings.BulkBufferBytes, offer.Length - received);
                    var read = await connection.Stream.ReadAsync(chunk.AsMemory(0, want), idle.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new RemoteProtocolException(CloseReason.BulkIncomplete,
                            $"bulk transfer of '{offer.Name}' from {from} cut at {received} of {offer.Length} bytes; kept for resume");
                    }
                    await file.WriteAsync(chunk.AsMemory(0, read), connection.ClosedToken).ConfigureAwait(false);
                    received += read;
                    Metrics.OnBulkBytes(read);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                throw new RemoteProtocolException(CloseReason.BulkIncomplete,
                    $"bulk transfer of '{offer.Name}' from {from} stopped at {received} of {offer.Length} bytes ({e.GetType().Name}); kept for resume", e);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
                file.Flush(flushToDisk: true);
            }
        }

        // Checked over what is on disk, after the fsync: this covers the network and the write.
        var actual = await FileChecksum.ComputeAsync(partialPath, Settings.BulkBufferBytes, connection.ClosedToken).ConfigureAwait(false);
        if (actual != expected)
        {
            File.Delete(partialPath);
            var mismatch = $"CRC-32C of the received bytes is {actual:x8}, the offer said {expected:x8}";
            await FrameCodec.WriteOneAsync(connection.Writer, new Frame { BulkResult = new BulkResult { Ok = false, Reason = mismatch } }, connection.ClosedToken).ConfigureAwait(false);
            throw new RemoteProtocolException(CloseReason.BulkRejected, $"bulk transfer of '{offer.Name}' from {from}: {mismatch}");
        }
        File.Move(partialPath, finalPath, overwrite: true);
        await FrameCodec.WriteOneAsync(connection.Writer, new Frame { BulkResult = new BulkResult { Ok = true } }, connection.ClosedToken).ConfigureAwait(false);
        FileReceived?.Invoke(new BulkFileReceived(from, offer.Name, finalPath, offer.Length, resumeFrom));
        await connection.Writer.FlushAsync(connection.ClosedToken).ConfigureAwait(false);
    }

    private async Task<Frame> ReadWithIdleTimeoutAsync(Connection connection)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(connection.ClosedToken);
        idle.CancelAfter(Settings.BulkIdleTimeout);
        try
        {
            return await FrameCodec.ReadOneAsync(connection.Reader, Settings.MaximumFrameSizeBytes, idle.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested && !connection.IsClosed)
        {
            throw new RemoteProtocolException(CloseReason.HandshakeTimeout, $"no bulk offer within bulk.idle-timeout = {Settings.BulkIdleTimeout}");
        }
    }
}
