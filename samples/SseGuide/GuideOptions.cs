using Coffer.Sdk;

namespace SseGuide;

/// <summary>Command-line settings of the guide walk-through.</summary>
public sealed class GuideOptions
{
    public const string Usage = """
        Usage: SseGuide --endpoint URL --secret-id ID --secret-key KEY [options]

          --endpoint URL       the server, e.g. https://127.0.0.1:9443 (an address is used in the
                               COS SDKs' IP mode: Host bucket.cos.REGION.myqcloud.com)
          --secret-id ID       access key id (SecretId)
          --secret-key KEY     secret key (SecretKey)
          --insecure           do not check the server's TLS certificate
          --ca FILE            trust the certificates in this PEM file (e.g. coffer-data/tls/cert.pem)
          --region REGION      region (default ap-guangzhou)
          --signature cos|v4   COS v5 signature (default) or AWS SigV4
          --path-style         path-style addressing (/bucket/key)
          --bucket NAME        use this bucket (name-APPID) instead of creating one
          --keep               do not delete what the guide created
        """;

    public required string Endpoint { get; init; }
    public required string SecretId { get; init; }
    public required string SecretKey { get; init; }
    public bool Insecure { get; init; }
    public string? CaFile { get; init; }
    public string Region { get; init; } = "ap-guangzhou";
    public SignatureVersion Signature { get; init; } = SignatureVersion.CosV5;
    public bool PathStyle { get; init; }
    public string? Bucket { get; init; }
    public bool Keep { get; init; }

    /// <summary>Parses the arguments; null for --help. Throws <see cref="ArgumentException"/> for bad ones.</summary>
    public static GuideOptions? Parse(string[] args)
    {
        string? endpoint = null, id = null, key = null, ca = null, region = null, bucket = null;
        bool insecure = false, pathStyle = false, keep = false;
        var signature = SignatureVersion.CosV5;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--endpoint": endpoint = Value(); break;
                case "--secret-id": id = Value(); break;
                case "--secret-key": key = Value(); break;
                case "--ca": ca = Value(); break;
                case "--region": region = Value(); break;
                case "--bucket": bucket = Value(); break;
                case "--insecure": insecure = true; break;
                case "--path-style": pathStyle = true; break;
                case "--keep": keep = true; break;
                case "--signature":
                    signature = Value().ToLowerInvariant() switch
                    {
                        "cos" or "cosv5" => SignatureVersion.CosV5,
                        "v4" or "sigv4" => SignatureVersion.SigV4,
                        var other => throw new ArgumentException($"--signature takes cos or v4, not '{other}'."),
                    };
                    break;
                case "-h" or "--help": return null;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }

        if (endpoint is null || id is null || key is null)
        {
            throw new ArgumentException("--endpoint, --secret-id and --secret-key are required.");
        }

        return new GuideOptions
        {
            Endpoint = endpoint,
            SecretId = id,
            SecretKey = key,
            CaFile = ca,
            Insecure = insecure,
            Region = region ?? "ap-guangzhou",
            Signature = signature,
            PathStyle = pathStyle,
            Bucket = bucket,
            Keep = keep,
        };
    }

    /// <summary>The SDK settings these options describe.</summary>
    public CosConfig ToConfig() => new()
    {
        Region = Region,
        SecretId = SecretId,
        SecretKey = SecretKey,
        Token = null,
        Scheme = "https",
        Endpoint = Endpoint,
        PathStyle = PathStyle,
        SignatureVersion = Signature,
        VerifySsl = !Insecure,
        CaFile = CaFile,
    };
}
