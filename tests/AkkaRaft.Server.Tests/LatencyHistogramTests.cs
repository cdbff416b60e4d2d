extern alias loadgen;

using loadgen::AkkaRaft.LoadGen;

namespace AkkaRaft.Server.Tests;

/// <summary>The load generator's HDR-style histogram.</summary>
public sealed class LatencyHistogramTests
{
    [Fact]
    public void Percentiles_of_a_uniform_range_should_be_within_two_percent()
    {
        var histogram = new LatencyHistogram();
        for (var v = 1; v <= 100_000; v++) histogram.Record(v);
        foreach (var (percentile, expected) in new[] { (50.0, 50_000L), (90.0, 90_000L), (99.0, 99_000L), (99.9, 99_900L) })
        {
            var value = histogram.ValueAtPercentile(percentile);
            Assert.InRange(value, expected, expected * 1.02);
        }

        Assert.Equal(100_000, histogram.Max);
        Assert.Equal(100_000, histogram.ValueAtPercentile(100));
    }

    [Fact]
    public void Small_values_should_be_exact_and_merging_should_add_counts()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(3);
        b.Record(7);
        b.Record(7);
        a.Add(b);
        Assert.Equal(3, a.Count);
        Assert.Equal(3, a.ValueAtPercentile(33));
        Assert.Equal(7, a.ValueAtPercentile(50));
        Assert.Equal(7, a.Max);
    }

    [Fact]
    public void An_empty_histogram_should_answer_zero_and_a_bad_percentile_should_throw()
    {
        var histogram = new LatencyHistogram();
        Assert.Equal(0, histogram.ValueAtPercentile(99));
        Assert.Throws<ArgumentOutOfRangeException>(() => histogram.ValueAtPercentile(101));
    }
}
