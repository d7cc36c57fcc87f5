"""What the customer reads while checking out: names, e-mail, payment method, number, OTP."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.i18n import LANGUAGES, Lang, Texts, money
from bot.messages import payment
from bot.messages.shop import CART, MENU, ORDERS
from bot.reply import Button, Reply
from payments.phone import Operator, Phone
from storage.models import Order

TEXT = Texts(
    "checkout",
    {
        "fr": {
            "empty_cart": (
                "🛒 Votre panier est vide. Ajoutez des articles depuis le catalogue, puis "
                "revenez commander."
            ),
            "unavailable": (
                "⚠️ Certains articles ne sont plus disponibles dans la quantité demandée :\n"
                "{lines}\n\nModifiez votre panier, puis recommencez la commande."
            ),
            "unavailable_gone": "• {name} : plus disponible",
            "unavailable_short": "• {name} : il en reste {stock} (vous en demandez {quantity})",
            "ask_name": "🧾 Passons à la commande : {total}.\n\nAu nom de <b>{name}</b> ?",
            "type_name": (
                "✏️ Écrivez votre prénom et votre nom, par exemple : <i>Awa Ouédraogo</i>.\n"
                "(/cancel pour abandonner)"
            ),
            "name_too_short": (
                "Ce nom est trop court : écrivez au moins votre prénom (2 lettres minimum)."
            ),
            "name_too_long": "Ce nom est trop long (60 caractères au maximum).",
            "name_digits": (
                "Un nom ne contient pas de chiffres. Écrivez votre prénom et votre nom, "
                "par exemple : <i>Awa Ouédraogo</i>."
            ),
            "name_link": (
                "Écrivez votre nom, pas un lien ni une adresse. Par exemple : <i>Awa Ouédraogo</i>."
            ),
            "name_characters": (
                "Écrivez votre nom en lettres (tirets et apostrophes acceptés), par exemple : "
                "<i>Awa Ouédraogo</i>."
            ),
            "ask_email": (
                "📧 Voulez-vous aussi recevoir le reçu par e-mail ? Écrivez votre adresse, "
                "ou touchez « Passer »."
            ),
            "ask_email_known": (
                "📧 Reçu par e-mail à <b>{email}</b> ? Touchez un bouton, ou écrivez une autre "
                "adresse."
            ),
            "bad_email": (
                "Cette adresse e-mail ne semble pas valide (exemple : <i>awa@exemple.bf</i>). "
                "Écrivez-la à nouveau, ou touchez « Passer »."
            ),
            "summary": (
                "🧾 <b>Commande {ref}</b>\n\n{lines}\n\n<b>Total : {total}</b>\n"
                "Au nom de : {name}{email_line}\n\nComment voulez-vous payer ?"
            ),
            "summary_email": "\nReçu envoyé à : {email}",
            "payin_under_way": (
                "\n\n⚠️ Un paiement est déjà en cours pour cette commande. Si vous l'avez déjà "
                "validé, ne payez pas une deuxième fois."
            ),
            "choose_method": "Choisissez un moyen de paiement avec les boutons 👇",
            "method_refused": "{reason}\n\nChoisissez un autre moyen de paiement 👇",
            "ask_phone": (
                "{icon} Envoyez le numéro {operator} qui va payer (par exemple "
                "<code>{example}</code>), ou touchez « 📱 Partager mon numéro » en bas de "
                "l'écran."
            ),
            "phone_not_a_number": (
                "Ce numéro n'est pas valide. Écrivez un numéro à 8 chiffres, par exemple "
                "<code>{example}</code>."
            ),
            "phone_not_burkina": (
                "Seuls les numéros du Burkina Faso (+226) peuvent payer ici. Écrivez un numéro "
                "{operator}, par exemple <code>{example}</code>."
            ),
            "phone_not_mobile": (
                "C'est un numéro fixe : il faut un numéro mobile {operator}, par exemple "
                "<code>{example}</code>."
            ),
            "wrong_operator": (
                "Le {phone} est un numéro <b>{actual}</b>, pas {wanted}. Envoyez un numéro "
                "{wanted}, ou choisissez un autre moyen de paiement 👇"
            ),
            "no_direct_payin": (
                "Le {phone} est un numéro <b>{actual}</b> : il ne peut pas payer directement "
                "ici. Envoyez un numéro {wanted}, ou payez avec le lien de paiement 👇"
            ),
            "someone_else": (
                "C'est le contact de quelqu'un d'autre. Partagez votre propre numéro avec le "
                "bouton, ou écrivez le numéro qui va payer."
            ),
            "phone_ok": "✅ Numéro {operator} : {phone}",
            "orange_steps": (
                "✅ Numéro Orange Money : {phone}\n\n"
                "1️⃣ Sur ce téléphone, composez <code>{ussd}</code> et suivez les instructions "
                "d'Orange.\n2️⃣ Vous recevez un code par SMS : saisissez-le ci-dessous, ou "
                "écrivez-le dans la discussion."
            ),
            "keypad": "🔐 Code Orange Money : {dots}",
            "keypad_typed": "🔐 Code Orange Money : saisi dans la discussion ✍️",
            "keypad_hint": "\n<i>Touchez les chiffres puis ✅, ou écrivez le code.</i>",
            "otp_not_digits": (
                "Le code ne contient que des chiffres. Écrivez-le à nouveau "
                "(par exemple <code>123456</code>)."
            ),
            "otp_length": "Le code a de 4 à 8 chiffres. Vérifiez le SMS et écrivez-le à nouveau.",
            "keypad_full": "8 chiffres au maximum.",
            "keypad_short": "Saisissez au moins 4 chiffres.",
            "sending": "⏳ Envoi de la demande de paiement…",
            "checking_otp": "⏳ Vérification du code…",
            "wrong_otp": "❌ Code incorrect. Essais restants : {left}.\n\n",
            "expired_otp": (
                "⌛ Ce code a expiré. Composez à nouveau <code>{ussd}</code> pour recevoir un "
                "nouveau code, puis saisissez-le.\n\n"
            ),
            "too_many_tries": (
                "🚫 Trop d'essais avec un code incorrect. Votre commande <b>{ref}</b> est "
                "conservée : vous pourrez la payer plus tard depuis « 📦 Mes commandes »."
            ),
            "left_no_order": "Commande abandonnée. Votre panier est conservé 🛒",
            "left_with_order": (
                "Vous quittez le paiement. La commande <b>{ref}</b> ({total}) reste dans "
                "« 📦 Mes commandes » : vous pourrez la payer ou l'annuler plus tard."
            ),
            "order_cancelled": (
                "Commande <b>{ref}</b> annulée. Vos articles sont de retour dans votre panier 🛒"
            ),
            "timed_out_no_order": (
                "⌛ La commande a été interrompue faute de réponse. Votre panier est conservé 🛒"
            ),
            "timed_out_with_order": (
                "⌛ Le paiement a été interrompu faute de réponse. La commande <b>{ref}</b> "
                "({total}) reste dans « 📦 Mes commandes »."
            ),
            "not_payable": "La commande <b>{ref}</b> ne peut plus être payée ({state}).",
            "reprompt": "🙂 Je n'attends pas cela ici.\n\n{prompt}",
            "reprompt_buttons": "Touchez un des boutons ci-dessus, ou /cancel pour abandonner.",
            "stale_button": "Ce bouton correspond à une étape déjà passée.",
            "ended_button": (
                "Ce paiement est terminé. Ouvrez votre panier ou « Mes commandes » pour "
                "recommencer."
            ),
            "unknown_order": "Commande introuvable.",
            "unknown_payment": "Paiement introuvable.",
            "already_paid": "Cette commande est déjà payée : elle ne peut pas être annulée ici.",
            "cancelled_toast": "Commande annulée.",
            "cancelled_note": (
                "\nSi vous aviez déjà validé un paiement, il sera bien enregistré et la boutique "
                "vous contactera."
            ),
            "state_awaiting_payment": "en attente de paiement",
            "state_paid": "payée",
            "state_cancelled": "annulée",
            "state_expired": "expirée",
            "state_refunded": "remboursée",
            "state_partially_refunded": "remboursée en partie",
            "operator_orange": "Orange Money",
            "operator_moov": "Moov Money",
            "operator_telecel": "Telecel",
            "btn_yes": "✅ Oui",
            "btn_edit_name": "✏️ Modifier",
            "btn_email_keep": "✅ Oui",
            "btn_skip": "⏭️ Passer",
            "btn_link": "🔗 Lien de paiement",
            "btn_orange": "🟠 Orange Money",
            "btn_moov": "🔵 Moov Money",
            "btn_cancel_order": "✖️ Annuler la commande",
            "btn_share_phone": "📱 Partager mon numéro",
            "btn_other_method": "⬅️ Autre moyen de paiement",
            "btn_erase": "⌫",
            "btn_send": "✅",
            "btn_pay_again": "🔁 Payer cette commande",
            "btn_orders": "📦 Mes commandes",
            "btn_menu": "🏠 Menu",
            "btn_cart": "🛒 Mon panier",
        },
        "en": {
            "empty_cart": (
                "🛒 Your cart is empty. Add items from the catalog, then come back to order."
            ),
            "unavailable": (
                "⚠️ Some items are no longer available in the quantity you asked for:\n"
                "{lines}\n\nChange your cart, then start the order again."
            ),
            "unavailable_gone": "• {name}: no longer available",
            "unavailable_short": "• {name}: {stock} left (you ask for {quantity})",
            "ask_name": "🧾 Let's place the order: {total}.\n\nIn the name of <b>{name}</b>?",
            "type_name": (
                "✏️ Write your first and last name, for example: <i>Awa Ouédraogo</i>.\n"
                "(/cancel to stop)"
            ),
            "name_too_short": "This name is too short: write at least your first name (2 letters).",
            "name_too_long": "This name is too long (60 characters at most).",
            "name_digits": (
                "A name has no digits. Write your first and last name, for example: "
                "<i>Awa Ouédraogo</i>."
            ),
            "name_link": (
                "Write your name, not a link or an address. For example: <i>Awa Ouédraogo</i>."
            ),
            "name_characters": (
                "Write your name in letters (hyphens and apostrophes are fine), for example: "
                "<i>Awa Ouédraogo</i>."
            ),
            "ask_email": (
                "📧 Would you also like the receipt by e-mail? Write your address, or tap “Skip”."
            ),
            "ask_email_known": (
                "📧 Receipt by e-mail to <b>{email}</b>? Tap a button, or write another address."
            ),
            "bad_email": (
                "This e-mail address does not look valid (example: <i>awa@example.bf</i>). "
                "Write it again, or tap “Skip”."
            ),
            "summary": (
                "🧾 <b>Order {ref}</b>\n\n{lines}\n\n<b>Total: {total}</b>\n"
                "In the name of: {name}{email_line}\n\nHow would you like to pay?"
            ),
            "summary_email": "\nReceipt sent to: {email}",
            "payin_under_way": (
                "\n\n⚠️ A payment is already under way for this order. If you already approved "
                "it, do not pay a second time."
            ),
            "choose_method": "Choose a payment method with the buttons 👇",
            "method_refused": "{reason}\n\nChoose another payment method 👇",
            "ask_phone": (
                "{icon} Send the {operator} number that will pay (for example "
                "<code>{example}</code>), or tap “📱 Share my number” at the bottom of the screen."
            ),
            "phone_not_a_number": (
                "This number is not valid. Write an 8-digit number, for example "
                "<code>{example}</code>."
            ),
            "phone_not_burkina": (
                "Only Burkina Faso numbers (+226) can pay here. Write a {operator} number, for "
                "example <code>{example}</code>."
            ),
            "phone_not_mobile": (
                "This is a landline: a {operator} mobile number is needed, for example "
                "<code>{example}</code>."
            ),
            "wrong_operator": (
                "{phone} is a <b>{actual}</b> number, not {wanted}. Send a {wanted} number, or "
                "choose another payment method 👇"
            ),
            "no_direct_payin": (
                "{phone} is a <b>{actual}</b> number: it cannot pay directly here. Send a "
                "{wanted} number, or pay with the payment link 👇"
            ),
            "someone_else": (
                "This is someone else's contact. Share your own number with the button, or "
                "write the number that will pay."
            ),
            "phone_ok": "✅ {operator} number: {phone}",
            "orange_steps": (
                "✅ Orange Money number: {phone}\n\n"
                "1️⃣ On that phone, dial <code>{ussd}</code> and follow Orange's instructions.\n"
                "2️⃣ You get a code by SMS: enter it below, or write it in the chat."
            ),
            "keypad": "🔐 Orange Money code: {dots}",
            "keypad_typed": "🔐 Orange Money code: typed in the chat ✍️",
            "keypad_hint": "\n<i>Tap the digits then ✅, or write the code.</i>",
            "otp_not_digits": (
                "The code has digits only. Write it again (for example <code>123456</code>)."
            ),
            "otp_length": "The code has 4 to 8 digits. Check the SMS and write it again.",
            "keypad_full": "8 digits at most.",
            "keypad_short": "Enter at least 4 digits.",
            "sending": "⏳ Sending the payment request…",
            "checking_otp": "⏳ Checking the code…",
            "wrong_otp": "❌ Wrong code. Tries left: {left}.\n\n",
            "expired_otp": (
                "⌛ This code has expired. Dial <code>{ussd}</code> again to get a new code, "
                "then enter it.\n\n"
            ),
            "too_many_tries": (
                "🚫 Too many tries with a wrong code. Your order <b>{ref}</b> is kept: you can "
                "pay it later from “📦 My orders”."
            ),
            "left_no_order": "Order abandoned. Your cart is kept 🛒",
            "left_with_order": (
                "You left the payment. Order <b>{ref}</b> ({total}) stays in “📦 My orders”: "
                "you can pay or cancel it later."
            ),
            "order_cancelled": "Order <b>{ref}</b> cancelled. Your items are back in your cart 🛒",
            "timed_out_no_order": (
                "⌛ The order was stopped for lack of an answer. Your cart is kept 🛒"
            ),
            "timed_out_with_order": (
                "⌛ The payment was stopped for lack of an answer. Order <b>{ref}</b> ({total}) "
                "stays in “📦 My orders”."
            ),
            "not_payable": "Order <b>{ref}</b> can no longer be paid ({state}).",
            "reprompt": "🙂 I am not expecting that here.\n\n{prompt}",
            "reprompt_buttons": "Tap one of the buttons above, or /cancel to stop.",
            "stale_button": "This button belongs to a step already passed.",
            "ended_button": "This payment is over. Open your cart or “My orders” to start again.",
            "unknown_order": "Order not found.",
            "unknown_payment": "Payment not found.",
            "already_paid": "This order is already paid: it cannot be cancelled here.",
            "cancelled_toast": "Order cancelled.",
            "cancelled_note": (
                "\nIf you had already approved a payment, it will be recorded and the shop will "
                "contact you."
            ),
            "state_awaiting_payment": "awaiting payment",
            "state_paid": "paid",
            "state_cancelled": "cancelled",
            "state_expired": "expired",
            "state_refunded": "refunded",
            "state_partially_refunded": "partly refunded",
            "operator_orange": "Orange Money",
            "operator_moov": "Moov Money",
            "operator_telecel": "Telecel",
            "btn_yes": "✅ Yes",
            "btn_edit_name": "✏️ Change",
            "btn_email_keep": "✅ Yes",
            "btn_skip": "⏭️ Skip",
            "btn_link": "🔗 Payment link",
            "btn_orange": "🟠 Orange Money",
            "btn_moov": "🔵 Moov Money",
            "btn_cancel_order": "✖️ Cancel the order",
            "btn_share_phone": "📱 Share my number",
            "btn_other_method": "⬅️ Other payment method",
            "btn_erase": "⌫",
            "btn_send": "✅",
            "btn_pay_again": "🔁 Pay this order",
            "btn_orders": "📦 My orders",
            "btn_menu": "🏠 Menu",
            "btn_cart": "🛒 My cart",
        },
    },
)

# Callback data of checkout's own buttons ("co:" namespace).
START = "co:start"
NAME_YES = "co:name:yes"
NAME_EDIT = "co:name:edit"
EMAIL_KEEP = "co:email:keep"
EMAIL_SKIP = "co:email:skip"
METHOD = "co:m:"
METHODS = "co:methods"
CANCEL_ORDER = "co:cancel"
KEY = "co:k:"
KEY_ERASE = "co:k:del"
KEY_SEND = "co:k:ok"

LINK, ORANGE, MOOV = "link", "orange", "moov"
# Typed answers to a yes/no prompt, in either language (compared after `plain_answer`).
YES_WORDS = frozenset(
    {"oui", "yes", "ok", "okay", "ouais", "d'accord", "daccord", "exact", "y", "o"}
)
NO_WORDS = frozenset({"non", "no", "n", "modifier", "change", "changer"})
SKIP_WORDS = frozenset({"passer", "skip", "non", "no", "n", "aucun", "aucune", "none"})
OTP_DOTS = 6
OTP_MAX = 8
_EXAMPLES = {Operator.ORANGE: "07 12 34 56", Operator.MOOV: "70 12 34 56"}
_ICONS = {Operator.ORANGE: "🟠", Operator.MOOV: "🔵"}


def plain_answer(text: str) -> str:
    """A typed answer reduced to lower-case letters, spaces and apostrophes ("Oui !" -> "oui")."""
    kept = "".join(c for c in text.casefold().replace("’", "'") if c.isalpha() or c in " '")
    return " ".join(kept.split())


def operator_name(lang: Lang, operator: Operator | None) -> str:
    """The operator as customers call it ("Orange Money", "Telecel", ...)."""
    if operator is None:
        return "?"
    return TEXT(lang, f"operator_{operator.value}")


def _methods(
    lang: Lang, reference: str, *, include_cancel: bool = True, only: Iterable[str] = ()
) -> tuple[tuple[Button, ...], ...]:
    wanted = set(only) or {LINK, ORANGE, MOOV}
    buttons = tuple(
        (Button(TEXT(lang, f"btn_{method}"), data=f"{METHOD}{method}:{reference}"),)
        for method in (LINK, ORANGE, MOOV)
        if method in wanted
    )
    if include_cancel:
        cancel = Button(TEXT(lang, "btn_cancel_order"), data=f"{CANCEL_ORDER}:{reference}")
        buttons += ((cancel,),)
    return buttons


def _home(lang: Lang) -> tuple[tuple[Button, ...], ...]:
    return ((Button(TEXT(lang, "btn_menu"), data=MENU),),)


def empty_cart(lang: Lang) -> Reply:
    """Checkout asked with nothing in the cart."""
    return Reply(TEXT(lang, "empty_cart"), _home(lang))


def unavailable(lang: Lang, items: Sequence[tuple[str, int | None, int]]) -> Reply:
    """Products that cannot be sold as asked: (name, stock left or None if gone, quantity)."""
    lines = "\n".join(
        TEXT(lang, "unavailable_gone", name=html.escape(name))
        if stock is None or stock <= 0
        else TEXT(lang, "unavailable_short", name=html.escape(name), stock=stock, quantity=quantity)
        for name, stock, quantity in items
    )
    return Reply(
        TEXT(lang, "unavailable", lines=lines), ((Button(TEXT(lang, "btn_cart"), data=CART),),)
    )


def ask_name(lang: Lang, full_name: str, total: int) -> Reply:
    """Confirm the name from the Telegram profile."""
    return Reply(
        TEXT(lang, "ask_name", name=html.escape(full_name), total=money(total, lang)),
        (
            (
                Button(TEXT(lang, "btn_yes"), data=NAME_YES),
                Button(TEXT(lang, "btn_edit_name"), data=NAME_EDIT),
            ),
        ),
    )


def type_name(lang: Lang) -> Reply:
    """Ask the customer to write their name."""
    return Reply(TEXT(lang, "type_name"))


def bad_name(lang: Lang, reason: str) -> Reply:
    """Why a typed name was refused."""
    return Reply(TEXT(lang, f"name_{reason}"))


def ask_email(lang: Lang, known: str | None) -> Reply:
    """Offer the receipt by e-mail (optional)."""
    skip = Button(TEXT(lang, "btn_skip"), data=EMAIL_SKIP)
    if known:
        return Reply(
            TEXT(lang, "ask_email_known", email=html.escape(known)),
            ((Button(TEXT(lang, "btn_email_keep"), data=EMAIL_KEEP), skip),),
        )
    return Reply(TEXT(lang, "ask_email"), ((skip,),))


def bad_email(lang: Lang) -> Reply:
    """A typed e-mail that does not look like one."""
    return Reply(TEXT(lang, "bad_email"), ((Button(TEXT(lang, "btn_skip"), data=EMAIL_SKIP),),))


def summary(lang: Lang, order: Order, *, payin_under_way: bool = False) -> Reply:
    """The order as created, its total and the payment methods."""
    name = " ".join(part for part in (order.first_name, order.last_name) if part)
    email_line = TEXT(lang, "summary_email", email=html.escape(order.email)) if order.email else ""
    text = TEXT(
        lang,
        "summary",
        ref=order.reference,
        lines=payment.lines_text(lang, order),
        total=money(order.total, lang),
        name=html.escape(name),
        email_line=email_line,
    )
    if payin_under_way:
        text += TEXT(lang, "payin_under_way")
    return Reply(text, _methods(lang, order.reference))


def choose_method(lang: Lang, reference: str) -> Reply:
    """Remind the customer to pick a method with the buttons."""
    return Reply(TEXT(lang, "choose_method"), _methods(lang, reference))


def method_refused(lang: Lang, reason: str, reference: str, *, only: Iterable[str] = ()) -> Reply:
    """A method or payin was refused (`reason` is already HTML-safe); offer the others."""
    return Reply(TEXT(lang, "method_refused", reason=reason), _methods(lang, reference, only=only))


def ask_phone(lang: Lang, operator: Operator) -> Reply:
    """Ask for the number that pays (the share button comes with `phone_keyboard`)."""
    return Reply(
        TEXT(
            lang,
            "ask_phone",
            icon=_ICONS[operator],
            operator=operator_name(lang, operator),
            example=_EXAMPLES[operator],
        )
    )


def phone_keyboard(lang: Lang, suggestions: Sequence[Phone]) -> ReplyKeyboardMarkup:
    """The reply keyboard: share my number, numbers used before, other method."""
    keys = [[KeyboardButton(TEXT(lang, "btn_share_phone"), request_contact=True)]]
    keys += [[KeyboardButton(phone.formatted())] for phone in suggestions]
    keys.append([KeyboardButton(TEXT(lang, "btn_other_method"))])
    return ReplyKeyboardMarkup(keys, resize_keyboard=True, one_time_keyboard=True)


def remove_keyboard() -> ReplyKeyboardRemove:
    """Take the reply keyboard away once the number is known."""
    return ReplyKeyboardRemove()


def is_other_method(text: str) -> bool:
    """Whether the text is the reply keyboard's "other method" key, in any language."""
    return any(text.strip() == TEXT(lang, "btn_other_method") for lang in LANGUAGES)


def bad_phone(lang: Lang, reason: str, wanted: Operator) -> Reply:
    """Why a number was refused: not a number, not Burkinabè, a landline."""
    return Reply(
        TEXT(
            lang,
            f"phone_{reason}",
            operator=operator_name(lang, wanted),
            example=_EXAMPLES[wanted],
        )
    )


def wrong_operator(lang: Lang, phone: Phone, wanted: Operator, reference: str) -> Reply:
    """The number belongs to another operator: say which, offer the other methods."""
    values = {
        "phone": phone.formatted(),
        "actual": operator_name(lang, phone.operator),
        "wanted": operator_name(lang, wanted),
    }
    if phone.operator in (Operator.ORANGE, Operator.MOOV):
        others = [LINK, ORANGE if wanted is Operator.MOOV else MOOV]
        buttons = _methods(lang, reference, include_cancel=False, only=others)
        return Reply(TEXT(lang, "wrong_operator", **values), buttons)
    buttons = _methods(lang, reference, include_cancel=False, only=[LINK])
    return Reply(TEXT(lang, "no_direct_payin", **values), buttons)


def someone_else(lang: Lang) -> Reply:
    """A shared contact that is not the customer's own."""
    return Reply(TEXT(lang, "someone_else"))


def phone_ok(lang: Lang, phone: Phone) -> Reply:
    """The number is accepted (sent with the reply keyboard removed)."""
    return Reply(
        TEXT(
            lang, "phone_ok", operator=operator_name(lang, phone.operator), phone=phone.formatted()
        )
    )


def orange_steps(lang: Lang, phone: Phone, ussd: str) -> Reply:
    """How to get the OTP: the exact USSD code with the amount."""
    return Reply(TEXT(lang, "orange_steps", phone=phone.formatted(), ussd=ussd))


def otp_dots(typed: int) -> str:
    """Progress of the OTP on the keypad: ●●●○○○."""
    return "●" * typed + "○" * max(0, OTP_DOTS - typed)


def keypad(lang: Lang, typed: int, note: str = "") -> Reply:
    """The inline digit keypad; `note` (HTML-safe) comes first, e.g. "wrong code"."""

    def key(digit: str) -> Button:
        return Button(digit, data=KEY + digit)

    return Reply(
        note + TEXT(lang, "keypad", dots=otp_dots(typed)) + TEXT(lang, "keypad_hint"),
        (
            (key("1"), key("2"), key("3")),
            (key("4"), key("5"), key("6")),
            (key("7"), key("8"), key("9")),
            (
                Button(TEXT(lang, "btn_erase"), data=KEY_ERASE),
                key("0"),
                Button(TEXT(lang, "btn_send"), data=KEY_SEND),
            ),
            (Button(TEXT(lang, "btn_other_method"), data=METHODS),),
        ),
    )


def keypad_closed(lang: Lang) -> Reply:
    """An older keypad, once the code was typed instead."""
    return Reply(TEXT(lang, "keypad_typed"))


def wrong_otp(lang: Lang, left: int) -> Reply:
    """The OTP was wrong: ask again on a fresh keypad."""
    return keypad(lang, 0, TEXT(lang, "wrong_otp", left=left))


def expired_otp(lang: Lang, ussd: str) -> Reply:
    """The OTP expired: dial again, then a fresh keypad."""
    return keypad(lang, 0, TEXT(lang, "expired_otp", ussd=ussd))


def pay_later(lang: Lang, key: str, order: Order) -> Reply:
    """The checkout ends with an unpaid order: point to My orders and pay again."""
    return Reply(
        TEXT(lang, key, ref=order.reference, total=money(order.total, lang)),
        (
            (Button(TEXT(lang, "btn_pay_again"), data=payment.RETRY + order.reference),),
            (Button(TEXT(lang, "btn_orders"), data=ORDERS),),
        ),
    )


def left_no_order(lang: Lang, key: str = "left_no_order") -> Reply:
    """The checkout ends before an order exists: the cart is kept."""
    return Reply(TEXT(lang, key), _home(lang))


def order_cancelled(lang: Lang, order: Order) -> Reply:
    """The customer cancelled the order during checkout: its items are back in the cart."""
    return Reply(TEXT(lang, "order_cancelled", ref=order.reference), _home(lang))


def cancelled(lang: Lang, order: Order) -> Reply:
    """A status message after the "Cancel order" button."""
    return Reply(
        payment.TEXT(lang, "cancelled", ref=order.reference) + TEXT(lang, "cancelled_note"),
        ((Button(TEXT(lang, "btn_orders"), data=ORDERS),),),
    )


def not_payable(lang: Lang, order: Order) -> Reply:
    """The order cannot take a payment any more."""
    return Reply(
        TEXT(
            lang,
            "not_payable",
            ref=order.reference,
            state=TEXT(lang, f"state_{order.state.value}"),
        ),
        ((Button(TEXT(lang, "btn_orders"), data=ORDERS),),),
    )


def reprompt(lang: Lang, prompt: str) -> Reply:
    """Something unexpected was sent: say so and repeat what is asked (`prompt` HTML-safe)."""
    return Reply(TEXT(lang, "reprompt", prompt=prompt))
