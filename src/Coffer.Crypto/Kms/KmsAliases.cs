namespace Coffer.Crypto.Kms;

/// <summary>
/// The one place for the rules of a user's alias name, used by the KMS itself (<see cref="KeyManager.CreateAliasAsync"/>,
/// <see cref="KeyManager.DeleteAliasAsync"/>), by the KMS API (which answers a broken name InvalidAliasNameException) and
/// by the command line (which refuses it before sending). An alias is "alias/" followed by 1 to 250 ASCII letters,
/// digits, '/', '_' or '-', and does not begin with a prefix reserved for the service's own keys: alias/aws/ (AWS's
/// managed keys), alias/cos/ (the per-user default SSE-KMS keys, <see cref="KeyManager.DefaultKeyAliasPrefix"/>) and
/// alias/coffer/ (the SSE-COS key, <see cref="KeyManager.ServiceKeyAlias"/>).
/// </summary>
public static class KmsAliases
{
    /// <summary>What every alias begins with.</summary>
    public const string Prefix = KmsEncoding.AliasPrefix;

    /// <summary>Longest alias, prefix included (as AWS KMS).</summary>
    public const int MaxLength = 256;

    /// <summary>Prefixes of the aliases the service gives its own keys; no user may create or delete one.</summary>
    public static IReadOnlyList<string> ReservedPrefixes { get; } = ["alias/aws/", "alias/cos/", "alias/coffer/"];

    /// <summary>What is wrong with <paramref name="alias"/> as a user's alias, or null when it is a valid one.</summary>
    public static string? Problem(string? alias)
    {
        if (string.IsNullOrEmpty(alias) || !alias.StartsWith(Prefix, StringComparison.Ordinal)
            || alias.Length == Prefix.Length || alias.Length > MaxLength
            || !alias.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-'))
        {
            return $"An alias is \"{Prefix}\" followed by 1 to {MaxLength - Prefix.Length} letters, digits, '/', '_' or '-'.";
        }

        foreach (string reserved in ReservedPrefixes)
        {
            if (alias.StartsWith(reserved, StringComparison.Ordinal))
            {
                return $"Aliases beginning with {reserved} are reserved for the service.";
            }
        }

        return null;
    }

    /// <summary>Throws <see cref="KmsException"/> (InvalidArgument) saying what is wrong when <paramref name="alias"/> is not a valid user alias.</summary>
    public static void Validate(string? alias)
    {
        if (Problem(alias) is { } problem)
        {
            throw new KmsException(KmsErrorKind.InvalidArgument, problem);
        }
    }
}
