"""The sandbox's settings and its published test values."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_API_KEY = "sandbox-api-key"
DEFAULT_API_TOKEN = "sandbox-api-token"  # noqa: S105 (published test credential, not a secret)

# Magic values, documented in the README like a card network's test numbers.
OTP_WRONG = "000000"
OTP_EXPIRED = "999999"
OTP_DECLINED = "111111"
SUFFIX_DECLINED = "99"
SUFFIX_NEVER_CONFIRMED = "98"
SUFFIX_PAYOUT_HANGS = "97"

PAYIN_MINIMUM = 9
PAYIN_MAXIMUM = 2_000_000
PAYOUT_MINIMUM = 500
PAYOUT_MAXIMUM = 2_000_000


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """How a sandbox answers: credentials, where it is reachable, and its delays in seconds.

    `public_url` is the absolute URL of the sandbox's root (its `/pay/v01/` lives under it); when
    empty, each request's own scheme, host and mount point are used, which suits loopback tests
    on port 0.
    """

    api_key: str = field(default=DEFAULT_API_KEY, repr=False)
    api_token: str = field(default=DEFAULT_API_TOKEN, repr=False)
    public_url: str = ""
    approval_delay: float = 5.0
    payout_delay: float = 3.0
    callback_delay: float = 0.5
    hang_seconds: float = 3600.0
    merchant_balance: int = 10_000_000
    callback_timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.api_key or not self.api_token:
            raise ValueError("the sandbox needs a non-empty api_key and api_token")
        for name in ("approval_delay", "payout_delay", "callback_delay", "hang_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.callback_timeout <= 0:
            raise ValueError("callback_timeout must be > 0")
        if self.merchant_balance < 0:
            raise ValueError("merchant_balance must be >= 0")
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise ValueError("public_url must be an absolute http(s) URL")
