using System.Text.Json;
using Akka.Actor;
using AkkaRaft.Server.Http;
using Microsoft.AspNetCore.Http;

namespace AkkaRaft.Server.Tests;

/// <summary>What a client gets when a handler fails: a problem document with the right status and no stack trace.</summary>
public sealed class GuardTests
{
    private static async Task<(int Status, string ContentType, JsonElement Problem)> RunAsync(Exception thrown)
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        await HttpFrontEnd.Guard(_ => throw thrown)(context);
        context.Response.Body.Position = 0;
        using var document = await JsonDocument.ParseAsync(context.Response.Body);
        return (context.Response.StatusCode, context.Response.ContentType ?? "", document.RootElement.Clone());
    }

    [Fact]
    public async Task A_peer_that_does_not_answer_is_a_504_saying_it_may_be_restarting()
    {
        var (status, contentType, problem) = await RunAsync(new AskTimeoutException("Ask timed out on [akkaraft://node/user/raft-peer] after [2000 ms]"));

        Assert.Equal(504, status);
        Assert.StartsWith("application/problem+json", contentType);
        Assert.Contains("restarting from its journal", problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("akkaraft://", problem.GetRawText());
    }

    [Fact]
    public async Task An_unexpected_failure_is_a_500_naming_its_type_without_a_stack_trace()
    {
        var (status, _, problem) = await RunAsync(new InvalidOperationException("secret internals"));

        Assert.Equal(500, status);
        Assert.Contains("InvalidOperationException", problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("secret internals", problem.GetRawText());
        Assert.DoesNotContain(" at ", problem.GetRawText());
    }
}
