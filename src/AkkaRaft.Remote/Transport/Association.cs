using System.Threading.Channels;
using AkkaRaft.Remote.Wire;

namespace AkkaRaft.Remote.Transport;

/// <summary>
/// Everything this system holds for one remote system: the bounded send queue, the single writer loop that
/// drains it (so frames leave in the order they were queued), and the current connection, which is either
/// dialled on demand (with exponential backoff) or adopted from the peer's inbound dial.
/// One connection per pair of systems: when both dial at once, the connection dialled by the lower address wins.
/// </summary>
internal sealed class Association
{
    private readonly RemoteTransport _transport;
    private readonly Channel<Frame> _queue;
    private readonly object _gate = new();
    private Connection? _current;
    private bool _dialling;
    private bool _adopting;
    private TaskCompletionSource _changed = NewSignal();
    private TimeSpan _backoff;

    internal Association(RemoteTransport transport, RemoteAddress remote)
    {
        _transport = transport;
        Remote = remote;
        _backoff = transport.Settings.ReconnectBackoffMin;
        _queue = Channel.CreateBounded<Frame>(new BoundedChannelOptions(transport.Settings.SendQueueCapacityMessages)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _ = Task.Run(WriterLoopAsync);
    }

    internal RemoteAddress Remote { get; }

    /// <summary>Queues a frame; false when the queue is full or closed (the caller dead-letters it).</summary>
    internal bool TryEnqueue(Frame frame) => _queue.Writer.TryWrite(frame);

    /// <summary>Drops everything queued (address terminated); returns the frames for dead-lettering.</summary>
    internal List<Frame> DrainQueued()
    {
        var drained = new List<Frame>();
        while (_queue.Reader.TryRead(out var frame)) drained.Add(frame);
        return drained;
    }

    internal void Complete() => _queue.Writer.TryComplete();

    internal Connection? Current
    {
        get
        {
            lock (_gate) return _current;
        }
    }

    /// <summary>
    /// Decides whether to keep an authenticated inbound connection from the peer. Refused when this system is the
    /// lower address and has its own dial (in flight or established), because that dial wins on both sides.
    /// </summary>
    internal bool BeginAdopt()
    {
        lock (_gate)
        {
            var localIsLower = _transport.Address.CompareTo(Remote) < 0;
            var ownDial = _dialling || _current is { IsClosed: false, DialledByLocal: true };
            if (localIsLower && ownDial) return false;
            _adopting = true;
            return true;
        }
    }

    /// <summary>Installs the adopted connection (or, when <paramref name="connection"/> is null, abandons the adoption).</summary>
    internal void EndAdopt(Connection? connection)
    {
        Connection? old;
        lock (_gate)
        {
            _adopting = false;
            old = connection is null ? null : _current;
            if (connection is not null) _current = connection;
            SignalLocked();
        }
        old?.Close(CloseReason.Replaced, "a newer connection from the same system replaced it");
    }

    /// <summary>Forgets <paramref name="connection"/> if it is the current one; true if it was.</summary>
    internal bool OnClosed(Connection connection)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_current, connection)) return false;
            _current = null;
            SignalLocked();
            return true;
        }
    }

    private async Task WriterLoopAsync()
    {
        var reader = _queue.Reader;
        var shutdown = _transport.ShutdownToken;
        var maxFrame = _transport.Settings.MaximumFrameSizeBytes;
        var batchMax = _transport.Settings.SendBatchFramesMax;
        try
        {
            while (await reader.WaitToReadAsync(shutdown).ConfigureAwait(false))
            {
                var connection = await ConnectedAsync(shutdown).ConfigureAwait(false);
                var written = 0;
                try
                {
                    while (written < batchMax && reader.TryRead(out var frame))
                    {
                        var size = frame.CalculateSize();
                        if (size > maxFrame)
                        {
                            _transport.DeadLetter(Remote, frame, $"frame of {size} bytes exceeds maximum-frame-size-bytes = {maxFrame}");
                            continue;
                        }
                        FrameCodec.Write(connection.Writer, frame, size);
                        written++;
                    }
                    await connection.Writer.FlushAsync(connection.ClosedToken).ConfigureAwait(false);
                    _transport.Metrics.OnFramesSent(written);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The frames of this batch are lost with the connection: remoting delivers at most once.
                    connection.Close(CloseReason.IoError, $"write failed: {e.GetType().Name}: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // Shutting down.
        }
        foreach (var frame in DrainQueued()) _transport.DeadLetter(Remote, frame, "remoting shut down");
    }

    /// <summary>The live connection, dialling (with backoff) until there is one.</summary>
    private async Task<Connection> ConnectedAsync(CancellationToken shutdown)
    {
        while (true)
        {
            Task changed;
            var dial = false;
            lock (_gate)
            {
                if (_current is { IsClosed: false } live) return live;
                changed = _changed.Task;
                if (!_adopting && !_dialling)
                {
                    _dialling = true;
                    dial = true;
                }
            }
            if (!dial)
            {
                await changed.WaitAsync(shutdown).ConfigureAwait(false);
                continue;
            }

            Connection? mine = null;
            try
            {
                mine = await _transport.DialAsync(Remote, ConnectionPurpose.Messages, shutdown).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _transport.Log.Log(RemoteLogLevel.Info, $"dial to {Remote} failed ({e.GetType().Name}: {e.Message}); retrying in {_backoff.TotalMilliseconds:0} ms");
            }

            Connection? duplicate = null;
            lock (_gate)
            {
                _dialling = false;
                if (mine is not null)
                {
                    if (_current is { IsClosed: false })
                    {
                        duplicate = mine;
                        mine = null;
                    }
                    else
                    {
                        _current = mine;
                    }
                }
                SignalLocked();
                changed = _changed.Task;
            }
            duplicate?.Close(CloseReason.Duplicate, "the peer's inbound connection was adopted while dialling");
            if (mine is not null)
            {
                _backoff = _transport.Settings.ReconnectBackoffMin;
                _transport.StartReading(mine, this);
                return mine;
            }
            if (duplicate is not null) continue;

            await Task.WhenAny(Task.Delay(_backoff, shutdown), changed).ConfigureAwait(false);
            shutdown.ThrowIfCancellationRequested();
            var doubled = TimeSpan.FromTicks(_backoff.Ticks * 2);
            _backoff = doubled > _transport.Settings.ReconnectBackoffMax ? _transport.Settings.ReconnectBackoffMax : doubled;
        }
    }

    private void SignalLocked()
    {
        var old = _changed;
        _changed = NewSignal();
        old.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
