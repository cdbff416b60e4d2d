using System.Runtime.InteropServices;

namespace AkkaRaft.Faults.Network;

/// <summary>
/// The machine-wide lock that makes the fault harness one at a time: an exclusive <c>flock(2)</c> on a file. A waiter
/// sleeps in the kernel and is woken the moment the holder releases the lock or dies (the kernel drops the lock with
/// the process), so nothing polls.
/// </summary>
internal sealed class HarnessLock : IDisposable
{
    private const int OpenReadWrite = 0x2;
    private const int OpenCreate = 0x40;
    private const int OpenCloseOnExec = 0x80000;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int Interrupted = 4;
    private const int WouldBlock = 11;

    private int _descriptor;

    private HarnessLock(int descriptor) => _descriptor = descriptor;

    /// <summary>Takes the lock on <paramref name="path"/>, waiting up to <paramref name="wait"/> for its holder.</summary>
    /// <exception cref="InvalidOperationException">Another process held the lock all that time.</exception>
    /// <exception cref="IOException">The file cannot be opened or locked.</exception>
    public static HarnessLock Acquire(string path, TextWriter log, TimeSpan wait)
    {
        var descriptor = open(path, OpenReadWrite | OpenCreate | OpenCloseOnExec, Convert.ToInt32("644", 8));
        if (descriptor < 0) throw new IOException($"cannot open {path}: errno {Marshal.GetLastPInvokeError()}");
        var error = Lock(descriptor, LockExclusive | LockNonBlocking);
        if (error == 0) return new HarnessLock(descriptor);
        if (error != WouldBlock || wait <= TimeSpan.Zero)
        {
            close(descriptor);
            throw error == WouldBlock
                ? new InvalidOperationException($"another fault harness holds {path}; giving up")
                : new IOException($"cannot lock {path}: errno {error}");
        }

        log.WriteLine($"network: another fault harness holds {path}; waiting up to {wait.TotalSeconds:0} seconds");
        // The blocking call runs on a thread of its own so that the deadline can give up on it.
        var taken = Task.Factory.StartNew(() => Lock(descriptor, LockExclusive), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (taken.Wait(wait))
        {
            if (taken.Result == 0) return new HarnessLock(descriptor);
            close(descriptor);
            throw new IOException($"cannot lock {path}: errno {taken.Result}");
        }

        // Given up: when the holder lets go, the abandoned call takes the lock and it is released at once.
        taken.ContinueWith(_ => close(descriptor), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        throw new InvalidOperationException($"another fault harness held {path} for {wait.TotalSeconds:0} seconds; giving up");
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose()
    {
        var descriptor = Interlocked.Exchange(ref _descriptor, -1);
        if (descriptor >= 0) close(descriptor);
    }

    /// <summary><c>flock</c>, retried when a signal interrupts it; 0 or the errno.</summary>
    private static int Lock(int descriptor, int operation)
    {
        while (true)
        {
            if (flock(descriptor, operation) == 0) return 0;
            var error = Marshal.GetLastPInvokeError();
            if (error != Interrupted) return error;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int flock(int descriptor, int operation);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int descriptor);
}
