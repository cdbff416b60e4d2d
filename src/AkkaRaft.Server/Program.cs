namespace AkkaRaft.Server;

/// <summary>The `akkaraft` executable.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("akkaraft: no command yet");
        return 2;
    }
}
