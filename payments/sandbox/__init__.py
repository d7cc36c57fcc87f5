"""A faithful Ligdicash simulator: the API, the hosted payment page, callbacks, fault switches."""

from payments.sandbox.config import (
    DEFAULT_API_KEY,
    DEFAULT_API_TOKEN,
    OTP_DECLINED,
    OTP_EXPIRED,
    OTP_WRONG,
    SUFFIX_DECLINED,
    SUFFIX_NEVER_CONFIRMED,
    SUFFIX_PAYOUT_HANGS,
    SandboxConfig,
)
from payments.sandbox.faults import Faults
from payments.sandbox.model import Endpoint, Kind, Operator, SandboxStatus, Transaction
from payments.sandbox.server import SANDBOX_KEY
from payments.sandbox.simulator import Sandbox, SandboxEvent
from payments.sandbox.standalone import serve

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_TOKEN",
    "OTP_DECLINED",
    "OTP_EXPIRED",
    "OTP_WRONG",
    "SANDBOX_KEY",
    "SUFFIX_DECLINED",
    "SUFFIX_NEVER_CONFIRMED",
    "SUFFIX_PAYOUT_HANGS",
    "Endpoint",
    "Faults",
    "Kind",
    "Operator",
    "Sandbox",
    "SandboxConfig",
    "SandboxEvent",
    "SandboxStatus",
    "Transaction",
    "serve",
]
