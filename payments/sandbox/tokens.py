"""Identifiers that look like Ligdicash's: JWT-like tokens, request ids, invoice ids, hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta

TOKEN_LIFETIME = timedelta(hours=24)
_HEADER = {"typ": "JWT", "alg": "HS256"}


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _compact_json(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


class TokenMinter:
    """Signs JWT-like tokens and hashes with a key drawn at random for one sandbox's life.

    Each token carries 128 random bits (`jti`) and an HMAC-SHA256 signature, so tokens can be
    neither guessed nor forged, and two tokens never repeat.
    """

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def __repr__(self) -> str:
        return "TokenMinter(<key hidden>)"

    def token(self, kind: str, now: datetime) -> str:
        """A fresh token for a transaction of `kind`, valid 24 h from `now`."""
        issued = int(now.timestamp())
        claims = {
            "iss": "https://app.ligdicash.com/pay/v01",
            "sub": kind,
            "jti": secrets.token_hex(16),
            "iat": issued,
            "exp": issued + int(TOKEN_LIFETIME.total_seconds()),
            "ref": secrets.token_urlsafe(24),
        }
        signing_input = f"{_b64url(_compact_json(_HEADER))}.{_b64url(_compact_json(claims))}"
        signature = hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{_b64url(signature)}"

    def hash40(self, *parts: str) -> str:
        """The 40-hex `hash` Ligdicash puts at the top of a callback."""
        return hmac.new(self._key, "|".join(parts).encode(), hashlib.sha1).hexdigest()

    def hash64(self, *parts: str) -> str:
        """The 64-hex `hash` Ligdicash adds inside custom_data."""
        return hmac.new(self._key, "|".join(parts).encode(), hashlib.sha256).hexdigest()


def new_request_id() -> str:
    """A short reference like Ligdicash's `request_id` (`P2777636082026`)."""
    return "P" + "".join(secrets.choice("0123456789") for _ in range(13))


def new_id_invoice() -> int:
    """An invoice number like Ligdicash's `id_invoice` (8 digits)."""
    return 10_000_000 + secrets.randbelow(90_000_000)


def new_page_id() -> str:
    """The unguessable last segment of a hosted payment page's URL."""
    return secrets.token_urlsafe(18)
