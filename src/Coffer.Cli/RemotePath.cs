namespace Coffer.Cli;

/// <summary>A remote path <c>cos://bucket/key</c> (<c>s3://</c> is accepted too); the key may be empty or a prefix.</summary>
internal readonly record struct RemotePath(string Bucket, string Key)
{
    private static readonly string[] Schemes = ["cos://", "s3://"];

    /// <summary>Whether the text is a remote path rather than a local one.</summary>
    public static bool IsRemote(string text) => Schemes.Any(s => text.StartsWith(s, StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses <c>cos://bucket[/key]</c>; a usage error otherwise.</summary>
    public static RemotePath Parse(string text)
    {
        var scheme = Schemes.FirstOrDefault(s => text.StartsWith(s, StringComparison.OrdinalIgnoreCase))
            ?? throw new UsageException($"'{text}' is not a remote path; write it as cos://BUCKET/KEY.");
        var rest = text[scheme.Length..];
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var key = slash < 0 ? "" : rest[(slash + 1)..];
        if (bucket.Length == 0)
            throw new UsageException($"'{text}' names no bucket; write it as cos://BUCKET/KEY.");
        return new RemotePath(bucket, key);
    }

    /// <summary>Whether the key names a folder (empty, or ending with '/').</summary>
    public bool IsFolder => Key.Length == 0 || Key.EndsWith('/');

    /// <summary>The last segment of the key ("c.txt" of "a/b/c.txt").</summary>
    public string Name => Key[(Key.LastIndexOf('/') + 1)..];

    /// <summary>This path's key as a folder prefix: "" or "a/b/".</summary>
    public string FolderPrefix => Key.Length == 0 || Key.EndsWith('/') ? Key : Key + "/";

    /// <summary>The same bucket with another key.</summary>
    public RemotePath WithKey(string key) => new(Bucket, key);

    public override string ToString() => $"cos://{Bucket}/{Key}";
}
