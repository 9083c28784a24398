using System.Text;
using System.Xml;
using Coffer.Protocol;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Pipeline;

/// <summary>Writes the COS / S3 XML &lt;Error&gt; document. Code, Message, Resource and RequestId are always filled (the COS Python SDK requires all four).</summary>
public static class ErrorWriter
{
    public static async Task WriteAsync(HttpContext http, ProtocolFamily family, string requestId, CofferException error, string resource)
    {
        var response = http.Response;
        response.StatusCode = error.Error.StatusFor(family);
        foreach (var (name, value) in error.Headers)
            response.Headers[name] = value;
        if (HttpMethods.IsHead(http.Request.Method))
        {
            response.ContentLength = 0;
            return;
        }

        var body = Render(family, requestId, error.Error.CodeFor(family), error.Message, error.Resource ?? resource, error.Details);
        response.ContentType = "application/xml";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body);
    }

    public static byte[] Render(ProtocolFamily family, string requestId, string code, string message, string resource,
        IEnumerable<KeyValuePair<string, string>>? details = null)
    {
        var sb = new StringBuilder();
        using (var xml = XmlWriter.Create(sb, new XmlWriterSettings { Encoding = Encoding.UTF8, OmitXmlDeclaration = true }))
        {
            xml.WriteStartElement("Error");
            xml.WriteElementString("Code", code);
            xml.WriteElementString("Message", Xml.XmlText.Clean(message));
            foreach (var (name, value) in details ?? [])
                xml.WriteElementString(name, Xml.XmlText.Clean(value));
            xml.WriteElementString("Resource", Xml.XmlText.Clean(resource));
            xml.WriteElementString("RequestId", requestId);
            xml.WriteElementString(family == ProtocolFamily.Cos ? "TraceId" : "HostId", requestId);
            xml.WriteEndElement();
        }
        return Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + sb);
    }
}
