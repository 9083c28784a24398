using System.Globalization;
using System.Net;
using Coffer.Storage;

namespace Coffer.Server.Access;

/// <summary>What a policy says about a request.</summary>
public enum PolicyDecision
{
    /// <summary>No statement applies: the policy neither allows nor denies.</summary>
    NotApplicable,
    /// <summary>An Allow statement applies and no Deny does.</summary>
    Allow,
    /// <summary>A Deny statement applies: it wins over every allow, the bucket owner's included.</summary>
    Deny,
}

/// <summary>
/// Everything a policy can ask about one request (one action on one resource): built by the Authorizer from the request,
/// by tests directly. Values derived from it (the principal ARN, the KMS key ARN, the request's tags) are computed only
/// when a condition asks for them.
/// </summary>
public sealed class PolicyRequest
{
    /// <summary>The S3 action checked (<c>s3:GetObject</c>).</summary>
    public required string Action { get; init; }
    /// <summary>The COS action checked (<c>cos:headobject</c>), for COS-dialect statements: <see cref="PolicyActions.CosActionOf"/>.</summary>
    public required string CosAction { get; init; }
    public required string Bucket { get; init; }
    /// <summary>The object key; null for a bucket-level action.</summary>
    public string? Key { get; init; }
    /// <summary>The caller's user name; null when anonymous.</summary>
    public string? UserName { get; init; }
    /// <summary>The caller's user id; null when anonymous.</summary>
    public string? UserId { get; init; }
    public bool SecureTransport { get; init; }
    public IPAddress? SourceIp { get; init; }
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>A protocol header by suffix in either family's spelling, as the handlers read it (RequestContext.FamilyHeader).</summary>
    public Func<string, string?> Header { get; init; } = static _ => null;
    /// <summary>The listing's prefix for listing actions ("" when none was sent); null for other actions.</summary>
    public string? Prefix { get; init; }
    public string? Delimiter { get; init; }
    public string? MaxKeys { get; init; }
    /// <summary>The stored object's tags, for <c>s3:ExistingObjectTag/…</c>; null when not loaded or no object.</summary>
    public IReadOnlyList<Tag>? ExistingTags { get; init; }
    /// <summary>The server's region (KMS key ARNs).</summary>
    public string Region { get; init; } = "us-east-1";

    private string? _resource;
    private string? _principalArn;
    private string? _kmsKeyArn;
    private bool _kmsKeyRead;
    private List<KeyValuePair<string, string>>? _requestTags;

    /// <summary><c>bucket</c> or <c>bucket/key</c>: what Resource patterns are matched against.</summary>
    internal string Resource => _resource ??= Key is null ? Bucket : Bucket + "/" + Key;

    internal string? PrincipalArn => UserName is null ? null : _principalArn ??= "arn:aws:iam::" + PolicyParser.Account + ":user/" + UserName;

    /// <summary>The KMS key id header as a full key ARN (as S3 compares it), or null when none was sent.</summary>
    internal string? KmsKeyArn
    {
        get
        {
            if (_kmsKeyRead)
                return _kmsKeyArn;
            _kmsKeyRead = true;
            var id = Header("server-side-encryption-aws-kms-key-id") ?? Header("server-side-encryption-cos-kms-key-id");
            _kmsKeyArn = id is null ? null
                : id.StartsWith("arn:", StringComparison.Ordinal) ? id
                : id.StartsWith("alias/", StringComparison.Ordinal) ? $"arn:aws:kms:{Region}:{PolicyParser.Account}:{id}"
                : $"arn:aws:kms:{Region}:{PolicyParser.Account}:key/{id}";
            return _kmsKeyArn;
        }
    }

    internal string? RequestTag(string key)
    {
        if (_requestTags is null)
        {
            _requestTags = [];
            var header = Header("tagging");
            if (!string.IsNullOrEmpty(header))
            {
                foreach (var pair in header.Split('&'))
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    var k = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
                    var v = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
                    _requestTags.Add(new(k, v));
                }
            }
        }
        foreach (var (k, v) in _requestTags)
        {
            if (string.Equals(k, key, StringComparison.Ordinal))
                return v;
        }
        return null;
    }
}

/// <summary>
/// Evaluates a <see cref="BucketPolicy"/> for one <see cref="PolicyRequest"/>: an applicable Deny wins, then an applicable
/// Allow; otherwise the policy does not apply (docs/protocol/policy.md). Walks the parsed statements without allocating.
/// </summary>
public static class PolicyEvaluator
{
    public static PolicyDecision Evaluate(BucketPolicy policy, PolicyRequest request)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(request);
        var allowed = false;
        var statements = policy.Statements;
        for (var i = 0; i < statements.Count; i++)
        {
            var s = statements[i];
            // A Deny is looked for even once an Allow applies; an Allow is not checked once one applied.
            if (!s.IsDeny && allowed)
                continue;
            if (!Applies(s, request))
                continue;
            if (s.IsDeny)
                return PolicyDecision.Deny;
            allowed = true;
        }
        return allowed ? PolicyDecision.Allow : PolicyDecision.NotApplicable;
    }

    /// <summary>
    /// Whether some Allow statement names this caller and action, whatever its resources and conditions: a multi-object
    /// delete goes on to its per-key checks only then.
    /// </summary>
    public static bool MayAllow(BucketPolicy policy, string action, string cosAction, string? userName, string? userId)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var probe = new PolicyRequest { Action = action, CosAction = cosAction, Bucket = "", UserName = userName, UserId = userId };
        foreach (var s in policy.Statements)
        {
            if (!s.IsDeny && s.Principals.Matches(userName, userId) != s.IsNotPrincipal && MatchesAction(s.Actions, probe) != s.IsNotAction)
                return true;
        }
        return false;
    }

    private static bool Applies(PolicyStatement s, PolicyRequest r)
    {
        if (s.Principals.Matches(r.UserName, r.UserId) == s.IsNotPrincipal)
            return false;
        if (MatchesAction(s.Actions, r) == s.IsNotAction)
            return false;
        if (MatchesResource(s.Resources, r) == s.IsNotResource)
            return false;
        var conditions = s.Conditions;
        for (var i = 0; i < conditions.Count; i++)
        {
            if (!Holds(conditions[i], r))
                return false;
        }
        return true;
    }

    private static bool MatchesAction(IReadOnlyList<string> patterns, PolicyRequest r)
    {
        for (var i = 0; i < patterns.Count; i++)
        {
            var p = patterns[i];
            if (p == "*")
                return true;
            var action = p.StartsWith("cos:", StringComparison.Ordinal) ? r.CosAction : r.Action;
            if (Wildcard.Match(p, action, ignoreCase: true))
                return true;
        }
        return false;
    }

    private static bool MatchesResource(IReadOnlyList<string> patterns, PolicyRequest r)
    {
        for (var i = 0; i < patterns.Count; i++)
        {
            var p = patterns[i];
            if (p == "*" || Wildcard.Match(p, r.Resource))
                return true;
            // COS names bucket-level resources "<bucket>/" or "<bucket>/*".
            if (r.Key is null && p.Length == r.Bucket.Length + 1 && p.EndsWith('/') && p.StartsWith(r.Bucket, StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary>One condition: the key's value (absent, or one value) against the condition's values.</summary>
    internal static bool Holds(PolicyCondition c, PolicyRequest r)
    {
        if (c.Type == ConditionType.Null)
        {
            var absent = !IsPresent(c, r);
            for (var i = 0; i < c.Booleans.Length; i++)
            {
                if (c.Booleans[i] == absent)
                    return true;
            }
            return false;
        }
        bool present, any;
        switch (c.Type)
        {
            case ConditionType.Bool:
                {
                    bool value;
                    if (c.Key == ConditionKey.SecureTransport)
                        (present, value) = (true, r.SecureTransport);
                    else
                        present = bool.TryParse(StringValue(c, r), out value);
                    any = present && Array.IndexOf(c.Booleans, value) >= 0;
                    break;
                }
            case ConditionType.IpAddress:
                {
                    var ip = c.Key == ConditionKey.SourceIp ? r.SourceIp : IPAddress.TryParse(StringValue(c, r), out var parsed) ? parsed : null;
                    if (ip is { IsIPv4MappedToIPv6: true })
                        ip = ip.MapToIPv4();
                    present = ip is not null;
                    any = false;
                    for (var i = 0; present && !any && i < c.Networks.Length; i++)
                        any = c.Networks[i].Contains(ip!);
                    break;
                }
            case ConditionType.NumericEquals or ConditionType.NumericLessThan or ConditionType.NumericLessThanEquals
                or ConditionType.NumericGreaterThan or ConditionType.NumericGreaterThanEquals:
                {
                    decimal value;
                    if (c.Key is ConditionKey.EpochTime or ConditionKey.CurrentTime)
                        (present, value) = (true, r.Now.ToUnixTimeSeconds());
                    else
                        present = decimal.TryParse(StringValue(c, r), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
                    any = false;
                    for (var i = 0; present && !any && i < c.Numbers.Length; i++)
                        any = Compare(c.Type, value.CompareTo(c.Numbers[i]));
                    break;
                }
            case ConditionType.DateEquals or ConditionType.DateLessThan or ConditionType.DateLessThanEquals
                or ConditionType.DateGreaterThan or ConditionType.DateGreaterThanEquals:
                {
                    DateTimeOffset value;
                    if (c.Key is ConditionKey.EpochTime or ConditionKey.CurrentTime)
                    {
                        (present, value) = (true, r.Now);
                    }
                    else
                    {
                        var parsed = StringValue(c, r) is { } text ? PolicyParser.Date(text) : null;
                        (present, value) = (parsed is not null, parsed.GetValueOrDefault());
                    }
                    any = false;
                    for (var i = 0; present && !any && i < c.Dates.Length; i++)
                        any = Compare(c.Type, value.CompareTo(c.Dates[i]));
                    break;
                }
            default:
                {
                    var value = StringValue(c, r);
                    present = value is not null;
                    any = false;
                    for (var i = 0; present && !any && i < c.Values.Count; i++)
                    {
                        var v = c.Values[i];
                        any = c.Type switch
                        {
                            ConditionType.String => string.Equals(value, v, StringComparison.Ordinal),
                            ConditionType.StringIgnoreCase => string.Equals(value, v, StringComparison.OrdinalIgnoreCase),
                            ConditionType.StringLike => Wildcard.Match(v, value),
                            ConditionType.Arn => Wildcard.MatchArn(v, value!),
                            _ => false,
                        };
                    }
                    break;
                }
        }
        if (!present)
            return c.IfExists || c.Negated || c.Set == ConditionSet.ForAllValues;
        return c.Negated ? !any : any;
    }

    private static bool Compare(ConditionType type, int order) => type switch
    {
        ConditionType.NumericEquals or ConditionType.DateEquals => order == 0,
        ConditionType.NumericLessThan or ConditionType.DateLessThan => order < 0,
        ConditionType.NumericLessThanEquals or ConditionType.DateLessThanEquals => order <= 0,
        ConditionType.NumericGreaterThan or ConditionType.DateGreaterThan => order > 0,
        ConditionType.NumericGreaterThanEquals or ConditionType.DateGreaterThanEquals => order >= 0,
        _ => false,
    };

    private static bool IsPresent(PolicyCondition c, PolicyRequest r) => c.Key switch
    {
        ConditionKey.SecureTransport or ConditionKey.CurrentTime or ConditionKey.EpochTime => true,
        ConditionKey.SourceIp => r.SourceIp is not null,
        _ => StringValue(c, r) is not null,
    };

    /// <summary>The key's value as text (null: absent). Encryption keys see the headers as sent, in either family's spelling.</summary>
    private static string? StringValue(PolicyCondition c, PolicyRequest r) => c.Key switch
    {
        ConditionKey.SecureTransport => r.SecureTransport ? "true" : "false",
        ConditionKey.SourceIp => r.SourceIp?.ToString(),
        ConditionKey.CurrentTime => r.Now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ConditionKey.EpochTime => r.Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        ConditionKey.UserName => r.UserName,
        ConditionKey.UserId => r.UserId,
        ConditionKey.PrincipalArn => r.PrincipalArn,
        ConditionKey.ServerSideEncryption => r.Header("server-side-encryption"),
        ConditionKey.KmsKeyId => r.KmsKeyArn,
        ConditionKey.CustomerAlgorithm => r.Header("server-side-encryption-customer-algorithm"),
        ConditionKey.Prefix => r.Prefix,
        ConditionKey.Delimiter => r.Delimiter,
        ConditionKey.MaxKeys => r.MaxKeys,
        ConditionKey.ExistingObjectTag => ExistingTag(r.ExistingTags, c.TagKey!),
        ConditionKey.RequestObjectTag => r.RequestTag(c.TagKey!),
        _ => null,
    };

    private static string? ExistingTag(IReadOnlyList<Tag>? tags, string key)
    {
        if (tags is null)
            return null;
        for (var i = 0; i < tags.Count; i++)
        {
            if (string.Equals(tags[i].Key, key, StringComparison.Ordinal))
                return tags[i].Value;
        }
        return null;
    }
}
