using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Coffer.Storage;

/// <summary>
/// The JSON encodings of an object's list- and map-valued fields as stored in its row.
/// The property names are part of the stored format: do not rename them.
/// </summary>
internal static class ObjectJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    // streams: [{"blob":…,"plain":…,"identity":…,"size":…,"checksum":…}, …]; "blob" is "" for an inline stream,
    // whose sealed bytes are in the row's inline_data column (only a single-stream object has one).

    public static string WriteStreams(IReadOnlyList<ObjectStream> streams)
    {
        return Write(streams, static (w, list) =>
        {
            w.WriteStartArray();
            foreach (var s in list)
            {
                w.WriteStartObject();
                w.WriteString("blob", s.BlobId);
                w.WriteNumber("plain", s.PlainSize);
                w.WriteString("identity", s.StreamIdentity);
                w.WriteNumber("size", s.BlobSize);
                w.WriteString("checksum", s.BlobChecksum);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    /// <summary>The streams of a row; <paramref name="inlineData"/> (the row's inline_data, when read) goes to its inline stream.</summary>
    public static List<ObjectStream> ReadStreams(string json, byte[]? inlineData = null)
    {
        using var doc = JsonDocument.Parse(json);
        var result = new List<ObjectStream>(doc.RootElement.GetArrayLength());
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            var stream = new ObjectStream(
                e.GetProperty("blob").GetString()!,
                e.GetProperty("plain").GetInt64(),
                e.GetProperty("identity").GetString()!,
                e.GetProperty("size").GetInt64(),
                e.GetProperty("checksum").GetString()!);
            result.Add(stream.IsInline ? stream with { Inline = inlineData } : stream);
        }
        return result;
    }

    /// <summary>The blob ids of a stored streams array (inline streams have none), without building the records.</summary>
    public static List<string> ReadStreamBlobIds(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = new List<string>(doc.RootElement.GetArrayLength());
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            var blobId = e.GetProperty("blob").GetString()!;
            if (blobId.Length > 0)
            {
                result.Add(blobId);
            }
        }
        return result;
    }

    /// <summary>
    /// What a row's inline_data column holds: the sealed bytes of the object's inline stream, or null when
    /// its streams are blobs. Only a single-stream object may be inline, and its bytes must be at hand.
    /// </summary>
    /// <exception cref="ArgumentException">An inline stream without its bytes, or beside other streams.</exception>
    public static byte[]? InlineDataOf(IReadOnlyList<ObjectStream> streams)
    {
        if (!streams.Any(x => x.IsInline))
        {
            return null;
        }
        if (streams.Count != 1 || streams[0].Inline is not { } data)
        {
            throw new ArgumentException("An inline stream must be an object's only stream and carry its sealed bytes.", nameof(streams));
        }
        return data;
    }

    // user metadata, checksums: {"name":"value", …}; NULL when empty.

    public static string? WriteMap(IReadOnlyDictionary<string, string> map)
    {
        if (map.Count == 0)
        {
            return null;
        }
        return Write(map, static (w, m) =>
        {
            w.WriteStartObject();
            foreach (var (name, value) in m)
            {
                w.WriteString(name, value);
            }
            w.WriteEndObject();
        });
    }

    public static Dictionary<string, string> ReadMap(string? json)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (json is null)
        {
            return result;
        }
        using var doc = JsonDocument.Parse(json);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            result[p.Name] = p.Value.GetString()!;
        }
        return result;
    }

    // tags: [{"k":…,"v":…}, …] in the order given; NULL when empty.

    public static string? WriteTags(IReadOnlyList<Tag>? tags)
    {
        if (tags is null || tags.Count == 0)
        {
            return null;
        }
        return Write(tags, static (w, list) =>
        {
            w.WriteStartArray();
            foreach (var t in list)
            {
                w.WriteStartObject();
                w.WriteString("k", t.Key);
                w.WriteString("v", t.Value);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    public static List<Tag> ReadTags(string? json)
    {
        if (json is null)
        {
            return [];
        }
        using var doc = JsonDocument.Parse(json);
        var result = new List<Tag>(doc.RootElement.GetArrayLength());
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            result.Add(new Tag(e.GetProperty("k").GetString()!, e.GetProperty("v").GetString()!));
        }
        return result;
    }

    // restore: {"requested":ticks,"tier":…,"days":…,"ready":ticks,"expires":ticks}
    // (the schema-1 "ongoing" flag is no longer written: ongoing is now < ready; rows without
    // "ready"/"expires" read as a restore that has already expired.)

    public static string? WriteRestore(RestoreState? restore)
    {
        if (restore is null)
        {
            return null;
        }
        return Write(restore, static (w, r) =>
        {
            w.WriteStartObject();
            w.WriteNumber("requested", r.RequestDate.UtcTicks);
            w.WriteString("tier", r.Tier);
            w.WriteNumber("days", r.Days);
            w.WriteNumber("ready", r.ReadyAt.UtcTicks);
            w.WriteNumber("expires", r.ExpiresAt.UtcTicks);
            w.WriteEndObject();
        });
    }

    public static RestoreState? ReadRestore(string? json)
    {
        if (json is null)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        var requested = Instant(e.GetProperty("requested").GetInt64());
        return new RestoreState(
            requested,
            e.GetProperty("tier").GetString()!,
            e.GetProperty("days").GetInt32(),
            ReadInstant(e, "ready") ?? requested,
            ReadInstant(e, "expires") ?? requested);
    }

    /// <summary>An instant from stored UTC ticks (returned with offset zero).</summary>
    public static DateTimeOffset Instant(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    private static DateTimeOffset? ReadInstant(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number ? Instant(p.GetInt64()) : null;

    private static string Write<T>(T value, Action<Utf8JsonWriter, T> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer, value);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
