using System.Globalization;

namespace Coffer.Storage.S3;

/// <summary>
/// Where and how <see cref="S3BlobStore"/> keeps blobs: a bucket of an S3-compatible store (Ceph
/// RGW, MinIO, AWS S3, COS), the backend's credentials, and the limits of one blob stream.
/// </summary>
public sealed record S3BlobStoreOptions
{
    /// <summary>The smallest part S3 accepts in a multipart upload (the last part excepted).</summary>
    public const int MinPartSize = 5 * 1024 * 1024;

    /// <summary>The default part size: a blob up to this size goes up in one PUT, a larger one as a multipart upload.</summary>
    public const int DefaultPartSize = 8 * 1024 * 1024;

    /// <summary>The bucket that holds the blobs (it holds nothing else of Coffer's).</summary>
    public required string Bucket { get; init; }

    /// <summary>The backend's endpoint (<c>http://127.0.0.1:7480</c>); null for AWS S3 itself, found by <see cref="Region"/>.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The region requests are signed for (RGW and MinIO accept <c>us-east-1</c>).</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>Path-style addressing (<c>host/bucket/key</c>) instead of virtual-hosted (<c>bucket.host/key</c>); RGW and MinIO on a bare host:port need it.</summary>
    public bool PathStyle { get; init; } = true;

    /// <summary>Prepended to every blob id to make its key ("" or ending in '/'), so one bucket can hold several stores.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>The backend's access key id.</summary>
    public required string AccessKey { get; init; }

    /// <summary>The backend's secret key. Never logged, never part of <see cref="ToString"/>.</summary>
    public required string SecretKey { get; init; }

    /// <summary>
    /// Bytes buffered per blob stream before they go up as one part; at least <see cref="MinPartSize"/>.
    /// A stream holds at most (<see cref="MaxPartsInFlight"/> + 1) × this much memory.
    /// </summary>
    public int PartSize { get; init; } = DefaultPartSize;

    /// <summary>
    /// Parts of one blob uploading at once while the next is filled. One keeps encryption and the
    /// upload overlapping at 2 × <see cref="PartSize"/> per stream (16 MiB; a server takes up to
    /// <c>MaxConcurrentUploads</c> bodies at once, so this multiplies).
    /// </summary>
    public int MaxPartsInFlight { get; init; } = 1;

    /// <summary>Retries of a failed request (5xx, throttling, timeouts, refused connections), with exponential backoff and jitter.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>How long to wait for a connection to the backend.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one request may take up to its response headers (a part's upload included).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Options from a URI <c>s3://bucket?endpoint=http://host:port&amp;region=us-east-1&amp;path-style=true&amp;prefix=coffer/</c>
    /// (every parameter optional; values percent-encoded) and the backend's credentials (the
    /// composition root reads them from <c>COFFER_BLOBS_ACCESS_KEY</c> / <c>COFFER_BLOBS_SECRET_KEY</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The URI is not of that form; the message says what to fix.</exception>
    public static S3BlobStoreOptions Parse(string uri, string accessKey, string secretKey)
    {
        ArgumentNullException.ThrowIfNull(uri);
        const string scheme = "s3://";
        if (!uri.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"A blob store URI starts with '{scheme}' (s3://bucket?endpoint=http://host:port&region=us-east-1); got '{uri}'.", nameof(uri));
        }
        if (string.IsNullOrEmpty(accessKey) || string.IsNullOrEmpty(secretKey))
        {
            throw new ArgumentException("The S3 blob store needs the backend's access key and secret key (COFFER_BLOBS_ACCESS_KEY and COFFER_BLOBS_SECRET_KEY).");
        }

        var rest = uri[scheme.Length..];
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        var bucket = (q < 0 ? rest : rest[..q]).TrimEnd('/');
        CheckBucketName(bucket);

        Uri? endpoint = null;
        string region = "us-east-1";
        bool? pathStyle = null;
        string prefix = "";
        if (q >= 0)
        {
            foreach (var pair in rest[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
                var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
                switch (name)
                {
                    case "endpoint":
                        if (!Uri.TryCreate(value, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")
                            || endpoint.AbsolutePath != "/" || endpoint.Query.Length > 0)
                        {
                            throw new ArgumentException($"endpoint must be an http:// or https:// URL of the backend with no path (http://127.0.0.1:7480); got '{value}'.", nameof(uri));
                        }
                        break;
                    case "region":
                        if (value.Length == 0 || !value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
                        {
                            throw new ArgumentException($"region must be a region name such as us-east-1; got '{value}'.", nameof(uri));
                        }
                        region = value;
                        break;
                    case "path-style":
                        pathStyle = value switch
                        {
                            "true" => true,
                            "false" => false,
                            _ => throw new ArgumentException($"path-style must be true or false; got '{value}'.", nameof(uri)),
                        };
                        break;
                    case "prefix":
                        if (value.StartsWith('/') || value.Contains("//", StringComparison.Ordinal) || value.Any(char.IsControl))
                        {
                            throw new ArgumentException($"prefix must be a relative key prefix such as coffer/ (no leading '/', no empty segment); got '{value}'.", nameof(uri));
                        }
                        prefix = value.Length == 0 || value.EndsWith('/') ? value : value + "/";
                        break;
                    default:
                        throw new ArgumentException($"Unknown parameter '{name}' in the blob store URI; the known ones are endpoint, region, path-style and prefix.", nameof(uri));
                }
            }
        }

        return new S3BlobStoreOptions
        {
            Bucket = bucket,
            Endpoint = endpoint,
            Region = region,
            // A custom endpoint is usually a bare host:port (RGW, MinIO): path style unless told otherwise.
            PathStyle = pathStyle ?? endpoint is not null,
            Prefix = prefix,
            AccessKey = accessKey,
            SecretKey = secretKey,
        };
    }

    /// <summary>The options without the secret key.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"s3://{Bucket}?endpoint={Endpoint?.ToString() ?? "(aws)"}&region={Region}&path-style={(PathStyle ? "true" : "false")}&prefix={Prefix} (access key {AccessKey})");

    internal void Validate()
    {
        CheckBucketName(Bucket);
        ArgumentException.ThrowIfNullOrEmpty(AccessKey);
        ArgumentException.ThrowIfNullOrEmpty(SecretKey);
        if (PartSize < MinPartSize)
        {
            throw new ArgumentOutOfRangeException(nameof(PartSize), PartSize, $"A part is at least {MinPartSize} bytes (S3's smallest multipart part).");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPartsInFlight, 1, nameof(MaxPartsInFlight));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries, nameof(MaxRetries));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        if (Prefix.Length > 0 && (!Prefix.EndsWith('/') || Prefix.StartsWith('/')))
        {
            throw new ArgumentException("Prefix is empty or a relative key prefix ending in '/' (coffer/).", nameof(Prefix));
        }
    }

    private static void CheckBucketName(string bucket)
    {
        // S3's rules for new buckets: 3-63 characters, lowercase letters, digits, '.' and '-', starting and ending with a letter or digit.
        if (bucket.Length is < 3 or > 63
            || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-')
            || !char.IsAsciiLetterOrDigit(bucket[0]) || !char.IsAsciiLetterOrDigit(bucket[^1]))
        {
            throw new ArgumentException($"'{bucket}' is not a bucket name: 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit.", "uri");
        }
    }
}
