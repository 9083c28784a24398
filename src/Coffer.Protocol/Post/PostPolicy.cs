using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Coffer.Protocol.Post;

/// <summary>How a POST policy condition tests its field.</summary>
public enum PostConditionKind
{
    /// <summary><c>{"field": "v"}</c> or <c>["eq", "$field", "v"]</c>.</summary>
    Equals,

    /// <summary><c>["starts-with", "$field", "prefix"]</c>; an empty prefix allows any value.</summary>
    StartsWith,

    /// <summary><c>["content-length-range", min, max]</c>: the file's size.</summary>
    ContentLengthRange,
}

/// <summary>One condition of a POST policy.</summary>
/// <param name="Field">The form field it tests, lower-cased, without <c>$</c> (empty for a length range).</param>
/// <param name="Text">The condition as JSON, for error messages.</param>
public sealed record PostCondition(PostConditionKind Kind, string Field, string Value, long Min, long Max, string Text);

/// <summary>
/// A browser POST form's policy document (docs/protocol/post-object.md): base64 of UTF-8 JSON
/// <c>{"expiration": "…Z", "conditions": [ … ]}</c>. Parsing checks its shape; <see cref="Check"/> checks a form against it.
/// </summary>
public sealed class PostPolicy
{
    private PostPolicy(DateTimeOffset expiration, IReadOnlyList<PostCondition> conditions, byte[] json)
    {
        Expiration = expiration;
        Conditions = conditions;
        Json = json;
    }

    /// <summary>Until when a form may use it.</summary>
    public DateTimeOffset Expiration { get; }

    /// <summary>The conditions in the order given.</summary>
    public IReadOnlyList<PostCondition> Conditions { get; }

    /// <summary>The decoded JSON bytes (what the COS signature hashes).</summary>
    public byte[] Json { get; }

    /// <summary>The <c>content-length-range</c>, if the policy has one (the last one wins when there are several).</summary>
    public (long Min, long Max)? LengthRange =>
        Conditions.LastOrDefault(c => c.Kind == PostConditionKind.ContentLengthRange) is { } c ? (c.Min, c.Max) : null;

    /// <summary>Most bytes a policy document may hold (base64 text); the form fields before the file total at most 20 KB anyway.</summary>
    public const int MaxBase64Length = 20 * 1024;

    /// <summary>Decodes and checks the shape of a policy; 400 InvalidPolicyDocument with the reason otherwise.</summary>
    public static PostPolicy Parse(string base64)
    {
        if (base64.Length > MaxBase64Length)
            throw Invalid("Invalid Policy: the policy is longer than 20 KB.");
        byte[] json;
        try
        {
            json = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw Invalid("Invalid Policy: Invalid JSON.");
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            throw Invalid("Invalid Policy: Invalid JSON.");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Invalid("Invalid Policy: Invalid JSON.");
            if (!root.TryGetProperty("expiration", out var expirationElement))
                throw Invalid("Invalid Policy: Missing expiration.");
            if (expirationElement.ValueKind != JsonValueKind.String
                || !DateTimeOffset.TryParse(expirationElement.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var expiration))
                throw Invalid("Invalid Policy: Invalid expiration.");
            if (!root.TryGetProperty("conditions", out var conditionsElement) || conditionsElement.ValueKind != JsonValueKind.Array)
                throw Invalid("Invalid Policy: Missing conditions.");
            var conditions = new List<PostCondition>();
            foreach (var c in conditionsElement.EnumerateArray())
                conditions.Add(ParseCondition(c));
            return new PostPolicy(expiration, conditions, json);
        }
    }

    private static PostCondition ParseCondition(JsonElement c)
    {
        var text = c.GetRawText();
        if (c.ValueKind == JsonValueKind.Object)
        {
            var properties = c.EnumerateObject().ToList();
            if (properties.Count != 1)
                throw Invalid("Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.");
            var name = properties[0].Name.TrimStart('$').ToLowerInvariant();
            return new PostCondition(PostConditionKind.Equals, name, Scalar(properties[0].Value, text), 0, 0, text);
        }
        if (c.ValueKind != JsonValueKind.Array || c.GetArrayLength() != 3 || c[0].ValueKind != JsonValueKind.String)
            throw Invalid($"Invalid Policy: Invalid Condition: {text}");
        var op = c[0].GetString()!.ToLowerInvariant();
        if (op == "content-length-range")
        {
            var min = Number(c[1], text);
            var max = Number(c[2], text);
            if (min < 0 || max < min)
                throw Invalid($"Invalid Policy: Invalid content-length-range: {text}");
            return new PostCondition(PostConditionKind.ContentLengthRange, "", "", min, max, text);
        }
        if (op is not ("eq" or "starts-with") || c[1].ValueKind != JsonValueKind.String || c[1].GetString() is not { Length: > 1 } field || field[0] != '$')
            throw Invalid($"Invalid Policy: Invalid Condition: {text}");
        return new PostCondition(op == "eq" ? PostConditionKind.Equals : PostConditionKind.StartsWith, field[1..].ToLowerInvariant(), Scalar(c[2], text), 0, 0, text);
    }

    /// <summary>
    /// Checks a form against the policy: not expired, every condition holds on the field's value (a missing field
    /// has the value ""), and — S3's rule — every field is named by a condition but the exempt ones.
    /// </summary>
    /// <param name="fields">The form's fields by lower-cased name (repeated ones joined with commas), <c>key</c> after <c>${filename}</c>.</param>
    /// <param name="bucket">The bucket the form is posted to: what a <c>bucket</c> condition is checked against.</param>
    /// <param name="exempt">Fields that need no condition (the signature's, the policy, <c>file</c>, <c>x-ignore-*</c>); null when the dialect has no such rule (COS).</param>
    /// <param name="fieldAliases">Condition names that stand for another field (COS: <c>q-sign-time</c> is the field <c>q-key-time</c>).</param>
    public void Check(IReadOnlyDictionary<string, string> fields, string bucket, DateTimeOffset now, Func<string, bool>? exempt,
        IReadOnlyDictionary<string, string>? fieldAliases = null)
    {
        if (Expiration <= now)
            throw Denied("Invalid according to Policy: Policy expired.");
        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in Conditions)
        {
            if (c.Kind == PostConditionKind.ContentLengthRange)
                continue;
            var field = fieldAliases is not null && fieldAliases.TryGetValue(c.Field, out var alias) ? alias : c.Field;
            covered.Add(field);
            var value = field == "bucket" ? bucket : fields.GetValueOrDefault(field, "");
            var holds = c.Kind == PostConditionKind.Equals
                ? string.Equals(value, c.Value, StringComparison.Ordinal)
                : value.StartsWith(c.Value, StringComparison.Ordinal);
            if (field == "bucket" && fields.TryGetValue("bucket", out var named) && !string.Equals(named, bucket, StringComparison.Ordinal))
                holds = false;
            if (!holds)
                throw Denied($"Invalid according to Policy: Policy Condition failed: {c.Text}");
        }
        if (exempt is null)
            return;
        var extra = fields.Keys.Where(f => !covered.Contains(f) && !exempt(f)).Order(StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
            throw Denied($"Invalid according to Policy: Extra input fields: {string.Join(", ", extra)}");
    }

    private static string Scalar(JsonElement value, string text) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number => value.GetRawText(),
        _ => throw Invalid($"Invalid Policy: Invalid Condition: {text}"),
    };

    private static long Number(JsonElement value, string text) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n
        : value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out n) ? n
        : throw Invalid($"Invalid Policy: Invalid content-length-range: {text}");

    /// <summary>The JSON text of a policy document with these conditions (what a form builder base64-encodes and signs).</summary>
    public static string Write(DateTimeOffset expiration, IEnumerable<PostCondition> conditions)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("expiration", expiration.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            w.WriteStartArray("conditions");
            foreach (var c in conditions)
            {
                switch (c.Kind)
                {
                    case PostConditionKind.Equals:
                        w.WriteStartObject();
                        w.WriteString(c.Field, c.Value);
                        w.WriteEndObject();
                        break;
                    case PostConditionKind.StartsWith:
                        w.WriteStartArray();
                        w.WriteStringValue("starts-with");
                        w.WriteStringValue("$" + c.Field);
                        w.WriteStringValue(c.Value);
                        w.WriteEndArray();
                        break;
                    default:
                        w.WriteStartArray();
                        w.WriteStringValue("content-length-range");
                        w.WriteNumberValue(c.Min);
                        w.WriteNumberValue(c.Max);
                        w.WriteEndArray();
                        break;
                }
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static CofferException Invalid(string message) => new(ErrorCode.InvalidPolicyDocument, message);

    private static CofferException Denied(string message) => new(ErrorCode.AccessDenied, message);
}
