// Verify a hookd RSA-SHA256 signature (e.g. in X-DI-Signature) in C# with the endpoint's public
// key as .NET XML (GET .../endpoint/{id}/public-key?format=xml).
using System;
using System.Security.Cryptography;

public static class HookdRsaSignature
{
    public static bool Verify(string publicKeyXml, string signatureBase64, byte[] body)
    {
        using var rsa = RSA.Create();
        rsa.FromXmlString(publicKeyXml);
        byte[] signature;
        try { signature = Convert.FromBase64String(signatureBase64); }
        catch (FormatException) { return false; }
        return rsa.VerifyData(body, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}
