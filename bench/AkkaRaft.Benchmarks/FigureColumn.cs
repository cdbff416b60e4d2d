using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AkkaRaft.Benchmarks;

/// <summary>
/// A custom summary column whose cell is computed for each benchmark case: a figure the benchmark recorded while it
/// ran (events/s, fsyncs, latency percentiles), a property of its data set, or a rate derived from its statistics.
/// Every part's benchmarks add their columns through this one type.
/// </summary>
/// <param name="id">Unique id of the column, e.g. <c>"Persistence.events/s"</c>.</param>
/// <param name="name">Header of the column.</param>
/// <param name="legend">One line that says what the figure is and its unit.</param>
/// <param name="value">The cell of a case; "n/a" when the case has no such figure.</param>
/// <param name="priority">Order among the custom columns.</param>
public sealed class FigureColumn(string id, string name, string legend, Func<Summary, BenchmarkCase, string> value, int priority = 0)
    : IColumn
{
    /// <summary>
    /// A column showing one number of the figures <paramref name="read"/> finds for a case, formatted with
    /// <paramref name="format"/> (invariant culture), or "n/a" where there are none.
    /// </summary>
    public static FigureColumn Of<TFigures>(
        string group, string name, string legend, Func<BenchmarkCase, TFigures?> read, Func<TFigures, double> figure, string format)
        where TFigures : class =>
        new(group + "." + name, name, legend, (_, benchmarkCase) =>
            read(benchmarkCase) is { } figures ? figure(figures).ToString(format, CultureInfo.InvariantCulture) : "n/a");

    /// <inheritdoc/>
    public string Id => id;

    /// <inheritdoc/>
    public string ColumnName => name;

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => priority;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => legend;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => value(summary, benchmarkCase);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;
}
