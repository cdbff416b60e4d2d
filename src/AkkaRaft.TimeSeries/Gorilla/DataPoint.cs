namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>One point of a series: a timestamp in the series' unit and a double.</summary>
/// <param name="Timestamp">Seconds or milliseconds since the Unix epoch, per the series' <see cref="TimestampUnit"/>.</param>
/// <param name="Value">The value, bit for bit as appended.</param>
public readonly record struct DataPoint(long Timestamp, double Value);
