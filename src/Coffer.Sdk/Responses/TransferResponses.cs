namespace Coffer.Sdk;

/// <summary>The answer to <see cref="CosClient.UploadFileAsync"/>: the final PUT's or Complete's headers, plus what the transfer did.</summary>
public sealed class UploadFileResponse : ObjectResponse
{
    private string? _etag;

    /// <summary>The object's ETag (from the Complete body for a multipart upload).</summary>
    public override string? ETag => _etag ?? base.ETag;

    /// <summary>Whether the file went up in parts.</summary>
    public bool Multipart { get; internal set; }

    /// <summary>The multipart upload id, or null for a single PUT.</summary>
    public string? UploadId { get; internal set; }

    /// <summary>How many parts the object has (1 for a single PUT).</summary>
    public int PartCount { get; internal set; }

    /// <summary>How many parts a resumed upload found already done and did not send again.</summary>
    public int PartsSkipped { get; internal set; }

    /// <summary>The CRC-64 of the local file, which the server's matched (when <see cref="UploadFileRequest.EnableCrc"/>).</summary>
    public ulong? LocalCrc64 { get; internal set; }

    internal void SetETag(string? etag) => _etag = etag;
}

/// <summary>The answer to <see cref="CosClient.DownloadFileAsync"/>: the object's HEAD headers, plus what the transfer did.</summary>
public sealed class DownloadFileResponse : ObjectResponse
{
    /// <summary>The object's size, which the file now has.</summary>
    public long ContentLength { get; internal set; }

    /// <summary>How many ranges the object was fetched in.</summary>
    public int PartCount { get; internal set; }

    /// <summary>How many ranges a resumed download found already done.</summary>
    public int PartsSkipped { get; internal set; }

    /// <summary>The CRC-64 of the file written (when <see cref="DownloadFileRequest.EnableCrc"/>).</summary>
    public ulong? LocalCrc64 { get; internal set; }
}

/// <summary>The answer to <see cref="CosClient.CopyAsync"/>: the CopyObject or Complete response, plus how it was done.</summary>
public sealed class CopyResponse : ObjectResponse
{
    private string? _etag;
    private ulong? _crc;

    /// <summary>The new object's ETag.</summary>
    public override string? ETag => _etag ?? base.ETag;

    /// <summary>The new object's CRC-64.</summary>
    public override ulong? Crc64 => _crc ?? base.Crc64;

    /// <summary>Whether the copy went in parts (UploadPartCopy).</summary>
    public bool Multipart { get; internal set; }

    /// <summary>How many parts (1 for a CopyObject).</summary>
    public int PartCount { get; internal set; }

    internal void Set(string? etag, ulong? crc)
    {
        _etag = etag;
        _crc = crc;
    }
}
