"""What customers and admins read about a payment: the status message, the receipt, alerts."""

from __future__ import annotations

import html

from bot.i18n import Lang, Texts, money, when
from bot.reply import Button, Reply
from storage.models import Customer, Order, OrderState, Payin, PayinMethod, PayinState

TEXT = Texts(
    "payment",
    {
        "fr": {
            "waiting_link": (
                "🧾 Commande <b>{ref}</b> : {total}\n\n"
                "Touchez « Payer » pour régler sur la page sécurisée Ligdicash "
                "(Orange Money, Moov Money…). Je vous préviens ici dès que le paiement arrive."
            ),
            "waiting_orange": (
                "⏳ Paiement Orange Money de {total} en cours de validation pour la commande "
                "<b>{ref}</b>. Je vous préviens ici dès que c'est confirmé."
            ),
            "waiting_moov": (
                "📲 Nous avons demandé {total} au {phone} (Moov Money) pour la commande "
                "<b>{ref}</b>.\n\nConfirmez le paiement sur votre téléphone. Pas de message ? "
                "Composez <code>*555*6#</code> et suivez les instructions pour valider."
            ),
            "paid": "✅ Paiement reçu ! Commande <b>{ref}</b> : {total}. Merci 🙏",
            "failed": (
                "❌ Le paiement de la commande <b>{ref}</b> n'a pas abouti. Aucun montant n'a "
                "été retenu. Vous pouvez réessayer."
            ),
            "expired": (
                "⌛ Nous n'avons pas reçu de confirmation pour la commande <b>{ref}</b>. "
                "Si vous avez payé, vous recevrez la confirmation dès qu'elle arrive ; "
                "sinon, vous pouvez réessayer."
            ),
            "unknown": (
                "🔎 Nous vérifions le paiement de la commande <b>{ref}</b> avec Ligdicash. "
                "Ne payez pas une deuxième fois : vous serez prévenu ici."
            ),
            "cancelled": "Commande <b>{ref}</b> annulée.",
            "btn_pay": "💳 Payer {total}",
            "btn_check": "🔄 Vérifier le paiement",
            "btn_cancel": "✖️ Annuler la commande",
            "btn_retry": "🔁 Réessayer le paiement",
            "btn_orders": "📦 Mes commandes",
            "receipt": (
                "🧾 <b>Reçu — commande {ref}</b>\n\n{lines}\n\n<b>Total : {total}</b>\n"
                "Payé via {method}\nRéférence Ligdicash : <code>{request_id}</code>\nLe {date}"
            ),
            "receipt_line": "• {quantity} × {name} — {subtotal}",
            "method_link": "lien de paiement Ligdicash",
            "method_orange_otp": "Orange Money",
            "method_moov_approval": "Moov Money",
            "admin_paid": (
                "💰 Commande <b>{ref}</b> payée : {total} via {method}\n"
                "Client : {customer} (id {customer_id})\n{lines}"
            ),
            "admin_flags": "⚠️ À vérifier : {flags}",
            "admin_unknown": (
                "⚠️ Paiement <code>{transaction_id}</code> (commande <b>{ref}</b>, {total}) : "
                "issue inconnue. {detail}\nVérifiez-le dans le tableau de bord Ligdicash."
            ),
            "check_too_soon": "Patientez quelques secondes avant de vérifier à nouveau.",
            "still_pending": "Toujours en attente de confirmation…",
            "check_failed": "Ligdicash ne répond pas pour l'instant ; je réessaie automatiquement.",
        },
        "en": {
            "waiting_link": (
                "🧾 Order <b>{ref}</b>: {total}\n\n"
                "Tap “Pay” to pay on Ligdicash's secure page (Orange Money, Moov Money…). "
                "I will tell you here as soon as the payment arrives."
            ),
            "waiting_orange": (
                "⏳ Orange Money payment of {total} is being validated for order <b>{ref}</b>. "
                "I will tell you here as soon as it is confirmed."
            ),
            "waiting_moov": (
                "📲 We asked {phone} (Moov Money) for {total} for order <b>{ref}</b>.\n\n"
                "Confirm the payment on your phone. No message? Dial <code>*555*6#</code> and "
                "follow the instructions to approve it."
            ),
            "paid": "✅ Payment received! Order <b>{ref}</b>: {total}. Thank you 🙏",
            "failed": (
                "❌ The payment for order <b>{ref}</b> did not go through. No money was taken. "
                "You can try again."
            ),
            "expired": (
                "⌛ We got no confirmation for order <b>{ref}</b>. If you paid, you will get "
                "the confirmation as soon as it arrives; otherwise you can try again."
            ),
            "unknown": (
                "🔎 We are checking the payment for order <b>{ref}</b> with Ligdicash. "
                "Please do not pay twice: you will be told here."
            ),
            "cancelled": "Order <b>{ref}</b> cancelled.",
            "btn_pay": "💳 Pay {total}",
            "btn_check": "🔄 Check payment",
            "btn_cancel": "✖️ Cancel order",
            "btn_retry": "🔁 Try again",
            "btn_orders": "📦 My orders",
            "receipt": (
                "🧾 <b>Receipt — order {ref}</b>\n\n{lines}\n\n<b>Total: {total}</b>\n"
                "Paid with {method}\nLigdicash reference: <code>{request_id}</code>\n{date}"
            ),
            "receipt_line": "• {quantity} × {name} — {subtotal}",
            "method_link": "Ligdicash payment link",
            "method_orange_otp": "Orange Money",
            "method_moov_approval": "Moov Money",
            "admin_paid": (
                "💰 Order <b>{ref}</b> paid: {total} with {method}\n"
                "Customer: {customer} (id {customer_id})\n{lines}"
            ),
            "admin_flags": "⚠️ To check: {flags}",
            "admin_unknown": (
                "⚠️ Payment <code>{transaction_id}</code> (order <b>{ref}</b>, {total}): "
                "outcome unknown. {detail}\nCheck it in the Ligdicash dashboard."
            ),
            "check_too_soon": "Please wait a few seconds before checking again.",
            "still_pending": "Still waiting for confirmation…",
            "check_failed": "Ligdicash is not answering right now; I will keep checking.",
        },
    },
)


REFUSALS = Texts(
    "payin_refusals",
    {
        "fr": {
            "below_operator_minimum": "Avec cet opérateur, le montant minimum est {limit}.",
            "above_operator_maximum": "Avec cet opérateur, le montant maximum est {limit}.",
            "too_many_open": (
                "Vous avez déjà {count} paiements en cours. Terminez-les ou annulez-les dans "
                "« Mes commandes » avant d'en commencer un autre."
            ),
            "rate_limited": "Trop de tentatives de paiement. Réessayez dans quelques minutes 🙂",
            "order_not_payable": "Cette commande ne peut plus être payée.",
            "not_found": "Commande introuvable.",
            "unreachable": "Le service de paiement ne répond pas. Réessayez dans un instant.",
            "refused": "Le paiement a été refusé. Essayez un autre moyen de paiement.",
            "merchant_setup": (
                "⚠️ Ligdicash refuse la configuration du marchand ({detail}). Vérifiez les clés, "
                "l'adresse IP autorisée et le solde dans le tableau de bord Ligdicash."
            ),
        },
        "en": {
            "below_operator_minimum": "With this operator, the minimum amount is {limit}.",
            "above_operator_maximum": "With this operator, the maximum amount is {limit}.",
            "too_many_open": (
                "You already have {count} payments under way. Finish or cancel them in "
                "“My orders” before starting another."
            ),
            "rate_limited": "Too many payment attempts. Please try again in a few minutes 🙂",
            "order_not_payable": "This order can no longer be paid.",
            "not_found": "Order not found.",
            "unreachable": "The payment service is not answering. Please try again shortly.",
            "refused": "The payment was refused. Try another payment method.",
            "merchant_setup": (
                "⚠️ Ligdicash refuses the merchant's setup ({detail}). Check the keys, the "
                "allowed IP address and the balance in the Ligdicash dashboard."
            ),
        },
    },
)

CHECK = "pay:check:"
CANCEL = "pay:cancel:"
RETRY = "pay:retry:"


def method_name(lang: Lang, method: PayinMethod) -> str:
    """The payment method as customers call it."""
    return TEXT(lang, f"method_{method.value}")


def status(lang: Lang, order: Order, payin: Payin, phone_shown: str = "") -> Reply:
    """The one status message kept up to date while a payin is open, and after."""
    values = {"ref": order.reference, "total": money(payin.amount, lang), "phone": phone_shown}
    check = Button(TEXT(lang, "btn_check"), data=CHECK + payin.transaction_id)
    cancel = Button(TEXT(lang, "btn_cancel"), data=CANCEL + order.reference)
    retry = Button(TEXT(lang, "btn_retry"), data=RETRY + order.reference)
    if payin.state is PayinState.COMPLETED:
        return Reply(TEXT(lang, "paid", **values))
    if payin.state in (PayinState.FAILED, PayinState.EXPIRED):
        key = "failed" if payin.state is PayinState.FAILED else "expired"
        payable = order.state is OrderState.AWAITING_PAYMENT
        buttons = ((retry,), (cancel,)) if payable else ()
        return Reply(TEXT(lang, key, **values), buttons)
    if payin.state is PayinState.UNKNOWN:
        return Reply(TEXT(lang, "unknown", **values), ((check,),))
    key = f"waiting_{payin.method.value.split('_')[0]}"
    rows: list[tuple[Button, ...]] = []
    if payin.method is PayinMethod.LINK and payin.payment_url:
        rows.append((Button(TEXT(lang, "btn_pay", **values), url=payin.payment_url),))
    rows += [(check,), (cancel,)]
    return Reply(TEXT(lang, key, **values), tuple(rows))


def lines_text(lang: Lang, order: Order) -> str:
    """The order's lines, one per row."""
    return "\n".join(
        TEXT(
            lang,
            "receipt_line",
            quantity=line.quantity,
            name=html.escape(line.name),
            subtotal=money(line.subtotal, lang),
        )
        for line in order.lines
    )


def receipt(lang: Lang, order: Order, payin: Payin) -> Reply:
    """The receipt sent once an order is paid."""
    return Reply(
        TEXT(
            lang,
            "receipt",
            ref=order.reference,
            lines=lines_text(lang, order),
            total=money(payin.amount, lang),
            method=html.escape(payin.operator or method_name(lang, payin.method)),
            request_id=html.escape(payin.request_id or payin.transaction_id[:12]),
            date=when(payin.completed_at or payin.updated_at, lang),
        ),
        ((Button(TEXT(lang, "btn_orders"), data="shop:orders"),),),
    )


def admin_paid(lang: Lang, order: Order, payin: Payin, customer: Customer | None) -> Reply:
    """The alert admins get for each paid order."""
    text = TEXT(
        lang,
        "admin_paid",
        ref=order.reference,
        total=money(payin.amount, lang),
        method=html.escape(payin.operator or method_name(lang, payin.method)),
        customer=html.escape(customer.display_name if customer else "?"),
        customer_id=order.customer_id,
        lines=lines_text(lang, order),
    )
    if order.flags:
        flags = ", ".join(sorted(flag.value for flag in order.flags))
        text += "\n" + TEXT(lang, "admin_flags", flags=flags)
    return Reply(text)


def admin_unknown(lang: Lang, order: Order, payin: Payin, detail: str) -> Reply:
    """The alert admins get when a payin's outcome cannot be told."""
    return Reply(
        TEXT(
            lang,
            "admin_unknown",
            transaction_id=payin.transaction_id,
            ref=order.reference,
            total=money(payin.amount, lang),
            detail=html.escape(detail),
        )
    )
