"""What admins and customers read about refunds and payouts: reviews, outcomes, alerts."""

from __future__ import annotations

import html
from typing import Final

from bot.i18n import Lang, Texts, money, when
from bot.reply import Button, Reply, rows
from payments.errors import Reason
from payments.phone import Phone
from storage.models import Order, Payout, PayoutKind, PayoutState

TEXT = Texts(
    "refunds",
    {
        "fr": {
            "usage_refund": (
                "Utilisation : <code>/refund LB-XXXXXX [montant] [motif]</code>\n"
                "Sans montant, tout ce qui peut encore être remboursé l'est."
            ),
            "usage_payout": (
                "Utilisation : <code>/payout NUMÉRO MONTANT MOTIF</code>, par exemple "
                "<code>/payout 70123456 5000 gain du concours</code> (le numéro sans espaces)."
            ),
            "order_not_found": "Aucune commande {ref}.",
            "not_refundable": (
                "La commande <b>{ref}</b> n'a pas été payée : il n'y a rien à rembourser."
            ),
            "bad_amount": (
                "« {amount} » n'est pas un montant : écrivez un nombre entier de F CFA "
                "supérieur à zéro, par exemple 5000."
            ),
            "below_minimum": "Ligdicash verse au moins {limit} par paiement sortant.",
            "above_maximum": "Ligdicash verse au plus {limit} par paiement sortant.",
            "exceeds_paid": (
                "Un remboursement ne dépasse jamais ce qui a été payé : au plus {limit} peut "
                "encore être remboursé pour la commande <b>{ref}</b> (payé {paid}, remboursé ou "
                "en cours {reserved})."
            ),
            "nothing_left": (
                "Il ne reste rien à rembourser pour la commande <b>{ref}</b> (payé {paid}, "
                "remboursé ou en cours {reserved})."
            ),
            "active_refund": (
                "Un remboursement de la commande <b>{ref}</b> est déjà en cours ({amount}, "
                "{state}). Attendez son issue avant d'en demander un autre."
            ),
            "active_intent": (
                "Un remboursement de la commande <b>{ref}</b> est déjà préparé (par l'admin "
                "{admin}) : confirmez-le ou annulez-le ci-dessous."
            ),
            "operator_not_supported": (
                "Le paiement mobile money ne va qu'aux numéros Orange ou Moov ; {phone} est "
                "{operator} : le portefeuille Ligdicash est proposé à la place."
            ),
            "mobile_money_impossible": "Pas de mobile money vers un numéro {operator}.",
            "not_a_phone": "« {typed} » n'est pas un numéro mobile du Burkina Faso ({why}).",
            "default_reason": "remboursement de la commande {ref}",
            "bad_number": (
                "Ce n'est pas un numéro mobile du Burkina Faso ({why}). Tapez-le à nouveau "
                "(par exemple 70 12 34 56) ou /cancel."
            ),
            "why_not_a_number": "numéro invalide",
            "why_not_burkina": "pas un numéro du Burkina Faso",
            "why_not_mobile": "pas un numéro mobile",
            "ask_number": (
                "Remboursement de {amount} pour la commande <b>{ref}</b>.\n"
                "Le numéro qui a payé n'est pas connu (paiement par lien). Tapez le numéro "
                "à qui l'envoyer (par exemple 70 12 34 56), ou /cancel."
            ),
            "ask_other_number": (
                "Tapez le numéro à qui envoyer {amount} (par exemple 70 12 34 56), ou /cancel."
            ),
            "typing_cancelled": "Annulé : rien n'a été envoyé.",
            "review_refund": (
                "💸 <b>Remboursement de la commande {ref}</b>\n"
                "Montant : <b>{amount}</b> (payé {paid}, déjà remboursé ou en cours {reserved})\n"
                "{target}\nMotif : {reason}\n\n"
                "Vérifiez le montant et le numéro : confirmer envoie l'argent tout de suite, "
                "sans retour possible."
            ),
            "review_payout": (
                "💸 <b>Paiement manuel</b>\n"
                "Montant : <b>{amount}</b>\n"
                "{target}\nMotif : {reason}\n\n"
                "Vérifiez le montant et le numéro : confirmer envoie l'argent tout de suite, "
                "sans retour possible."
            ),
            "target": "Vers : <b>{phone}</b> ({operator})\nPar : {way}",
            "way_merchant": "mobile money (Ligdicash straight/payout)",
            "way_client": "portefeuille Ligdicash du client (withdrawal/create)",
            "operator_orange": "Orange Money",
            "operator_moov": "Moov Money",
            "operator_telecel": "Telecel",
            "operator_none": "opérateur inconnu",
            "btn_confirm": "✅ Envoyer {amount}",
            "btn_to_wallet": "👛 Vers le portefeuille Ligdicash",
            "btn_to_mobile": "📱 Par mobile money",
            "btn_other_number": "✏️ Un autre numéro",
            "btn_cancel": "✖️ Annuler",
            "sending": "⏳ Envoi de {amount} au {phone}… Ne le redemandez pas.",
            "intent_cancelled": "Annulé : rien n'a été envoyé ({amount} au {phone}).",
            "intent_expired": (
                "Cette confirmation avait plus de {minutes} minutes : elle est annulée et rien "
                "n'a été envoyé. Recommencez avec /refund ou /payout."
            ),
            "already_handled": (
                "Ce paiement sortant est déjà {state} : rien de plus n'a été envoyé."
            ),
            "what_refund": "remboursement de la commande <b>{ref}</b>",
            "what_payout": "paiement manuel ({reason})",
            "outcome_pending": (
                "📤 Envoyé à Ligdicash : {what}, {amount} au {phone} par {way}. "
                "En attente de l'issue.\nId : <code>{tx}</code>"
            ),
            "outcome_completed": (
                "✅ Paiement sortant effectué : {what}, {amount} au {phone}.\n"
                "Référence Ligdicash : <code>{request_id}</code>"
            ),
            "outcome_failed": (
                "❌ Paiement sortant échoué : {what}, {amount} au {phone}.\n{detail}\n"
                "Aucun argent n'est sorti.{retry}"
            ),
            "retry_refund": " Vous pouvez redemander le remboursement.",
            "outcome_unknown": (
                "⚠️ <b>Issue INCONNUE</b> : {what}, {amount} au {phone} par {way}, demandé le "
                "{at}.\n{detail}\n"
                "L'argent est peut-être parti, peut-être pas : le bot ne le renverra PAS.\n"
                "À vérifier dans le tableau de bord Ligdicash (paiements sortants / transferts) : "
                "un envoi de {amount} au numéro finissant par {last_digits} vers le {at} "
                "(notre id <code>{tx}</code>). Trouvé et effectué → « Il a été versé ». "
                "Absent → « Il n'a pas été versé » (le remboursement pourra alors être redemandé)."
            ),
            "outcome_cancelled": "Annulé : {what}, {amount} au {phone}. Rien n'a été envoyé.",
            "callback_unverified": (
                "ℹ️ Le rappel de Ligdicash dit que le paiement sortant <code>{tx}</code> "
                "({amount} au {phone}) est « {status} », mais le bot ne peut pas le vérifier "
                "(Ligdicash n'a pas renvoyé de jeton). Vérifiez dans le tableau de bord, puis "
                "réglez-le avec les boutons."
            ),
            "flagged": (
                "⏰ Le paiement sortant <code>{tx}</code> ({what}, {amount}) est toujours en "
                "attente après {count} vérifications. Un paiement sortant peut prendre des "
                "jours : le bot continue de vérifier toutes les heures. Regardez-le dans le "
                "tableau de bord Ligdicash s'il dure."
            ),
            "setup_authentication": (
                "🔑 Ligdicash refuse nos identifiants ({detail}) : vérifiez LIGDICASH_API_KEY et "
                "LIGDICASH_API_TOKEN dans les réglages du bot, et que le projet est activé."
            ),
            "setup_ip": (
                "🌐 Ligdicash refuse l'adresse IP de ce serveur ({detail}) : demandez à Ligdicash "
                "d'autoriser (whitelist) l'IP publique du serveur pour les paiements sortants."
            ),
            "setup_balance": (
                "💰 Le solde marchand Ligdicash est trop bas pour verser {amount} ({detail}) : "
                "rechargez le solde de l'opérateur dans le tableau de bord, puis redemandez."
            ),
            "setup_other": (
                "⚙️ Ligdicash refuse la configuration du marchand ({detail}) : contactez le "
                "support Ligdicash pour activer les paiements sortants de ce projet et opérateur."
            ),
            "btn_check": "🔄 Vérifier auprès de Ligdicash",
            "btn_mark_completed": "✅ Il a été versé",
            "btn_mark_failed": "❌ Il n'a pas été versé",
            "mark_ask_completed": (
                "Marquer le paiement sortant <code>{tx}</code> ({amount} au {phone}) comme "
                "VERSÉ ? Faites-le seulement après l'avoir vu effectué dans le tableau de bord "
                "Ligdicash."
            ),
            "mark_ask_failed": (
                "Marquer le paiement sortant <code>{tx}</code> ({amount} au {phone}) comme NON "
                "versé ? Faites-le seulement si le tableau de bord Ligdicash ne le montre pas : "
                "le montant redevient remboursable, et un nouveau remboursement paierait deux "
                "fois si l'argent était parti."
            ),
            "btn_yes_completed": "Oui, il a été versé",
            "btn_yes_failed": "Oui, il n'a pas été versé",
            "btn_keep": "✖️ Ne rien changer",
            "mark_done": "Le paiement sortant <code>{tx}</code> est maintenant {state}.",
            "mark_refused": (
                "Le paiement sortant <code>{tx}</code> est {state} : rien n'a été changé."
            ),
            "kept": "Rien n'a été changé.",
            "check_result": "Paiement sortant : {state}.",
            "check_no_token": (
                "Ligdicash n'a pas donné de jeton pour ce paiement sortant : seul le tableau de "
                "bord peut le dire."
            ),
            "check_unreachable": "Ligdicash ne répond pas ; réessayez plus tard.",
            "not_found": "Paiement sortant introuvable.",
            "state_intent": "préparé",
            "state_sending": "en cours d'envoi",
            "state_pending": "envoyé, en attente de Ligdicash",
            "state_completed": "versé",
            "state_failed": "échoué",
            "state_unknown": "d'issue INCONNUE (à vérifier)",
            "state_cancelled": "annulé",
            "customer_sent": (
                "💸 Votre remboursement de {amount} pour la commande <b>{ref}</b> a été envoyé "
                "au {phone} ({way}). Je vous préviens ici dès qu'il arrive."
            ),
            "customer_completed": (
                "✅ Votre remboursement de {amount} pour la commande <b>{ref}</b> est arrivé "
                "au {phone} ({way}). Référence Ligdicash : <code>{request_id}</code>"
            ),
            "customer_failed": (
                "Votre remboursement de {amount} pour la commande <b>{ref}</b> n'a pas pu "
                "aboutir. Aucun argent n'a été retiré ; la boutique va vous le renvoyer."
            ),
            "customer_way_merchant": "Mobile Money",
            "customer_way_client": "votre portefeuille Ligdicash",
        },
        "en": {
            "usage_refund": (
                "Usage: <code>/refund LB-XXXXXX [amount] [reason]</code>\n"
                "Without an amount, everything that can still be refunded is refunded."
            ),
            "usage_payout": (
                "Usage: <code>/payout NUMBER AMOUNT REASON</code>, for example "
                "<code>/payout 70123456 5000 contest prize</code> (the number without spaces)."
            ),
            "order_not_found": "No order {ref}.",
            "not_refundable": "Order <b>{ref}</b> has not been paid: there is nothing to refund.",
            "bad_amount": (
                "“{amount}” is not an amount: write a whole number of F CFA above zero, "
                "for example 5000."
            ),
            "below_minimum": "Ligdicash pays out at least {limit} per payout.",
            "above_maximum": "Ligdicash pays out at most {limit} per payout.",
            "exceeds_paid": (
                "A refund never exceeds what was paid: at most {limit} can still be refunded "
                "for order <b>{ref}</b> (paid {paid}, refunded or under way {reserved})."
            ),
            "nothing_left": (
                "Order <b>{ref}</b> has nothing left to refund (paid {paid}, refunded or under "
                "way {reserved})."
            ),
            "active_refund": (
                "A refund of order <b>{ref}</b> is already under way ({amount}, {state}). "
                "Wait for its outcome before asking another."
            ),
            "active_intent": (
                "A refund of order <b>{ref}</b> is already prepared (by admin {admin}): "
                "confirm or cancel it below."
            ),
            "operator_not_supported": (
                "Mobile money payouts go to Orange or Moov numbers only; {phone} is {operator}: "
                "the Ligdicash wallet is proposed instead."
            ),
            "mobile_money_impossible": "No mobile money to a {operator} number.",
            "not_a_phone": "“{typed}” is not a Burkina Faso mobile number ({why}).",
            "default_reason": "refund of order {ref}",
            "bad_number": (
                "This is not a Burkina Faso mobile number ({why}). Type it again "
                "(for example 70 12 34 56) or /cancel."
            ),
            "why_not_a_number": "not a valid number",
            "why_not_burkina": "not a Burkina Faso number",
            "why_not_mobile": "not a mobile number",
            "ask_number": (
                "Refund of {amount} for order <b>{ref}</b>.\n"
                "The number that paid is not known (paid by link). Type the number to send it "
                "to (for example 70 12 34 56), or /cancel."
            ),
            "ask_other_number": (
                "Type the number to send {amount} to (for example 70 12 34 56), or /cancel."
            ),
            "typing_cancelled": "Cancelled: nothing was sent.",
            "review_refund": (
                "💸 <b>Refund of order {ref}</b>\n"
                "Amount: <b>{amount}</b> (paid {paid}, already refunded or under way "
                "{reserved})\n"
                "{target}\nReason: {reason}\n\n"
                "Check the amount and the number: confirming sends the money at once and "
                "cannot be undone."
            ),
            "review_payout": (
                "💸 <b>Manual payout</b>\n"
                "Amount: <b>{amount}</b>\n"
                "{target}\nReason: {reason}\n\n"
                "Check the amount and the number: confirming sends the money at once and "
                "cannot be undone."
            ),
            "target": "To: <b>{phone}</b> ({operator})\nBy: {way}",
            "way_merchant": "mobile money (Ligdicash straight/payout)",
            "way_client": "the customer's Ligdicash wallet (withdrawal/create)",
            "operator_orange": "Orange Money",
            "operator_moov": "Moov Money",
            "operator_telecel": "Telecel",
            "operator_none": "unknown operator",
            "btn_confirm": "✅ Send {amount}",
            "btn_to_wallet": "👛 To the Ligdicash wallet",
            "btn_to_mobile": "📱 By mobile money",
            "btn_other_number": "✏️ Another number",
            "btn_cancel": "✖️ Cancel",
            "sending": "⏳ Sending {amount} to {phone}… Do not ask for it again.",
            "intent_cancelled": "Cancelled: nothing was sent ({amount} to {phone}).",
            "intent_expired": (
                "This confirmation was over {minutes} minutes old: it is cancelled and nothing "
                "was sent. Start again with /refund or /payout."
            ),
            "already_handled": "This payout is already {state}: nothing more was sent.",
            "what_refund": "refund of order <b>{ref}</b>",
            "what_payout": "manual payout ({reason})",
            "outcome_pending": (
                "📤 Sent to Ligdicash: {what}, {amount} to {phone} by {way}. "
                "Waiting for its outcome.\nId: <code>{tx}</code>"
            ),
            "outcome_completed": (
                "✅ Payout completed: {what}, {amount} to {phone}.\n"
                "Ligdicash reference: <code>{request_id}</code>"
            ),
            "outcome_failed": (
                "❌ Payout failed: {what}, {amount} to {phone}.\n{detail}\nNo money left.{retry}"
            ),
            "retry_refund": " You can ask for the refund again.",
            "outcome_unknown": (
                "⚠️ <b>Outcome UNKNOWN</b>: {what}, {amount} to {phone} by {way}, asked on "
                "{at}.\n{detail}\n"
                "The money may or may not have left: the bot will NOT send it again.\n"
                "What to check in the Ligdicash dashboard (payouts / transfers): a payout of "
                "{amount} to the number ending in {last_digits} around {at} (our id "
                "<code>{tx}</code>). Found and completed → “It was paid out”. Not there → "
                "“It was not paid out” (the refund can then be asked again)."
            ),
            "outcome_cancelled": "Cancelled: {what}, {amount} to {phone}. Nothing was sent.",
            "callback_unverified": (
                "ℹ️ Ligdicash's callback says payout <code>{tx}</code> ({amount} to {phone}) is "
                "“{status}”, but the bot cannot verify it (Ligdicash returned no token). "
                "Check the dashboard, then settle it with the buttons."
            ),
            "flagged": (
                "⏰ Payout <code>{tx}</code> ({what}, {amount}) is still pending after {count} "
                "checks. Payouts can take days: the bot keeps checking every hour. Look at it "
                "in the Ligdicash dashboard if it lasts."
            ),
            "setup_authentication": (
                "🔑 Ligdicash refuses our credentials ({detail}): check LIGDICASH_API_KEY and "
                "LIGDICASH_API_TOKEN in the bot's settings, and that the project is live."
            ),
            "setup_ip": (
                "🌐 Ligdicash refuses this server's IP address ({detail}): ask Ligdicash to "
                "whitelist the server's public IP for payouts."
            ),
            "setup_balance": (
                "💰 The Ligdicash merchant balance is too low to pay out {amount} ({detail}): "
                "top up the operator's balance in the dashboard, then ask again."
            ),
            "setup_other": (
                "⚙️ Ligdicash refuses the merchant's setup ({detail}): contact Ligdicash "
                "support to enable payouts for this project and operator."
            ),
            "btn_check": "🔄 Check with Ligdicash",
            "btn_mark_completed": "✅ It was paid out",
            "btn_mark_failed": "❌ It was not paid out",
            "mark_ask_completed": (
                "Mark payout <code>{tx}</code> ({amount} to {phone}) as PAID OUT? Only do this "
                "after seeing it completed in the Ligdicash dashboard."
            ),
            "mark_ask_failed": (
                "Mark payout <code>{tx}</code> ({amount} to {phone}) as NOT paid out? Only do "
                "this if the Ligdicash dashboard does not show it: the amount becomes refundable "
                "again, and another refund would pay twice if the money did leave."
            ),
            "btn_yes_completed": "Yes, it was paid out",
            "btn_yes_failed": "Yes, it was not paid out",
            "btn_keep": "✖️ Change nothing",
            "mark_done": "Payout <code>{tx}</code> is now {state}.",
            "mark_refused": "Payout <code>{tx}</code> is {state}: nothing changed.",
            "kept": "Nothing changed.",
            "check_result": "Payout: {state}.",
            "check_no_token": (
                "Ligdicash gave no token for this payout: only the dashboard can tell."
            ),
            "check_unreachable": "Ligdicash is not answering; try again later.",
            "not_found": "Payout not found.",
            "state_intent": "prepared",
            "state_sending": "being sent",
            "state_pending": "sent, waiting for Ligdicash",
            "state_completed": "paid out",
            "state_failed": "failed",
            "state_unknown": "of UNKNOWN outcome (to check)",
            "state_cancelled": "cancelled",
            "customer_sent": (
                "💸 Your refund of {amount} for order <b>{ref}</b> has been sent to {phone} "
                "({way}). I will tell you here as soon as it arrives."
            ),
            "customer_completed": (
                "✅ Your refund of {amount} for order <b>{ref}</b> has arrived on {phone} "
                "({way}). Ligdicash reference: <code>{request_id}</code>"
            ),
            "customer_failed": (
                "Your refund of {amount} for order <b>{ref}</b> could not go through. No money "
                "was taken; the shop will send it again."
            ),
            "customer_way_merchant": "Mobile Money",
            "customer_way_client": "your Ligdicash wallet",
        },
    },
)

PREFIX: Final = "rf:"
START: Final = "rf:start:"
CONFIRM: Final = "rf:ok:"
CANCEL: Final = "rf:no:"
SWITCH_WAY: Final = "rf:way:"
OTHER_NUMBER: Final = "rf:num:"
CHECK: Final = "rf:chk:"
MARK_ASK: Final = "rf:mark:"
MARK: Final = "rf:set:"
KEEP: Final = "rf:keep"
COMPLETED: Final = "c"
FAILED: Final = "f"

# Merchant-setup refusals and the fix each one names; the rest fall under "setup_other".
SETUP_FIXES: Final = {
    Reason.AUTHENTICATION: "setup_authentication",
    Reason.APP_AUTHENTICATION: "setup_authentication",
    Reason.IP_NOT_WHITELISTED: "setup_ip",
    Reason.BALANCE_TOO_LOW: "setup_balance",
}


def state_name(lang: Lang, state: PayoutState) -> str:
    """A payout state as admins read it."""
    return TEXT(lang, f"state_{state.value}")


def operator_name(lang: Lang, phone: Phone) -> str:
    """The operator behind a number, as people call it."""
    return TEXT(lang, f"operator_{phone.operator.value if phone.operator else 'none'}")


def way_name(lang: Lang, kind: PayoutKind) -> str:
    """The Ligdicash endpoint a payout goes through, for admins."""
    return TEXT(lang, f"way_{kind.value}")


def _what(lang: Lang, payout: Payout, order: Order | None) -> str:
    if order is not None:
        return TEXT(lang, "what_refund", ref=order.reference)
    return TEXT(lang, "what_payout", reason=html.escape(payout.reason))


def _values(lang: Lang, payout: Payout, order: Order | None, phone: Phone) -> dict[str, str]:
    return {
        "what": _what(lang, payout, order),
        "amount": money(payout.amount, lang),
        "phone": phone.masked(),
        "way": way_name(lang, payout.kind),
        "tx": payout.transaction_id,
        "ref": order.reference if order else "",
    }


def review(
    lang: Lang,
    payout: Payout,
    order: Order | None,
    phone: Phone,
    reserved: int,
    *,
    note: str = "",
) -> Reply:
    """The confirmation step: amount, number (masked), operator, way; confirm or change."""
    target = TEXT(
        lang,
        "target",
        phone=phone.masked(),
        operator=operator_name(lang, phone),
        way=way_name(lang, payout.kind),
    )
    reason = html.escape(payout.reason)
    amount = money(payout.amount, lang)
    if order is not None:
        text = TEXT(
            lang,
            "review_refund",
            ref=order.reference,
            amount=amount,
            paid=money(order.paid_amount, lang),
            reserved=money(reserved, lang),
            target=target,
            reason=reason,
        )
    else:
        text = TEXT(lang, "review_payout", amount=amount, target=target, reason=reason)
    if note:
        text = f"{note}\n\n{text}"
    tx = payout.transaction_id
    switch = "btn_to_wallet" if payout.kind is PayoutKind.MERCHANT else "btn_to_mobile"
    return Reply(
        text,
        rows(
            Button(TEXT(lang, "btn_confirm", amount=amount), data=CONFIRM + tx),
            Button(TEXT(lang, switch), data=SWITCH_WAY + tx),
            Button(TEXT(lang, "btn_other_number"), data=OTHER_NUMBER + tx),
            Button(TEXT(lang, "btn_cancel"), data=CANCEL + tx),
        ),
    )


def sending(lang: Lang, payout: Payout, phone: Phone) -> Reply:
    """The review once confirmed, while the request is on its way (no buttons: no double send)."""
    return Reply(TEXT(lang, "sending", amount=money(payout.amount, lang), phone=phone.masked()))


def outcome(lang: Lang, payout: Payout, order: Order | None, phone: Phone) -> Reply:
    """What admins read about a payout's state; an unknown one comes with what to check."""
    values = _values(lang, payout, order, phone)
    detail = html.escape(payout.detail or "")
    state = payout.state
    if state is PayoutState.PENDING:
        return Reply(TEXT(lang, "outcome_pending", **values))
    if state is PayoutState.COMPLETED:
        request_id = html.escape(payout.request_id or payout.transaction_id)
        return Reply(TEXT(lang, "outcome_completed", request_id=request_id, **values))
    if state is PayoutState.FAILED:
        retry = TEXT(lang, "retry_refund") if order is not None else ""
        return Reply(TEXT(lang, "outcome_failed", detail=detail, retry=retry, **values))
    if state is PayoutState.UNKNOWN:
        text = TEXT(
            lang,
            "outcome_unknown",
            at=when(payout.created_at, lang),
            detail=detail,
            last_digits=payout.phone[-2:],
            **values,
        )
        return Reply(text, settle_buttons(lang, payout))
    if state is PayoutState.CANCELLED:
        return Reply(TEXT(lang, "outcome_cancelled", **values))
    return Reply(TEXT(lang, "already_handled", state=state_name(lang, state)))


def settle_buttons(lang: Lang, payout: Payout) -> tuple[tuple[Button, ...], ...]:
    """Check again, or record what the dashboard shows."""
    tx = payout.transaction_id
    return rows(
        Button(TEXT(lang, "btn_check"), data=CHECK + tx),
        Button(TEXT(lang, "btn_mark_completed"), data=f"{MARK_ASK}{tx}:{COMPLETED}"),
        Button(TEXT(lang, "btn_mark_failed"), data=f"{MARK_ASK}{tx}:{FAILED}"),
    )


def mark_ask(lang: Lang, payout: Payout, phone: Phone, *, completed: bool) -> Reply:
    """Ask an admin to confirm what they saw in the dashboard."""
    key = "completed" if completed else "failed"
    tx = payout.transaction_id
    code = COMPLETED if completed else FAILED
    text = TEXT(
        lang, f"mark_ask_{key}", tx=tx, amount=money(payout.amount, lang), phone=phone.masked()
    )
    return Reply(
        text,
        rows(
            Button(TEXT(lang, f"btn_yes_{key}"), data=f"{MARK}{tx}:{code}"),
            Button(TEXT(lang, "btn_keep"), data=KEEP),
        ),
    )


def callback_unverified(lang: Lang, payout: Payout, phone: Phone, status: str) -> Reply:
    """A callback about a payout the bot cannot confirm (no creation token)."""
    text = TEXT(
        lang,
        "callback_unverified",
        tx=payout.transaction_id,
        amount=money(payout.amount, lang),
        phone=phone.masked(),
        status=html.escape(status),
    )
    return Reply(text, settle_buttons(lang, payout))


def flagged(lang: Lang, payout: Payout, order: Order | None, phone: Phone) -> Reply:
    """A payout still pending after Ligdicash's polling schedule."""
    values = _values(lang, payout, order, phone)
    return Reply(
        TEXT(lang, "flagged", count=payout.attempts, **values), settle_buttons(lang, payout)
    )


def setup_alert(lang: Lang, reason: Reason, amount: int, detail: str) -> Reply:
    """Ligdicash refuses the merchant's setup: name the fix."""
    key = SETUP_FIXES.get(reason, "setup_other")
    return Reply(TEXT(lang, key, amount=money(amount, lang), detail=html.escape(detail)))


def customer_update(lang: Lang, payout: Payout, order: Order, phone: Phone) -> Reply | None:
    """What the customer is told about their refund: sent, arrived, or (after sent) failed."""
    values = {
        "amount": money(payout.amount, lang),
        "ref": order.reference,
        "phone": phone.masked(),
        "way": TEXT(lang, f"customer_way_{payout.kind.value}"),
    }
    if payout.state is PayoutState.PENDING:
        return Reply(TEXT(lang, "customer_sent", **values))
    if payout.state is PayoutState.COMPLETED:
        request_id = html.escape(payout.request_id or payout.transaction_id[:12])
        return Reply(TEXT(lang, "customer_completed", request_id=request_id, **values))
    if payout.state is PayoutState.FAILED and payout.token is not None:
        # Only a customer told "sent" hears that it failed.
        return Reply(TEXT(lang, "customer_failed", **values))
    return None


def refused(
    lang: Lang,
    reason: str,
    *,
    ref: str = "",
    limit: int = 0,
    paid: int = 0,
    reserved: int = 0,
    amount: int = 0,
    state: PayoutState | None = None,
    phone: Phone | None = None,
) -> Reply:
    """Why a refund or payout cannot be prepared."""
    values: dict[str, object] = {
        "ref": html.escape(ref),
        "limit": money(limit, lang),
        "paid": money(paid, lang),
        "reserved": money(reserved, lang),
        "amount": money(amount, lang),
        "state": state_name(lang, state) if state else "",
        "phone": phone.masked() if phone else "",
        "operator": operator_name(lang, phone) if phone else "",
    }
    return Reply(TEXT(lang, reason, **values))


def bad_amount(lang: Lang, typed: str) -> Reply:
    """A typed amount that is not a positive whole number."""
    return Reply(TEXT(lang, "bad_amount", amount=html.escape(typed[:20])))


def bad_number(lang: Lang, why: str, typed: str | None = None) -> Reply:
    """A number that is not a Burkina mobile number: typed at the prompt, or in /payout."""
    reason = TEXT(lang, f"why_{why}")
    if typed is None:
        return Reply(TEXT(lang, "bad_number", why=reason))
    return Reply(TEXT(lang, "not_a_phone", typed=html.escape(typed[:40]), why=reason))


def say(lang: Lang, key: str, **values: object) -> Reply:
    """A plain admin text."""
    return Reply(TEXT(lang, key, **values))
