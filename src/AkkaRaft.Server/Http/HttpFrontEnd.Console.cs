namespace AkkaRaft.Server.Http;

/// <summary>The web console at <c>/ui/</c>: static pages that talk only to this node's own HTTP API.</summary>
public sealed partial class HttpFrontEnd
{
    /// <summary>
    /// What the console's pages may load and call: this node only (no CDN, no other origin). Inline styles are allowed
    /// because the chart library sizes its elements through style attributes.
    /// </summary>
    private const string ConsoleContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

    private void MapConsoleRoutes()
    {
        // Also matches /ui (an empty path), which is sent to /ui/ so that the pages' relative URLs resolve under it.
        _app.MapGet("/ui/{**path}", Guard(ConsoleAssetAsync));
    }

    /// <summary>
    /// Serves one embedded asset (<c>/ui/</c> is index.html) with its content type and ETag; a request whose
    /// If-None-Match names the current ETag is answered 304. <c>Cache-Control: no-cache</c>: the browser keeps a copy
    /// but asks again each time, so a node upgraded in place serves its new console at once.
    /// </summary>
    private static async Task ConsoleAssetAsync(HttpContext context)
    {
        var path = context.Request.RouteValues["path"] as string ?? "";
        if (path.Length == 0)
        {
            if (!context.Request.Path.Value!.EndsWith('/'))
            {
                context.Response.Redirect("/ui/");
                return;
            }

            path = "index.html";
        }

        if (ConsoleAssets.Embedded.Find(path) is not { } asset)
        {
            await Problems.WriteAsync(context, StatusCodes.Status404NotFound, $"the console has no file '{path}'; open /ui/").ConfigureAwait(false);
            return;
        }

        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ConsoleContentSecurityPolicy;
        foreach (var tag in context.Request.Headers.IfNoneMatch)
        {
            if (tag is null) continue;
            foreach (var one in tag.Split(',', StringSplitOptions.TrimEntries))
            {
                if (one == asset.ETag || one == "*")
                {
                    context.Response.StatusCode = StatusCodes.Status304NotModified;
                    return;
                }
            }
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = asset.ContentType;
        context.Response.ContentLength = asset.Bytes.Length;
        await context.Response.Body.WriteAsync(asset.Bytes, context.RequestAborted).ConfigureAwait(false);
    }
}
