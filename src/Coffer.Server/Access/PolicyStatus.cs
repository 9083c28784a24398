using System.Net.Sockets;

namespace Coffer.Server.Access;

/// <summary>
/// Whether a policy is public in S3's sense (GET ?policyStatus, Block Public Access): S3 starts from "public" and looks
/// for a reason it is not. An Allow statement is non-public only when it names fixed principals, or a condition that an
/// absent key cannot satisfy pins it to fixed values of a key that identifies the caller (aws:SourceIp no broader than
/// /8 in IPv4 or /32 in IPv6, aws:username, aws:userid, aws:PrincipalArn) or a KMS key. A Deny never makes a policy public.
/// </summary>
public static class PolicyStatus
{
    public static bool IsPublic(BucketPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        foreach (var s in policy.Statements)
        {
            if (s.IsDeny)
                continue;
            var open = s.IsNotPrincipal || s.Principals.IsEveryone;
            if (open && !IsPinned(s))
                return true;
        }
        return false;
    }

    private static bool IsPinned(PolicyStatement s)
    {
        foreach (var c in s.Conditions)
        {
            // A condition that an absent key satisfies, or that excludes values rather than naming them, pins nothing.
            if (c.IfExists || c.Negated || c.Set == ConditionSet.ForAllValues || c.Type == ConditionType.Null)
                continue;
            switch (c.Key)
            {
                case ConditionKey.SourceIp when c.Type == ConditionType.IpAddress:
                    if (c.Networks.All(n => n.PrefixLength >= (n.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 8 : 32)))
                        return true;
                    break;
                case ConditionKey.UserName or ConditionKey.UserId or ConditionKey.PrincipalArn or ConditionKey.KmsKeyId
                    when c.Type is ConditionType.String or ConditionType.Arn or ConditionType.StringIgnoreCase or ConditionType.StringLike:
                    if (c.Values.All(v => v.IndexOfAny(['*', '?']) < 0 && !v.Contains("${", StringComparison.Ordinal)))
                        return true;
                    break;
            }
        }
        return false;
    }
}
