using System.Xml;
using System.Xml.Linq;
using Coffer.Protocol;

namespace Coffer.Server.Xml;

/// <summary>Reads request XML bodies safely: size-limited, no DTDs, namespace-agnostic lookups.</summary>
public static class XmlInput
{
    /// <summary>Largest XML body accepted (multi-delete of 1,000 keys of 1 KB fits).</summary>
    public const int MaxBytes = 2 * 1024 * 1024;

    /// <summary>Reads the request's XML body (aws-chunked and signed payloads verified), checking Content-MD5 when sent.</summary>
    public static async Task<XElement> ReadAsync(Pipeline.RequestContext ctx, string expectedRoot)
    {
        var body = Objects.RequestBody.Open(ctx);
        var bytes = await ReadBytesAsync(body.Stream, ctx.Request.ContentLength, expectedRoot, ctx.Aborted);
        var md5Header = ctx.Header("Content-MD5");
        if (md5Header is not null)
        {
            var given = new byte[16];
            if (!Convert.TryFromBase64String(md5Header, given, out var n) || n != 16)
                throw new CofferException(ErrorCode.InvalidDigest, "The Content-MD5 you specified is not valid: send the base64 of the 16-byte MD5 of the body.");
            if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(given, System.Security.Cryptography.MD5.HashData(bytes)))
                throw new CofferException(ErrorCode.BadDigest, "The Content-MD5 you specified did not match the XML body received.");
        }
        return Parse(bytes, expectedRoot);
    }

    private static async Task<byte[]> ReadBytesAsync(Stream body, long? contentLength, string expectedRoot, CancellationToken ct)
    {
        if (contentLength > MaxBytes)
            throw new CofferException(ErrorCode.MalformedXML, $"The XML body is larger than {MaxBytes} bytes.");
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > MaxBytes)
                throw new CofferException(ErrorCode.MalformedXML, $"The XML body is larger than {MaxBytes} bytes.");
            buffer.Write(chunk, 0, n);
        }
        if (buffer.Length == 0)
            throw new CofferException(ErrorCode.MissingRequestBody, $"This request needs an XML body with a <{expectedRoot}> element.");
        return buffer.ToArray();
    }

    public static XElement Parse(byte[] bytes, string expectedRoot)
    {
        XDocument doc;
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(bytes), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true });
            doc = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            throw new CofferException(ErrorCode.MalformedXML, $"The XML body is not well-formed (line {e.LineNumber}, position {e.LinePosition}).");
        }
        var root = doc.Root!;
        if (root.Name.LocalName != expectedRoot)
            throw new CofferException(ErrorCode.MalformedXML, $"The XML body's root element is <{root.Name.LocalName}>; expected <{expectedRoot}>.");
        return root;
    }

    /// <summary>The child elements with this local name, whatever their namespace.</summary>
    public static IEnumerable<XElement> Children(this XElement element, string localName) =>
        element.Elements().Where(e => e.Name.LocalName == localName);

    public static XElement? Child(this XElement element, string localName) => element.Children(localName).FirstOrDefault();

    public static string? ChildValue(this XElement element, string localName) => element.Child(localName)?.Value;
}
