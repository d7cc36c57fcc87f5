"""Every way a Ligdicash call can fail, grouped by what the caller does next.

    LigdicashError
    ├── InvalidRequestError      refused locally, before any request (bad amount, qty < 1)
    ├── TransportError           no usable answer (network, timeout); `maybe_delivered`: it may
    │                            have reached Ligdicash (a payout then must never be resent)
    ├── ProtocolError            an answer we cannot read (not JSON, missing field, odd HTTP status)
    ├── RejectedError            response_code "01": endpoint, sub_code, response_text, wiki
    │   ├── CustomerFixableError   the customer can fix it (wrong OTP, no account, bad number...)
    │   ├── TemporaryError         try again later (processing error, operator unreachable)
    │   ├── MerchantSetupError     the merchant's account/project needs fixing (auth, IP, balance)
    │   └── NotFoundError          the transaction is unknown to Ligdicash
    └── MalformedCallbackError   a callback body we cannot parse into a notice

Outcomes such as "not paid" are values (payments.status.Status), never exceptions.
"""

from __future__ import annotations


class LigdicashError(Exception):
    """Base of every Ligdicash failure."""


class MalformedCallbackError(LigdicashError):
    """A callback body that is not a Ligdicash notice (bad JSON, wrong types, no transaction id)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
