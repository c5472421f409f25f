"""Verify a hookd (Standard Webhooks) signature in Python, standard library only.

Usage: python3 verify.py SECRET WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE BODY_FILE
Exit 0 when one signature matches, 1 when none does.
"""
import base64
import hashlib
import hmac
import sys


def verify(secret: str, msg_id: str, timestamp: str, signatures: str, body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for entry in signatures.split(" "):
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False  # also check that the timestamp is recent (e.g. within 5 minutes)


if __name__ == "__main__":
    secret, msg_id, timestamp, signatures, body_file = sys.argv[1:6]
    with open(body_file, "rb") as f:
        body = f.read()  # the raw body bytes, exactly as received
    sys.exit(0 if verify(secret, msg_id, timestamp, signatures, body) else 1)
