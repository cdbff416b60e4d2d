using System.Buffers.Binary;
using Akka.Actor;
using Akka.Serialization;
using AkkaRaft.Configuration;
using AkkaRaft.Raft.Remoting;
using AkkaRaft.TestSupport.Certificates;

namespace AkkaRaft.Raft.Tests.Remoting;

/// <summary>The one message the remoting tests send across systems: an id and opaque bytes.</summary>
public sealed record TestBlob(long Id, byte[] Bytes);

/// <summary>
/// A tiny <see cref="SerializerWithStringManifest"/> for <see cref="TestBlob"/>, shaped like the product's protobuf
/// serializers (an id, a short string manifest), so the tests never reach Akka's JSON fallback and the measured
/// envelope includes a manifest as a product message's does.
/// </summary>
public sealed class TestBlobSerializer : SerializerWithStringManifest
{
    /// <summary>Above the product's ids (101, 102, ...), never registered outside tests.</summary>
    public const int SerializerId = 9901;

    /// <summary>Manifest of <see cref="TestBlob"/>: one character, as the product's hot-path manifests are short.</summary>
    public const string BlobManifest = "B";

    public TestBlobSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => o is TestBlob
        ? BlobManifest
        : throw new ArgumentException($"cannot serialize {o.GetType()}", nameof(o));

    public override byte[] ToBinary(object obj)
    {
        var blob = (TestBlob)obj;
        var bytes = new byte[8 + blob.Bytes.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, blob.Id);
        blob.Bytes.CopyTo(bytes, 8);
        return bytes;
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest != BlobManifest)
        {
            throw new System.Runtime.Serialization.SerializationException($"unknown manifest '{manifest}'");
        }

        if (bytes.Length < 8)
        {
            throw new System.Runtime.Serialization.SerializationException($"a TestBlob needs at least 8 bytes, got {bytes.Length}");
        }

        return new TestBlob(BinaryPrimitives.ReadInt64LittleEndian(bytes), bytes.AsSpan(8).ToArray());
    }
}

/// <summary>Forwards every message it receives to a local target (a probe), keeping the sender.</summary>
public sealed class Relay : ReceiveActor
{
    public Relay(IActorRef target) => ReceiveAny(message => target.Forward(message));

    public static Props Props(IActorRef target) => Akka.Actor.Props.Create(() => new Relay(target));
}

/// <summary>Builds remoting systems on loopback the way a node does: akkaraft.remote → RaftRemoting → ActorSystem.</summary>
internal static class RemotingTestKit
{
    /// <summary>Bytes TestBlobSerializer adds to a blob's bytes (the id).</summary>
    public const int BlobHeaderBytes = 8;

    /// <summary>
    /// The serializer binding every test system has, logging quiet enough for a test run, and ExpectMsg waiting up to
    /// 10s by default: machines running these tests are shared, and a first message between two fresh systems includes
    /// TCP, TLS and Akka handshakes. A passing ExpectMsg returns as soon as the message arrives.
    /// </summary>
    public static readonly Akka.Configuration.Config TestConfig = Akka.Configuration.ConfigurationFactory.ParseString($$"""
        akka.test.single-expect-default = 10s
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        akka.actor {
          serializers.raft-remoting-test = "{{typeof(TestBlobSerializer).AssemblyQualifiedName}}"
          serialization-bindings {
            "{{typeof(TestBlob).AssemblyQualifiedName}}" = raft-remoting-test
          }
        }
        """);

    /// <summary>The reference defaults of akkaraft.remote, with test-friendly tweaks.</summary>
    public static RemotingSettings Defaults(Func<RemotingSettings, RemotingSettings>? change = null)
    {
        // A short gate so a test that breaks a connection on purpose sees it re-dialled quickly, and a short
        // connection timeout so a test waiting for a silent connection to be dropped waits 2s, not 5s.
        var settings = RemotingSettings.FromConfig(ConfigurationFactory.Default()) with
        {
            RetryGateClosedFor = TimeSpan.FromMilliseconds(200),
            ConnectionTimeout = TimeSpan.FromSeconds(2),
        };
        return change is null ? settings : change(settings);
    }

    public static RemotingSettings WithTls(this RemotingSettings settings, TestCertificateAuthority ca, string node) =>
        settings with { Tls = TlsSettings.FromCertificates(ca.IssueNode(node), ca.AsTrusted()) };

    /// <summary>A system on 127.0.0.1 with an OS-chosen port, created as a node creates its own.</summary>
    public static ActorSystem Start(string name, RemotingSettings settings)
    {
        var config = RaftRemoting.AkkaConfig(settings, "127.0.0.1", 0).WithFallback(TestConfig);
        return ActorSystem.Create(name, RaftRemoting.ActorSystemSetup(settings, config));
    }

    /// <summary>The address the system is bound to (its port is the one the OS chose).</summary>
    public static Address BoundAddress(this ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress;

    /// <summary>
    /// A reference, made in <paramref name="from"/> without any network traffic, to the actor <c>/user/<paramref name="name"/></c>
    /// of the system at <paramref name="address"/>.
    /// </summary>
    public static IActorRef RemoteRef(this ActorSystem from, Address address, string name) =>
        ((ExtendedActorSystem)from).Provider.ResolveActorRef(new RootActorPath(address) / "user" / name);
}
