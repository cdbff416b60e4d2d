using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AkkaRaft.Benchmarks.TimeSeries;

/// <summary>Adds points per second to the codec benchmarks.</summary>
public sealed class GorillaSpeedConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public GorillaSpeedConfig() => AddColumn(
        new FigureColumn(
            "Gorilla.points/s", "M points/s", "Millions of points per second on one core (1000 / mean ns per point)",
            (summary, c) => MillionsPerSecond(summary[c]?.ResultStatistics?.Mean)),
        new FigureColumn(
            "Gorilla.points/s.best", "M points/s (best)",
            "Millions of points per second on one core in the fastest iteration (1000 / min ns per point); on a shared "
            + "machine the fastest iteration is the one least disturbed by other processes",
            (summary, c) => MillionsPerSecond(summary[c]?.ResultStatistics?.Min),
            priority: 1));

    // One operation is one point, so nanoseconds per operation give points per second.
    private static string MillionsPerSecond(double? nanosecondsPerPoint) =>
        nanosecondsPerPoint is > 0 ? (1000.0 / nanosecondsPerPoint.Value).ToString("F1", CultureInfo.InvariantCulture) : "n/a";
}

/// <summary>Adds the size columns to the compression benchmarks.</summary>
public sealed class GorillaCompressionConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public GorillaCompressionConfig()
    {
        static string F(double x, string format) => x.ToString(format, CultureInfo.InvariantCulture);

        // A size figure of the case's data set (parameter DataSet), computed in the host process.
        static FigureColumn CompressionColumn(string name, string legend, Func<CompressionFigures, string> value) =>
            new("Gorilla." + name, name, legend, (_, c) =>
            {
                if (c.Parameters["DataSet"] is not string dataSet)
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
            });

        AddColumn(
            CompressionColumn("Points", "Points in the data set", f => f.Points.ToString(CultureInfo.InvariantCulture)),
            CompressionColumn("Bytes/point", "Whole blocks (header, points, footer) / points", f => F(f.BytesPerPoint, "F3")),
            CompressionColumn("Paper B/pt", "Gorilla §4.1: 1.37 bytes per point", _ => F(CompressionFigures.PaperBytesPerPoint, "F2")),
            CompressionColumn("Point B/pt", "Point bits only (no block header/footer) / points", f => F(f.PointBytesPerPoint, "F3")),
            CompressionColumn("Ratio", "16 raw bytes per point / Bytes/point", f => F(f.Ratio, "F1") + "x"),
            CompressionColumn("ts '0'", "Later points with delta-of-delta 0 (paper: 96%)", f => F(f.TimestampZeroShare, "P1")),
            CompressionColumn("val '0'", "Later values equal to the previous (paper: 51%)", f => F(f.ValueSameShare, "P1")),
            CompressionColumn("val '10'", "Later values in the previous window (paper: 30%)", f => F(f.ValueReuseShare, "P1")),
            CompressionColumn("val '11'", "Later values with a new window (paper: 19%)", f => F(f.ValueNewWindowShare, "P1")));
    }
}
