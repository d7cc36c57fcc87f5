"""The simulated Ligdicash: transactions and their state machine, magic values, callbacks."""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import secrets
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import MappingProxyType, TracebackType
from typing import Any, Self, TypedDict

import aiohttp
from aiohttp import web
from yarl import URL

from payments.sandbox.callbacks import Encoding, Shot, callback_fields, form_shot, json_shot
from payments.sandbox.config import (
    OTP_DECLINED,
    OTP_EXPIRED,
    OTP_WRONG,
    PAYIN_MAXIMUM,
    PAYIN_MINIMUM,
    PAYOUT_MAXIMUM,
    PAYOUT_MINIMUM,
    SUFFIX_DECLINED,
    SUFFIX_NEVER_CONFIRMED,
    SUFFIX_PAYOUT_HANGS,
    SandboxConfig,
)
from payments.sandbox.faults import Faults
from payments.sandbox.model import (
    Endpoint,
    Kind,
    Operator,
    SandboxStatus,
    Transaction,
    final_status,
    mask_phone,
    operator_for,
)
from payments.sandbox.server import build_app
from payments.sandbox.tokens import TokenMinter, new_id_invoice, new_page_id, new_request_id
from payments.sandbox.wire import PayinRequest, PayoutRequest, Reason, Refused

logger = logging.getLogger(__name__)

_OTP = re.compile(r"[0-9]{4,8}")
_EVENTS_KEPT = 500


@dataclass(frozen=True, slots=True)
class SandboxEvent:
    """Something the sandbox did, for people watching (the playground's side panel)."""

    at: datetime
    kind: str
    text: str
    transaction_id: str = ""


Listener = Callable[[SandboxEvent], None]


class _Identity(TypedDict):
    token: str
    status: SandboxStatus
    created_at: datetime
    updated_at: datetime
    id_invoice: int
    request_id: str
    ordinal: int


class Sandbox:
    """A faithful Ligdicash simulator: its state, its control API, and `app` to serve it.

    Mount `app` under a prefix (`parent.add_subapp("/sandbox", sandbox.app)`) or serve it alone;
    shutting the app down closes the sandbox. Tests drive it with `faults`, `pay`, `cancel`,
    `settle` and read it with `request_count`, `transaction(s)`; `aclose` ends background work.
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.faults = Faults()
        self._minter = TokenMinter()
        self._by_token: dict[str, Transaction] = {}
        self._token_by_page: dict[str, str] = {}
        self._counts: Counter[Endpoint] = Counter()
        self._balance = self.config.merchant_balance
        self._ordinal = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._events: deque[SandboxEvent] = deque(maxlen=_EVENTS_KEPT)
        self._listeners: list[Listener] = []
        self.app: web.Application = build_app(self)

    def __repr__(self) -> str:
        return f"Sandbox(transactions={len(self._by_token)}, closed={self._closing.is_set()})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # Reading the state

    def request_count(self, endpoint: Endpoint | str) -> int:
        """How many requests reached `endpoint` (see Endpoint for the names)."""
        return self._counts[Endpoint(endpoint)]

    def request_counts(self) -> dict[Endpoint, int]:
        """Requests received so far, for every endpoint."""
        return {endpoint: self._counts[endpoint] for endpoint in Endpoint}

    def reset_counts(self) -> None:
        """Start counting requests from zero."""
        self._counts.clear()

    def transaction(self, token: str) -> Transaction | None:
        """The transaction a creation token names, as it stands now."""
        return self._by_token.get(token)

    def transactions(self) -> list[Transaction]:
        """Every transaction, oldest first."""
        return list(self._by_token.values())

    def page_transaction(self, page_id: str) -> Transaction | None:
        """The hosted payin behind a payment page id."""
        token = self._token_by_page.get(page_id)
        return None if token is None else self._by_token.get(token)

    @property
    def balance(self) -> int:
        """The merchant's balance in XOF: payouts reserve from it, completed payins add to it."""
        return self._balance

    def set_balance(self, amount: int) -> None:
        """Set the merchant's balance (to test "balance too low")."""
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ValueError("balance must be an integer >= 0")
        self._balance = amount

    def events(self) -> list[SandboxEvent]:
        """The most recent events, oldest first."""
        return list(self._events)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` on each new event; returns the function that unsubscribes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # What the HTTP endpoints do

    def count(self, endpoint: Endpoint, summary: str) -> None:
        """Record one request to `endpoint` (`summary`: method and path, never the query)."""
        self._counts[endpoint] += 1
        self._record("request", f"{endpoint.value}: {summary}")

    def authorized(self, apikey: str | None, authorization: str | None) -> bool:
        """True when the `Apikey` and `Authorization: Bearer` headers match, in constant time."""
        scheme, _, credential = (authorization or "").strip().partition(" ")
        key_ok = hmac.compare_digest((apikey or "").encode(), self.config.api_key.encode())
        token_ok = hmac.compare_digest(credential.strip().encode(), self.config.api_token.encode())
        return key_ok & token_ok & (scheme.lower() == "bearer")

    def open_hosted_payin(self, request: PayinRequest, root: str) -> Transaction:
        """Create a hosted payin whose payment page lives under `root`."""
        _check_payin_amount(request.total_amount, minimum=PAYIN_MINIMUM)
        page_id = new_page_id()
        tx = self._store(
            Transaction(
                **self._identity(Kind.HOSTED_PAYIN),
                kind=Kind.HOSTED_PAYIN,
                amount=request.total_amount,
                description=request.description,
                customer="",
                operator=None,
                custom_data=MappingProxyType(dict(request.custom_data)),
                callback_url=request.callback_url,
                items=request.items,
                store_name=request.store_name,
                store_website_url=request.store_website_url,
                return_url=request.return_url,
                cancel_url=request.cancel_url,
                page_id=page_id,
                payment_url=f"{root.rstrip('/')}/checkout/{page_id}",
                customer_firstname=request.customer_firstname,
                customer_lastname=request.customer_lastname,
                customer_email=request.customer_email,
            )
        )
        self._token_by_page[page_id] = tx.token
        return tx

    def open_direct_payin(self, request: PayinRequest) -> Transaction:
        """Create a direct payin: Orange by OTP, Moov by approval, per the magic values."""
        operator = operator_for(request.customer)
        if operator is None:
            raise Refused(Reason.OPERATOR, "the number is neither Orange nor Moov")
        _check_payin_amount(request.total_amount, minimum=max(PAYIN_MINIMUM, operator.minimum))
        otp_flow = operator is Operator.ORANGE
        if otp_flow:
            # A refused OTP creates nothing: the customer may dial again and retry.
            if _OTP.fullmatch(request.otp) is None or request.otp == OTP_WRONG:
                raise Refused(Reason.WRONG_OTP, "wrong OTP")
            if request.otp == OTP_EXPIRED:
                raise Refused(Reason.EXPIRED_OTP, "expired OTP")
        tx = self._store(
            Transaction(
                **self._identity(Kind.DIRECT_PAYIN),
                kind=Kind.DIRECT_PAYIN,
                amount=request.total_amount,
                description=request.description,
                customer=request.customer,
                operator=operator,
                custom_data=MappingProxyType(dict(request.custom_data)),
                callback_url=request.callback_url,
                items=request.items,
                store_name=request.store_name,
                store_website_url=request.store_website_url,
                customer_firstname=request.customer_firstname,
                customer_lastname=request.customer_lastname,
                customer_email=request.customer_email,
                otp_flow=otp_flow,
            )
        )
        if otp_flow:
            declined = request.otp == OTP_DECLINED
            self._finish(
                tx.token, SandboxStatus.NOTCOMPLETED if declined else SandboxStatus.COMPLETED
            )
        else:
            self._schedule_by_suffix(tx, self.config.approval_delay)
        return tx

    def open_payout(self, kind: Kind, request: PayoutRequest) -> tuple[Transaction, bool]:
        """Create a payout of `kind`; the flag says the answer must hang (magic suffix 97)."""
        if not PAYOUT_MINIMUM <= request.amount <= PAYOUT_MAXIMUM:
            raise Refused(Reason.AMOUNT, "payout amount out of range")
        operator = operator_for(request.customer)
        if kind is Kind.MERCHANT_PAYOUT and operator is None:
            raise Refused(Reason.OPERATOR, "the recipient's operator is not identified")
        if request.amount > self._balance:
            raise Refused(Reason.BALANCE, "merchant balance too low")
        # The amount is reserved now and given back if the payout fails.
        self._balance -= request.amount
        tx = self._store(
            Transaction(
                **self._identity(kind),
                kind=kind,
                amount=request.amount,
                description=request.description,
                customer=request.customer,
                operator=operator,
                custom_data=MappingProxyType(dict(request.custom_data)),
                callback_url=request.callback_url,
                top_up_wallet=request.top_up_wallet,
            )
        )
        self._schedule_by_suffix(tx, self.config.payout_delay)
        return tx, request.customer.endswith(SUFFIX_PAYOUT_HANGS)

    def confirmable(self, token: str, *, payout: bool) -> Transaction:
        """The transaction a confirm call names, or a not-found refusal."""
        tx = self._by_token.get(token)
        if tx is None or tx.kind.is_payout is not payout:
            raise Refused(Reason.NOT_FOUND, "unknown token")
        return tx

    async def hold(self, seconds: float) -> bool:
        """Wait `seconds`; False if the sandbox closed first (so hung requests end at shutdown)."""
        if seconds <= 0:
            return True
        try:
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False

    # The control API

    async def pay(self, token: str, operator: Operator | str = Operator.ORANGE) -> bool:
        """Pay a pending payin as its page would; False if it was already final."""
        tx = self._payin(token)
        if tx.status.is_final:
            return False
        if tx.kind is Kind.HOSTED_PAYIN:
            chosen = Operator(str(operator).strip().lower())
            if tx.amount < chosen.minimum:
                raise ValueError(f"{chosen.label} accepts payins from {chosen.minimum} XOF")
            self._by_token[token] = replace(tx, operator=chosen)
        return self._finish(token, SandboxStatus.COMPLETED)

    async def cancel(self, token: str) -> bool:
        """Cancel a pending payin as its page would (ends `notcompleted`); False if final."""
        self._payin(token)
        return self._finish(token, SandboxStatus.NOTCOMPLETED)

    async def settle(self, token: str, status: str) -> bool:
        """Force a final status (`completed` or `notcompleted`); False if already final."""
        final = final_status(status)
        if token not in self._by_token:
            raise KeyError("unknown sandbox token")
        return self._finish(token, final)

    async def drain(self) -> None:
        """Wait until every delayed status and callback scheduled so far (and since) has run."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    async def aclose(self) -> None:
        """Stop background work (delayed statuses, callbacks), release hung requests, close HTTP."""
        self._closing.set()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    # Internals

    def _payin(self, token: str) -> Transaction:
        tx = self._by_token.get(token)
        if tx is None:
            raise KeyError("unknown sandbox token")
        if tx.kind.is_payout:
            raise ValueError("pay and cancel apply to payins; use settle for payouts")
        return tx

    def _identity(self, kind: Kind) -> _Identity:
        now = _now()
        token = self._minter.token(kind.value, now)
        while token in self._by_token:
            token = self._minter.token(kind.value, now)
        self._ordinal += 1
        return _Identity(
            token=token,
            status=SandboxStatus.PENDING,
            created_at=now,
            updated_at=now,
            id_invoice=new_id_invoice(),
            request_id=new_request_id(),
            ordinal=self._ordinal,
        )

    def _store(self, tx: Transaction) -> Transaction:
        self._by_token[tx.token] = tx
        who = f" from {mask_phone(tx.customer)}" if tx.customer else ""
        logger.info("sandbox %s of %d XOF%s created", tx.kind.value, tx.amount, who)
        self._record(
            "created", f"{tx.kind.value} of {tx.amount} XOF{who}: pending", tx.transaction_id
        )
        return tx

    def _schedule_by_suffix(self, tx: Transaction, delay: float) -> None:
        suffix = tx.customer[-2:]
        if suffix == SUFFIX_NEVER_CONFIRMED:
            return
        status = (
            SandboxStatus.NOTCOMPLETED if suffix == SUFFIX_DECLINED else SandboxStatus.COMPLETED
        )
        self._spawn(self._finish_later(tx.token, status, delay))

    async def _finish_later(self, token: str, status: SandboxStatus, delay: float) -> None:
        await asyncio.sleep(delay)
        self._finish(token, status)

    def _finish(self, token: str, status: SandboxStatus) -> bool:
        """The only transition: pending -> final, once; a final status never changes."""
        tx = self._by_token[token]
        if tx.status.is_final or not status.is_final:
            return False
        now = _now()
        completed = status is SandboxStatus.COMPLETED
        # A completed payin credits the merchant; a failed payout gives its reservation back.
        if completed is not tx.kind.is_payout:
            self._balance += tx.amount
        done = replace(
            tx,
            status=status,
            updated_at=now,
            # Ligdicash adds its own entries to custom_data once a transaction ends.
            ligdicash_entries=(
                ("hash", self._minter.hash64(tx.token, status.value)),
                ("logfile", f"callback_{tx.id_invoice}_{now:%Y%m%d%H%M%S}.log"),
            ),
            # A payout's callback carries a new token, never the one the creation returned.
            callback_token=self._minter.token(f"{tx.kind.value}_callback", now)
            if tx.kind.is_payout
            else "",
            oreference=f"OR{secrets.randbelow(10**10):010d}" if completed else "",
        )
        self._by_token[token] = done
        logger.info("sandbox %s of %d XOF is now %s", tx.kind.value, tx.amount, status.value)
        self._record(
            "status", f"{tx.kind.value} of {tx.amount} XOF: {status.value}", tx.transaction_id
        )
        if done.callback_url:
            self._spawn(self._deliver_callbacks(token))
        return True

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        if self._closing.is_set():
            work.close()
            return
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("sandbox background task failed", exc_info=task.exception())

    async def _deliver_callbacks(self, token: str) -> None:
        await asyncio.sleep(self.config.callback_delay)
        tx = self._by_token[token]
        faults = self.faults
        if faults.drop_callbacks:
            logger.info("sandbox dropped the callbacks of a %s (fault switch)", tx.kind.value)
            self._record("callback", "callbacks dropped (fault switch)", tx.transaction_id)
            return
        hash40 = self._minter.hash40(tx.token, tx.status.value, str(tx.amount))
        fields = callback_fields(
            tx,
            status=tx.status,
            token=tx.callback_token,
            hash40=hash40,
            nocompleted=faults.nocompleted_spelling,
        )
        # Like Ligdicash, one JSON POST then one form POST; the form's custom_data shape
        # alternates between transactions (flattened keys, then a JSON string).
        pair = [json_shot(fields), form_shot(fields, flatten=tx.ordinal % 2 == 1)]
        if faults.form_first:
            pair.reverse()
        shots = pair * 2 if faults.duplicate_callbacks else pair
        if faults.stale_pending_after:
            stale = callback_fields(
                tx,
                status=SandboxStatus.PENDING,
                token=tx.callback_token,
                hash40=self._minter.hash40(tx.token, SandboxStatus.PENDING.value, str(tx.amount)),
                nocompleted=faults.nocompleted_spelling,
            )
            shots.append(json_shot(stale))
        for shot in shots:
            await self._post(tx, shot)

    async def _post(self, tx: Transaction, shot: Shot) -> None:
        # Callback URLs may carry a secret in their path or query: only the origin is shown.
        origin = _origin(tx.callback_url)
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.callback_timeout),
                headers={"User-Agent": "LigdicashSandbox/1.0"},
            )
        try:
            if shot.encoding is Encoding.JSON:
                request = self._session.post(tx.callback_url, json=shot.json_body)
            else:
                request = self._session.post(tx.callback_url, data=list(shot.form_body))
            async with request as response:
                await response.read()
                answered = response.status
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            logger.warning(
                "sandbox %s callback to %s failed: %s", shot.encoding, origin, type(exc).__name__
            )
            self._record(
                "callback", f"{shot.encoding} callback to {origin} failed", tx.transaction_id
            )
            return
        if answered >= 300:
            logger.warning(
                "sandbox %s callback to %s answered HTTP %d", shot.encoding, origin, answered
            )
        self._record(
            "callback",
            f"{shot.encoding} callback ({tx.status.value}) to {origin}: HTTP {answered}",
            tx.transaction_id,
        )

    def _record(self, kind: str, text: str, transaction_id: str = "") -> None:
        event = SandboxEvent(at=_now(), kind=kind, text=text, transaction_id=transaction_id)
        self._events.append(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                logger.exception("sandbox event listener failed")


def _check_payin_amount(amount: int, *, minimum: int) -> None:
    if not minimum <= amount <= PAYIN_MAXIMUM:
        raise Refused(Reason.AMOUNT, f"payin amount outside {minimum}..{PAYIN_MAXIMUM}")


def _origin(url: str) -> str:
    try:
        return str(URL(url).origin())
    except ValueError:
        return "an invalid URL"


def _now() -> datetime:
    return datetime.now(UTC)
