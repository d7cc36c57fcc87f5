"""What customers read while shopping: menu, catalog, product cards, cart, orders, help."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.i18n import Lang, Texts, money, when
from bot.messages import payment
from bot.reply import Button, Reply, rows
from storage.models import (
    Cart,
    CartLine,
    Category,
    Order,
    OrderState,
    Payin,
    PayinState,
    Product,
)

TEXT = Texts(
    "shop",
    {
        "fr": {
            "welcome": (
                "👋 Bienvenue chez <b>{store}</b>, {name} !\n\n"
                "Choisissez vos produits dans le catalogue, puis payez par mobile money "
                "(Orange Money, Moov Money)."
            ),
            "test_mode": (
                "🧪 <b>Mode test</b> : les paiements sont simulés, aucun argent réel n'est débité."
            ),
            "menu": "Que voulez-vous faire ?",
            "btn_catalog": "🛍 Catalogue",
            "btn_cart": "🛒 Panier ({count})",
            "btn_orders": "📦 Mes commandes",
            "btn_help": "❓ Aide",
            "btn_language": "🇬🇧 English",
            "btn_menu": "🏠 Menu",
            "btn_cart_short": "🛒 Panier",
            "categories": "🛍 <b>Catalogue</b>\nChoisissez une catégorie :",
            "catalog_empty": "Le catalogue est vide pour le moment. Revenez bientôt 🙂",
            "all_products": "Tous les produits",
            "btn_all_products": "📋 Tous les produits",
            "category": "🛍 <b>{category}</b> — page {page}/{pages}\nChoisissez un produit :",
            "category_empty": "🛍 <b>{category}</b>\nAucun produit ici pour le moment.",
            "product_button": "{name} — {price}",
            "product_button_sold_out": "❌ {name} — épuisé",
            "btn_previous": "◀ Précédent",
            "btn_next": "Suivant ▶",
            "btn_categories": "◀ Catégories",
            "btn_back": "◀ Retour",
            "price": "💰 Prix : <b>{price}</b>",
            "stock_unlimited": "✅ En stock",
            "stock_count": "✅ En stock : {count}",
            "stock_few": "⚠️ Plus que {count} en stock",
            "stock_none": "❌ Rupture de stock",
            "quantity": "Quantité : <b>{quantity}</b> → {total}",
            "in_cart": "✅ Ajouté ! Vous en avez {count} dans votre panier.",
            "restock_waiting": "🔔 Nous vous préviendrons dès son retour.",
            "btn_minus": "➖",
            "btn_plus": "➕",
            "btn_type_quantity": "✏️ Taper une quantité",
            "btn_add": "🛒 Ajouter au panier ({total})",
            "btn_notify": "🔔 Me prévenir du retour",
            "btn_view_cart": "🛒 Voir le panier ({count})",
            "added": "✅ {quantity} × {name} ajouté au panier",
            "quantity_min": "La quantité minimum est 1.",
            "quantity_max_stock": "Il n'en reste que {count} en stock.",
            "quantity_max": "C'est au plus {count} par article.",
            "beyond_stock": (
                "Stock insuffisant : il en reste {stock} et vous en avez déjà {in_cart} "
                "dans votre panier."
            ),
            "beyond_limit": "C'est au plus {count} par article, et vous en avez déjà {in_cart}.",
            "sold_out": "Désolé, ce produit est épuisé.",
            "notify_saved": "🔔 C'est noté ! Nous vous préviendrons dès son retour.",
            "notify_known": "🔔 Vous êtes déjà sur la liste : nous vous préviendrons.",
            "product_gone": "Ce produit n'est plus disponible.",
            "back_in_stock": "🔔 Bonne nouvelle : <b>{name}</b> est de retour en stock !",
            "btn_see_product": "👀 Voir le produit",
            "ask_quantity": (
                "✏️ Combien de <b>{name}</b> voulez-vous ?\nTapez un nombre entre 1 et {maximum}."
            ),
            "btn_cancel": "✖️ Annuler",
            "quantity_not_number": (
                "Je n'ai pas compris. Tapez un nombre entier entre 1 et {maximum}, par exemple 2."
            ),
            "quantity_too_small": (
                "La quantité doit être d'au moins 1. Tapez un nombre entre 1 et {maximum}."
            ),
            "quantity_too_many_stock": (
                "Il n'en reste que {maximum} en stock. Tapez un nombre entre 1 et {maximum}."
            ),
            "quantity_too_many": (
                "C'est au plus {maximum} par article. Tapez un nombre entre 1 et {maximum}."
            ),
            "typing_cancelled": "D'accord, c'est annulé.",
            "cart_title": "🛒 <b>Votre panier</b>",
            "cart_line": "{index}. {name}\n     {quantity} × {price} = <b>{subtotal}</b>",
            "cart_line_short": "     ⚠️ Plus que {stock} en stock : réduisez la quantité.",
            "cart_line_gone": "     ⚠️ Plus disponible : retirez-le pour commander.",
            "cart_total": "<b>Total : {total}</b>",
            "cart_empty": (
                "🛒 Votre panier est vide.\nParcourez le catalogue pour choisir vos produits."
            ),
            "cart_line_button": "{name} ×{quantity}",
            "btn_remove": "🗑",
            "btn_checkout": "✅ Commander ({total})",
            "btn_empty_cart": "🗑 Vider le panier",
            "btn_keep_shopping": "🛍 Continuer mes achats",
            "confirm_empty": "Vider le panier ? Les {count} articles seront retirés.",
            "btn_confirm_empty": "🗑 Oui, vider",
            "btn_keep_cart": "◀ Non, garder",
            "cart_emptied": "Panier vidé.",
            "line_removed": "{name} retiré du panier.",
            "orders_title": "📦 <b>Mes commandes</b>\nTouchez une commande pour voir le détail :",
            "orders_empty": (
                "📦 Vous n'avez pas encore de commande.\nParcourez le catalogue pour commencer."
            ),
            "orders_line": "{icon} <b>{ref}</b> · {date}\n     {total} · {state}",
            "order_button": "{icon} {ref} · {total}",
            "btn_older": "Plus anciennes ▶",
            "btn_newest": "◀ Plus récentes",
            "order": "📦 <b>Commande {ref}</b>\n{date}\nÉtat : {state}",
            "order_line": "• {quantity} × {name} — {subtotal}",
            "order_total": "<b>Total : {total}</b>",
            "order_refunded": "↩️ Remboursé : {amount}",
            "payins_title": "<b>Paiements</b>",
            "payin_line": "• {date} — {method}, {amount} : {state}",
            "order_not_found": "Commande introuvable.",
            "btn_pay": "💳 Payer",
            "btn_pay_again": "🔁 Payer à nouveau",
            "btn_open_payment": "🌐 Ouvrir la page de paiement",
            "btn_my_orders": "◀ Mes commandes",
            "state_awaiting_payment": "En attente de paiement",
            "state_paid": "Payée",
            "state_cancelled": "Annulée",
            "state_expired": "Expirée",
            "state_refunded": "Remboursée",
            "state_partially_refunded": "Partiellement remboursée",
            "payin_creating": "en préparation",
            "payin_pending": "en attente",
            "payin_completed": "réussi",
            "payin_failed": "échoué",
            "payin_expired": "sans réponse",
            "payin_unknown": "en vérification",
            "help": (
                "❓ <b>Aide — {store}</b>\n\n"
                "<b>Pour acheter</b>\n"
                "1. 🛍 Catalogue : choisissez un produit et la quantité.\n"
                "2. 🛒 Panier : vérifiez, puis touchez « Commander ».\n"
                "3. Payez de l'une de ces façons :\n"
                "• <b>Lien de paiement</b> : touchez « Payer » et payez sur la page sécurisée "
                "Ligdicash.\n"
                "• <b>Orange Money</b> : composez le code USSD indiqué (*144*4*6*montant#) pour "
                "recevoir un code OTP par SMS, puis envoyez ce code ici.\n"
                "• <b>Moov Money</b> : confirmez la demande qui arrive sur votre téléphone "
                "(sinon composez *555*6#).\n"
                "Dès que le paiement est confirmé, vous recevez ici un reçu.\n\n"
                "<b>Commandes</b> : /catalog le catalogue, /cart le panier, /orders mes "
                "commandes, /language English, /cancel annuler, /help cette aide.\n\n"
                "<b>Un souci ?</b> Ne payez pas deux fois : ouvrez « Mes commandes » et touchez "
                "« Vérifier le paiement ». Si vous contactez {store}, donnez la référence de la "
                "commande (par ex. LB-7K3F9Q).{contact}"
            ),
            "contact_website": "\nNotre site : {url}",
            "language_set": "🇫🇷 C'est noté : je vous parle maintenant en français.",
            "nothing_to_cancel": "Il n'y a rien à annuler.",
            "unknown_text": (
                "Je n'ai pas compris 🤔 Utilisez les boutons ci-dessous, ou /help pour l'aide."
            ),
            "unknown_command": "Je ne connais pas cette commande. Voici le menu :",
            "stale_button": "Ce bouton n'est plus valable.",
            "stale_menu": "Ce bouton n'est plus valable. Voici le menu à jour :",
            "error": (
                "😕 Oups, un problème est survenu de notre côté. Réessayez dans un instant ; "
                "si cela continue, /help explique comment nous joindre."
            ),
            "cmd_start": "Accueil et menu",
            "cmd_catalog": "Voir le catalogue",
            "cmd_cart": "Voir mon panier",
            "cmd_orders": "Mes commandes",
            "cmd_language": "English / Français",
            "cmd_help": "Aide et contact",
            "cmd_cancel": "Annuler l'action en cours",
        },
        "en": {
            "welcome": (
                "👋 Welcome to <b>{store}</b>, {name}!\n\n"
                "Pick your products in the catalog, then pay by mobile money "
                "(Orange Money, Moov Money)."
            ),
            "test_mode": "🧪 <b>Test mode</b>: payments are simulated, no real money is taken.",
            "menu": "What would you like to do?",
            "btn_catalog": "🛍 Catalog",
            "btn_cart": "🛒 Cart ({count})",
            "btn_orders": "📦 My orders",
            "btn_help": "❓ Help",
            "btn_language": "🇫🇷 Français",
            "btn_menu": "🏠 Menu",
            "btn_cart_short": "🛒 Cart",
            "categories": "🛍 <b>Catalog</b>\nPick a category:",
            "catalog_empty": "The catalog is empty for now. Come back soon 🙂",
            "all_products": "All products",
            "btn_all_products": "📋 All products",
            "category": "🛍 <b>{category}</b> — page {page}/{pages}\nPick a product:",
            "category_empty": "🛍 <b>{category}</b>\nNo products here yet.",
            "product_button": "{name} — {price}",
            "product_button_sold_out": "❌ {name} — sold out",
            "btn_previous": "◀ Previous",
            "btn_next": "Next ▶",
            "btn_categories": "◀ Categories",
            "btn_back": "◀ Back",
            "price": "💰 Price: <b>{price}</b>",
            "stock_unlimited": "✅ In stock",
            "stock_count": "✅ In stock: {count}",
            "stock_few": "⚠️ Only {count} left",
            "stock_none": "❌ Out of stock",
            "quantity": "Quantity: <b>{quantity}</b> → {total}",
            "in_cart": "✅ Added! You have {count} in your cart.",
            "restock_waiting": "🔔 We will tell you as soon as it is back.",
            "btn_minus": "➖",
            "btn_plus": "➕",
            "btn_type_quantity": "✏️ Type a quantity",
            "btn_add": "🛒 Add to cart ({total})",
            "btn_notify": "🔔 Notify me when back",
            "btn_view_cart": "🛒 View cart ({count})",
            "added": "✅ {quantity} × {name} added to your cart",
            "quantity_min": "The minimum quantity is 1.",
            "quantity_max_stock": "Only {count} left in stock.",
            "quantity_max": "At most {count} per item.",
            "beyond_stock": (
                "Not enough stock: {stock} left and you already have {in_cart} in your cart."
            ),
            "beyond_limit": "At most {count} per item, and you already have {in_cart}.",
            "sold_out": "Sorry, this product is sold out.",
            "notify_saved": "🔔 Got it! We will tell you as soon as it is back.",
            "notify_known": "🔔 You are already on the list: we will tell you.",
            "product_gone": "This product is no longer available.",
            "back_in_stock": "🔔 Good news: <b>{name}</b> is back in stock!",
            "btn_see_product": "👀 See the product",
            "ask_quantity": (
                "✏️ How many <b>{name}</b> would you like?\nType a number from 1 to {maximum}."
            ),
            "btn_cancel": "✖️ Cancel",
            "quantity_not_number": (
                "I didn't get that. Type a whole number from 1 to {maximum}, for example 2."
            ),
            "quantity_too_small": (
                "The quantity must be at least 1. Type a number from 1 to {maximum}."
            ),
            "quantity_too_many_stock": (
                "Only {maximum} left in stock. Type a number from 1 to {maximum}."
            ),
            "quantity_too_many": "At most {maximum} per item. Type a number from 1 to {maximum}.",
            "typing_cancelled": "OK, cancelled.",
            "cart_title": "🛒 <b>Your cart</b>",
            "cart_line": "{index}. {name}\n     {quantity} × {price} = <b>{subtotal}</b>",
            "cart_line_short": "     ⚠️ Only {stock} left: lower the quantity.",
            "cart_line_gone": "     ⚠️ No longer available: remove it to order.",
            "cart_total": "<b>Total: {total}</b>",
            "cart_empty": "🛒 Your cart is empty.\nBrowse the catalog to pick your products.",
            "cart_line_button": "{name} ×{quantity}",
            "btn_remove": "🗑",
            "btn_checkout": "✅ Checkout ({total})",
            "btn_empty_cart": "🗑 Empty cart",
            "btn_keep_shopping": "🛍 Keep shopping",
            "confirm_empty": "Empty your cart? All {count} items will be removed.",
            "btn_confirm_empty": "🗑 Yes, empty it",
            "btn_keep_cart": "◀ No, keep it",
            "cart_emptied": "Cart emptied.",
            "line_removed": "{name} removed from your cart.",
            "orders_title": "📦 <b>My orders</b>\nTap an order to see it:",
            "orders_empty": "📦 You have no orders yet.\nBrowse the catalog to start.",
            "orders_line": "{icon} <b>{ref}</b> · {date}\n     {total} · {state}",
            "order_button": "{icon} {ref} · {total}",
            "btn_older": "Older ▶",
            "btn_newest": "◀ Newest",
            "order": "📦 <b>Order {ref}</b>\n{date}\nState: {state}",
            "order_line": "• {quantity} × {name} — {subtotal}",
            "order_total": "<b>Total: {total}</b>",
            "order_refunded": "↩️ Refunded: {amount}",
            "payins_title": "<b>Payments</b>",
            "payin_line": "• {date} — {method}, {amount}: {state}",
            "order_not_found": "Order not found.",
            "btn_pay": "💳 Pay",
            "btn_pay_again": "🔁 Pay again",
            "btn_open_payment": "🌐 Open the payment page",
            "btn_my_orders": "◀ My orders",
            "state_awaiting_payment": "Awaiting payment",
            "state_paid": "Paid",
            "state_cancelled": "Cancelled",
            "state_expired": "Expired",
            "state_refunded": "Refunded",
            "state_partially_refunded": "Partly refunded",
            "payin_creating": "being prepared",
            "payin_pending": "waiting",
            "payin_completed": "succeeded",
            "payin_failed": "failed",
            "payin_expired": "no answer",
            "payin_unknown": "being checked",
            "help": (
                "❓ <b>Help — {store}</b>\n\n"
                "<b>How to buy</b>\n"
                "1. 🛍 Catalog: pick a product and the quantity.\n"
                "2. 🛒 Cart: check it, then tap “Checkout”.\n"
                "3. Pay in one of these ways:\n"
                "• <b>Payment link</b>: tap “Pay” and pay on Ligdicash's secure page.\n"
                "• <b>Orange Money</b>: dial the USSD code shown (*144*4*6*amount#) to get an "
                "OTP code by SMS, then send that code here.\n"
                "• <b>Moov Money</b>: approve the request that arrives on your phone "
                "(or dial *555*6#).\n"
                "As soon as the payment is confirmed, you get a receipt here.\n\n"
                "<b>Commands</b>: /catalog the catalog, /cart your cart, /orders your orders, "
                "/language Français, /cancel cancel, /help this help.\n\n"
                "<b>A problem?</b> Do not pay twice: open “My orders” and tap “Check payment”. "
                "When you contact {store}, give the order reference (e.g. LB-7K3F9Q).{contact}"
            ),
            "contact_website": "\nOur website: {url}",
            "language_set": "🇬🇧 Got it: I will speak English from now on.",
            "nothing_to_cancel": "There is nothing to cancel.",
            "unknown_text": "I didn't understand 🤔 Use the buttons below, or /help for help.",
            "unknown_command": "I don't know that command. Here is the menu:",
            "stale_button": "This button has expired.",
            "stale_menu": "This button has expired. Here is the current menu:",
            "error": (
                "😕 Oops, something went wrong on our side. Please try again in a moment; "
                "if it goes on, /help tells you how to reach us."
            ),
            "cmd_start": "Welcome and menu",
            "cmd_catalog": "Browse the catalog",
            "cmd_cart": "See my cart",
            "cmd_orders": "My orders",
            "cmd_language": "Français / English",
            "cmd_help": "Help and contact",
            "cmd_cancel": "Cancel what is under way",
        },
    },
)

# Callback data, "shop:" namespace (Telegram allows 64 bytes). Ids are decimal integers.
HOME: Final = "shop:home"  # the menu, edited into the pressed message
MENU: Final = "shop:menu"  # the menu as a new message (other features' buttons use it)
ORDERS: Final = "shop:orders"  # the order list as a new message (the receipt's button)
CATEGORIES: Final = "shop:cats"
CATEGORY: Final = "shop:cat:"  # <category id>:<page>
PRODUCT: Final = "shop:p:"  # <product id>:<quantity>:<category id>:<page>
TYPE_QUANTITY: Final = "shop:type:"  # <product id>:<category id>:<page>
ADD: Final = "shop:add:"  # <product id>:<quantity>:<category id>:<page>
NOTIFY: Final = "shop:notify:"  # <product id>:<category id>:<page>
CART: Final = "shop:cart"
CART_SET: Final = "shop:cset:"  # <product id>:<quantity>, 0 removes the line
EMPTY_ASK: Final = "shop:empty"
EMPTY_YES: Final = "shop:empty:yes"
ORDER_LIST: Final = "shop:ol"  # [:<cursor>]
ORDER: Final = "shop:o:"  # <order reference>
HELP: Final = "shop:help"
LANGUAGE: Final = "shop:lang:"  # <fr|en>
CHECKOUT: Final = "co:start"  # handled by the checkout

ALL_PRODUCTS: Final = 0  # the category id that lists every product, with or without a category
PAGE_SIZE: Final = 6
ORDERS_PAGE_SIZE: Final = 5
MAX_PER_LINE: Final = 99  # items of one product per cart line
FEW_LEFT: Final = 5  # stock at or under which the card says "only N left"
COMMANDS: Final = ("start", "catalog", "cart", "orders", "language", "help", "cancel")

_BUTTON_NAME = 28  # product names in buttons, so a row stays readable on a small screen
_CAPTION_DESCRIPTION = 600  # a photo caption holds 1,024 characters in all
_TEXT_DESCRIPTION = 2000
_TOAST_NAME = 60  # a callback answer holds 200 characters

ORDER_ICONS: Final[dict[OrderState, str]] = {
    OrderState.AWAITING_PAYMENT: "⏳",
    OrderState.PAID: "✅",
    OrderState.CANCELLED: "✖️",
    OrderState.EXPIRED: "⌛",
    OrderState.REFUNDED: "↩️",
    OrderState.PARTIALLY_REFUNDED: "↩️",
}


@dataclass(frozen=True, slots=True)
class Shelf:
    """Where a product card was opened from: the category page its Back button returns to."""

    category_id: int
    page: int

    def data(self) -> str:
        """The `<category id>:<page>` part of callback data."""
        return f"{self.category_id}:{self.page}"


def product_data(product_id: int, quantity: int, shelf: Shelf) -> str:
    """Callback data that shows a product card with a quantity chosen."""
    return f"{PRODUCT}{product_id}:{quantity}:{shelf.data()}"


def shelf_of(product: Product) -> Shelf:
    """The shelf a product card opened from elsewhere (deep link, cart) goes back to."""
    return Shelf(product.category_id or ALL_PRODUCTS, 0)


def short(text: str, limit: int) -> str:
    """Cut a text to `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def limit_for(product: Product) -> int:
    """The largest quantity a customer may pick for a product now (0: none left)."""
    if product.stock is None:
        return MAX_PER_LINE
    return max(0, min(product.stock, MAX_PER_LINE))


def order_state(lang: Lang, state: OrderState) -> str:
    """An order's state in words."""
    return TEXT(lang, f"state_{state.value}")


def payin_state(lang: Lang, state: PayinState) -> str:
    """A payin's state in words."""
    return TEXT(lang, f"payin_{state.value}")


# Menu


def menu_buttons(lang: Lang, cart_count: int) -> tuple[tuple[Button, ...], ...]:
    """The main menu keyboard."""
    other: Lang = "en" if lang == "fr" else "fr"
    return (
        (
            Button(TEXT(lang, "btn_catalog"), data=CATEGORIES),
            Button(TEXT(lang, "btn_cart", count=cart_count), data=CART),
        ),
        (
            Button(TEXT(lang, "btn_orders"), data=ORDER_LIST),
            Button(TEXT(lang, "btn_help"), data=HELP),
        ),
        (Button(TEXT(lang, "btn_language"), data=LANGUAGE + other),),
    )


def welcome(lang: Lang, *, store: str, name: str, test_mode: bool, cart_count: int) -> Reply:
    """The /start greeting with the main menu."""
    parts = [TEXT(lang, "welcome", store=html.escape(store), name=html.escape(name))]
    if test_mode:
        parts.append(TEXT(lang, "test_mode"))
    return Reply("\n\n".join(parts), menu_buttons(lang, cart_count))


def menu(lang: Lang, cart_count: int, *, note: str = "") -> Reply:
    """The main menu, after an optional one-line note (already in the customer's language)."""
    text = TEXT(lang, "menu")
    return Reply(f"{note}\n\n{text}" if note else text, menu_buttons(lang, cart_count))


def help_text(lang: Lang, *, store: str, website: str | None) -> Reply:
    """What the bot does, how to pay with each method, how to reach the merchant."""
    contact = TEXT(lang, "contact_website", url=html.escape(website)) if website else ""
    return Reply(
        TEXT(lang, "help", store=html.escape(store), contact=contact),
        ((Button(TEXT(lang, "btn_menu"), data=HOME),),),
    )


# Catalog


def categories(lang: Lang, shelves: Sequence[Category]) -> Reply:
    """The list of categories."""
    if not shelves:
        return Reply(TEXT(lang, "catalog_empty"), ((Button(TEXT(lang, "btn_menu"), data=HOME),),))
    buttons = [Button(short(c.name, 40), data=f"{CATEGORY}{c.id}:0") for c in shelves]
    buttons.append(Button(TEXT(lang, "btn_all_products"), data=f"{CATEGORY}{ALL_PRODUCTS}:0"))
    return Reply(
        TEXT(lang, "categories"),
        (*rows(*buttons), (Button(TEXT(lang, "btn_menu"), data=HOME),)),
    )


def category_name(lang: Lang, category: Category | None) -> str:
    """A category's title ("All products" for the whole catalog)."""
    return TEXT(lang, "all_products") if category is None else category.name


def product_list(
    lang: Lang,
    *,
    title: str,
    shelf: Shelf,
    products: Sequence[Product],
    total: int,
) -> Reply:
    """One page of a category's products, with page buttons."""
    pages = max(1, -(-total // PAGE_SIZE))
    footer = (
        Button(TEXT(lang, "btn_categories"), data=CATEGORIES),
        Button(TEXT(lang, "btn_cart_short"), data=CART),
    )
    if not products:
        return Reply(TEXT(lang, "category_empty", category=html.escape(title)), (footer,))
    buttons: list[tuple[Button, ...]] = []
    for product in products:
        name = short(product.name, _BUTTON_NAME)
        label = (
            TEXT(lang, "product_button", name=name, price=money(product.price, lang))
            if product.available
            else TEXT(lang, "product_button_sold_out", name=name)
        )
        buttons.append((Button(label, data=product_data(product.id, 1, shelf)),))
    paging: list[Button] = []
    if shelf.page > 0:
        paging.append(
            Button(
                TEXT(lang, "btn_previous"), data=f"{CATEGORY}{shelf.category_id}:{shelf.page - 1}"
            )
        )
    if shelf.page + 1 < pages:
        paging.append(
            Button(TEXT(lang, "btn_next"), data=f"{CATEGORY}{shelf.category_id}:{shelf.page + 1}")
        )
    if paging:
        buttons.append(tuple(paging))
    buttons.append(footer)
    text = TEXT(lang, "category", category=html.escape(title), page=shelf.page + 1, pages=pages)
    return Reply(text, tuple(buttons))


def stock_line(lang: Lang, product: Product) -> str:
    """How many are left, in words."""
    if product.stock is None:
        return TEXT(lang, "stock_unlimited")
    if product.stock <= 0:
        return TEXT(lang, "stock_none")
    if product.stock <= FEW_LEFT:
        return TEXT(lang, "stock_few", count=product.stock)
    return TEXT(lang, "stock_count", count=product.stock)


def product_card(
    lang: Lang,
    product: Product,
    *,
    quantity: int,
    shelf: Shelf,
    in_cart: int = 0,
    restock_requested: bool = False,
) -> Reply:
    """A product's card: photo if any, description, price, stock, and the quantity selector."""
    room = _CAPTION_DESCRIPTION if product.photo_file_id else _TEXT_DESCRIPTION
    parts = [f"<b>{html.escape(product.name)}</b>"]
    if product.description.strip():
        parts.append(html.escape(short(product.description.strip(), room)))
    facts = [TEXT(lang, "price", price=money(product.price, lang)), stock_line(lang, product)]
    back = Button(TEXT(lang, "btn_back"), data=f"{CATEGORY}{shelf.data()}")
    if not product.available:
        if restock_requested:
            facts.append(TEXT(lang, "restock_waiting"))
        buttons: tuple[tuple[Button, ...], ...] = (
            (Button(TEXT(lang, "btn_notify"), data=f"{NOTIFY}{product.id}:{shelf.data()}"),),
            (back, Button(TEXT(lang, "btn_menu"), data=HOME)),
        )
        parts.append("\n".join(facts))
        return Reply("\n\n".join(parts), buttons, photo=product.photo_file_id)
    top = limit_for(product)
    quantity = max(1, min(quantity, top))
    total = money(product.price * quantity, lang)
    facts.append(TEXT(lang, "quantity", quantity=quantity, total=total))
    if in_cart:
        facts.append(TEXT(lang, "in_cart", count=in_cart))
    parts.append("\n".join(facts))
    cart_button = Button(TEXT(lang, "btn_view_cart", count=in_cart), data=CART)
    selector = (
        Button(TEXT(lang, "btn_minus"), data=product_data(product.id, quantity - 1, shelf)),
        Button(TEXT(lang, "btn_plus"), data=product_data(product.id, quantity + 1, shelf)),
    )
    add = Button(
        TEXT(lang, "btn_add", total=total),
        data=f"{ADD}{product.id}:{quantity}:{shelf.data()}",
    )
    typing = Button(
        TEXT(lang, "btn_type_quantity"), data=f"{TYPE_QUANTITY}{product.id}:{shelf.data()}"
    )
    layout: list[tuple[Button, ...]] = []
    if in_cart:
        layout.append((cart_button,))
    layout += [selector, (typing,), (add,), (back, Button(TEXT(lang, "btn_menu"), data=HOME))]
    return Reply("\n\n".join(parts), tuple(layout), photo=product.photo_file_id)


def ask_quantity(lang: Lang, product: Product, shelf: Shelf) -> Reply:
    """The prompt for a typed quantity."""
    return Reply(
        TEXT(lang, "ask_quantity", name=html.escape(product.name), maximum=limit_for(product)),
        ((Button(TEXT(lang, "btn_cancel"), data=product_data(product.id, 1, shelf)),),),
    )


def bad_quantity(lang: Lang, key: str, product: Product, shelf: Shelf) -> Reply:
    """Why a typed quantity was refused, with the way out."""
    return Reply(
        TEXT(lang, key, maximum=limit_for(product)),
        ((Button(TEXT(lang, "btn_cancel"), data=product_data(product.id, 1, shelf)),),),
    )


def back_in_stock(lang: Lang, product: Product) -> Reply:
    """The message a customer who asked gets when a product is back."""
    return Reply(
        TEXT(lang, "back_in_stock", name=html.escape(product.name)),
        (
            (
                Button(
                    TEXT(lang, "btn_see_product"),
                    data=product_data(product.id, 1, shelf_of(product)),
                ),
            ),
        ),
    )


def toast_name(product: Product) -> str:
    """A product name short enough for a callback answer (plain text, not HTML)."""
    return short(product.name, _TOAST_NAME)


# Cart


def _cart_line(lang: Lang, index: int, line: CartLine) -> str:
    product = line.product
    text = TEXT(
        lang,
        "cart_line",
        index=index,
        name=html.escape(product.name),
        quantity=line.quantity,
        price=money(product.price, lang),
        subtotal=money(line.subtotal, lang),
    )
    if not product.active or product.stock == 0:
        text += "\n" + TEXT(lang, "cart_line_gone")
    elif product.stock is not None and product.stock < line.quantity:
        text += "\n" + TEXT(lang, "cart_line_short", stock=product.stock)
    return text


def cart(lang: Lang, content: Cart) -> Reply:
    """The cart: lines, total, per-line buttons, checkout."""
    if content.is_empty:
        return Reply(
            TEXT(lang, "cart_empty"),
            (
                (Button(TEXT(lang, "btn_catalog"), data=CATEGORIES),),
                (Button(TEXT(lang, "btn_menu"), data=HOME),),
            ),
        )
    lines = [_cart_line(lang, i, line) for i, line in enumerate(content.lines, start=1)]
    text = "\n\n".join(
        [
            TEXT(lang, "cart_title"),
            *lines,
            TEXT(lang, "cart_total", total=money(content.total, lang)),
        ]
    )
    buttons: list[tuple[Button, ...]] = []
    for line in content.lines:
        product = line.product
        label = TEXT(lang, "cart_line_button", name=short(product.name, 18), quantity=line.quantity)
        buttons.append(
            (
                Button(TEXT(lang, "btn_minus"), data=f"{CART_SET}{product.id}:{line.quantity - 1}"),
                Button(label, data=product_data(product.id, line.quantity, shelf_of(product))),
                Button(TEXT(lang, "btn_plus"), data=f"{CART_SET}{product.id}:{line.quantity + 1}"),
                Button(TEXT(lang, "btn_remove"), data=f"{CART_SET}{product.id}:0"),
            )
        )
    buttons += [
        (Button(TEXT(lang, "btn_checkout", total=money(content.total, lang)), data=CHECKOUT),),
        (
            Button(TEXT(lang, "btn_keep_shopping"), data=CATEGORIES),
            Button(TEXT(lang, "btn_empty_cart"), data=EMPTY_ASK),
        ),
        (Button(TEXT(lang, "btn_menu"), data=HOME),),
    ]
    return Reply(text, tuple(buttons))


def confirm_empty(lang: Lang, content: Cart) -> Reply:
    """Asks before emptying the cart."""
    return Reply(
        TEXT(lang, "confirm_empty", count=content.item_count),
        (
            (
                Button(TEXT(lang, "btn_confirm_empty"), data=EMPTY_YES),
                Button(TEXT(lang, "btn_keep_cart"), data=CART),
            ),
        ),
    )


# Orders


def orders(lang: Lang, listed: Sequence[Order], *, next_cursor: str | None, first: bool) -> Reply:
    """A page of the customer's orders, newest first."""
    menu_row = (Button(TEXT(lang, "btn_menu"), data=HOME),)
    if not listed and first:
        return Reply(
            TEXT(lang, "orders_empty"),
            ((Button(TEXT(lang, "btn_catalog"), data=CATEGORIES),), menu_row),
        )
    lines = [
        TEXT(
            lang,
            "orders_line",
            icon=ORDER_ICONS[order.state],
            ref=order.reference,
            date=when(order.created_at, lang),
            total=money(order.total, lang),
            state=order_state(lang, order.state),
        )
        for order in listed
    ]
    buttons: list[tuple[Button, ...]] = [
        (
            Button(
                TEXT(
                    lang,
                    "order_button",
                    icon=ORDER_ICONS[order.state],
                    ref=order.reference,
                    total=money(order.total, lang),
                ),
                data=ORDER + order.reference,
            ),
        )
        for order in listed
    ]
    paging: list[Button] = []
    if not first:
        paging.append(Button(TEXT(lang, "btn_newest"), data=ORDER_LIST))
    if next_cursor is not None:
        paging.append(Button(TEXT(lang, "btn_older"), data=f"{ORDER_LIST}:{next_cursor}"))
    if paging:
        buttons.append(tuple(paging))
    buttons.append(menu_row)
    return Reply("\n\n".join([TEXT(lang, "orders_title"), *lines]), tuple(buttons))


def order_detail(lang: Lang, order: Order, payins: Sequence[Payin]) -> Reply:
    """One order: lines, total, state, its payins, and what can be done about it."""
    head = TEXT(
        lang,
        "order",
        ref=order.reference,
        date=when(order.created_at, lang),
        state=f"{ORDER_ICONS[order.state]} {order_state(lang, order.state)}",
    )
    lines = "\n".join(
        TEXT(
            lang,
            "order_line",
            quantity=line.quantity,
            name=html.escape(line.name),
            subtotal=money(line.subtotal, lang),
        )
        for line in order.lines
    )
    sums = [TEXT(lang, "order_total", total=money(order.total, lang))]
    if order.refunded_amount:
        sums.append(TEXT(lang, "order_refunded", amount=money(order.refunded_amount, lang)))
    parts = [head, lines, "\n".join(sums)]
    if payins:
        parts.append(
            "\n".join(
                [
                    TEXT(lang, "payins_title"),
                    *(
                        TEXT(
                            lang,
                            "payin_line",
                            date=when(payin.created_at, lang),
                            method=html.escape(payment.method_name(lang, payin.method)),
                            amount=money(payin.amount, lang),
                            state=payin_state(lang, payin.state),
                        )
                        for payin in payins
                    ),
                ]
            )
        )
    buttons: list[tuple[Button, ...]] = []
    if order.state is OrderState.AWAITING_PAYMENT:
        open_payins = [payin for payin in payins if payin.is_open]
        last_open = open_payins[-1] if open_payins else None
        if last_open is not None and last_open.payment_url:
            buttons.append((Button(TEXT(lang, "btn_open_payment"), url=last_open.payment_url),))
        if last_open is not None:
            buttons.append(
                (
                    Button(
                        payment.TEXT(lang, "btn_check"),
                        data=payment.CHECK + last_open.transaction_id,
                    ),
                )
            )
        pay_key = "btn_pay_again" if payins else "btn_pay"
        buttons.append((Button(TEXT(lang, pay_key), data=payment.RETRY + order.reference),))
        buttons.append(
            (Button(payment.TEXT(lang, "btn_cancel"), data=payment.CANCEL + order.reference),)
        )
    buttons.append(
        (
            Button(TEXT(lang, "btn_my_orders"), data=ORDER_LIST),
            Button(TEXT(lang, "btn_menu"), data=HOME),
        )
    )
    return Reply("\n\n".join(parts), tuple(buttons))


# Everything else


def unknown(lang: Lang, cart_count: int, *, command: bool) -> Reply:
    """The reply to text or a command the bot does not expect."""
    return menu(lang, cart_count, note=TEXT(lang, "unknown_command" if command else "unknown_text"))


def error(lang: Lang) -> Reply:
    """What the customer reads when handling their update failed."""
    return Reply(TEXT(lang, "error"), ((Button(TEXT(lang, "btn_menu"), data=MENU),),))


def commands(lang: Lang) -> list[tuple[str, str]]:
    """The command list Telegram shows in the / menu, as (command, description)."""
    return [(name, TEXT(lang, f"cmd_{name}")) for name in COMMANDS]
