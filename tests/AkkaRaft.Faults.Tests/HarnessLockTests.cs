using AkkaRaft.Faults.Network;

namespace AkkaRaft.Faults.Tests;

public sealed class HarnessLockTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"akkaraft-lock-{Guid.NewGuid():N}");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void A_second_harness_that_will_not_wait_is_refused_while_the_first_holds_the_lock()
    {
        using var first = HarnessLock.Acquire(_path, TextWriter.Null, TimeSpan.Zero);

        var refused = Assert.Throws<InvalidOperationException>(() => HarnessLock.Acquire(_path, TextWriter.Null, TimeSpan.Zero));

        Assert.Contains("another fault harness holds", refused.Message);
    }

    [Fact]
    public async Task A_waiting_harness_takes_the_lock_when_the_holder_releases_it()
    {
        var first = HarnessLock.Acquire(_path, TextWriter.Null, TimeSpan.Zero);
        var log = new LineSignal();
        var second = Task.Run(() => HarnessLock.Acquire(_path, log, TimeSpan.FromMinutes(1)));
        Assert.Contains("waiting up to 60 seconds", await log.FirstLine.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.False(second.IsCompleted);

        first.Dispose();

        using var taken = await second.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Throws<InvalidOperationException>(() => HarnessLock.Acquire(_path, TextWriter.Null, TimeSpan.Zero));
    }

    [Fact]
    public void A_harness_that_gave_up_waiting_does_not_keep_the_lock_once_the_holder_lets_go()
    {
        var first = HarnessLock.Acquire(_path, TextWriter.Null, TimeSpan.Zero);
        Assert.Throws<InvalidOperationException>(() => HarnessLock.Acquire(_path, TextWriter.Null, TimeSpan.FromMilliseconds(50)));

        first.Dispose();

        // The abandoned wait takes the lock when it is released and lets go of it at once; a third harness gets it.
        using var third = HarnessLock.Acquire(_path, TextWriter.Null, TimeSpan.FromMinutes(1));
    }

    /// <summary>A log that hands over the first line written to it.</summary>
    private sealed class LineSignal : StringWriter
    {
        private readonly TaskCompletionSource<string> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<string> FirstLine => _first.Task;

        public override void WriteLine(string? value) => _first.TrySetResult(value ?? "");
    }
}
