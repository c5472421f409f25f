// Verify a hookd (Standard Webhooks) signature in C# (.NET 6 or later).
// In ASP.NET: read the raw body bytes before any JSON binding, then call Verify(...).
using System;
using System.Security.Cryptography;
using System.Text;

public static class HookdSignature
{
    public static bool Verify(string secret, string msgId, string timestamp, string signatures,
                              byte[] body)
    {
        var key = Convert.FromBase64String(secret.StartsWith("whsec_") ? secret[6..] : secret);
        var prefix = Encoding.UTF8.GetBytes($"{msgId}.{timestamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed, prefix.Length);
        using var hmac = new HMACSHA256(key);
        var expected = hmac.ComputeHash(signed);
        foreach (var entry in signatures.Split(' '))
        {
            var parts = entry.Split(',', 2);
            if (parts.Length != 2 || parts[0] != "v1") continue;
            byte[] given;
            try { given = Convert.FromBase64String(parts[1]); } catch (FormatException) { continue; }
            if (CryptographicOperations.FixedTimeEquals(given, expected)) return true;
        }
        return false; // also check that the timestamp is recent (e.g. within 5 minutes)
    }
}
