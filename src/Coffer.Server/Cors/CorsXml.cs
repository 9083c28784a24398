using System.Globalization;
using System.Xml.Linq;
using Coffer.Protocol;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Cors;

/// <summary>
/// The <c>&lt;CORSConfiguration&gt;</c> document of PUT and GET ?cors (docs/protocol/cors.md): parsed and checked with
/// S3's rules and codes (COS's extra rule on ExposeHeader for COS-signed requests), and written back.
/// </summary>
public static class CorsXml
{
    /// <summary>Most rules one configuration may have (S3 and COS).</summary>
    public const int MaxRules = 100;

    /// <summary>Longest rule ID, in characters.</summary>
    public const int MaxIdLength = 255;

    /// <summary>The methods a rule may allow, as S3 and COS spell them.</summary>
    public static readonly IReadOnlyList<string> Methods = ["GET", "PUT", "POST", "DELETE", "HEAD"];

    private static readonly string[] RuleElements = ["ID", "AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds"];

    /// <summary>Parses and checks a configuration.</summary>
    public static BucketCors Parse(XElement root, ProtocolFamily family)
    {
        foreach (var child in root.Elements())
        {
            if (child.Name.LocalName != "CORSRule")
                throw Malformed($"<CORSConfiguration> may hold only <CORSRule> elements, not <{child.Name.LocalName}>.");
        }
        var elements = root.Children("CORSRule").ToList();
        if (elements.Count == 0)
            throw Malformed("The CORS configuration needs at least one <CORSRule>.");
        if (elements.Count > MaxRules)
            throw Malformed($"The CORS configuration has {elements.Count} rules; at most {MaxRules} are allowed.");
        return new BucketCors([.. elements.Select((e, i) => ParseRule(e, i + 1, family))]);
    }

    private static CorsRule ParseRule(XElement rule, int number, ProtocolFamily family)
    {
        foreach (var child in rule.Elements())
        {
            if (Array.IndexOf(RuleElements, child.Name.LocalName) < 0)
                throw Malformed($"<CORSRule> {number} has an unknown element <{child.Name.LocalName}>.");
        }
        if (rule.Children("ID").Count() > 1 || rule.Children("MaxAgeSeconds").Count() > 1)
            throw Malformed($"<CORSRule> {number} may have at most one <ID> and one <MaxAgeSeconds>.");
        var id = rule.ChildValue("ID");
        if (id is { Length: > MaxIdLength })
            throw new CofferException(ErrorCode.InvalidArgument, $"The ID of <CORSRule> {number} is {id.Length} characters long; at most {MaxIdLength} are allowed.");

        var origins = rule.Children("AllowedOrigin").Select(e => e.Value.Trim()).ToList();
        var methods = rule.Children("AllowedMethod").Select(e => e.Value.Trim()).ToList();
        if (origins.Count == 0 || methods.Count == 0)
            throw Malformed($"<CORSRule> {number} needs at least one <AllowedOrigin> and one <AllowedMethod>.");
        foreach (var origin in origins)
        {
            if (origin.Length == 0)
                throw Malformed($"<CORSRule> {number} has an empty <AllowedOrigin>.");
            if (origin.Count(c => c == '*') > 1)
                throw Invalid($"AllowedOrigin \"{origin}\" can not have more than one wildcard.");
        }
        foreach (var method in methods)
        {
            if (!Methods.Contains(method, StringComparer.Ordinal))
                throw Invalid($"Found unsupported HTTP method in CORS config. Unsupported method is {method}");
        }

        var headers = rule.Children("AllowedHeader").Select(e => e.Value.Trim()).ToList();
        foreach (var header in headers)
        {
            if (header.Count(c => c == '*') > 1 || !IsHeaderPattern(header))
                throw Invalid($"AllowedHeader \"{header}\" contains invalid character.");
        }
        var expose = rule.Children("ExposeHeader").Select(e => e.Value.Trim()).ToList();
        foreach (var header in expose)
        {
            if (!IsHeaderPattern(header) || (header.Contains('*') && family == ProtocolFamily.Cos))
                throw Invalid($"ExposeHeader \"{header}\" contains invalid character.");
        }

        int? maxAge = null;
        if (rule.ChildValue("MaxAgeSeconds") is { } text)
        {
            if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                throw Malformed($"<MaxAgeSeconds> of <CORSRule> {number} must be a whole number of seconds, not '{text}'.");
            maxAge = seconds;
        }
        return new CorsRule(id, origins, methods, headers, expose, maxAge);
    }

    /// <summary>Writes the configuration as GET ?cors answers it.</summary>
    public static async Task WriteAsync(Pipeline.RequestContext ctx, BucketCors cors)
    {
        using var xml = new XmlDoc("CORSConfiguration", ctx.Family == ProtocolFamily.S3 ? XmlDoc.S3Namespace : null);
        foreach (var rule in cors.Rules)
        {
            xml.Start("CORSRule").Element("ID", rule.Id);
            foreach (var origin in rule.AllowedOrigins) xml.Element("AllowedOrigin", origin);
            foreach (var method in rule.AllowedMethods) xml.Element("AllowedMethod", method);
            foreach (var header in rule.AllowedHeaders) xml.Element("AllowedHeader", header);
            foreach (var header in rule.ExposeHeaders) xml.Element("ExposeHeader", header);
            if (rule.MaxAgeSeconds is { } maxAge) xml.Element("MaxAgeSeconds", maxAge);
            xml.End();
        }
        await xml.WriteAsync(ctx.Response);
    }

    /// <summary>An HTTP token (RFC 9110 tchar), where <c>*</c> is the wildcard.</summary>
    private static bool IsHeaderPattern(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));

    private static CofferException Malformed(string message) => new(ErrorCode.MalformedXML, message);

    private static CofferException Invalid(string message) => new(ErrorCode.InvalidRequest, message);
}
