namespace AkkaRaft.Persistence.Tests.Support;

/// <summary>Byte-level access to a SQLite database file, to damage it the way a failing disk would.</summary>
internal static class SqliteFiles
{
    /// <summary>A fresh directory under the system temp directory; the caller deletes it.</summary>
    public static string NewTempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "akkaraft-persistence-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    public static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>
    /// Flips one byte inside every occurrence of <paramref name="marker"/> in the database file and its WAL (so the
    /// damage is there whether or not the page was checkpointed). Returns how many occurrences were damaged.
    /// </summary>
    public static int FlipByteInside(string databasePath, byte[] marker)
    {
        var damaged = 0;
        foreach (var path in new[] { databasePath, databasePath + "-wal" })
        {
            if (!File.Exists(path))
            {
                continue;
            }

            var bytes = File.ReadAllBytes(path);
            var at = 0;
            while ((at = IndexOf(bytes, marker, at)) >= 0)
            {
                bytes[at + marker.Length / 2] ^= 0x20;
                damaged++;
                at += marker.Length;
            }

            File.WriteAllBytes(path, bytes);
        }

        return damaged;
    }

    private static int IndexOf(byte[] haystack, byte[] needle, int start)
    {
        var index = haystack.AsSpan(start).IndexOf(needle);
        return index < 0 ? -1 : start + index;
    }
}
