using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Coffer.Storage;

/// <summary>
/// The JSON form of a <see cref="BucketCors"/> in the bucket row's <c>cors</c> column. The property names are part of
/// the stored format: do not rename them.
/// </summary>
/// <remarks><c>{"rules":[{"id":…,"origins":[…],"methods":[…],"headers":[…],"expose":[…],"maxAge":n}]}</c>; absent members are unset.</remarks>
internal static class CorsJson
{
    public static string? Write(BucketCors? cors)
    {
        if (cors is null)
        {
            return null;
        }
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("rules");
            foreach (var r in cors.Rules)
            {
                w.WriteStartObject();
                if (r.Id is not null)
                {
                    w.WriteString("id", r.Id);
                }
                WriteList(w, "origins", r.AllowedOrigins);
                WriteList(w, "methods", r.AllowedMethods);
                WriteList(w, "headers", r.AllowedHeaders);
                WriteList(w, "expose", r.ExposeHeaders);
                if (r.MaxAgeSeconds is { } maxAge)
                {
                    w.WriteNumber("maxAge", maxAge);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static BucketCors? Read(string? json)
    {
        if (json is null)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(json);
        var rules = new List<CorsRule>();
        foreach (var r in doc.RootElement.GetProperty("rules").EnumerateArray())
        {
            rules.Add(new CorsRule(
                r.TryGetProperty("id", out var id) ? id.GetString() : null,
                ReadList(r, "origins"),
                ReadList(r, "methods"),
                ReadList(r, "headers"),
                ReadList(r, "expose"),
                r.TryGetProperty("maxAge", out var maxAge) ? maxAge.GetInt32() : null));
        }
        return new BucketCors(rules);
    }

    private static void WriteList(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }

    private static string[] ReadList(JsonElement rule, string name) =>
        rule.TryGetProperty(name, out var list) ? [.. list.EnumerateArray().Select(e => e.GetString()!)] : [];
}
