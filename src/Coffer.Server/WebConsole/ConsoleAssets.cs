using System.Collections.Frozen;
using System.IO.Compression;
using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.WebConsole;

/// <summary>
/// The web console (docs/console.md): a single-page app built from <c>console/</c> by esbuild at build time and embedded
/// in this assembly. Served unsigned, GET and HEAD only, at <see cref="Root"/> on the server's own listeners, on
/// path-style requests only. Only the embedded files exist: a path is looked up in a fixed table, never joined to a
/// folder, so no request reaches anything else. The page itself signs every API call in the browser.
/// </summary>
public static class ConsoleAssets
{
    /// <summary>The console's page; everything under it is the console's.</summary>
    public const string Root = "/_coffer/console/";

    /// <summary>The console's path without its trailing slash, redirected to <see cref="Root"/>.</summary>
    public const string RootWithoutSlash = "/_coffer/console";

    /// <summary>
    /// Scripts and styles from this origin only (no inline script, no remote origin), calls to this origin only, and the
    /// page never framed.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    private const string ResourcePrefix = "console/";

    // Loaded (and compressed) on the first console request, not on the first request of any kind.
    private static readonly Lazy<FrozenDictionary<string, Asset>> LazyAssets = new(Load);

    private static FrozenDictionary<string, Asset> Assets => LazyAssets.Value;

    /// <summary>True when the path (raw, before any decoding) is the console's.</summary>
    public static bool IsConsolePath(string rawPath) =>
        rawPath == RootWithoutSlash || rawPath.StartsWith(Root, StringComparison.Ordinal);

    /// <summary>The embedded files by their path under <see cref="Root"/> ("" is the page).</summary>
    public static IReadOnlyCollection<string> Names => Assets.Keys;

    /// <summary>
    /// Answers a console path: the page (never cached, so a new build is picked up at once), an asset (its name carries
    /// its content hash, so it is cached for a year), or 404. Any other method than GET and HEAD gets 405.
    /// </summary>
    public static Task WriteAsync(HttpContext http, string rawPath)
    {
        var response = http.Response;
        SetSecurityHeaders(response);
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            response.Headers.Allow = "GET, HEAD";
            return WriteTextAsync(http, StatusCodes.Status405MethodNotAllowed, $"{http.Request.Method} is not allowed on the console; it serves its files with GET and HEAD.\n");
        }
        if (rawPath == RootWithoutSlash)
        {
            response.StatusCode = StatusCodes.Status301MovedPermanently;
            response.Headers.Location = Root;
            response.ContentLength = 0;
            return Task.CompletedTask;
        }
        if (!Assets.TryGetValue(rawPath[Root.Length..], out var asset))
            return WriteTextAsync(http, StatusCodes.Status404NotFound, "The console has no such file.\n");
        var (content, encoding, etag) = Representation(asset, http.Request.Headers.AcceptEncoding.ToString());
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = asset.ContentType;
        response.ContentLength = content.Length;
        response.Headers.CacheControl = asset.Immutable ? "public, max-age=31536000, immutable" : "no-cache";
        response.Headers.ETag = etag;
        if (asset.Brotli is not null || asset.Gzip is not null)
            response.Headers.Vary = "Accept-Encoding";
        if (encoding is not null)
            response.Headers.ContentEncoding = encoding;
        if (http.Request.Headers.IfNoneMatch == etag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            response.ContentLength = null;
            return Task.CompletedTask;
        }
        return HttpMethods.IsHead(http.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(content).AsTask();
    }

    /// <summary>
    /// The bytes to send for what the client accepts: Brotli, else gzip, else the file itself. Each encoding is its own
    /// representation with its own ETag. Compressed once, when the table is loaded: nothing is compressed per request.
    /// </summary>
    private static (byte[] Content, string? Encoding, string ETag) Representation(Asset asset, string acceptEncoding)
    {
        if (asset.Brotli is not null && Accepts(acceptEncoding, "br"))
            return (asset.Brotli, "br", asset.ETag[..^1] + "-br\"");
        if (asset.Gzip is not null && Accepts(acceptEncoding, "gzip"))
            return (asset.Gzip, "gzip", asset.ETag[..^1] + "-gz\"");
        return (asset.Content, null, asset.ETag);
    }

    /// <summary>True when Accept-Encoding names the coding with a q-value above zero.</summary>
    internal static bool Accepts(string acceptEncoding, string coding)
    {
        foreach (var part in acceptEncoding.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var semicolon = part.IndexOf(';');
            var name = (semicolon < 0 ? part : part[..semicolon]).Trim();
            if (!name.Equals(coding, StringComparison.OrdinalIgnoreCase))
                continue;
            if (semicolon < 0)
                return true;
            var parameter = part[(semicolon + 1)..].Trim();
            return !(parameter.StartsWith("q=", StringComparison.OrdinalIgnoreCase)
                && double.TryParse(parameter[2..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var q)
                && q <= 0);
        }
        return false;
    }

    private static void SetSecurityHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
        response.Headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }

    private static Task WriteTextAsync(HttpContext http, int status, string text)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(text);
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.ContentLength = body.Length;
        return HttpMethods.IsHead(http.Request.Method) ? Task.CompletedTask : http.Response.Body.WriteAsync(body).AsTask();
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
                continue;
            var path = name[ResourcePrefix.Length..];
            var content = Read(assembly, name);
            var etag = "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))[..32] + "\"";
            var page = path == "index.html";
            var type = ContentTypeOf(path);
            var compressible = type.StartsWith("text/", StringComparison.Ordinal) || type is "image/svg+xml" or "application/json";
            assets[page ? "" : path] = new Asset(content, compressible ? Compress(content, brotli: true) : null, compressible ? Compress(content, brotli: false) : null, type, Immutable: !page, etag);
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// The file compressed as small as the coding goes, or null when that saves nothing. Brotli at quality 11 with a
    /// 64 KiB window (the files are smaller than that; the default 4 MiB window would make the encoder hold megabytes
    /// it has no use for).
    /// </summary>
    private static byte[]? Compress(byte[] content, bool brotli)
    {
        if (brotli)
        {
            var buffer = new byte[BrotliEncoder.GetMaxCompressedLength(content.Length)];
            return BrotliEncoder.TryCompress(content, buffer, out var written, quality: 11, window: 16) && written < content.Length ? buffer[..written] : null;
        }
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
            gzip.Write(content);
        return output.Length < content.Length ? output.ToArray() : null;
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ContentTypeOf(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".map" => "application/json",
        _ => "application/octet-stream",
    };

    private sealed record Asset(byte[] Content, byte[]? Brotli, byte[]? Gzip, string ContentType, bool Immutable, string ETag);
}
