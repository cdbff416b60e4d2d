// AkkaRaft build script: `dotnet fsi build.fsx <target> [args]`.
// A plain F# script (no FAKE package is reachable here). Every target prints
// the commands it runs, so what it does can be repeated by hand.

open System
open System.Diagnostics
open System.IO

let root = __SOURCE_DIRECTORY__

/// Runs a command in the repository root, echoing it first; fails the script on a non-zero exit.
let run (env: (string * string) list) (file: string) (args: string list) =
    let shown = String.Join(" ", file :: args)
    let envShown = env |> List.map (fun (k, v) -> sprintf "%s=%s " k v) |> String.concat ""
    printfn "> %s%s" envShown shown
    let psi = ProcessStartInfo(file, args)
    psi.WorkingDirectory <- root
    for (k, v) in env do psi.Environment.[k] <- v
    use p = Process.Start psi
    p.WaitForExit()
    if p.ExitCode <> 0 then
        eprintfn "build.fsx: '%s' exited with %d" shown p.ExitCode
        exit p.ExitCode

let dotnet args = run [] "dotnet" args

/// Starts (or creates) the local PostgreSQL the persistence tests use, when this machine can.
let ensurePostgres () =
    let script = Path.Combine(root, ".ci", "postgres.sh")
    if File.Exists script then run [] "bash" [ script ]

/// Makes sure the fault harness's tools (iptables; iproute2) are there, when this machine can.
let ensureNetns () =
    let script = Path.Combine(root, ".ci", "netns.sh")
    if File.Exists script then run [] "bash" [ script ]

let targets : (string * string * (string list -> unit)) list =
    [ "build", "compile everything, warnings as errors",
      (fun _ -> dotnet [ "build"; "AkkaRaft.sln"; "-c"; "Release" ])

      "test", "run every test (starts the local PostgreSQL first)",
      (fun extra ->
          ensurePostgres ()
          // The fault harness's short schedule (AkkaRaft.Faults.Tests) runs with the other tests: it needs iptables.
          ensureNetns ()
          dotnet ([ "test"; "AkkaRaft.sln"; "-c"; "Release"; "--blame-hang-timeout"; "15m"; "--blame-hang-dump-type"; "none" ] @ extra))

      "bench", "run BenchmarkDotNet benchmarks: bench [filter], e.g. bench '*Gorilla*'",
      (fun extra ->
          let filter = match extra with f :: _ -> f | [] -> "*"
          dotnet [ "run"; "-c"; "Release"; "--project"; "bench/AkkaRaft.Benchmarks"; "--"; "--filter"; filter ])

      "soak", "long randomized simulations: soak [core-seeds] [peer-seeds] (defaults 20,000 and 2,000 per cluster size)",
      (fun extra ->
          let coreSeeds = match extra with s :: _ -> s | [] -> "20000"
          let peerSeeds = match extra with _ :: p :: _ -> p | _ -> "2000"
          // The pure core under the simulated network, checked for linearizability.
          run [ ("AKKARAFT_SIM_SEEDS", coreSeeds) ] "dotnet"
              [ "test"; "tests/AkkaRaft.Raft.Tests"; "-c"; "Release"; "--filter"; "Category=Simulation";
                "--logger"; "console;verbosity=normal" ]
          // Groups of the pure peer logic (no actors) on simulated networks and disks that lose unflushed writes.
          run [ ("AKKARAFT_PEER_SEEDS", peerSeeds) ] "dotnet"
              [ "test"; "tests/AkkaRaft.Simulation.Tests"; "-c"; "Release"; "--logger"; "console;verbosity=normal" ]
          // A 200 MB snapshot sent in chunks over Akka.Remote to a joining node.
          run [ ("AKKARAFT_SOAK_SNAPSHOT_MB", "200") ] "dotnet"
              [ "test"; "tests/AkkaRaft.Server.Tests"; "-c"; "Release"; "--filter"; "FullyQualifiedName~SnapshotTransfer";
                "--logger"; "console;verbosity=normal" ])

      "faults", "fault harness, as root (docs/FAULTS.md): faults [--minutes N] [--seed S] [--nodes 3|5] [--faults k1,k2] [--clients N] [--session-clients N] [--series-clients N] [--lock-clients N] [--watch-clients N] [--grpc-clients N] [--unsafe-stale-reads] [--unsafe-ack-before-fsync] [--link-delay-max-ms N] [--link-duplicate-max P] [--link-reorder-max P]; faults check <history.jsonl>",
      (fun extra ->
          // One Release build of the harness, which builds the server it starts (akkaraft.dll lands beside it).
          dotnet [ "build"; "tests/AkkaRaft.Faults"; "-c"; "Release" ]
          let harness = Path.Combine("tests", "AkkaRaft.Faults", "bin", "Release", "net10.0", "akkaraft-faults.dll")
          match extra with
          | ("check" | "schedule") :: _ -> dotnet (harness :: extra)
          | "clean" :: _ ->
              ensureNetns ()
              dotnet (harness :: extra)
          | _ ->
              ensureNetns ()
              dotnet (harness :: "run" :: extra))

      "pack", "produce NuGet packages of the libraries under ./artifacts",
      (fun _ -> dotnet [ "pack"; "AkkaRaft.sln"; "-c"; "Release"; "-o"; "artifacts" ])

      "cluster", "start a local 3-node cluster (HTTP on 127.0.0.1:8091, 8191, 8291) until Ctrl+C",
      (fun _ -> run [] "bash" [ Path.Combine(root, "samples", "cluster.sh") ])

      "bench-vs-etcd", "AkkaRaft vs etcd 3.4 (apt-get etcd-server if missing), 3 members each on loopback, one table: bench-vs-etcd [--duration s] [--port-offset n]",
      (fun extra ->
          // Release builds of the server and the load generator; the comparison starts and kills every member itself.
          dotnet [ "build"; "src/AkkaRaft.Server"; "-c"; "Release" ]
          dotnet [ "build"; "bench/AkkaRaft.LoadGen"; "-c"; "Release" ]
          dotnet ([ "run"; "-c"; "Release"; "--project"; "bench/AkkaRaft.BenchVsEtcd"; "--" ] @ extra)) ]

let usage () =
    printfn "usage: dotnet fsi build.fsx <target> [args]"
    printfn ""
    for (name, help, _) in targets do printfn "  %-8s %s" name help

match fsi.CommandLineArgs |> Array.toList |> List.tail with
| [] -> usage ()
| name :: extra ->
    match targets |> List.tryFind (fun (n, _, _) -> n = name) with
    | Some (_, _, action) -> action extra
    | None ->
        eprintfn "build.fsx: unknown target '%s'" name
        usage ()
        exit 2
