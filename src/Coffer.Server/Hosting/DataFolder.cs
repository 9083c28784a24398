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
    /// (Unix; 0 elsewhere). It reads every blob, so the server runs it in the background once it serves,
    /// after <see cref="RestrictTop"/> has closed the folder itself.
    /// </summary>
    public int RestrictAccess() => OwnerOnly.Tighten(Root);

    /// <summary>
    /// Closes the data folder itself and its direct entries (<see cref="OwnerOnly.TightenTop"/>): run at server start,
    /// before anything is read or written. With the folder 0700 nothing in it is reachable by others, whatever the
    /// modes below, which <see cref="RestrictAccess"/> repairs in the background.
    /// </summary>
    public int RestrictTop() => OwnerOnly.TightenTop(Root);

    public string Root { get; }
    public string DatabasePath => Path.Combine(Root, "meta.db");
    public string BlobRoot => Root;
    public string RootKeyPath => Path.Combine(Root, "root.key");
    public string TlsDirectory => Path.Combine(Root, "tls");
    public string CertificatePath => Path.Combine(TlsDirectory, "cert.pem");
    public string CertificateKeyPath => Path.Combine(TlsDirectory, "key.pem");

    /// <summary>Where the root key came from, for messages: "COFFER_ROOT_KEY" or the root.key path.</summary>
    public string RootKeySource { get; private set; } = "";

    /// <summary>Whether the folder already holds data that a root key sealed: a metadata database, or any blob.</summary>
    public bool HoldsData
    {
        get
        {
            if (File.Exists(DatabasePath))
                return true;
            var blobs = Path.Combine(Root, "blobs");
            return Directory.Exists(blobs) && Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories).Any();
        }
    }

    /// <summary>
    /// Loads the root key: COFFER_ROOT_KEY (base64 of 32 bytes) when set, else the data folder's
    /// root.key, created (mode 0600) on first start — only on first start: a folder that already
    /// holds data (meta.db or blobs) gets no new key, because a new key could open none of it.
    /// </summary>
    /// <exception cref="RootKeyException">The key is missing for existing data, or malformed.</exception>
    public RootKey LoadOrCreateRootKey()
    {
        var fromEnv = Environment.GetEnvironmentVariable("COFFER_ROOT_KEY");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            RootKeySource = "COFFER_ROOT_KEY";
            byte[] bytes;
            try { bytes = Convert.FromBase64String(fromEnv.Trim()); }
            catch (FormatException) { throw new RootKeyException("COFFER_ROOT_KEY is not base64; it must be the base64 of exactly 32 bytes (the content of a root.key file)."); }
            try
            {
                if (bytes.Length != 32)
                    throw new RootKeyException($"COFFER_ROOT_KEY must be the base64 of exactly 32 bytes; it holds {bytes.Length}.");
                return new RootKey(bytes);
            }
            finally { CryptographicOperations.ZeroMemory(bytes); }
        }

        RootKeySource = RootKeyPath;
        if (!File.Exists(RootKeyPath))
        {
            if (HoldsData)
                throw new RootKeyException(
                    $"{RootKeyPath} is missing, but the data folder {Root} already holds data sealed under a root key "
                    + "(meta.db or blobs); a new key could open none of it, so none was generated. "
                    + "Restore root.key from your backup into the data folder, or set COFFER_ROOT_KEY to the base64 of the original key.");
            var key = RandomNumberGenerator.GetBytes(32);
            try { WriteSecretFile(RootKeyPath, key); }
            finally { CryptographicOperations.ZeroMemory(key); }
        }

        var stored = File.ReadAllBytes(RootKeyPath);
        try
        {
            if (stored.Length != 32)
                throw new RootKeyException($"{RootKeyPath} is damaged: a root key is 32 bytes, this file has {stored.Length}. Restore root.key from your backup, or set COFFER_ROOT_KEY.");
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

/// <summary>The root key cannot be used for this data folder (missing, malformed, or not the key its data was sealed under); the message says what to do.</summary>
public sealed class RootKeyException(string message) : InvalidOperationException(message);
