using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AkkaRaft.Benchmarks.TimeSeries;

/// <summary>
/// Millions of points per second per core, from the mean (or, with <c>best</c>, the fastest iteration's) time per
/// operation, one operation being one point. On a shared machine the fastest iteration is the one least disturbed
/// by other processes.
/// </summary>
public sealed class PointsPerSecondColumn(bool best) : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(PointsPerSecondColumn) + (best ? ".Best" : ".Mean");

    /// <inheritdoc/>
    public string ColumnName => best ? "M points/s (best)" : "M points/s";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => best ? 1 : 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => best
        ? "Millions of points per second on one core in the fastest iteration (1000 / min ns per point)"
        : "Millions of points per second on one core (1000 / mean ns per point)";

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        double? nanoseconds = best ? statistics?.Min : statistics?.Mean;
        return nanoseconds is > 0 ? (1000.0 / nanoseconds.Value).ToString("F1", CultureInfo.InvariantCulture) : "n/a";
    }

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;
}

/// <summary>A size figure of the case's data set (parameter <c>DataSet</c>), computed in the host process.</summary>
public sealed class CompressionColumn(string name, string legend, Func<CompressionFigures, string> value) : IColumn
{
    /// <inheritdoc/>
    public string Id => "Gorilla." + name;

    /// <inheritdoc/>
    public string ColumnName => name;

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => legend;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (benchmarkCase.Parameters["DataSet"] is not string dataSet)
        {
            return "n/a";
        }

        try
        {
            return value(GorillaCompression.Measure(dataSet));
        }
        catch (FileNotFoundException)
        {
            return "no data";
        }
    }

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;
}

/// <summary>Adds points per second to the codec benchmarks.</summary>
public sealed class GorillaSpeedConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public GorillaSpeedConfig() => AddColumn(new PointsPerSecondColumn(best: false), new PointsPerSecondColumn(best: true));
}

/// <summary>Adds the size columns to the compression benchmarks.</summary>
public sealed class GorillaCompressionConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public GorillaCompressionConfig()
    {
        static string F(double x, string format) => x.ToString(format, CultureInfo.InvariantCulture);
        AddColumn(
            new CompressionColumn("Points", "Points in the data set", f => f.Points.ToString(CultureInfo.InvariantCulture)),
            new CompressionColumn("Bytes/point", "Whole blocks (header, points, footer) / points", f => F(f.BytesPerPoint, "F3")),
            new CompressionColumn("Paper B/pt", "Gorilla §4.1: 1.37 bytes per point", _ => F(CompressionFigures.PaperBytesPerPoint, "F2")),
            new CompressionColumn("Point B/pt", "Point bits only (no block header/footer) / points", f => F(f.PointBytesPerPoint, "F3")),
            new CompressionColumn("Ratio", "16 raw bytes per point / Bytes/point", f => F(f.Ratio, "F1") + "x"),
            new CompressionColumn("ts '0'", "Later points with delta-of-delta 0 (paper: 96%)", f => F(f.TimestampZeroShare, "P1")),
            new CompressionColumn("val '0'", "Later values equal to the previous (paper: 51%)", f => F(f.ValueSameShare, "P1")),
            new CompressionColumn("val '10'", "Later values in the previous window (paper: 30%)", f => F(f.ValueReuseShare, "P1")),
            new CompressionColumn("val '11'", "Later values with a new window (paper: 19%)", f => F(f.ValueNewWindowShare, "P1")));
    }
}
