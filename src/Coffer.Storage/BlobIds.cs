using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Coffer.Storage;

/// <summary>
/// Blob ids: 32 lowercase hex characters (128 random bits), the only names a blob store ever
/// gives to data. Any other string offered as an id is refused, so no user input can become a
/// path or a remote key.
/// </summary>
public static partial class BlobIds
{
    /// <summary>A fresh random id.</summary>
    public static string New() => RandomNumberGenerator.GetHexString(32, lowercase: true);

    /// <summary>Whether <paramref name="blobId"/> has the form of a blob id.</summary>
    public static bool IsValid(string? blobId) => blobId is not null && Pattern().IsMatch(blobId);

    /// <summary>Throws unless <paramref name="blobId"/> has the form of a blob id.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="blobId"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="blobId"/> is not a blob id.</exception>
    public static void Check(string blobId)
    {
        ArgumentNullException.ThrowIfNull(blobId);
        if (!IsValid(blobId))
        {
            throw new ArgumentException("A blob id is 32 lowercase hexadecimal characters.", nameof(blobId));
        }
    }

    [GeneratedRegex(@"\A[0-9a-f]{32}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
