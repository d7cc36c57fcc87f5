"""The sandbox's aiohttp application: Ligdicash's API, the payment page, and /_sandbox control."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from aiohttp import web

from payments.sandbox import page, wire
from payments.sandbox.faults import GARBAGE_BODY
from payments.sandbox.model import Endpoint, Kind, Operator, SandboxStatus, Transaction
from payments.sandbox.wire import Reason, Refused

if TYPE_CHECKING:
    from payments.sandbox.simulator import Sandbox

SANDBOX_KEY: web.AppKey[Sandbox] = web.AppKey("ligdicash_sandbox")
API_ROOT = "/pay/v01/"
MAX_BODY = 1024 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'",
}
MOOV_PROMPT = "Confirmez le paiement sur votre téléphone Moov Money (*555*6#)."


def build_app(sandbox: Sandbox) -> web.Application:
    """The application serving `sandbox`; shutting it down closes the sandbox."""
    app = web.Application(client_max_size=MAX_BODY)
    app[SANDBOX_KEY] = sandbox
    api = app.router
    api.add_post(API_ROOT + "redirect/checkout-invoice/create", hosted_payin)
    api.add_post(API_ROOT + "straight/checkout-invoice/create", direct_payin)
    api.add_post(API_ROOT + "withdrawal/create", client_payout)
    api.add_post(API_ROOT + "straight/payout", merchant_payout)
    for path in ("redirect/checkout-invoice/confirm/", "redirect/checkout-invoice/confirm"):
        api.add_get(API_ROOT + path, payin_confirm)
    for path in (
        "withdrawal/confirm/",
        "withdrawal/confirm",
        "straight/payout/confirm/",
        "straight/payout/confirm",
    ):
        api.add_get(API_ROOT + path, payout_confirm)
    api.add_get("/checkout/{page_id}", checkout_page)
    api.add_post("/checkout/{page_id}", checkout_submit)
    api.add_get("/_sandbox", control_overview)
    api.add_get("/_sandbox/faults", control_faults)
    api.add_post("/_sandbox/faults", control_update_faults)
    api.add_delete("/_sandbox/faults", control_clear_faults)
    api.add_get("/_sandbox/counts", control_counts)
    api.add_delete("/_sandbox/counts", control_reset_counts)
    api.add_get("/_sandbox/transactions", control_transactions)
    api.add_post("/_sandbox/pay", control_pay)
    api.add_post("/_sandbox/cancel", control_cancel)
    api.add_post("/_sandbox/settle", control_settle)
    api.add_put("/_sandbox/balance", control_balance)
    api.add_get("/_sandbox/events", control_events)
    app.on_shutdown.append(_close)
    app.on_cleanup.append(_close)
    return app


async def _close(app: web.Application) -> None:
    await app[SANDBOX_KEY].aclose()


def _front(endpoint: Endpoint, *, api: bool = True) -> Callable[[Handler], Handler]:
    """Count the request, apply the endpoint's faults, check credentials, then add latency."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            sandbox = request.app[SANDBOX_KEY]
            sandbox.count(endpoint, f"{request.method} {request.path}")
            faults = sandbox.faults
            if endpoint in faults.hang:
                await sandbox.hold(sandbox.config.hang_seconds)
                return _raw(504, "<html>504 Gateway Time-out</html>")
            if endpoint in faults.fail:
                return _raw(500, "<html>500 Internal Server Error</html>")
            garbage_status = faults.garbage.get(endpoint)
            if garbage_status is not None:
                return _raw(garbage_status, GARBAGE_BODY)
            if api and not _authorized(request):
                refused = Refused(Reason.AUTH, "bad credentials")
                response: web.StreamResponse = web.json_response(
                    wire.refusal(endpoint, refused, {})
                )
            else:
                response = await handler(request)
            await sandbox.hold(faults.latency.get(endpoint, 0.0))
            return response

        return guarded

    return wrap


def _authorized(request: web.Request) -> bool:
    return request.app[SANDBOX_KEY].authorized(
        request.headers.get("Apikey"), request.headers.get("Authorization")
    )


def _raw(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/html")


def _root(request: web.Request) -> str:
    """The sandbox's public root: configured, or this request's origin and mount prefix."""
    configured = request.app[SANDBOX_KEY].config.public_url
    if configured:
        return configured.rstrip("/")
    path = request.path
    return str(request.url.origin()) + path[: path.find(API_ROOT)]


async def _read_body(request: web.Request) -> object:
    return wire.decode_body(await request.read())


def _refused(endpoint: Endpoint, refused: Refused, body: object) -> web.Response:
    return web.json_response(wire.refusal(endpoint, refused, wire.echo_custom_data(body)))


@_front(Endpoint.HOSTED_PAYIN)
async def hosted_payin(request: web.Request) -> web.StreamResponse:
    """POST redirect/checkout-invoice/create: answer the token and the payment page's URL."""
    sandbox = request.app[SANDBOX_KEY]
    body: object = None
    try:
        body = await _read_body(request)
        tx = sandbox.open_hosted_payin(wire.parse_payin(body, direct=False), _root(request))
    except Refused as refused:
        return _refused(Endpoint.HOSTED_PAYIN, refused, body)
    return web.json_response(
        wire.accepted(Endpoint.HOSTED_PAYIN, tx, tx.payment_url, wire.echo_custom_data(body))
    )


@_front(Endpoint.DIRECT_PAYIN)
async def direct_payin(request: web.Request) -> web.StreamResponse:
    """POST straight/checkout-invoice/create: Orange with an OTP, Moov by approval."""
    sandbox = request.app[SANDBOX_KEY]
    body: object = None
    try:
        body = await _read_body(request)
        tx = sandbox.open_direct_payin(wire.parse_payin(body, direct=True))
    except Refused as refused:
        return _refused(Endpoint.DIRECT_PAYIN, refused, body)
    text = "" if tx.otp_flow else MOOV_PROMPT
    return web.json_response(
        wire.accepted(Endpoint.DIRECT_PAYIN, tx, text, wire.echo_custom_data(body))
    )


async def _payout(request: web.Request, endpoint: Endpoint, kind: Kind) -> web.StreamResponse:
    sandbox = request.app[SANDBOX_KEY]
    body: object = None
    try:
        body = await _read_body(request)
        payout = wire.parse_payout(body, client=kind is Kind.CLIENT_PAYOUT)
        tx, hangs = sandbox.open_payout(kind, payout)
    except Refused as refused:
        return _refused(endpoint, refused, body)
    if hangs:
        # Recorded and moving on, but the answer is late: a timeout here is truly ambiguous.
        await sandbox.hold(sandbox.config.hang_seconds)
    return web.json_response(wire.accepted(endpoint, tx, "", wire.echo_custom_data(body)))


@_front(Endpoint.CLIENT_PAYOUT)
async def client_payout(request: web.Request) -> web.StreamResponse:
    """POST withdrawal/create: a payout through the customer's Ligdicash wallet."""
    return await _payout(request, Endpoint.CLIENT_PAYOUT, Kind.CLIENT_PAYOUT)


@_front(Endpoint.MERCHANT_PAYOUT)
async def merchant_payout(request: web.Request) -> web.StreamResponse:
    """POST straight/payout: a payout straight to the customer's mobile money."""
    return await _payout(request, Endpoint.MERCHANT_PAYOUT, Kind.MERCHANT_PAYOUT)


def _confirm(request: web.Request, endpoint: Endpoint, names: tuple[str, ...]) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    token = next((request.query[name] for name in names if request.query.get(name)), "").strip()
    try:
        if not token:
            raise wire.bad_input(f"{names[0]} is missing")
        tx = sandbox.confirmable(token, payout=endpoint is Endpoint.PAYOUT_CONFIRM)
    except Refused as refused:
        return _refused(endpoint, refused, None)
    nocompleted = sandbox.faults.nocompleted_spelling
    return web.json_response(wire.confirmation(endpoint, tx, nocompleted=nocompleted))


@_front(Endpoint.PAYIN_CONFIRM)
async def payin_confirm(request: web.Request) -> web.StreamResponse:
    """GET redirect/checkout-invoice/confirm/?invoiceToken=: a payin's status."""
    return _confirm(request, Endpoint.PAYIN_CONFIRM, ("invoiceToken",))


@_front(Endpoint.PAYOUT_CONFIRM)
async def payout_confirm(request: web.Request) -> web.StreamResponse:
    """GET withdrawal/confirm/?withdrawalToken= (or straight/payout/confirm/?payoutToken=)."""
    return _confirm(request, Endpoint.PAYOUT_CONFIRM, ("withdrawalToken", "payoutToken"))


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8", headers=_PAGE_HEADERS
    )


@_front(Endpoint.CHECKOUT_PAGE, api=False)
async def checkout_page(request: web.Request) -> web.StreamResponse:
    """GET checkout/{page_id}: the hosted payment page, or the outcome once final."""
    tx = request.app[SANDBOX_KEY].page_transaction(request.match_info["page_id"])
    if tx is None:
        return _html(page.missing_page(), status=404)
    if tx.status.is_final:
        return _html(page.receipt_page(tx))
    return _html(page.checkout_page(tx))


@_front(Endpoint.CHECKOUT_PAGE, api=False)
async def checkout_submit(request: web.Request) -> web.StreamResponse:
    """POST checkout/{page_id}: pay with the chosen operator or cancel, then go back (303)."""
    sandbox = request.app[SANDBOX_KEY]
    tx = sandbox.page_transaction(request.match_info["page_id"])
    if tx is None:
        return _html(page.missing_page(), status=404)
    form = await request.post()
    action = form.get("action")
    if not tx.status.is_final:
        if action == "cancel":
            await sandbox.cancel(tx.token)
        elif action == "pay":
            chosen = _operator(form.get("operator"))
            if chosen is None:
                error = "Choisissez Orange Money ou Moov Money."
                return _html(page.checkout_page(tx, error=error), status=400)
            if tx.amount < chosen.minimum:
                minimum = page.format_xof(chosen.minimum)
                error = f"{chosen.label} accepte les paiements à partir de {minimum}."
                return _html(page.checkout_page(tx, error=error), status=400)
            await sandbox.pay(tx.token, chosen)
        else:
            return _html(page.checkout_page(tx, error="Action inconnue."), status=400)
    final = sandbox.transaction(tx.token) or tx
    target = final.return_url if final.status is SandboxStatus.COMPLETED else final.cancel_url
    if target:
        return web.Response(status=303, headers={"Location": target, "Cache-Control": "no-store"})
    return _html(page.receipt_page(final))


def _operator(value: object) -> Operator | None:
    try:
        return Operator(value) if isinstance(value, str) else None
    except ValueError:
        return None


# Control API under /_sandbox: the same switches as the Python API, as JSON over HTTP.


def _control(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        if not _authorized(request):
            return web.json_response(
                {"error": "send the sandbox's Apikey and Authorization: Bearer headers"},
                status=401,
            )
        try:
            return await handler(request)
        except (ValueError, KeyError) as exc:
            status = 404 if isinstance(exc, KeyError) else 400
            return web.json_response({"error": str(exc.args[0]) if exc.args else ""}, status=status)

    return guarded


async def _json_object(request: web.Request) -> Mapping[str, object]:
    try:
        body = json.loads(await request.read())
    except (ValueError, RecursionError):
        raise ValueError("the body must be a JSON object") from None
    if not isinstance(body, Mapping):
        raise ValueError("the body must be a JSON object")
    return body


def _field(body: Mapping[str, object], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value


def transaction_json(tx: Transaction) -> dict[str, object]:
    """A transaction as the control API shows it."""
    return {
        "token": tx.token,
        "kind": tx.kind.value,
        "status": tx.status.value,
        "amount": tx.amount,
        "customer": tx.customer,
        "operator": tx.operator.value if tx.operator else None,
        "transaction_id": tx.transaction_id,
        "request_id": tx.request_id,
        "payment_url": tx.payment_url,
        "callback_url": tx.callback_url,
        "created_at": tx.created_at.isoformat(),
        "updated_at": tx.updated_at.isoformat(),
    }


def _counts_json(sandbox: Sandbox) -> dict[str, int]:
    return {endpoint.value: count for endpoint, count in sandbox.request_counts().items()}


@_control
async def control_overview(request: web.Request) -> web.StreamResponse:
    """GET /_sandbox: balance, counters, faults and the number of transactions."""
    sandbox = request.app[SANDBOX_KEY]
    return web.json_response(
        {
            "balance": sandbox.balance,
            "counts": _counts_json(sandbox),
            "faults": sandbox.faults.to_json(),
            "transactions": len(sandbox.transactions()),
        }
    )


@_control
async def control_faults(request: web.Request) -> web.StreamResponse:
    """GET /_sandbox/faults: the current switches."""
    return web.json_response(request.app[SANDBOX_KEY].faults.to_json())


@_control
async def control_update_faults(request: web.Request) -> web.StreamResponse:
    """POST /_sandbox/faults: replace the switches named in the JSON body."""
    faults = request.app[SANDBOX_KEY].faults
    faults.update(await _json_object(request))
    return web.json_response(faults.to_json())


@_control
async def control_clear_faults(request: web.Request) -> web.StreamResponse:
    """DELETE /_sandbox/faults: switch every fault off."""
    faults = request.app[SANDBOX_KEY].faults
    faults.clear()
    return web.json_response(faults.to_json())


@_control
async def control_counts(request: web.Request) -> web.StreamResponse:
    """GET /_sandbox/counts: requests received per endpoint."""
    return web.json_response(_counts_json(request.app[SANDBOX_KEY]))


@_control
async def control_reset_counts(request: web.Request) -> web.StreamResponse:
    """DELETE /_sandbox/counts: count from zero again."""
    sandbox = request.app[SANDBOX_KEY]
    sandbox.reset_counts()
    return web.json_response(_counts_json(sandbox))


@_control
async def control_transactions(request: web.Request) -> web.StreamResponse:
    """GET /_sandbox/transactions: every transaction, oldest first."""
    return web.json_response(
        [transaction_json(tx) for tx in request.app[SANDBOX_KEY].transactions()]
    )


async def _after(sandbox: Sandbox, token: str, changed: bool) -> web.Response:
    tx = sandbox.transaction(token)
    if tx is None:
        raise KeyError("unknown sandbox token")
    return web.json_response({"changed": changed, "transaction": transaction_json(tx)})


@_control
async def control_pay(request: web.Request) -> web.StreamResponse:
    """POST /_sandbox/pay {token, operator}: pay a pending payin."""
    sandbox = request.app[SANDBOX_KEY]
    body = await _json_object(request)
    token = _field(body, "token")
    operator = body.get("operator", Operator.ORANGE.value)
    if not isinstance(operator, str):
        raise ValueError("operator must be orange or moov")
    changed = await sandbox.pay(token, operator)
    return await _after(sandbox, token, changed)


@_control
async def control_cancel(request: web.Request) -> web.StreamResponse:
    """POST /_sandbox/cancel {token}: cancel a pending payin."""
    sandbox = request.app[SANDBOX_KEY]
    token = _field(await _json_object(request), "token")
    return await _after(sandbox, token, await sandbox.cancel(token))


@_control
async def control_settle(request: web.Request) -> web.StreamResponse:
    """POST /_sandbox/settle {token, status}: force a final status."""
    sandbox = request.app[SANDBOX_KEY]
    body = await _json_object(request)
    token = _field(body, "token")
    changed = await sandbox.settle(token, _field(body, "status"))
    return await _after(sandbox, token, changed)


@_control
async def control_balance(request: web.Request) -> web.StreamResponse:
    """PUT /_sandbox/balance {balance}: set the merchant's balance."""
    sandbox = request.app[SANDBOX_KEY]
    amount = (await _json_object(request)).get("balance")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError("balance must be an integer")
    sandbox.set_balance(amount)
    return web.json_response({"balance": sandbox.balance})


@_control
async def control_events(request: web.Request) -> web.StreamResponse:
    """GET /_sandbox/events: the most recent events, oldest first."""
    return web.json_response(
        [
            {
                "at": event.at.isoformat(),
                "kind": event.kind,
                "text": event.text,
                "transaction_id": event.transaction_id,
            }
            for event in request.app[SANDBOX_KEY].events()
        ]
    )
