using F5Tts.Api.Options;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace F5Tts.Api.Extensions;

/// <summary>
/// The browser page at <c>/</c> (docs/page.md): plain HTML, CSS and JavaScript from <c>src/Api/Page</c>, embedded in
/// the assembly so the page is served the same from <c>dotnet run</c>, the test host and the container image, whatever
/// the content root (it is the repository root under <c>dotnet run</c>, where a <c>wwwroot</c> would not be found).
/// </summary>
public static class PageExtensions
{
    /// <summary>Resource-name prefix of the embedded page files (LogicalName in F5Tts.Api.csproj).</summary>
    internal const string ResourcePrefix = "F5Tts.Api.Page";

    /// <summary>
    /// What the page may load: its own files only (no CDN); audio from blobs it builds itself (recordings, results).
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'self'; connect-src 'self' blob:; media-src 'self' blob:; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        + "form-action 'none'; frame-ancestors 'none'";

    /// <summary>
    /// Serves <c>/</c> as <c>index.html</c> and the page's other files by name, unless <c>F5Tts:Server:Page</c> is
    /// false. Only the embedded files are served; every other path falls through to the endpoints (and an unknown one
    /// to the 404 problem).
    /// </summary>
    public static WebApplication UseF5TtsPage(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.Services.GetRequiredService<IOptions<ServerOptions>>().Value.Page)
        {
            return app;
        }

        var files = new EmbeddedFileProvider(typeof(PageExtensions).Assembly, ResourcePrefix);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, DefaultFileNames = ["index.html"] });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                // Revalidate every load (the ETag makes that a 304): a new server version shows its page at once.
                headers.CacheControl = "no-cache";
                headers.XContentTypeOptions = "nosniff";
                headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
                headers["Referrer-Policy"] = "no-referrer";
            },
        });
        return app;
    }
}
