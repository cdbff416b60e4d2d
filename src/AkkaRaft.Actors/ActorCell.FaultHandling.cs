using AkkaRaft.Actors.Dispatch;

namespace AkkaRaft.Actors;

internal sealed partial class ActorCell
{
    private int _suspendCount;
    private bool _isFailed;
    private object? _failedMessage;
    private bool _terminating;
    private volatile bool _terminated;
    private Exception? _pendingRecreate;
    private ActorStash? _stash;
    private ActorTimers? _timers;
    private TimeSpan? _receiveTimeout;
    private ICancelable? _receiveTimeoutTask;

    public TimeSpan? ReceiveTimeout => _receiveTimeout;

    /// <summary>
    /// The actor failed: suspend it and its children and ask the parent what to do. The failing message is dropped.
    /// </summary>
    private void HandleInvokeFailure(Exception cause)
    {
        if (_terminating)
        {
            System.Log.Error(cause, "{0} failed while stopping", Self.Path);
            return;
        }
        if (_isFailed) return;
        _isFailed = true;
        _failedMessage = _currentMessage ?? _asyncMessage;
        _suspendCount++;
        foreach (var child in ChildStats()) child.Child.SendSystem(Suspend.Instance);
        CancelAsync();
        if (_parent is not null)
        {
            _parent.SendSystem(new Failed(Self, cause));
        }
        else
        {
            System.Log.Error(cause, "the root guardian failed; terminating the actor system");
            Terminate();
        }
    }

    /// <summary>Parent side of supervision: apply the strategy to a child's failure.</summary>
    private void HandleFailed(Failed failed)
    {
        if (_terminating) return;
        var stats = StatsOf(failed.Child);
        if (stats is null) return; // a failure of a child that has already gone: nothing to decide.
        var strategy = _actor?.SupervisorStrategy() ?? Props.SupervisorStrategy ?? SupervisorStrategy.DefaultStrategy;
        var directive = strategy.Decider(failed.Cause);
        if (strategy.LoggingEnabled) LogFailure(failed, directive);
        switch (directive)
        {
            case Directive.Resume:
                stats.Child.SendSystem(new Resume(failed.Cause));
                break;
            case Directive.Restart when strategy.AppliesToAllChildren:
                var all = ChildStats();
                var now = System.Clock.Elapsed;
                var allowed = true;
                foreach (var s in all) allowed &= strategy.RequestRestartPermission(s, now);
                foreach (var s in all)
                {
                    if (!allowed)
                    {
                        Stop(s.Child);
                        continue;
                    }
                    if (!ReferenceEquals(s.Child, stats.Child)) s.Child.SendSystem(Suspend.Instance);
                    s.Child.SendSystem(new Recreate(failed.Cause));
                }
                break;
            case Directive.Restart:
                if (strategy.RequestRestartPermission(stats, System.Clock.Elapsed)) stats.Child.SendSystem(new Recreate(failed.Cause));
                else Stop(stats.Child);
                break;
            case Directive.Stop when strategy.AppliesToAllChildren:
                foreach (var s in ChildStats()) Stop(s.Child);
                break;
            case Directive.Stop:
                Stop(stats.Child);
                break;
            case Directive.Escalate:
                HandleInvokeFailure(failed.Cause);
                break;
            default:
                throw new InvalidOperationException($"unknown directive {directive}");
        }
    }

    private void LogFailure(Failed failed, Directive directive)
    {
        switch (directive)
        {
            case Directive.Resume:
                System.Log.Warning("{0} failed and is resumed: {1}", failed.Child.Path, failed.Cause.Message);
                break;
            case Directive.Restart:
            case Directive.Stop:
                System.Log.Error(failed.Cause, "{0} failed ({1}); directive {2}", failed.Child.Path, failed.Cause.GetType().Name, directive);
                break;
        }
    }

    private void FaultSuspend()
    {
        _suspendCount++;
        foreach (var child in ChildStats()) child.Child.SendSystem(Suspend.Instance);
    }

    private void FaultResume(Exception? cause)
    {
        if (_actor is null)
        {
            // It failed during creation: there is nothing to resume, so create it again (Akka does the same).
            FaultRecreate(cause ?? new ActorInitializationException(Self, "resumed before it was created", null));
            return;
        }
        if (_suspendCount > 0) _suspendCount--;
        if (cause is not null)
        {
            _isFailed = false;
            _failedMessage = null;
        }
        foreach (var child in ChildStats()) child.Child.SendSystem(new Resume(null));
    }

    private void FaultRecreate(Exception cause)
    {
        if (_terminating) return;
        var failed = _actor;
        if (failed is null)
        {
            _suspendCount = 0;
            _isFailed = false;
            Create();
            return;
        }
        _stash?.UnstashAllForRestart();
        try
        {
            failed.AroundPreRestart(cause, _failedMessage);
        }
        catch (Exception e)
        {
            System.Log.Error(e, "PreRestart of {0} threw; restarting anyway", Self.Path);
        }
        ClearActorState();
        if (_stoppingChildren.Count > 0) _pendingRecreate = cause; // finish when the children stopped in PreRestart are gone
        else FinishRecreate(cause);
    }

    private void FinishRecreate(Exception cause)
    {
        var survivors = ChildStats();
        _isFailed = false;
        _failedMessage = null;
        _suspendCount = 0;
        _actor = null;
        try
        {
            NewActorInstance().AroundPostRestart(cause);
        }
        catch (Exception e)
        {
            HandleInvokeFailure(new ActorInitializationException(Self, $"exception during restart of {Self.Path}: {e.Message}", e));
            return;
        }
        // Children not stopped by PreRestart are restarted too (Akka's semantics).
        foreach (var s in survivors) s.Child.SendSystem(new Recreate(cause));
    }

    private void ClearActorState()
    {
        _timers?.CancelAll();
        CancelReceiveTimeout();
        _receiveTimeout = null;
        CancelAsync();
    }

    private void Terminate()
    {
        if (_terminating) return;
        List<ChildRestartStats> children;
        lock (_childrenLock)
        {
            _terminating = true;
            children = [.. _children.Values];
        }
        ClearActorState();
        UnwatchWatchedActors();
        foreach (var child in children)
        {
            _stoppingChildren.Add(child.Child);
            child.Child.SendSystem(Dispatch.Terminate.Instance);
        }
        if (children.Count == 0) FinishTerminate();
    }

    private void FinishTerminate()
    {
        if (_terminated) return;
        var actor = _actor;
        try
        {
            actor?.AroundPostStop();
        }
        catch (Exception e)
        {
            System.Log.Error(e, "PostStop of {0} threw", Self.Path);
        }
        finally
        {
            _actor = null;
            _behaviors.Clear();
            _stash?.DrainToDeadLetters();
            _terminated = true;
            Mailbox.Close();
            // A stopped actor hears no more events (as in Akka): nothing is published to its closed mailbox.
            System.EventStream.Unsubscribe(Self);
            _parent?.SendSystem(new DeathWatchNotification(Self, existenceConfirmed: true, addressTerminated: false));
            TellWatchersWeDied();
            if (_parent is null) System.OnRootTerminated();
        }
    }

    public void SetReceiveTimeout(TimeSpan? timeout)
    {
        if (timeout is { } t && t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), t, "a receive timeout must be positive (null turns it off)");
        _receiveTimeout = timeout;
        CancelReceiveTimeout();
        if (timeout is not null) RescheduleReceiveTimeout();
    }

    private void RescheduleReceiveTimeout()
    {
        _receiveTimeoutTask?.Cancel();
        _receiveTimeoutTask = System.Scheduler.ScheduleTellOnce(_receiveTimeout!.Value, Self, Actors.ReceiveTimeout.Instance, null);
    }

    private void CancelReceiveTimeout()
    {
        _receiveTimeoutTask?.Cancel();
        _receiveTimeoutTask = null;
    }
}
