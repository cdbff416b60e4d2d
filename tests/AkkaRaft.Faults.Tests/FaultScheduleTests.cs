using AkkaRaft.Faults.Nemesis;

namespace AkkaRaft.Faults.Tests;

public sealed class FaultScheduleTests
{
    [Fact]
    public void A_seed_always_gives_the_same_schedule()
    {
        var a = FaultSchedule.Create(42, TimeSpan.FromMinutes(5), FaultSchedule.AllKinds);
        var b = FaultSchedule.Create(42, TimeSpan.FromMinutes(5), FaultSchedule.AllKinds);
        Assert.Equal(a, b);
        Assert.NotEqual(a, FaultSchedule.Create(43, TimeSpan.FromMinutes(5), FaultSchedule.AllKinds));
    }

    [Fact]
    public void Every_kind_comes_once_before_any_comes_twice()
    {
        var steps = FaultSchedule.Create(7, TimeSpan.FromMinutes(30), FaultSchedule.AllKinds);
        var kinds = FaultSchedule.AllKinds.Count;
        Assert.True(steps.Count >= 2 * kinds, $"only {steps.Count} faults in 30 minutes");
        for (var round = 0; round + kinds <= steps.Count; round += kinds)
        {
            Assert.Equal(kinds, steps.Skip(round).Take(kinds).Select(s => s.Kind).Distinct().Count());
        }
    }

    [Fact]
    public void Faults_do_not_overlap_and_the_run_starts_and_ends_quiet()
    {
        var duration = TimeSpan.FromMinutes(3);
        var steps = FaultSchedule.Create(1, duration, FaultSchedule.AllKinds);
        Assert.Equal(FaultSchedule.QuietStart, steps[0].Start);
        Assert.True(steps[^1].End <= duration - FaultSchedule.QuietEnd);
        for (var i = 1; i < steps.Count; i++)
        {
            Assert.True(steps[i].Start >= steps[i - 1].End + TimeSpan.FromSeconds(3), $"fault {i} starts {steps[i].Start} before 3 quiet seconds after {steps[i - 1].End}");
            Assert.InRange(steps[i].Hold, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(9));
        }
    }

    [Fact]
    public void Kinds_are_named_in_kebab_case_and_parsed_back()
    {
        Assert.Equal(FaultSchedule.AllKinds, FaultSchedule.ParseKinds(string.Join(",", FaultSchedule.AllKinds.Select(FaultSchedule.NameOf))));
        Assert.Equal([FaultKind.KillLeader, FaultKind.Loss], FaultSchedule.ParseKinds("kill-leader, loss"));
        var error = Assert.Throws<ArgumentException>(() => FaultSchedule.ParseKinds("kill-everyone"));
        Assert.Contains("partition-bridge", error.Message);
    }
}
