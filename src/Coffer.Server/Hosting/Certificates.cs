using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Coffer.Server.Hosting;

/// <summary>The HTTPS certificate: given as PEM files, or generated once and kept in the data folder.</summary>
public static class Certificates
{
    /// <summary>Loads the configured certificate, or the data folder's, generating it on first start.</summary>
    public static (X509Certificate2 Certificate, string Path, bool Generated) LoadOrCreate(DataFolder folder, string? certPem, string? keyPem, string? domain)
    {
        if (certPem is not null)
        {
            if (keyPem is null)
                throw new InvalidOperationException("--cert needs --key: give the PEM file of the certificate's private key too.");
            return (X509Certificate2.CreateFromPemFile(certPem, keyPem), Path.GetFullPath(certPem), false);
        }

        var generated = false;
        if (!File.Exists(folder.CertificatePath) || !File.Exists(folder.CertificateKeyPath))
        {
            Generate(folder, domain);
            generated = true;
        }
        return (X509Certificate2.CreateFromPemFile(folder.CertificatePath, folder.CertificateKeyPath), folder.CertificatePath, generated);
    }

    /// <summary>SHA-256 fingerprint, colon-separated upper-case hex, as browsers and openssl print it.</summary>
    public static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', certificate.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2")));

    private static void Generate(DataFolder folder, string? domain)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Coffer self-signed", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        if (!string.IsNullOrEmpty(domain))
        {
            names.AddDnsName(domain);
            names.AddDnsName("*." + domain);
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));

        Coffer.Storage.OwnerOnly.CreateDirectory(folder.TlsDirectory);
        DataFolder.WriteSecretFile(folder.CertificateKeyPath, Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
        DataFolder.WriteSecretFile(folder.CertificatePath, Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()));
    }
}
