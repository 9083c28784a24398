using System.Net;

namespace Coffer.Server.Access;

/// <summary>Which language a policy was written in; it is stored and returned as written (docs/protocol/policy.md).</summary>
public enum PolicyDialect
{
    /// <summary>AWS: <c>Version</c> 2012-10-17 or 2008-10-17, <c>s3:</c> actions, <c>arn:aws:s3:::</c> resources.</summary>
    Aws,
    /// <summary>Tencent COS: <c>version</c> 2.0, <c>name/cos:</c> actions, <c>qcs::cos:</c> resources, <c>qcs::cam::</c> principals.</summary>
    Cos,
}

/// <summary>
/// A parsed, validated bucket policy: the one model both dialects map onto. Immutable, so one instance is shared by every
/// request that evaluates the same policy text (<see cref="PolicyCache"/>).
/// </summary>
public sealed class BucketPolicy
{
    internal BucketPolicy(PolicyDialect dialect, PolicyStatement[] statements)
    {
        Dialect = dialect;
        Statements = statements;
        foreach (var statement in statements)
        {
            foreach (var condition in statement.Conditions)
            {
                if (condition.Key == ConditionKey.ExistingObjectTag)
                    UsesExistingObjectTags = true;
            }
        }
    }

    public PolicyDialect Dialect { get; }

    public IReadOnlyList<PolicyStatement> Statements { get; }

    /// <summary>True when some condition reads <c>s3:ExistingObjectTag/…</c>: only then must the object's tags be loaded.</summary>
    public bool UsesExistingObjectTags { get; }

    /// <summary>The user names the policy's principals name (for the check that each exists).</summary>
    public IEnumerable<string> NamedUsers => Statements.SelectMany(s => s.Principals.UserNames);

    /// <summary>The user ids (<c>CanonicalUser</c>) the policy's principals name.</summary>
    public IEnumerable<string> NamedUserIds => Statements.SelectMany(s => s.Principals.UserIds);
}

/// <summary>Who a statement names: everyone (anonymous callers included), and/or Coffer users by name or id.</summary>
public sealed class PrincipalSet
{
    public static readonly PrincipalSet Everyone = new(true, [], []);

    internal PrincipalSet(bool everyone, string[] userNames, string[] userIds)
    {
        IsEveryone = everyone;
        UserNames = userNames;
        UserIds = userIds;
    }

    public bool IsEveryone { get; }
    public IReadOnlyList<string> UserNames { get; }
    public IReadOnlyList<string> UserIds { get; }

    /// <summary>Whether this set names the caller (null: anonymous). Names and ids are case-sensitive.</summary>
    public bool Matches(string? userName, string? userId)
    {
        if (IsEveryone)
            return true;
        if (userName is null)
            return false;
        for (var i = 0; i < UserNames.Count; i++)
        {
            if (string.Equals(UserNames[i], userName, StringComparison.Ordinal))
                return true;
        }
        for (var i = 0; i < UserIds.Count; i++)
        {
            if (string.Equals(UserIds[i], userId, StringComparison.Ordinal))
                return true;
        }
        return false;
    }
}

/// <summary>One statement. Action patterns are kept lower-case (<c>s3:get*</c>, or <c>cos:getobject</c> in the COS dialect).</summary>
public sealed class PolicyStatement
{
    internal PolicyStatement(int index, string? sid, bool deny, PrincipalSet principals, bool notPrincipal, string[] actions, bool notAction,
        string[] resources, bool notResource, PolicyCondition[] conditions)
    {
        Index = index;
        Sid = sid;
        IsDeny = deny;
        Principals = principals;
        IsNotPrincipal = notPrincipal;
        Actions = actions;
        IsNotAction = notAction;
        Resources = resources;
        IsNotResource = notResource;
        Conditions = conditions;
    }

    /// <summary>The statement's position in the document, from 0.</summary>
    public int Index { get; }
    public string? Sid { get; }
    public bool IsDeny { get; }
    public PrincipalSet Principals { get; }
    public bool IsNotPrincipal { get; }
    public IReadOnlyList<string> Actions { get; }
    public bool IsNotAction { get; }
    /// <summary>Resource patterns with the ARN prefix removed: <c>bucket</c>, <c>bucket/key-pattern</c>, or <c>*</c>.</summary>
    public IReadOnlyList<string> Resources { get; }
    public bool IsNotResource { get; }
    public IReadOnlyList<PolicyCondition> Conditions { get; }
}

/// <summary>The condition keys the server knows, in either dialect's spelling (<see cref="PolicyParser"/> maps names onto them).</summary>
public enum ConditionKey
{
    SecureTransport,
    SourceIp,
    CurrentTime,
    EpochTime,
    UserName,
    UserId,
    PrincipalArn,
    ServerSideEncryption,
    KmsKeyId,
    CustomerAlgorithm,
    Prefix,
    Delimiter,
    MaxKeys,
    ExistingObjectTag,
    RequestObjectTag,
}

/// <summary>What an operator compares.</summary>
public enum ConditionType
{
    String,
    StringIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    IpAddress,
    Arn,
    Null,
}

/// <summary>How a condition treats several request values (IAM's set operators).</summary>
public enum ConditionSet
{
    /// <summary>A single-valued key.</summary>
    Single,
    ForAnyValue,
    ForAllValues,
}

/// <summary>
/// One (operator, key, values) triple of a Condition block. Values are parsed once here (numbers, dates, networks), so
/// evaluation does not parse or allocate.
/// </summary>
public sealed class PolicyCondition
{
    internal PolicyCondition(string operatorName, ConditionType type, bool negated, bool ifExists, ConditionSet set, ConditionKey key,
        string keyName, string? tagKey, string[] values)
    {
        Operator = operatorName;
        Type = type;
        Negated = negated;
        IfExists = ifExists;
        Set = set;
        Key = key;
        KeyName = keyName;
        TagKey = tagKey;
        Values = values;
    }

    /// <summary>The operator as written (<c>StringNotEqualsIfExists</c>, <c>string_equal</c>).</summary>
    public string Operator { get; }
    public ConditionType Type { get; }
    /// <summary>A Not operator: true when the key matches none of the values (and when it is absent).</summary>
    public bool Negated { get; }
    public bool IfExists { get; }
    public ConditionSet Set { get; }
    public ConditionKey Key { get; }
    /// <summary>The key as written.</summary>
    public string KeyName { get; }
    /// <summary>For <c>…ObjectTag/&lt;key&gt;</c>: the tag key.</summary>
    public string? TagKey { get; }
    public IReadOnlyList<string> Values { get; }

    internal decimal[] Numbers { get; init; } = [];
    internal DateTimeOffset[] Dates { get; init; } = [];
    internal IPNetwork[] Networks { get; init; } = [];
    internal bool[] Booleans { get; init; } = [];
}
