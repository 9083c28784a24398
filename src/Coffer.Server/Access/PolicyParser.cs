using System.Globalization;
using System.Net;
using System.Text.Json;
using Coffer.Protocol;

namespace Coffer.Server.Access;

/// <summary>
/// Parses and validates a bucket policy in the AWS or the COS dialect (docs/protocol/policy.md) into a
/// <see cref="BucketPolicy"/>. Every refusal is a 400 MalformedPolicy whose message says where: the statement (index
/// and Sid) and the field. Whether named users exist is checked by the caller (<see cref="BucketPolicy.NamedUsers"/>).
/// </summary>
public static class PolicyParser
{
    /// <summary>The largest policy accepted, in bytes (S3 and COS: 20 KB).</summary>
    public const int MaxBytes = 20 * 1024;

    /// <summary>The account id Coffer answers with (KMS key ARNs, principal ARNs): one account holds every user.</summary>
    public const string Account = "000000000000";

    private const string AwsUserArn = "arn:aws:iam::" + Account + ":user/";
    private const string AwsS3Arn = "arn:aws:s3:::";

    /// <summary>Parses <paramref name="json"/> as the policy of <paramref name="bucket"/>.</summary>
    /// <exception cref="CofferException">MalformedPolicy, saying what is wrong and where.</exception>
    public static BucketPolicy Parse(string json, string bucket)
    {
        ArgumentNullException.ThrowIfNull(json);
        var start = 0;
        while (start < json.Length && char.IsWhiteSpace(json[start]))
            start++;
        if (start == json.Length || json[start] != '{')
            throw Malformed("Policies must be valid JSON and the first byte must be '{'");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Malformed($"This policy contains invalid Json (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }
        using (doc)
        {
            return ParseDocument(doc.RootElement, bucket);
        }
    }

    private static BucketPolicy ParseDocument(JsonElement root, string bucket)
    {
        JsonElement? version = null, statements = null;
        foreach (var member in root.EnumerateObject())
        {
            switch (member.Name.ToLowerInvariant())
            {
                case "version": version = member.Value; break;
                case "statement": statements = member.Value; break;
                case "id": break;
                default: throw Malformed($"Unknown field '{member.Name}' at the top of the policy: expected Version, Id and Statement.");
            }
        }
        PolicyDialect dialect;
        if (version is null)
            dialect = PolicyDialect.Aws; // 2008-10-17
        else if (version.Value.ValueKind == JsonValueKind.String && version.Value.GetString() is "2012-10-17" or "2008-10-17")
            dialect = PolicyDialect.Aws;
        else if (version.Value.ValueKind == JsonValueKind.String && version.Value.GetString() == "2.0")
            dialect = PolicyDialect.Cos;
        else
            throw Malformed("The policy must contain a valid version string: \"2012-10-17\" or \"2008-10-17\" (AWS), \"2.0\" (COS).");

        if (statements is null)
            throw Malformed("Missing required field Statement");
        var list = new List<PolicyStatement>();
        if (statements.Value.ValueKind == JsonValueKind.Object)
        {
            list.Add(ParseStatement(statements.Value, 0, dialect, bucket));
        }
        else if (statements.Value.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in statements.Value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                    throw Malformed($"Statement {i}: a statement must be a JSON object.");
                list.Add(ParseStatement(item, i++, dialect, bucket));
            }
        }
        else
        {
            throw Malformed("Statement must be a statement object or an array of them.");
        }
        if (list.Count == 0)
            throw Malformed("Could not parse the policy: Statement is empty!");
        return new BucketPolicy(dialect, [.. list]);
    }

    private static PolicyStatement ParseStatement(JsonElement e, int index, PolicyDialect dialect, string bucket)
    {
        string? sid = null;
        JsonElement? effect = null, principal = null, notPrincipal = null, action = null, notAction = null, resource = null, notResource = null, condition = null;
        foreach (var m in e.EnumerateObject())
        {
            // Names: exact case in the AWS dialect; COS's samples use both cases.
            var name = dialect == PolicyDialect.Cos ? m.Name.ToLowerInvariant() : m.Name;
            switch (name)
            {
                case "Sid" or "sid":
                    sid = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString() : throw Malformed(Where(index, null, "Sid") + "Sid must be a string.");
                    break;
                case "Effect" or "effect": effect = m.Value; break;
                case "Principal" or "principal": principal = m.Value; break;
                case "NotPrincipal": notPrincipal = m.Value; break;
                case "Action" or "action": action = m.Value; break;
                case "NotAction": notAction = m.Value; break;
                case "Resource" or "resource": resource = m.Value; break;
                case "NotResource": notResource = m.Value; break;
                case "Condition" or "condition": condition = m.Value; break;
                default: throw Malformed(Where(index, sid, m.Name) + $"Unknown field '{m.Name}' in a statement.");
            }
        }

        var effectText = effect?.ValueKind == JsonValueKind.String ? effect.Value.GetString() : null;
        if (effect is null)
            throw Malformed(Where(index, sid, "Effect") + "Missing required field Effect");
        bool deny;
        if (effectText == "Allow" || (dialect == PolicyDialect.Cos && string.Equals(effectText, "allow", StringComparison.OrdinalIgnoreCase)))
            deny = false;
        else if (effectText == "Deny" || (dialect == PolicyDialect.Cos && string.Equals(effectText, "deny", StringComparison.OrdinalIgnoreCase)))
            deny = true;
        else
            throw Malformed(Where(index, sid, "Effect") + $"Invalid effect: {effectText ?? effect.Value.GetRawText()}");

        if (principal is not null && notPrincipal is not null)
            throw Malformed(Where(index, sid, "Principal") + "A statement has either Principal or NotPrincipal, not both.");
        if (principal is null && notPrincipal is null)
            throw Malformed(Where(index, sid, "Principal") + "Missing required field Principal");
        if (notPrincipal is not null && !deny)
            throw Malformed(Where(index, sid, "NotPrincipal") + "NotPrincipal may only be used with \"Effect\": \"Deny\".");
        var principals = ParsePrincipals((principal ?? notPrincipal)!.Value, Where(index, sid, principal is null ? "NotPrincipal" : "Principal"));

        if (action is not null && notAction is not null)
            throw Malformed(Where(index, sid, "Action") + "A statement has either Action or NotAction, not both.");
        if (action is null && notAction is null)
            throw Malformed(Where(index, sid, "Action") + "Missing required field Action");
        var actionWhere = Where(index, sid, action is null ? "NotAction" : "Action");
        var actions = Strings((action ?? notAction)!.Value, actionWhere).Select(a => Action(a, dialect, actionWhere)).ToArray();

        if (resource is not null && notResource is not null)
            throw Malformed(Where(index, sid, "Resource") + "A statement has either Resource or NotResource, not both.");
        if (resource is null && notResource is null)
            throw Malformed(Where(index, sid, "Resource") + "Missing required field Resource");
        var resourceWhere = Where(index, sid, resource is null ? "NotResource" : "Resource");
        var resources = Strings((resource ?? notResource)!.Value, resourceWhere).Select(r => Resource(r, dialect, bucket, resourceWhere)).ToArray();

        if (dialect == PolicyDialect.Aws && action is not null && resource is not null)
        {
            foreach (var pattern in actions)
            {
                if (!FitsSomeResource(pattern, resources))
                    throw Malformed(actionWhere + $"Action does not apply to any resource(s) in statement: '{pattern}' names no action on "
                        + "the resources listed (object actions need arn:aws:s3:::BUCKET/KEY, bucket actions arn:aws:s3:::BUCKET).");
            }
        }

        var conditions = condition is null ? [] : ParseConditions(condition.Value, Where(index, sid, "Condition"));
        return new PolicyStatement(index, sid, deny, principals, notPrincipal is not null, actions, notAction is not null, resources,
            notResource is not null, conditions);
    }

    // ---------------------------------------------------------------- principals

    private static PrincipalSet ParsePrincipals(JsonElement e, string where)
    {
        if (e.ValueKind == JsonValueKind.String)
        {
            return e.GetString() == "*" ? PrincipalSet.Everyone
                : throw Malformed(where + "Invalid principal in policy: a string principal must be \"*\"; name users as {\"AWS\": \"" + AwsUserArn + "NAME\"}.");
        }
        if (e.ValueKind != JsonValueKind.Object)
            throw Malformed(where + "Invalid principal in policy: expected \"*\" or an object such as {\"AWS\": [...]}.");
        var everyone = false;
        var names = new List<string>();
        var ids = new List<string>();
        foreach (var m in e.EnumerateObject())
        {
            foreach (var value in Strings(m.Value, where))
            {
                switch (m.Name)
                {
                    case "AWS":
                        if (value == "*")
                            everyone = true;
                        else if (value.StartsWith(AwsUserArn, StringComparison.Ordinal) && value.Length > AwsUserArn.Length)
                            names.Add(UserName(value[AwsUserArn.Length..], value, where));
                        else if (!value.Contains(':', StringComparison.Ordinal) && !value.Contains('*', StringComparison.Ordinal))
                            names.Add(UserName(value, value, where));
                        else
                            throw Malformed(where + $"Invalid principal in policy: '{value}'. Name a Coffer user as \"{AwsUserArn}NAME\" or \"NAME\", or everyone as \"*\".");
                        break;
                    case "CanonicalUser":
                        if (value.Length != 64 || !value.All(char.IsAsciiHexDigitLower))
                            throw Malformed(where + $"Invalid principal in policy: CanonicalUser '{value}' is not a user id (64 lower-case hex digits).");
                        ids.Add(value);
                        break;
                    case "qcs":
                        if (value is "*" or "qcs::cam::anyone:anyone" or "qcs::cam::anonymous:anonymous")
                        {
                            everyone = true;
                        }
                        else if (value.StartsWith("qcs::cam::uin/", StringComparison.Ordinal) && value.IndexOf(":uin/", 14, StringComparison.Ordinal) is var at and > 14)
                        {
                            names.Add(UserName(value[(at + 5)..], value, where));
                        }
                        else
                        {
                            throw Malformed(where + $"Invalid principal in policy: '{value}'. Name a Coffer user as \"qcs::cam::uin/{Account}:uin/NAME\", or everyone as \"qcs::cam::anyone:anyone\".");
                        }
                        break;
                    default:
                        throw Malformed(where + $"Invalid principal in policy: the principal type '{m.Name}' is not supported (use AWS, CanonicalUser or qcs).");
                }
            }
        }
        if (!everyone && names.Count == 0 && ids.Count == 0)
            throw Malformed(where + "Invalid principal in policy: it names nobody.");
        return everyone ? PrincipalSet.Everyone : new PrincipalSet(false, [.. names.Distinct(StringComparer.Ordinal)], [.. ids.Distinct(StringComparer.Ordinal)]);
    }

    private static string UserName(string name, string written, string where) =>
        name.Length == 0 || name.Contains('*', StringComparison.Ordinal) || name.Contains('?', StringComparison.Ordinal) || name.Contains('/', StringComparison.Ordinal)
            ? throw Malformed(where + $"Invalid principal in policy: '{written}' (no wildcards in a principal).")
            : name;

    // ---------------------------------------------------------------- actions and resources

    private static string Action(string value, PolicyDialect dialect, string where)
    {
        if (value == "*")
            return "*";
        var lower = value.ToLowerInvariant();
        Dictionary<string, bool> table;
        string prefix, name;
        if (lower.StartsWith("s3:", StringComparison.Ordinal))
        {
            (table, prefix, name) = (PolicyActions.S3, "s3:", lower[3..]);
        }
        else if (lower.StartsWith("name/cos:", StringComparison.Ordinal) || lower.StartsWith("cos:", StringComparison.Ordinal))
        {
            (table, prefix, name) = (PolicyActions.Cos, "cos:", lower[(lower.IndexOf(':') + 1)..]);
        }
        else
        {
            throw Malformed(where + $"Policy has invalid action: '{value}'. Actions are s3:NAME (or name/cos:NAME in the COS dialect), with * and ? as wildcards.");
        }
        if (name.Length == 0 || !table.Keys.Any(known => Wildcard.Match(name, known)))
            throw Malformed(where + $"Policy has invalid action: '{value}' names no {(prefix == "s3:" ? "S3" : "COS")} action.");
        _ = dialect;
        return prefix + name;
    }

    private static bool FitsSomeResource(string action, string[] resources)
    {
        if (action == "*" || !action.StartsWith("s3:", StringComparison.Ordinal))
            return true;
        var name = action[3..];
        foreach (var resource in resources)
        {
            var objectResource = resource == "*" || resource.Contains('/', StringComparison.Ordinal);
            var bucketResource = resource == "*" || !resource.Contains('/', StringComparison.Ordinal) || resource.EndsWith('*');
            foreach (var (known, isObject) in PolicyActions.S3)
            {
                if ((isObject ? objectResource : bucketResource) && Wildcard.Match(name, known))
                    return true;
            }
        }
        return false;
    }

    /// <summary>The resource without its ARN prefix: <c>bucket</c>, <c>bucket/pattern</c> or <c>*</c>, refused when it names another bucket.</summary>
    private static string Resource(string value, PolicyDialect dialect, string bucket, string where)
    {
        if (value == "*")
            return "*";
        string path;
        if (value.StartsWith(AwsS3Arn, StringComparison.Ordinal))
        {
            path = value[AwsS3Arn.Length..];
        }
        else if (value.StartsWith("qcs:", StringComparison.Ordinal) && value.Split(':', 6) is { Length: 6 } parts && parts[2] == "cos" && parts[4].StartsWith("uid/", StringComparison.Ordinal))
        {
            // qcs:<project>:cos:<region>:uid/<appid>:<bucket>/<key pattern>
            path = parts[5];
        }
        else
        {
            throw Malformed(where + $"Policy has invalid resource: '{value}'. Name this bucket as {(dialect == PolicyDialect.Cos
                ? $"qcs::cos:REGION:uid/APPID:{bucket}/KEY-PATTERN" : $"{AwsS3Arn}{bucket} or {AwsS3Arn}{bucket}/KEY-PATTERN")}.");
        }
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var named = slash < 0 ? path : path[..slash];
        if (!string.Equals(named, bucket, StringComparison.Ordinal))
            throw Malformed(where + $"Policy has invalid resource: '{value}' is outside this bucket ('{bucket}'); a bucket policy names only its own bucket and its objects.");
        return path;
    }

    // ---------------------------------------------------------------- conditions

    private static PolicyCondition[] ParseConditions(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw Malformed(where + "Condition must be an object: {\"OPERATOR\": {\"KEY\": VALUE}}.");
        var list = new List<PolicyCondition>();
        foreach (var op in e.EnumerateObject())
        {
            var (type, negated, ifExists, set) = Operator(op.Name, where);
            if (op.Value.ValueKind != JsonValueKind.Object)
                throw Malformed(where + $"The operator '{op.Name}' must hold an object of keys and values.");
            foreach (var k in op.Value.EnumerateObject())
            {
                var (key, tagKey) = Key(k.Name, where);
                var values = Strings(k.Value, where + $"{op.Name} {k.Name}: ", allowScalars: true);
                if (values.Length == 0)
                    throw Malformed(where + $"The condition {op.Name} on {k.Name} has no value.");
                list.Add(Condition(op.Name, type, negated, ifExists, set, key, k.Name, tagKey, values, where));
            }
        }
        return [.. list];
    }

    private static PolicyCondition Condition(string op, ConditionType type, bool negated, bool ifExists, ConditionSet set, ConditionKey key,
        string keyName, string? tagKey, string[] values, string where)
    {
        var condition = new PolicyCondition(op, type, negated, ifExists, set, key, keyName, tagKey, values);
        string what = $"{where}{op} {keyName}: ";
        switch (type)
        {
            case ConditionType.Null:
            case ConditionType.Bool:
                return new PolicyCondition(op, type, negated, ifExists, set, key, keyName, tagKey, values)
                {
                    Booleans = values.Select(v => bool.TryParse(v, out var b) ? b : throw Malformed(what + $"'{v}' is not true or false.")).ToArray(),
                };
            case ConditionType.NumericEquals or ConditionType.NumericLessThan or ConditionType.NumericLessThanEquals
                or ConditionType.NumericGreaterThan or ConditionType.NumericGreaterThanEquals:
                return new PolicyCondition(op, type, negated, ifExists, set, key, keyName, tagKey, values)
                {
                    Numbers = values.Select(v => decimal.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                        ? n : throw Malformed(what + $"'{v}' is not a number.")).ToArray(),
                };
            case ConditionType.DateEquals or ConditionType.DateLessThan or ConditionType.DateLessThanEquals
                or ConditionType.DateGreaterThan or ConditionType.DateGreaterThanEquals:
                return new PolicyCondition(op, type, negated, ifExists, set, key, keyName, tagKey, values)
                {
                    Dates = values.Select(v => Date(v) ?? throw Malformed(what + $"'{v}' is not a date (ISO 8601, or seconds since 1970).")).ToArray(),
                };
            case ConditionType.IpAddress:
                return new PolicyCondition(op, type, negated, ifExists, set, key, keyName, tagKey, values)
                {
                    Networks = values.Select(v => Network(v) ?? throw Malformed(what + $"Invalid IP address in Conditions: '{v}'.")).ToArray(),
                };
            default:
                return condition;
        }
    }

    internal static DateTimeOffset? Date(string value)
    {
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch) && epoch is >= 0 and < 253402300800)
            return DateTimeOffset.FromUnixTimeSeconds(epoch);
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d)
            && value.Length >= 10 && value[4] == '-' ? d : null;
    }

    private static IPNetwork? Network(string value)
    {
        if (IPNetwork.TryParse(value, out var network))
            return network;
        if (IPAddress.TryParse(value, out var address) && !value.Contains('/', StringComparison.Ordinal))
            return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return null;
    }

    private static (ConditionType Type, bool Negated, bool IfExists, ConditionSet Set) Operator(string name, string where)
    {
        var set = ConditionSet.Single;
        var rest = name;
        if (rest.StartsWith("ForAnyValue:", StringComparison.Ordinal))
            (set, rest) = (ConditionSet.ForAnyValue, rest["ForAnyValue:".Length..]);
        else if (rest.StartsWith("ForAllValues:", StringComparison.Ordinal))
            (set, rest) = (ConditionSet.ForAllValues, rest["ForAllValues:".Length..]);
        var ifExists = false;
        if (rest.EndsWith("IfExists", StringComparison.Ordinal))
            (ifExists, rest) = (true, rest[..^"IfExists".Length]);
        else if (rest.EndsWith("_if_exist", StringComparison.Ordinal))
            (ifExists, rest) = (true, rest[..^"_if_exist".Length]);
        (ConditionType, bool)? found = rest switch
        {
            "StringEquals" or "string_equal" => (ConditionType.String, false),
            "StringNotEquals" or "string_not_equal" => (ConditionType.String, true),
            "StringEqualsIgnoreCase" => (ConditionType.StringIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (ConditionType.StringIgnoreCase, true),
            "StringLike" or "string_like" => (ConditionType.StringLike, false),
            "StringNotLike" => (ConditionType.StringLike, true),
            "NumericEquals" or "numeric_equal" => (ConditionType.NumericEquals, false),
            "NumericNotEquals" or "numeric_not_equal" => (ConditionType.NumericEquals, true),
            "NumericLessThan" or "numeric_less_than" => (ConditionType.NumericLessThan, false),
            "NumericLessThanEquals" or "numeric_less_than_equal" => (ConditionType.NumericLessThanEquals, false),
            "NumericGreaterThan" or "numeric_greater_than" => (ConditionType.NumericGreaterThan, false),
            "NumericGreaterThanEquals" or "numeric_greater_than_equal" => (ConditionType.NumericGreaterThanEquals, false),
            "DateEquals" => (ConditionType.DateEquals, false),
            "DateNotEquals" => (ConditionType.DateEquals, true),
            "DateLessThan" => (ConditionType.DateLessThan, false),
            "DateLessThanEquals" => (ConditionType.DateLessThanEquals, false),
            "DateGreaterThan" => (ConditionType.DateGreaterThan, false),
            "DateGreaterThanEquals" => (ConditionType.DateGreaterThanEquals, false),
            "Bool" or "bool_equal" => (ConditionType.Bool, false),
            "IpAddress" or "ip_equal" => (ConditionType.IpAddress, false),
            "NotIpAddress" or "ip_not_equal" => (ConditionType.IpAddress, true),
            "ArnEquals" or "ArnLike" => (ConditionType.Arn, false),
            "ArnNotEquals" or "ArnNotLike" => (ConditionType.Arn, true),
            "Null" when !ifExists => (ConditionType.Null, false),
            _ => null,
        };
        if (found is not { } f)
            throw Malformed(where + $"Invalid Condition type : {name}");
        return (f.Item1, f.Item2, ifExists, set);
    }

    private static readonly Dictionary<string, ConditionKey> Keys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["aws:SecureTransport"] = ConditionKey.SecureTransport,
        ["cos:secure-transport"] = ConditionKey.SecureTransport,
        ["aws:SourceIp"] = ConditionKey.SourceIp,
        ["qcs:ip"] = ConditionKey.SourceIp,
        ["aws:CurrentTime"] = ConditionKey.CurrentTime,
        ["aws:EpochTime"] = ConditionKey.EpochTime,
        ["aws:username"] = ConditionKey.UserName,
        ["aws:userid"] = ConditionKey.UserId,
        ["aws:PrincipalArn"] = ConditionKey.PrincipalArn,
        ["s3:x-amz-server-side-encryption"] = ConditionKey.ServerSideEncryption,
        ["cos:x-cos-server-side-encryption"] = ConditionKey.ServerSideEncryption,
        ["s3:x-amz-server-side-encryption-aws-kms-key-id"] = ConditionKey.KmsKeyId,
        ["cos:x-cos-server-side-encryption-cos-kms-key-id"] = ConditionKey.KmsKeyId,
        ["s3:x-amz-server-side-encryption-customer-algorithm"] = ConditionKey.CustomerAlgorithm,
        ["cos:x-cos-server-side-encryption-customer-algorithm"] = ConditionKey.CustomerAlgorithm,
        ["s3:prefix"] = ConditionKey.Prefix,
        ["cos:prefix"] = ConditionKey.Prefix,
        ["s3:delimiter"] = ConditionKey.Delimiter,
        ["cos:delimiter"] = ConditionKey.Delimiter,
        ["s3:max-keys"] = ConditionKey.MaxKeys,
        ["cos:max-keys"] = ConditionKey.MaxKeys,
    };

    private static (ConditionKey Key, string? TagKey) Key(string name, string where)
    {
        if (Keys.TryGetValue(name, out var key))
            return (key, null);
        foreach (var (prefix, tagged) in new[] { ("s3:ExistingObjectTag/", ConditionKey.ExistingObjectTag), ("s3:RequestObjectTag/", ConditionKey.RequestObjectTag),
                     ("cos:ExistingObjectTag/", ConditionKey.ExistingObjectTag), ("cos:RequestObjectTag/", ConditionKey.RequestObjectTag) })
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && name.Length > prefix.Length)
                return (tagged, name[prefix.Length..]);
        }
        throw Malformed(where + $"Policy has an invalid condition key: '{name}' (docs/protocol/policy.md lists the keys this server knows).");
    }

    // ---------------------------------------------------------------- plumbing

    /// <summary>A string or an array of strings (conditions also take numbers and booleans, written as JSON scalars).</summary>
    private static string[] Strings(JsonElement e, string where, bool allowScalars = false)
    {
        string One(JsonElement v) => v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False when allowScalars => v.GetRawText(),
            _ => throw Malformed(where + $"expected a string or an array of strings, found {v.GetRawText()}."),
        };
        if (e.ValueKind == JsonValueKind.Array)
        {
            var values = e.EnumerateArray().Select(One).ToArray();
            if (values.Length == 0 && !allowScalars)
                throw Malformed(where + "an empty list names nothing.");
            return values;
        }
        return [One(e)];
    }

    private static string Where(int index, string? sid, string field) =>
        sid is null ? $"Statement {index}, {field}: " : $"Statement {index} (Sid \"{sid}\"), {field}: ";

    private static CofferException Malformed(string message) => new(ErrorCode.MalformedPolicy, message);
}
