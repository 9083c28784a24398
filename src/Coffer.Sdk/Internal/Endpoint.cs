using System.Globalization;
using System.Net;

namespace Coffer.Sdk.Internal;

/// <summary>Where requests go and what Host they name, from <see cref="CosConfig"/> (see its remarks for the rules).</summary>
internal sealed class Endpoint
{
    private readonly string _region;
    private readonly string? _domain;
    private readonly bool _pathStyle;
    private readonly bool _ipMode;
    private readonly bool _endpointIsName;

    public Endpoint(CosConfig config)
    {
        if (string.IsNullOrWhiteSpace(config.Region) && config.Endpoint is null && config.Domain is null)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "Set CosConfig.Region (or Endpoint or Domain).");
        }

        _region = config.Region;
        _domain = string.IsNullOrWhiteSpace(config.Domain) ? null : config.Domain.Trim();
        _pathStyle = config.PathStyle;
        Scheme = config.Scheme.Trim().ToLowerInvariant().TrimEnd(':');
        string endpoint = string.IsNullOrWhiteSpace(config.Endpoint) ? $"cos.{config.Region}.myqcloud.com" : config.Endpoint.Trim();
        if (endpoint.Contains("://", StringComparison.Ordinal))
        {
            var uri = new Uri(endpoint);
            Scheme = uri.Scheme;
            endpoint = uri.IsDefaultPort ? uri.Host : uri.Authority;
        }

        endpoint = endpoint.TrimEnd('/');
        if (Scheme is not ("http" or "https"))
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, $"Scheme must be 'https' or 'http'; got '{config.Scheme}'.");
        }

        (EndpointHost, EndpointPort) = SplitHostPort(endpoint);
        EndpointAuthority = Authority(EndpointHost, EndpointPort);
        _endpointIsName = !IsIpOrLocalhost(EndpointHost);

        if (!string.IsNullOrWhiteSpace(config.Ip))
        {
            (ConnectHost, ConnectPort) = SplitHostPort(config.Ip.Trim());
            ConnectPort = config.Port ?? ConnectPort ?? EndpointPort;
            _ipMode = true;
        }
        else
        {
            ConnectHost = _domain is not null && config.Endpoint is null ? SplitHostPort(_domain).Host : EndpointHost;
            ConnectPort = _domain is not null && config.Endpoint is null ? SplitHostPort(_domain).Port : EndpointPort;
            _ipMode = !_endpointIsName;
        }
    }

    public string Scheme { get; }

    /// <summary>The endpoint's host name or address, without port.</summary>
    public string EndpointHost { get; }

    public int? EndpointPort { get; }

    /// <summary>host[:port] of the endpoint (port only when not the scheme's default).</summary>
    public string EndpointAuthority { get; }

    /// <summary>The host (name or address) connections are made to.</summary>
    public string ConnectHost { get; }

    public int? ConnectPort { get; }

    /// <summary>The URL prefix (scheme://host[:port]), the Host header and the path prefix for a bucket (null: service-level request).</summary>
    public (string BaseUrl, string Host, string PathPrefix) For(string? bucket)
    {
        string baseUrl = Scheme + "://" + Authority(ConnectHost, ConnectPort);
        if (_domain is not null)
        {
            return (baseUrl, _domain, "");
        }

        if (bucket is null)
        {
            return (baseUrl, EndpointAuthority, "");
        }

        if (_pathStyle)
        {
            return (baseUrl, EndpointAuthority, "/" + UriEncoder.Encode(bucket));
        }

        if (_ipMode)
        {
            string host = _endpointIsName ? bucket + "." + EndpointAuthority : $"{bucket}.cos.{_region}.myqcloud.com";
            return (baseUrl, host, "");
        }

        string virtualHost = bucket + "." + EndpointAuthority;
        return (Scheme + "://" + virtualHost, virtualHost, "");
    }

    /// <summary>The COS copy-source host of a bucket: bucket.ENDPOINT, or bucket.cos.REGION.myqcloud.com when the endpoint is an address.</summary>
    public string CopySourceHost(string bucket, string? region, string? endpoint)
    {
        if (!string.IsNullOrEmpty(endpoint))
        {
            return bucket + "." + endpoint;
        }

        if (region is null && _endpointIsName && _domain is null)
        {
            return bucket + "." + EndpointAuthority;
        }

        return $"{bucket}.cos.{region ?? _region}.myqcloud.com";
    }

    private string Authority(string host, int? port)
    {
        bool isDefault = port is null || (Scheme == "https" && port == 443) || (Scheme == "http" && port == 80);
        string h = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? "[" + host + "]" : host;
        return isDefault ? h : h + ":" + port!.Value.ToString(CultureInfo.InvariantCulture);
    }

    private static (string Host, int? Port) SplitHostPort(string value)
    {
        if (value.StartsWith('['))
        {
            int end = value.IndexOf(']', StringComparison.Ordinal);
            string host = value[1..end];
            return value.Length > end + 2 && value[end + 1] == ':' ? (host, ParsePort(value[(end + 2)..])) : (host, null);
        }

        int colon = value.LastIndexOf(':');
        if (colon > 0 && value.IndexOf(':', StringComparison.Ordinal) == colon)
        {
            return (value[..colon], ParsePort(value[(colon + 1)..]));
        }

        return (value, null);
    }

    private static int ParsePort(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and < 65536
            ? port
            : throw new CosClientException(CosClientErrorKind.InvalidArgument, $"'{text}' is not a valid port.");

    private static bool IsIpOrLocalhost(string host) =>
        IPAddress.TryParse(host, out _) || host.Equals("localhost", StringComparison.OrdinalIgnoreCase);
}
