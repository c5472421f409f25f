<?php
// Verify a hookd (Standard Webhooks) signature in PHP.
// In a receiver: verify($secret, $_SERVER['HTTP_WEBHOOK_ID'], $_SERVER['HTTP_WEBHOOK_TIMESTAMP'],
//                       $_SERVER['HTTP_WEBHOOK_SIGNATURE'], file_get_contents('php://input'));
// Usage here: php verify.php SECRET WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE BODY_FILE

function verify(string $secret, string $msgId, string $timestamp, string $signatures,
                string $body): bool {
    $key = base64_decode(preg_replace('/^whsec_/', '', $secret));
    $expected = base64_encode(hash_hmac('sha256', "$msgId.$timestamp.$body", $key, true));
    foreach (explode(' ', $signatures) as $entry) {
        $parts = explode(',', $entry, 2);
        if (count($parts) === 2 && $parts[0] === 'v1' && hash_equals($expected, $parts[1])) {
            return true;
        }
    }
    return false; // also check that the timestamp is recent (e.g. within 5 minutes)
}

[, $secret, $msgId, $timestamp, $signatures, $bodyFile] = $argv;
exit(verify($secret, $msgId, $timestamp, $signatures, file_get_contents($bodyFile)) ? 0 : 1);
