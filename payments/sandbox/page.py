"""The hosted payment page, rendered from the .html templates beside this module."""

from __future__ import annotations

import functools
import html
from importlib import resources
from string import Template

from babel.numbers import format_currency

from payments.sandbox.model import Operator, SandboxStatus, Transaction

_ROW = Template(
    "      <tr><td>$name<small>$description</small></td>"
    '<td class="num">$quantity × $unit_price</td><td class="num">$total_price</td></tr>'
)


@functools.cache
def _template(name: str) -> Template:
    return Template(resources.files("payments.sandbox").joinpath(name).read_text(encoding="utf-8"))


def format_xof(amount: int) -> str:
    """An amount as people in Burkina Faso read it: `40 000 F CFA`."""
    return str(format_currency(amount, "XOF", locale="fr_BF"))


def _layout(title: str, main: str) -> str:
    return _template("layout.html").substitute(title=html.escape(title), main=main)


def checkout_page(tx: Transaction, *, error: str = "") -> str:
    """The page of a pending hosted payin: items, total, operator choice, Pay and Cancel."""
    rows = "\n".join(
        _ROW.substitute(
            name=html.escape(item.name),
            description=html.escape(item.description),
            quantity=item.quantity,
            unit_price=html.escape(format_xof(item.unit_price)),
            total_price=html.escape(format_xof(item.total_price)),
        )
        for item in tx.items
    )
    choices: dict[str, str] = {}
    for operator in Operator:
        allowed = tx.amount >= operator.minimum
        choices[f"{operator.value}_class"] = "" if allowed else "off"
        choices[f"{operator.value}_state"] = "" if allowed else "disabled"
        choices[f"{operator.value}_note"] = (
            "" if allowed else html.escape(f"minimum {format_xof(operator.minimum)}")
        )
    main = _template("checkout.html").substitute(
        store=html.escape(tx.store_name or "Paiement"),
        description=html.escape(tx.description),
        rows=rows,
        total=html.escape(format_xof(tx.amount)),
        error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
        **choices,
    )
    return _layout(f"Paiement · {tx.store_name or 'Ligdicash'}", main)


def receipt_page(tx: Transaction) -> str:
    """The page of a hosted payin that reached a final status: what happened, and a way back."""
    if tx.status is SandboxStatus.COMPLETED:
        symbol, heading = "✓", "Paiement effectué"
        message = (
            f"Votre paiement de {format_xof(tx.amount)} a bien été reçu. "
            "Vous pouvez retourner dans l'application."
        )
        link_url = tx.return_url
    else:
        symbol, heading = "✕", "Paiement non effectué"
        message = (
            "Ce paiement a été annulé ou refusé ; aucun montant n'a été débité. "
            "Vous pouvez retourner dans l'application."
        )
        link_url = tx.cancel_url
    link = (
        f'<a class="button pay" href="{html.escape(link_url)}">Retour à la boutique</a>'
        if link_url
        else ""
    )
    main = _template("status.html").substitute(
        symbol=symbol,
        heading=html.escape(heading),
        store=html.escape(tx.store_name or "Ligdicash"),
        total=html.escape(format_xof(tx.amount)),
        message=html.escape(message),
        link=link,
    )
    return _layout(heading, main)


def missing_page() -> str:
    """The page for an unknown or expired payment link."""
    main = (
        '<div class="card"><p class="badge">Sandbox Ligdicash · aucun argent réel</p>'
        "<h1>Facture introuvable</h1>"
        '<p class="muted">Ce lien de paiement n&#x27;existe pas ou a expiré.</p></div>'
    )
    return _layout("Facture introuvable", main)
