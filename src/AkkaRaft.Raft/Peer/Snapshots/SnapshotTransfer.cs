using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaRaft.Common;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Remoting;

namespace AkkaRaft.Raft.Peer.Snapshots;

/// <summary>
/// Snapshot transfer outside the peer messages (zraft's sendfile transfer): a node's snapshot port and its snapshot files.
/// </summary>
/// <remarks>
/// <para>
/// Leader side: <see cref="PublishAsync"/> writes the snapshot the core wants sent to a file under <see cref="Directory"/>
/// (once per snapshot), with the CRC-32C of each chunk of <see cref="SnapshotTransferSettings.ChunkBytes"/> and of the
/// whole, and gives back the <see cref="SnapshotOffer"/> to send in its place: metadata, length, CRC, this port's
/// address and a random token. The port answers a fetch request carrying that token with the CRC table and then the
/// file's bytes, sent by the kernel (<see cref="Socket.SendFileAsync(string, ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, TransmitFileOptions, CancellationToken)"/>,
/// or a file range through <see cref="Socket.SendPacketsAsync"/> when it resumes: both are sendfile(2) on Linux).
/// </para>
/// <para>
/// Follower side: <see cref="FetchAsync"/> fetches an offer into a temporary file under <c>incoming/</c>, checks each
/// chunk against the table before keeping it and the whole against the offer, and hands back the bytes. A fetch cut in
/// the middle (connection lost, a chunk that fails its CRC, the leader's port gone) keeps what was verified; the next
/// fetch of the same snapshot asks for the rest from there.
/// </para>
/// <para>
/// With the cluster's TLS (<c>akkaraft.remote.tls</c>) the port speaks TLS with both ends authenticated as on the Raft
/// port: each presents its node certificate, which must chain to the cluster's CA (<see cref="ClusterCertificateValidator"/>).
/// The bytes are then read from the file and written through the TLS stream (sendfile cannot encrypt); without TLS the
/// kernel sends them.
/// </para>
/// <para>
/// Nothing that arrives on the port or in an offer can crash the node: malformed requests, unknown snapshots, wrong CRCs,
/// oversized lengths are refused (and reported to the observer), and a fetch fails with an exception the caller logs.
/// Files: the newest published or saved snapshot is kept, or the last <see cref="SnapshotTransferSettings.BackupCount"/>
/// with <see cref="SnapshotTransferSettings.Backup"/>. Thread-safe.
/// </para>
/// </remarks>
public sealed class SnapshotTransfer : IAsyncDisposable
{
    private const string Extension = ".snap";

    /// <summary>Bytes read from a snapshot file per TLS write (a TLS record holds at most 16 KiB; the stream splits them).</summary>
    private const int TlsWriteBytes = 256 * 1024;

    private readonly SnapshotTransferSettings _settings;
    private readonly long _maxSnapshotBytes;
    private readonly Action<SnapshotTransferEvent>? _observer;
    private readonly TlsSettings? _tls;
    private readonly ClusterCertificateValidator? _validator;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private readonly ConcurrentDictionary<(ulong Index, ulong Term), Lazy<Task<SnapshotFile>>> _files = new();
    private readonly object _fetchLock = new();
    private readonly string _incoming;
    private readonly long[] _counts = new long[Enum.GetValues<SnapshotTransferEventKind>().Length];
    private int _connections;
    private (SnapshotOffer Offer, Task<byte[]> Task)? _fetching;
    private Partial? _partial;

    /// <summary>
    /// Opens <paramref name="directory"/> (created if missing; partial fetches of an earlier run are dropped) and binds
    /// the snapshot port of <paramref name="settings"/>.
    /// </summary>
    /// <param name="settings">The snapshot settings of <c>akkaraft.raft</c>.</param>
    /// <param name="maxSnapshotBytes">Largest snapshot fetched (<c>akkaraft.raft.max-snapshot-bytes</c>).</param>
    /// <param name="directory">Where snapshot files live (the server: <c>snapshots</c> under its data directory).</param>
    /// <param name="defaultHost">The host to bind when <see cref="SnapshotTransferSettings.Listener"/> names none (the node's Raft host).</param>
    /// <param name="observer">Told what happens, on the transfer's threads; must not throw or block.</param>
    /// <param name="tls">The cluster's TLS (<c>akkaraft.remote.tls</c>): when enabled, the port and every fetch use TLS
    /// with this node's certificate, and admit only peers whose certificate chains to the cluster's CA.</param>
    /// <exception cref="SocketException">The port cannot be bound.</exception>
    public SnapshotTransfer(SnapshotTransferSettings settings, long maxSnapshotBytes, string directory, string defaultHost, Action<SnapshotTransferEvent>? observer = null,
        TlsSettings? tls = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _settings = settings;
        _maxSnapshotBytes = maxSnapshotBytes;
        _observer = observer;
        if (tls is { Enabled: true })
        {
            if (tls.Certificate is null) throw new ArgumentException("TLS is enabled but no node certificate is loaded", nameof(tls));
            _tls = tls;
            _validator = new ClusterCertificateValidator(tls.CaCertificates);
        }

        Directory = Path.GetFullPath(directory);
        _incoming = Path.Combine(Directory, "incoming");
        DropLeftovers();

        var (host, port) = settings.ListenerEndpoint(defaultHost);
        var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host)[0];
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(address, port));
        _listener.Listen(settings.MaxConnections);
        var bound = (IPEndPoint)_listener.LocalEndPoint!;
        Endpoint = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host}]:{bound.Port}" : $"{host}:{bound.Port}";
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>host:port of this node's snapshot port, as offers announce it.</summary>
    public string Endpoint { get; }

    /// <summary>The directory of the snapshot files.</summary>
    public string Directory { get; }

    /// <summary>The settings it runs with.</summary>
    public SnapshotTransferSettings Settings => _settings;

    /// <summary>Whether the port and the fetches use the cluster's TLS.</summary>
    public bool Encrypted => _tls is not null;

    /// <summary>The snapshot files kept now, newest first.</summary>
    public IReadOnlyList<string> Files() =>
        !System.IO.Directory.Exists(Directory)
            ? []
            : System.IO.Directory.EnumerateFiles(Directory, "*" + Extension).Select(f => (Path: f, Key: ParseName(f))).Where(f => f.Key is not null)
                .OrderByDescending(f => f.Key!.Value.Index).ThenByDescending(f => f.Key!.Value.Term).Select(f => f.Path).ToList();

    /// <summary>
    /// Drops what an earlier run left half done (partial fetches, unfinished files). A disk that cannot be written now
    /// (read-only, full) does not stop the node: the journal refuses writes on its own, and the directories are made
    /// when a file is first written.
    /// </summary>
    private void DropLeftovers()
    {
        try
        {
            if (System.IO.Directory.Exists(_incoming)) System.IO.Directory.Delete(_incoming, recursive: true);
            if (!System.IO.Directory.Exists(Directory)) return;
            foreach (var tmp in System.IO.Directory.EnumerateFiles(Directory, "*.tmp")) File.Delete(tmp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Report(SnapshotTransferEventKind.DirectoryUnwritable, 0, 0, 0, $"the leftovers of an earlier run under {Directory} could not be removed yet: {e.Message}");
        }
    }

    // ------------------------------------------------------------------ leader side

    /// <summary>
    /// Makes the snapshot of <paramref name="install"/> fetchable (its file is written once) and returns the offer to
    /// send to <see cref="RaftMessage.To"/> in its place.
    /// </summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public async Task<SnapshotOffer> PublishAsync(InstallSnapshot install)
    {
        ArgumentNullException.ThrowIfNull(install);
        var file = await EnsureFileAsync(install.Snapshot).ConfigureAwait(false);
        return new SnapshotOffer(install.From, install.To, install.Term, install.Snapshot.Metadata, file.TotalBytes, file.Crc, Endpoint, file.Token);
    }

    /// <summary>Keeps <paramref name="snapshot"/> as a file (what <see cref="SnapshotTransferSettings.Backup"/> asks for each snapshot saved).</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public Task SaveAsync(Snapshot snapshot) => EnsureFileAsync(snapshot);

    private Task<SnapshotFile> EnsureFileAsync(Snapshot snapshot)
    {
        var key = (snapshot.Metadata.Index, snapshot.Metadata.Term);
        var lazy = _files.GetOrAdd(key, _ => new Lazy<Task<SnapshotFile>>(() => Task.Run(() => Write(snapshot))));
        var task = lazy.Value;
        // A failed write is forgotten, so the next attempt writes again.
        task.ContinueWith(t => _files.TryRemove(new KeyValuePair<(ulong, ulong), Lazy<Task<SnapshotFile>>>(key, lazy)),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return task;
    }

    private SnapshotFile Write(Snapshot snapshot)
    {
        var metadata = snapshot.Metadata;
        var data = snapshot.Data;
        var chunk = _settings.ChunkBytes;
        var crcs = new uint[SnapshotWire.Chunks(data.Length, 0, chunk)];
        uint whole = 0;
        for (var i = 0; i < crcs.Length; i++)
        {
            var piece = data.AsSpan(i * chunk, Math.Min(chunk, data.Length - i * chunk));
            crcs[i] = Crc32C.Compute(piece);
            whole = Crc32C.Append(whole, piece);
        }

        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, NameOf(metadata.Index, metadata.Term));
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
        {
            stream.Write(data);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        var file = new SnapshotFile(path, data.Length, chunk, crcs, whole, RandomNumberGenerator.GetBytes(SnapshotOffer.TokenBytes));
        Report(SnapshotTransferEventKind.Published, metadata.Index, metadata.Term, data.Length);
        Prune(metadata.Index);
        return file;
    }

    /// <summary>Deletes the files beyond the ones to keep (never the one just written).</summary>
    private void Prune(ulong justWritten)
    {
        var files = Files();
        for (var i = _settings.KeepFiles; i < files.Count; i++)
        {
            var key = ParseName(files[i])!.Value;
            if (key.Index == justWritten) continue;
            _files.TryRemove(key, out _);
            // A transfer streaming it keeps its open handle; a later resume finds it unknown and the leader offers the newer one.
            File.Delete(files[i]);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // a connection that died before it was accepted
            }

            if (Interlocked.Increment(ref _connections) > _settings.MaxConnections)
            {
                Interlocked.Decrement(ref _connections);
                Report(SnapshotTransferEventKind.Refused, 0, 0, 0, $"more than max-snapshot-connections ({_settings.MaxConnections}) connections");
                connection.Dispose();
                continue;
            }

            _ = Task.Run(() => ServeAsync(connection));
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        Stream? stream = null;
        try
        {
            connection.NoDelay = true;
            stream = _tls is null ? new NetworkStream(connection, ownsSocket: false) : await AcceptTlsAsync(connection).ConfigureAwait(false);
            if (stream is null) return;
            var frame = new byte[SnapshotWire.RequestBytes];
            if (!await ReceiveExactlyAsync(stream, frame, _stopping.Token).ConfigureAwait(false))
            {
                Report(SnapshotTransferEventKind.Refused, 0, 0, 0, "the connection closed before a whole request");
                return;
            }

            var request = SnapshotWire.DecodeRequest(frame, out var error);
            if (request is null)
            {
                Report(SnapshotTransferEventKind.Refused, 0, 0, 0, error);
                await stream.WriteAsync(SnapshotWire.EncodeResponse(SnapshotFetchStatus.BadRequest, 0, 0, 0, 0), _stopping.Token).ConfigureAwait(false);
                return;
            }

            var file = await FindAsync(request).ConfigureAwait(false);
            if (file is null)
            {
                Report(SnapshotTransferEventKind.Refused, request.Index, request.Term, request.Offset, "no published snapshot has that index, term and token");
                await stream.WriteAsync(SnapshotWire.EncodeResponse(SnapshotFetchStatus.UnknownSnapshot, 0, 0, 0, 0), _stopping.Token).ConfigureAwait(false);
                return;
            }

            if (request.Offset > file.TotalBytes)
            {
                Report(SnapshotTransferEventKind.Refused, request.Index, request.Term, request.Offset, $"offset past the end ({file.TotalBytes} bytes)");
                await stream.WriteAsync(SnapshotWire.EncodeResponse(SnapshotFetchStatus.BadRequest, 0, 0, 0, 0), _stopping.Token).ConfigureAwait(false);
                return;
            }

            // Resume on a chunk boundary: the table holds whole chunks only.
            var first = (int)(request.Offset / file.ChunkBytes);
            var start = (long)first * file.ChunkBytes;
            var header = SnapshotWire.EncodeResponse(SnapshotFetchStatus.Ok, file.ChunkBytes, file.TotalBytes, start, file.Crc);
            var table = SnapshotWire.EncodeTable(file.ChunkCrcs, first);
            var preamble = new byte[header.Length + table.Length];
            header.CopyTo(preamble, 0);
            table.CopyTo(preamble, header.Length);
            if (stream is SslStream ssl)
            {
                await WriteFromFileAsync(ssl, preamble, file.Path, start, file.TotalBytes - start).ConfigureAwait(false);
            }
            else if (start == 0)
            {
                await connection.SendFileAsync(file.Path, preamble, ReadOnlyMemory<byte>.Empty, TransmitFileOptions.UseDefaultWorkerThread, _stopping.Token).ConfigureAwait(false);
            }
            else
            {
                await SendRangeAsync(connection, preamble, file.Path, start, file.TotalBytes - start).ConfigureAwait(false);
            }

            Report(SnapshotTransferEventKind.Served, request.Index, request.Term, start);
            if (stream is SslStream done) await done.ShutdownAsync().ConfigureAwait(false);
            connection.Shutdown(SocketShutdown.Send);
            // Wait for the fetcher to close its side (it has read everything), or for the idle timeout.
            await ReceiveExactlyAsync(stream, new byte[1], _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException or ConnectionLostException)
        {
            Report(SnapshotTransferEventKind.Refused, 0, 0, 0, $"connection ended: {e.Message}");
        }
        finally
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
            connection.Dispose();
            Interlocked.Decrement(ref _connections);
        }
    }

    /// <summary>
    /// The TLS handshake of an accepted connection, as the server: this node's certificate, and the fetcher's required
    /// and admitted by the cluster's CA. Null (the refusal reported) when the handshake fails or is refused.
    /// </summary>
    private Task<SslStream?> AcceptTlsAsync(Socket connection) => HandshakeAsync(connection,
        (ssl, validate, cancellation) => ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = _tls!.Certificate,
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = validate,
        }, cancellation),
        why => Report(SnapshotTransferEventKind.Refused, 0, 0, 0, $"TLS handshake refused: {why}"));

    /// <summary>
    /// One side's TLS handshake on <paramref name="connection"/>, bounded by the idle timeout, admitting the peer only
    /// by the cluster's CA (<see cref="PeerProblem"/>). Returns the stream, or null once <paramref name="failed"/> has
    /// been told why (it may throw instead); a stream that did not authenticate is disposed.
    /// </summary>
    private async Task<SslStream?> HandshakeAsync(Socket connection,
        Func<SslStream, RemoteCertificateValidationCallback, CancellationToken, Task> authenticate, Action<string> failed)
    {
        var ssl = new SslStream(new NetworkStream(connection, ownsSocket: false), leaveInnerStreamOpen: false);
        string? refusal = null;
        RemoteCertificateValidationCallback validate = (_, certificate, chain, errors) => (refusal = PeerProblem(certificate, chain, errors)) is null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_settings.IdleTimeout);
        var authenticated = false;
        try
        {
            await authenticate(ssl, validate, timeout.Token).ConfigureAwait(false);
            authenticated = true;
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            failed(refusal ?? e.Message);
            return null;
        }
        finally
        {
            if (!authenticated) await ssl.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Why the certificate a peer presented in a TLS handshake on this port is not a cluster member's, or null.</summary>
    private string? PeerProblem(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0 || certificate is null
            ? "no certificate presented"
            : _validator!.Problem(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), chain);

    /// <summary>Writes <paramref name="preamble"/> and then <paramref name="count"/> bytes of the file from <paramref name="offset"/> through TLS.</summary>
    private async Task WriteFromFileAsync(Stream stream, byte[] preamble, string path, long offset, long count)
    {
        await stream.WriteAsync(preamble, _stopping.Token).ConfigureAwait(false);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        file.Position = offset;
        var buffer = ArrayPool<byte>.Shared.Rent(TlsWriteBytes);
        try
        {
            while (count > 0)
            {
                var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), _stopping.Token).ConfigureAwait(false);
                if (read == 0) throw new IOException($"the snapshot file {path} ended {count} bytes early");
                await stream.WriteAsync(buffer.AsMemory(0, read), _stopping.Token).ConfigureAwait(false);
                count -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<SnapshotFile?> FindAsync(FetchRequest request)
    {
        if (!_files.TryGetValue((request.Index, request.Term), out var lazy)) return null;
        SnapshotFile file;
        try
        {
            file = await lazy.Value.ConfigureAwait(false);
        }
        catch (IOException)
        {
            return null;
        }

        return CryptographicOperations.FixedTimeEquals(file.Token, request.Token) && File.Exists(file.Path) ? file : null;
    }

    /// <summary>Sends <paramref name="preamble"/> and then <paramref name="count"/> bytes of the file from <paramref name="offset"/> (sendfile on Linux).</summary>
    private static async Task SendRangeAsync(Socket connection, byte[] preamble, string path, long offset, long count)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.Asynchronous);
        var elements = new List<SendPacketsElement> { new(preamble) };
        while (count > 0)
        {
            var piece = (int)Math.Min(count, int.MaxValue);
            elements.Add(new SendPacketsElement(stream, offset, piece));
            offset += piece;
            count -= piece;
        }

        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var args = new SocketAsyncEventArgs { SendPacketsElements = elements.ToArray() };
        args.Completed += (_, e) => Complete(e, completion);
        if (!connection.SendPacketsAsync(args)) Complete(args, completion);
        await completion.Task.ConfigureAwait(false);

        static void Complete(SocketAsyncEventArgs e, TaskCompletionSource completion)
        {
            if (e.SocketError == SocketError.Success) completion.TrySetResult();
            else completion.TrySetException(new SocketException((int)e.SocketError));
        }
    }

    // ------------------------------------------------------------------ follower side

    /// <summary>
    /// Fetches the snapshot of <paramref name="offer"/> from the leader's port: verified chunk by chunk into a temporary
    /// file, then as a whole against the offer. A fetch of the same snapshot already under way is shared; what an
    /// earlier, cut fetch of it verified is not fetched again.
    /// </summary>
    /// <returns>The snapshot's bytes, verified.</returns>
    /// <exception cref="InvalidDataException">The offer or what the port sent is invalid (too large, a wrong CRC, a refusal).</exception>
    /// <exception cref="IOException">The connection failed or the temporary file cannot be written.</exception>
    public Task<byte[]> FetchAsync(SnapshotOffer offer)
    {
        ArgumentNullException.ThrowIfNull(offer);
        lock (_fetchLock)
        {
            if (_fetching is { } current && !current.Task.IsCompleted && SameSnapshot(current.Offer, offer)) return current.Task;
            var task = Task.Run(() => FetchOnceAsync(offer));
            _fetching = (offer, task);
            // Forget it once done, so the transfer does not hold a whole snapshot's bytes after the peer took them.
            task.ContinueWith(done =>
            {
                lock (_fetchLock)
                {
                    if (_fetching is { } current && ReferenceEquals(current.Task, done)) _fetching = null;
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return task;
        }
    }

    private static bool SameSnapshot(SnapshotOffer a, SnapshotOffer b) =>
        a.Metadata.Index == b.Metadata.Index && a.Metadata.Term == b.Metadata.Term && a.TotalBytes == b.TotalBytes && a.Crc32C == b.Crc32C;

    private async Task<byte[]> FetchOnceAsync(SnapshotOffer offer)
    {
        var index = offer.Metadata.Index;
        var term = offer.Metadata.Term;
        if (offer.TotalBytes < 0 || offer.TotalBytes > _maxSnapshotBytes)
            throw Failed(offer, 0, $"the offered snapshot has {offer.TotalBytes} bytes, above max-snapshot-bytes ({_maxSnapshotBytes})");
        if (offer.Token.Length != SnapshotOffer.TokenBytes) throw Failed(offer, 0, "the offer's token is malformed");
        var partial = TakePartial(offer);
        try
        {
            using var connection = await ConnectAsync(offer.Endpoint).ConfigureAwait(false);
            await using var connectionStream = _tls is null
                ? new NetworkStream(connection, ownsSocket: false)
                : await ConnectTlsAsync(connection, offer, partial.Verified).ConfigureAwait(false);
            try
            {
                await connectionStream.WriteAsync(SnapshotWire.EncodeRequest(offer.Token, index, term, partial.Verified), _stopping.Token).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new ConnectionLostException(e.Message, e);
            }

            var frame = new byte[SnapshotWire.ResponseBytes];
            if (!await ReceiveExactlyAsync(connectionStream, frame, _stopping.Token).ConfigureAwait(false)) throw Failed(offer, partial.Verified, "the port closed before its answer");
            var response = SnapshotWire.DecodeResponse(frame, out var error) ?? throw Failed(offer, partial.Verified, error);
            if (response.Status != SnapshotFetchStatus.Ok) throw Failed(offer, partial.Verified, $"the port answered {response.Status}");
            if (response.TotalBytes != offer.TotalBytes || response.Crc != offer.Crc32C)
                throw Failed(offer, partial.Verified, "the port serves another snapshot than the offer describes");
            if (response.ChunkBytes < SnapshotTransferSettings.ChunkBytesMin || response.ChunkBytes > _settings.MaxChunkBytes)
                throw Failed(offer, partial.Verified, $"chunks of {response.ChunkBytes} bytes, outside [{SnapshotTransferSettings.ChunkBytesMin}, max-snapshot-chunk-bytes = {_settings.MaxChunkBytes}]");
            if (response.StartOffset < 0 || response.StartOffset > partial.Verified || response.StartOffset % response.ChunkBytes != 0)
                throw Failed(offer, partial.Verified, $"the port starts at {response.StartOffset}, not a chunk boundary at or before {partial.Verified}");
            partial.RewindTo(response.StartOffset);
            Report(SnapshotTransferEventKind.FetchStarted, index, term, response.StartOffset);

            var count = (int)SnapshotWire.Chunks(offer.TotalBytes, response.StartOffset, response.ChunkBytes);
            var tableBytes = new byte[(count + 1) * 4];
            if (!await ReceiveExactlyAsync(connectionStream, tableBytes, _stopping.Token).ConfigureAwait(false)) throw Failed(offer, partial.Verified, "the port closed inside the CRC table");
            var table = SnapshotWire.DecodeTable(tableBytes, count) ?? throw Failed(offer, partial.Verified, "the CRC table fails its CRC");

            var buffer = ArrayPool<byte>.Shared.Rent(response.ChunkBytes);
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var length = (int)Math.Min(response.ChunkBytes, offer.TotalBytes - partial.Verified);
                    var piece = buffer.AsMemory(0, length);
                    if (!await ReceiveExactlyAsync(connectionStream, piece, _stopping.Token).ConfigureAwait(false))
                        throw Failed(offer, partial.Verified, $"the connection ended inside the chunk at {partial.Verified}");
                    if (Crc32C.Compute(piece.Span) != table[i])
                        throw Failed(offer, partial.Verified, $"the chunk at {partial.Verified} fails its CRC");
                    partial.Append(piece.Span);
                    Report(SnapshotTransferEventKind.ChunkVerified, index, term, partial.Verified);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (partial.Crc != offer.Crc32C)
            {
                partial.RewindTo(0);
                throw Failed(offer, 0, "the whole snapshot fails the offer's CRC");
            }

            var data = partial.Complete();
            lock (_fetchLock) _partial = null;
            Report(SnapshotTransferEventKind.FetchCompleted, index, term, data.Length);
            return data;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or ConnectionLostException)
        {
            throw Failed(offer, partial.Verified, $"the connection to {offer.Endpoint} failed: {e.Message}");
        }
        finally
        {
            partial.Close();
        }
    }

    /// <summary>The partial copy of the offered snapshot: the one a cut fetch left, or a new one (dropping any other).</summary>
    private Partial TakePartial(SnapshotOffer offer)
    {
        lock (_fetchLock)
        {
            if (_partial is { } kept && SameSnapshot(kept.Offer, offer))
            {
                kept.Open();
                return kept;
            }

            _partial?.Delete();
            System.IO.Directory.CreateDirectory(_incoming);
            var path = Path.Combine(_incoming, string.Create(CultureInfo.InvariantCulture, $"{offer.Metadata.Index:D20}-{offer.Metadata.Term:D20}-{offer.Crc32C:x8}.part"));
            _partial = new Partial(offer, path);
            _partial.Open();
            return _partial;
        }
    }

    private async Task<Socket> ConnectAsync(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            throw new InvalidDataException($"the offer's endpoint '{endpoint}' is not host:port");
        var host = endpoint[..colon].Trim('[', ']');
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_settings.IdleTimeout);
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The TLS handshake of a fetch, as the client: this node's certificate, and the port's admitted by the cluster's CA
    /// (host names are not compared: membership is the CA's signature, as on the Raft port).
    /// </summary>
    private async Task<Stream> ConnectTlsAsync(Socket connection, SnapshotOffer offer, long verified) =>
        (await HandshakeAsync(connection,
            (ssl, validate, cancellation) => ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = offer.Endpoint[..offer.Endpoint.LastIndexOf(':')].Trim('[', ']'),
                ClientCertificates = new X509CertificateCollection { _tls!.Certificate! },
                // This node's certificate whatever CA names the port lists (it lists none from a private CA's trust store).
                LocalCertificateSelectionCallback = (_, _, _, _, _) => _tls.Certificate!,
                RemoteCertificateValidationCallback = validate,
            }, cancellation),
            why => throw Failed(offer, verified, $"the TLS handshake with {offer.Endpoint} failed: {why}")).ConfigureAwait(false))!;

    /// <summary>
    /// Fills <paramref name="buffer"/>; false when the peer closed first. Each wait is bounded by the idle timeout. A
    /// connection that fails under the stream is a <see cref="ConnectionLostException"/>, which a fetch reports as a
    /// failed connection (an <see cref="IOException"/> there is the partial file's).
    /// </summary>
    private async Task<bool> ReceiveExactlyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var filled = 0;
        while (filled < buffer.Length)
        {
            timeout.CancelAfter(_settings.IdleTimeout);
            int read;
            try
            {
                read = await stream.ReadAsync(buffer[filled..], timeout.Token).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new ConnectionLostException(e.Message, e);
            }

            if (read == 0) return false;
            filled += read;
        }

        return true;
    }

    /// <summary>The connection failed under a read (reset, aborted, a broken TLS record).</summary>
    private sealed class ConnectionLostException(string message, Exception inner) : Exception(message, inner);

    private InvalidDataException Failed(SnapshotOffer offer, long verified, string why)
    {
        Report(SnapshotTransferEventKind.FetchFailed, offer.Metadata.Index, offer.Metadata.Term, verified, why);
        return new InvalidDataException($"fetching snapshot {offer.Metadata.Index} (term {offer.Metadata.Term}) from {offer.Endpoint}: {why}");
    }

    private void Report(SnapshotTransferEventKind kind, ulong index, ulong term, long offset, string detail = "")
    {
        Interlocked.Increment(ref _counts[(int)kind]);
        _observer?.Invoke(new SnapshotTransferEvent(kind, index, term, offset, detail));
    }

    /// <summary>How many events of <paramref name="kind"/> this transfer has had since it was created (for /status, metrics and tests).</summary>
    public long Count(SnapshotTransferEventKind kind) => Interlocked.Read(ref _counts[(int)kind]);

    private static string NameOf(ulong index, ulong term) => string.Create(CultureInfo.InvariantCulture, $"{index:D20}-{term:D20}{Extension}");

    private static (ulong Index, ulong Term)? ParseName(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var dash = name.IndexOf('-');
        return dash > 0 && ulong.TryParse(name[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && ulong.TryParse(name[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var term)
            ? (index, term)
            : null;
    }

    /// <summary>Closes the port and waits for its accept loop; transfers under way fail.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        lock (_fetchLock) _partial?.Close();
        _stopping.Dispose();
    }

    /// <summary>A published snapshot file: its chunks' CRCs and the token a fetch must present.</summary>
    private sealed record SnapshotFile(string Path, long TotalBytes, int ChunkBytes, uint[] ChunkCrcs, uint Crc, byte[] Token);

    /// <summary>The verified prefix of a snapshot being fetched, in a temporary file, with its running CRC.</summary>
    private sealed class Partial(SnapshotOffer offer, string path)
    {
        private FileStream? _stream;

        public SnapshotOffer Offer { get; } = offer;

        /// <summary>Bytes verified and kept.</summary>
        public long Verified { get; private set; }

        /// <summary>CRC-32C of the verified bytes.</summary>
        public uint Crc { get; private set; }

        public void Open() => _stream ??= new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);

        public void Append(ReadOnlySpan<byte> piece)
        {
            _stream!.Position = Verified;
            _stream.Write(piece);
            Verified += piece.Length;
            Crc = Crc32C.Append(Crc, piece);
        }

        /// <summary>Keeps only the first <paramref name="offset"/> verified bytes (the leader resumes at a chunk boundary).</summary>
        public void RewindTo(long offset)
        {
            if (offset == Verified) return;
            _stream!.SetLength(offset);
            _stream.Position = 0;
            uint crc = 0;
            var buffer = new byte[64 * 1024];
            var left = offset;
            while (left > 0)
            {
                var read = _stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (read == 0) throw new IOException($"the partial snapshot {path} is shorter than its verified {offset} bytes");
                crc = Crc32C.Append(crc, buffer.AsSpan(0, read));
                left -= read;
            }

            Crc = crc;
            Verified = offset;
        }

        /// <summary>The whole verified snapshot; the temporary file is deleted.</summary>
        public byte[] Complete()
        {
            var data = new byte[Verified];
            _stream!.Position = 0;
            _stream.ReadExactly(data);
            Delete();
            return data;
        }

        public void Close()
        {
            _stream?.Dispose();
            _stream = null;
        }

        public void Delete()
        {
            Close();
            File.Delete(path);
        }
    }
}
