using System.Net.Http;
using System.Net.Sockets;
using AkkaRaft.Client.Grpc;
using Grpc.Core;

namespace AkkaRaft.Client.Tests;

/// <summary>The gRPC client's backoff schedule (seeded) and its retry rules, without a server.</summary>
public sealed class GrpcRetryTests
{
    private static readonly Backoff Schedule = new(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2), multiplier: 2);

    [Fact]
    public void Backoff_ceilings_grow_by_the_multiplier_and_stop_at_the_max()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(50), Schedule.Ceiling(0));
        Assert.Equal(TimeSpan.FromMilliseconds(100), Schedule.Ceiling(1));
        Assert.Equal(TimeSpan.FromMilliseconds(1600), Schedule.Ceiling(5));
        Assert.Equal(TimeSpan.FromSeconds(2), Schedule.Ceiling(6));
        // Far past the point where base * 2^n overflows a TimeSpan's ticks.
        Assert.Equal(TimeSpan.FromSeconds(2), Schedule.Ceiling(200));
        for (var n = 1; n < 40; n++) Assert.True(Schedule.Ceiling(n) >= Schedule.Ceiling(n - 1), $"ceiling {n} is below ceiling {n - 1}");
    }

    [Fact]
    public void Backoff_delays_are_full_jitter_under_their_ceiling_and_the_same_for_the_same_seed()
    {
        const int seed = 1217;
        var random = new Random(seed);
        var again = new Random(seed);
        var delays = new List<TimeSpan>();
        for (var round = 0; round < 50; round++)
        {
            for (var n = 0; n < 10; n++)
            {
                var delay = Schedule.Delay(n, random);
                Assert.True(delay >= TimeSpan.Zero, $"seed {seed}: delay {delay} of retry {n} is negative");
                Assert.True(delay < Schedule.Ceiling(n), $"seed {seed}: delay {delay} of retry {n} is not under its ceiling {Schedule.Ceiling(n)}");
                Assert.True(delay < Schedule.Max, $"seed {seed}: delay {delay} is not under the max");
                Assert.Equal(delay, Schedule.Delay(n, again));
                delays.Add(delay);
            }
        }

        // Full jitter: the waits of the capped retries spread over [0, max), not bunched at the top.
        var capped = delays.Where((_, i) => i % 10 >= 6).ToList();
        Assert.Contains(capped, d => d < TimeSpan.FromSeconds(0.5));
        Assert.Contains(capped, d => d > TimeSpan.FromSeconds(1.5));
        // ... and grow on average with the ceiling.
        var firsts = delays.Where((_, i) => i % 10 == 0).Average(d => d.TotalMilliseconds);
        var lasts = delays.Where((_, i) => i % 10 == 9).Average(d => d.TotalMilliseconds);
        Assert.True(lasts > 10 * firsts, $"seed {seed}: mean wait of retry 9 ({lasts} ms) is not well above retry 0's ({firsts} ms)");
    }

    [Theory]
    [InlineData(0, 2000, 2.0, "BackoffBase")]
    [InlineData(100, 50, 2.0, "BackoffMax")]
    [InlineData(50, 2000, 0.5, "BackoffMultiplier")]
    [InlineData(50, 2000, double.NaN, "BackoffMultiplier")]
    public void Backoff_options_out_of_range_are_refused_naming_the_option(int baseMs, int maxMs, double multiplier, string option)
    {
        var options = new AkkaRaftGrpcClientOptions
        {
            Endpoints = ["127.0.0.1:8092"],
            BackoffBase = TimeSpan.FromMilliseconds(baseMs),
            BackoffMax = TimeSpan.FromMilliseconds(maxMs),
            BackoffMultiplier = multiplier,
        };
        var refused = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(option, refused.Message);
    }

    [Fact]
    public void A_token_with_spaces_and_a_CA_without_TLS_are_refused_naming_the_option()
    {
        var options = new AkkaRaftGrpcClientOptions { Endpoints = ["127.0.0.1:8092"], Token = "Bearer abc" };
        Assert.Contains("Token", Assert.Throws<ArgumentException>(options.Validate).Message);
        var ca = options with { Token = null, CaCertificates = [] };
        Assert.Contains("UseTls", Assert.Throws<ArgumentException>(ca.Validate).Message);
        (ca with { UseTls = true }).Validate();
    }

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1")]
    [InlineData("http://127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("http://127.0.0.1:8092")]
    public void An_endpoint_that_is_not_host_and_port_is_refused(string endpoint)
    {
        var refused = Assert.Throws<ArgumentException>(() => new AkkaRaftGrpcClient(endpoint));
        Assert.Contains("host:port", refused.Message);
    }

    private static RpcException Status(StatusCode code, Exception? transport = null, Metadata? trailers = null) =>
        new(new Status(code, "detail", transport), trailers ?? []);

    [Fact]
    public void A_write_is_sent_again_after_UNAVAILABLE_only_when_nothing_was_sent()
    {
        // The node's own UNAVAILABLE (no transport exception): nothing was proposed.
        Assert.Equal(RetryVerdict.Retry, RetryRules.Classify(Status(StatusCode.Unavailable), RaftCallKind.Write, outOfTime: false));
        // No connection was ever made.
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused));
        Assert.Equal(RetryVerdict.Retry, RetryRules.Classify(Status(StatusCode.Unavailable, refused), RaftCallKind.Write, outOfTime: false));
        // A connection that broke during the call: the write may have reached the leader.
        var broke = new IOException("The response ended prematurely.");
        Assert.Equal(RetryVerdict.OutcomeUnknown, RetryRules.Classify(Status(StatusCode.Unavailable, broke), RaftCallKind.Write, outOfTime: false));
        Assert.Equal(RetryVerdict.OutcomeUnknown, RetryRules.Classify(Status(StatusCode.Internal, broke), RaftCallKind.Write, outOfTime: false));
        // A read is asked again after the same failure.
        Assert.Equal(RetryVerdict.Retry, RetryRules.Classify(Status(StatusCode.Unavailable, broke), RaftCallKind.Read, outOfTime: false));
        // Out of time, nothing is retried.
        Assert.Equal(RetryVerdict.Fail, RetryRules.Classify(Status(StatusCode.Unavailable), RaftCallKind.Write, outOfTime: true));
    }

    [Fact]
    public void A_write_is_never_sent_again_after_DEADLINE_EXCEEDED_or_CANCELLED()
    {
        Assert.Equal(RetryVerdict.OutcomeUnknown, RetryRules.Classify(Status(StatusCode.DeadlineExceeded), RaftCallKind.Write, outOfTime: false));
        Assert.Equal(RetryVerdict.OutcomeUnknown, RetryRules.Classify(Status(StatusCode.Cancelled), RaftCallKind.Write, outOfTime: true));
        // A read whose own deadline is still ahead met the node's shorter request timeout: it may ask again.
        Assert.Equal(RetryVerdict.Retry, RetryRules.Classify(Status(StatusCode.DeadlineExceeded), RaftCallKind.Read, outOfTime: false));
        Assert.Equal(RetryVerdict.Fail, RetryRules.Classify(Status(StatusCode.DeadlineExceeded), RaftCallKind.Read, outOfTime: true));
        // A write the cluster applies at most once (a session's) may be sent again, as a read.
        Assert.Equal(RetryVerdict.Retry, RetryRules.Classify(Status(StatusCode.DeadlineExceeded), RaftCallKind.IdempotentWrite, outOfTime: false));
        Assert.Equal(RetryVerdict.Retry, RetryRules.Classify(Status(StatusCode.Unavailable, new IOException("reset")), RaftCallKind.IdempotentWrite, outOfTime: false));
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.FailedPrecondition)]
    [InlineData(StatusCode.NotFound)]
    public void The_nodes_answers_about_the_request_are_not_retried(StatusCode code)
    {
        Assert.Equal(RetryVerdict.Fail, RetryRules.Classify(Status(code), RaftCallKind.Write, outOfTime: false));
        Assert.Equal(RetryVerdict.Fail, RetryRules.Classify(Status(code), RaftCallKind.Read, outOfTime: false));
    }

    [Fact]
    public void The_leader_is_read_from_the_trailers_of_the_nodes_own_UNAVAILABLE()
    {
        var trailers = new Metadata { { "leader-id", "n2" }, { "leader-address", "127.0.0.1:9002" } };
        Assert.Equal("127.0.0.1:9002", RetryRules.LeaderAddress(Status(StatusCode.Unavailable, trailers: trailers)));
        Assert.Null(RetryRules.LeaderAddress(Status(StatusCode.Unavailable)));
        Assert.Null(RetryRules.LeaderAddress(Status(StatusCode.FailedPrecondition, trailers: trailers)));
    }
}
