using System.Text;
using Coffer.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Coffer.Server.Objects;

/// <summary>
/// A browser POST form read as it streams (docs/protocol/post-object.md): the fields before the file, at most
/// <see cref="MaxFieldBytes"/> in all, then the file section, whose body is left unread for the object writer. Fields
/// after the file are never read (S3 ignores them).
/// </summary>
public sealed class PostForm
{
    /// <summary>Most bytes all the fields before the file may hold together (S3's 20 KB).</summary>
    public const int MaxFieldBytes = 20 * 1024;

    private PostForm(Dictionary<string, string> fields, string fileName, Stream file)
    {
        Fields = fields;
        FileName = fileName;
        File = file;
    }

    /// <summary>The fields by lower-cased name; a repeated field's values joined with commas.</summary>
    public Dictionary<string, string> Fields { get; }

    /// <summary>The file part's file name, after its last '/' or '\' ("" when none): what <c>${filename}</c> stands for.</summary>
    public string FileName { get; }

    /// <summary>The file's bytes, read from the request as the object writer asks for them.</summary>
    public Stream File { get; }

    public string? Field(string name) => Fields.GetValueOrDefault(name);

    /// <summary>Reads the fields up to the file; 400 MalformedPOSTRequest when the body is not multipart/form-data.</summary>
    public static async Task<PostForm> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 and <= 70 } boundary)
            throw Malformed();
        var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 };
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var total = 0;
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var parsed) || parsed is not { } disposition
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                    throw Malformed();
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value?.ToLowerInvariant();
                if (string.IsNullOrEmpty(name))
                    throw Malformed();
                if (name == "file")
                {
                    var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
                    fileName = fileName[(fileName.LastIndexOfAny(['/', '\\']) + 1)..];
                    return new PostForm(fields, fileName, section.Body);
                }
                var value = await ReadValueAsync(section.Body, MaxFieldBytes - total, ct);
                total += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value);
                fields[name] = fields.TryGetValue(name, out var earlier) ? earlier + "," + value : value;
            }
        }
        catch (IOException) when (!ct.IsCancellationRequested)
        {
            throw Malformed();
        }
        catch (InvalidDataException)
        {
            throw Malformed();
        }
        throw new CofferException(ErrorCode.IncorrectNumberOfFiles, "POST requires exactly one file upload per request. Send it in a field named 'file', after all the others.");
    }

    private static async Task<string> ReadValueAsync(Stream body, int budget, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int n;
        while ((n = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > budget)
                throw new CofferException(ErrorCode.InvalidArgument, $"The form fields before the file total more than {MaxFieldBytes} bytes; send at most that much before the file.");
            buffer.Write(chunk, 0, n);
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            throw new CofferException(ErrorCode.InvalidArgument, "A form field's value is not UTF-8 text.");
        }
    }

    private static CofferException Malformed() =>
        new(ErrorCode.MalformedPostRequest, "The body of your POST request is not well-formed multipart/form-data.");
}

/// <summary>
/// The file of a POST form as the object writer reads it: counts its bytes and stops with 400 EntityTooLarge (with
/// ProposedSize and MaxSizeAllowed) as soon as they exceed the policy's content-length-range, before more is stored.
/// </summary>
public sealed class PostFileStream(Stream inner, long max) : Stream
{
    /// <summary>Bytes read so far.</summary>
    public long BytesRead { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = await inner.ReadAsync(buffer, ct);
        BytesRead += n;
        if (BytesRead > max)
        {
            var e = new CofferException(ErrorCode.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size");
            e.Details.Add(new("ProposedSize", BytesRead.ToString(System.Globalization.CultureInfo.InvariantCulture) + "+"));
            e.Details.Add(new("MaxSizeAllowed", max.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            throw e;
        }
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
