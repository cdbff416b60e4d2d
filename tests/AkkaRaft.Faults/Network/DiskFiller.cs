namespace AkkaRaft.Faults.Network;

/// <summary>
/// Fills a node's disk and empties it again. Each node's data directory is a tmpfs of its own
/// (<see cref="NodeDisks"/>), so a filler file in it takes exactly that node's space and nobody else's.
/// </summary>
internal static class DiskFiller
{
    /// <summary>The filler's name in a data directory.</summary>
    public const string FileName = "akf-filler";

    /// <summary>Writes a filler file in <paramref name="dataDir"/> until the disk is full; returns its size.</summary>
    public static long Fill(string dataDir)
    {
        var block = new byte[1024 * 1024];
        using var file = new FileStream(Path.Combine(dataDir, FileName), FileMode.Append, FileAccess.Write, FileShare.None, 1);
        try
        {
            while (true) file.Write(block);
        }
        catch (IOException)
        {
            // ENOSPC. Then the last pages, a few bytes at a time, so not even a page is left for the journal.
            try
            {
                while (true) file.Write(block, 0, 512);
            }
            catch (IOException)
            {
            }
        }

        return file.Length;
    }

    /// <summary>Removes the filler from <paramref name="dataDir"/>; true when there was one.</summary>
    public static bool Empty(string dataDir)
    {
        var path = Path.Combine(dataDir, FileName);
        if (!File.Exists(path)) return false;
        File.Delete(path);
        return true;
    }
}

/// <summary>
/// Each node's data directory on a tmpfs of its own (source name <c>akf-disk-nN</c>, so a later run finds and unmounts
/// what a crashed one left), of <see cref="Size"/>: enough for any run's journal, small enough to fill in a moment.
/// </summary>
internal static class NodeDisks
{
    /// <summary>How large each node's disk is.</summary>
    public const string Size = "256m";

    /// <summary>Mounts a fresh tmpfs on <paramref name="dataDir"/> (created if missing).</summary>
    public static void Mount(int number, string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        Commands.Check("mount", ["-t", "tmpfs", "-o", $"size={Size}", $"{NetworkLab.Prefix}disk-n{number}", dataDir]);
    }

    /// <summary>
    /// Remounts the disk on <paramref name="dataDir"/> read-only. The kernel refuses (EBUSY) while a process holds a
    /// file on it open for writing, so the node must be down.
    /// </summary>
    /// <exception cref="InvalidOperationException">The remount failed.</exception>
    public static void MakeReadOnly(string dataDir) => Commands.Check("mount", ["-o", "remount,ro", dataDir]);

    /// <summary>
    /// Remounts the disk on <paramref name="dataDir"/> read-write where it is read-only: in the host's mount namespace,
    /// and in the node's own (<paramref name="nodePid"/>, when it runs). <c>ip netns exec</c> gives each node a mount
    /// namespace of its own, copied from the host's when it started; a node started on the read-only disk keeps a
    /// read-only mount of it there, whatever the host's mount says later. True when either was read-only.
    /// </summary>
    /// <exception cref="InvalidOperationException">A remount failed.</exception>
    public static bool MakeWritable(string dataDir, int? nodePid)
    {
        var full = Path.GetFullPath(dataDir);
        var changed = false;
        if (IsReadOnly("/proc/self/mounts", full))
        {
            Commands.Check("mount", ["-o", "remount,rw", full]);
            changed = true;
        }

        var pid = nodePid?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (pid is not null && IsReadOnly($"/proc/{pid}/mounts", full))
        {
            Commands.Check("nsenter", ["--target", pid, "--mount", "mount", "-o", "remount,rw", full]);
            changed = true;
        }

        return changed;
    }

    private static bool IsReadOnly(string mounts, string mountPoint)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(mounts);
        }
        catch (IOException)
        {
            return false; // The process is gone: nothing of its namespace to fix.
        }

        foreach (var line in lines)
        {
            var fields = line.Split(' ');
            if (fields.Length >= 4 && fields[1] == mountPoint) return fields[3].Split(',').Contains("ro");
        }

        return false;
    }

    /// <summary>
    /// Copies what the nodes' disks hold to <paramref name="keepUnder"/> (the run directory's data/, for whoever reads a
    /// failed run), then unmounts them.
    /// </summary>
    public static void Unmount(IEnumerable<string> dataDirs, string keepUnder, Action<string> log)
    {
        foreach (var dataDir in dataDirs)
        {
            var kept = Path.Combine(keepUnder, Path.GetFileName(dataDir));
            Directory.CreateDirectory(kept);
            DiskFiller.Empty(dataDir);
            Commands.Run("cp", ["-a", dataDir + "/.", kept]);
            Commands.Run("umount", ["--lazy", dataDir]);
        }

        log($"disks: unmounted, journals kept under {keepUnder}");
    }

    /// <summary>Unmounts every tmpfs an earlier run left (source <c>akf-disk-*</c>).</summary>
    public static void CleanStale(TextWriter log)
    {
        foreach (var line in File.ReadAllLines("/proc/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 2 || !fields[0].StartsWith(NetworkLab.Prefix + "disk-", StringComparison.Ordinal)) continue;
            Commands.Run("umount", ["--lazy", fields[1]]);
            log.WriteLine($"disks: unmounted stale {fields[0]} on {fields[1]}");
        }
    }
}
