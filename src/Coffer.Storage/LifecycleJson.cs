using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Coffer.Storage;

/// <summary>
/// The JSON form of a <see cref="BucketLifecycle"/> in the bucket row's <c>lifecycle</c> column (schema version 12).
/// The property names are part of the stored format: do not rename them.
/// </summary>
/// <remarks>
/// <c>{"min":…,"rules":[{"id":…,"on":bool,"legacy":bool,"prefix":…,"tags":[{"k","v"}],"gt":n,"lt":n,
/// "exp":{"days":n,"date":ticks,"eodm":bool},"tr":[{"days":n,"date":ticks,"class":…}],"nce":{"days":n,"newer":n},
/// "nct":[{"days":n,"class":…,"newer":n}],"abort":n}]}</c>; absent members are unset.
/// </remarks>
internal static class LifecycleJson
{
    public static string? Write(BucketLifecycle? lifecycle)
    {
        if (lifecycle is null)
        {
            return null;
        }
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("min", lifecycle.TransitionMinimumSize);
            w.WriteStartArray("rules");
            foreach (var r in lifecycle.Rules)
            {
                WriteRule(w, r);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static BucketLifecycle? Read(string? json)
    {
        if (json is null)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var rules = new List<LifecycleRule>();
        foreach (var r in root.GetProperty("rules").EnumerateArray())
        {
            rules.Add(ReadRule(r));
        }
        return new BucketLifecycle(rules, root.GetProperty("min").GetString()!);
    }

    private static void WriteRule(Utf8JsonWriter w, LifecycleRule r)
    {
        w.WriteStartObject();
        w.WriteString("id", r.Id);
        w.WriteBoolean("on", r.Enabled);
        w.WriteBoolean("legacy", r.LegacyPrefix);
        w.WriteString("prefix", r.Prefix);
        if (r.Tags.Count > 0)
        {
            w.WriteStartArray("tags");
            foreach (var t in r.Tags)
            {
                w.WriteStartObject();
                w.WriteString("k", t.Key);
                w.WriteString("v", t.Value);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        Number(w, "gt", r.SizeGreaterThan);
        Number(w, "lt", r.SizeLessThan);
        if (r.Expiration is { } e)
        {
            w.WriteStartObject("exp");
            Number(w, "days", e.Days);
            Number(w, "date", e.Date?.UtcTicks);
            if (e.ExpiredObjectDeleteMarker is { } eodm)
            {
                w.WriteBoolean("eodm", eodm);
            }
            w.WriteEndObject();
        }
        if (r.Transitions.Count > 0)
        {
            w.WriteStartArray("tr");
            foreach (var t in r.Transitions)
            {
                w.WriteStartObject();
                Number(w, "days", t.Days);
                Number(w, "date", t.Date?.UtcTicks);
                w.WriteString("class", t.StorageClass);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (r.NoncurrentExpiration is { } nce)
        {
            w.WriteStartObject("nce");
            w.WriteNumber("days", nce.Days);
            Number(w, "newer", nce.NewerNoncurrentVersions);
            w.WriteEndObject();
        }
        if (r.NoncurrentTransitions.Count > 0)
        {
            w.WriteStartArray("nct");
            foreach (var t in r.NoncurrentTransitions)
            {
                w.WriteStartObject();
                w.WriteNumber("days", t.Days);
                w.WriteString("class", t.StorageClass);
                Number(w, "newer", t.NewerNoncurrentVersions);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        Number(w, "abort", r.AbortIncompleteUploadDays);
        w.WriteEndObject();
    }

    private static LifecycleRule ReadRule(JsonElement e)
    {
        var tags = new List<Tag>();
        if (e.TryGetProperty("tags", out var tagArray))
        {
            foreach (var t in tagArray.EnumerateArray())
            {
                tags.Add(new Tag(t.GetProperty("k").GetString()!, t.GetProperty("v").GetString()!));
            }
        }
        LifecycleExpiration? expiration = null;
        if (e.TryGetProperty("exp", out var exp))
        {
            expiration = new LifecycleExpiration(Int(exp, "days"), Instant(exp, "date"),
                exp.TryGetProperty("eodm", out var eodm) ? eodm.GetBoolean() : null);
        }
        var transitions = new List<LifecycleTransition>();
        if (e.TryGetProperty("tr", out var tr))
        {
            foreach (var t in tr.EnumerateArray())
            {
                transitions.Add(new LifecycleTransition(Int(t, "days"), Instant(t, "date"), t.GetProperty("class").GetString()!));
            }
        }
        NoncurrentExpiration? noncurrentExpiration = null;
        if (e.TryGetProperty("nce", out var nce))
        {
            noncurrentExpiration = new NoncurrentExpiration(nce.GetProperty("days").GetInt32(), Int(nce, "newer"));
        }
        var noncurrentTransitions = new List<NoncurrentTransition>();
        if (e.TryGetProperty("nct", out var nct))
        {
            foreach (var t in nct.EnumerateArray())
            {
                noncurrentTransitions.Add(new NoncurrentTransition(t.GetProperty("days").GetInt32(), t.GetProperty("class").GetString()!, Int(t, "newer")));
            }
        }
        return new LifecycleRule
        {
            Id = e.GetProperty("id").GetString()!,
            Enabled = e.GetProperty("on").GetBoolean(),
            LegacyPrefix = e.GetProperty("legacy").GetBoolean(),
            Prefix = e.GetProperty("prefix").GetString()!,
            Tags = tags,
            SizeGreaterThan = Long(e, "gt"),
            SizeLessThan = Long(e, "lt"),
            Expiration = expiration,
            Transitions = transitions,
            NoncurrentExpiration = noncurrentExpiration,
            NoncurrentTransitions = noncurrentTransitions,
            AbortIncompleteUploadDays = Int(e, "abort"),
        };
    }

    private static void Number(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }

    private static int? Int(JsonElement e, string name) => e.TryGetProperty(name, out var p) ? p.GetInt32() : null;

    private static long? Long(JsonElement e, string name) => e.TryGetProperty(name, out var p) ? p.GetInt64() : null;

    private static DateTimeOffset? Instant(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) ? ObjectJson.Instant(p.GetInt64()) : null;
}
