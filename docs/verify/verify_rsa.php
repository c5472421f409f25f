<?php
// Verify a hookd RSA-SHA256 signature (e.g. in X-DI-Signature) in PHP with the endpoint's
// public key, downloaded as PEM from GET .../endpoint/{id}/public-key?format=pem.
// In a receiver: verify_rsa(file_get_contents('key.pem'), $_SERVER['HTTP_X_DI_SIGNATURE'],
//                           file_get_contents('php://input'));
// Usage here: php verify_rsa.php PUBLIC_KEY_PEM_FILE SIGNATURE BODY_FILE

function verify_rsa(string $publicKeyPem, string $signature, string $body): bool {
    $key = openssl_pkey_get_public($publicKeyPem);
    $raw = base64_decode($signature, true);
    return $key !== false && $raw !== false &&
           openssl_verify($body, $raw, $key, OPENSSL_ALGO_SHA256) === 1;
}

[, $pemFile, $signature, $bodyFile] = $argv;
exit(verify_rsa(file_get_contents($pemFile), $signature, file_get_contents($bodyFile)) ? 0 : 1);
