using System.Text;
using System.Xml;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Xml;

/// <summary>Builds a response XML document and writes it with the right headers.</summary>
public sealed class XmlDoc : IDisposable
{
    public const string S3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
    private readonly StringBuilder _text = new();
    private readonly XmlWriter _writer;

    public XmlDoc(string root, string? ns = S3Namespace)
    {
        _writer = XmlWriter.Create(_text, new XmlWriterSettings { OmitXmlDeclaration = true, CheckCharacters = false });
        _writer.WriteStartElement(root, ns ?? "");
        Namespace = ns ?? "";
    }

    private string Namespace { get; }

    public XmlDoc Element(string name, string? value)
    {
        if (value is not null)
            _writer.WriteElementString(name, Namespace, XmlText.Clean(value));
        return this;
    }

    public XmlDoc Element(string name, long value) => Element(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public XmlDoc Element(string name, bool value) => Element(name, value ? "true" : "false");

    public XmlDoc Start(string name)
    {
        _writer.WriteStartElement(name, Namespace);
        return this;
    }

    /// <summary>Starts an element with an <c>xsi:type</c> attribute (an ACL's Grantee: CanonicalUser or Group).</summary>
    public XmlDoc StartTyped(string name, string xsiType)
    {
        _writer.WriteStartElement(name, Namespace);
        _writer.WriteAttributeString("xmlns", "xsi", null, XsiNamespace);
        _writer.WriteAttributeString("type", XsiNamespace, xsiType);
        return this;
    }

    public const string XsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";

    public XmlDoc End()
    {
        _writer.WriteEndElement();
        return this;
    }

    public byte[] ToBytes()
    {
        _writer.WriteEndElement();
        _writer.Flush();
        return Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + _text);
    }

    public async Task WriteAsync(HttpResponse response, int status = 200)
    {
        var body = ToBytes();
        response.StatusCode = status;
        response.ContentType = "application/xml";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body);
    }

    public void Dispose() => _writer.Dispose();
}
