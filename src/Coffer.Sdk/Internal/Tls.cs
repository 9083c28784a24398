using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Coffer.Sdk.Internal;

/// <summary>The server certificate check built from <see cref="CosConfig"/>'s TLS settings.</summary>
internal static class Tls
{
    public static RemoteCertificateValidationCallback? Callback(CosConfig config, Endpoint endpoint)
    {
        if (config.ServerCertificateValidation is { } custom)
        {
            return custom;
        }

        if (!config.VerifySsl)
        {
            return static (_, _, _, _) => true;
        }

        X509Certificate2Collection? anchors = null;
        if (!string.IsNullOrEmpty(config.CaFile))
        {
            anchors = [];
            try
            {
                anchors.ImportFromPemFile(config.CaFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                throw new CosClientException(CosClientErrorKind.Io, $"The CA file '{config.CaFile}' cannot be read as PEM certificates: {e.Message}", e);
            }

            if (anchors.Count == 0)
            {
                throw new CosClientException(CosClientErrorKind.InvalidArgument, $"The CA file '{config.CaFile}' holds no PEM certificate.");
            }
        }

        string connectHost = endpoint.ConnectHost;
        return (_, certificate, chain, errors) =>
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            {
                return false;
            }

            using var leaf = new X509Certificate2(certificate);
            bool trusted = anchors is null
                ? (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0
                : ChainsTo(leaf, chain, anchors);
            if (!trusted)
            {
                return false;
            }

            // The name was checked against the Host header (SNI); in IP mode the certificate
            // names the address connected to instead, as Python's requests checks it.
            return (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0 || leaf.MatchesHostname(connectHost);
        };
    }

    private static bool ChainsTo(X509Certificate2 leaf, X509Chain? presented, X509Certificate2Collection anchors)
    {
        foreach (var anchor in anchors)
        {
            if (anchor.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
            {
                return true;
            }
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(leaf);
    }
}
