using System.Security.Cryptography;
using Coffer.Crypto;
using Coffer.Storage;

namespace Coffer.Server.Hosting;

/// <summary>
/// The files of a data folder. Only this class builds paths in it; no user input ever does.
/// The folder and every folder in it are 0700, every file 0600 (<see cref="OwnerOnly"/>).
/// </summary>
public sealed class DataFolder
{
    public DataFolder(string root)
    {
        Root = Path.GetFullPath(root);
        OwnerOnly.CreateDirectory(Root);
    }

    /// <summary>
    /// Makes the data folder owner-only (folders 0700, files 0600) where an older version or a
    /// hand-made folder left it open to group or others; returns how many entries were changed
    /// (Unix; 0 elsewhere). Run at server start, before anything is read or written.
    /// </summary>
    public int RestrictAccess() => OwnerOnly.Tighten(Root);

    public string Root { get; }
    public string DatabasePath => Path.Combine(Root, "meta.db");
    public string BlobRoot => Root;
    public string RootKeyPath => Path.Combine(Root, "root.key");
    public string TlsDirectory => Path.Combine(Root, "tls");
    public string CertificatePath => Path.Combine(TlsDirectory, "cert.pem");
    public string CertificateKeyPath => Path.Combine(TlsDirectory, "key.pem");

    /// <summary>
    /// Loads the root key: COFFER_ROOT_KEY (base64 of 32 bytes) when set, else the data folder's
    /// root.key, created (mode 0600) on first start.
    /// </summary>
    public RootKey LoadOrCreateRootKey()
    {
        var fromEnv = Environment.GetEnvironmentVariable("COFFER_ROOT_KEY");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            var bytes = Convert.FromBase64String(fromEnv);
            try
            {
                if (bytes.Length != 32)
                    throw new InvalidOperationException("COFFER_ROOT_KEY must be the base64 of exactly 32 bytes.");
                return new RootKey(bytes);
            }
            finally { CryptographicOperations.ZeroMemory(bytes); }
        }

        if (!File.Exists(RootKeyPath))
        {
            var key = RandomNumberGenerator.GetBytes(32);
            try { WriteSecretFile(RootKeyPath, key); }
            finally { CryptographicOperations.ZeroMemory(key); }
        }

        var stored = File.ReadAllBytes(RootKeyPath);
        try
        {
            if (stored.Length != 32)
                throw new InvalidOperationException($"{RootKeyPath} is damaged: a root key is 32 bytes, this file has {stored.Length}.");
            return new RootKey(stored);
        }
        finally { CryptographicOperations.ZeroMemory(stored); }
    }

    /// <summary>Writes a file readable by the owner only (0600), durably, via a temporary file and rename.</summary>
    public static void WriteSecretFile(string path, ReadOnlySpan<byte> content)
    {
        OwnerOnly.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        var options = OwnerOnly.Apply(new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None });
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
