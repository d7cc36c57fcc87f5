"""What admins read in the console: menu, orders, stats, export, products, broadcasts, alerts."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import date
from typing import Final

from babel.dates import format_date

from bot.charts import ChartWords
from bot.i18n import Lang, Texts, money, when
from bot.messages import payment
from bot.messages import shop as shop_words
from bot.periods import Period
from bot.reply import Button, Reply, rows
from storage.models import (
    AuditEntry,
    BroadcastProgress,
    Category,
    Customer,
    Order,
    OrderFlag,
    OrderState,
    Payin,
    Payout,
    PeriodStats,
    Product,
)

TEXT = Texts(
    "admin",
    {
        "fr": {
            "menu": (
                "🛠 <b>Administration</b>\nQue voulez-vous faire ?\n\n"
                "💸 Rembourser : /refund LB-XXXXXX [montant] · paiement manuel : "
                "/payout numéro montant motif"
            ),
            "cancelled": "C'est annulé.",
            "stale_button": "Ce bouton n'est plus valable.",
            "prompt_expired": "Cette saisie a expiré : recommencez depuis le menu.",
            "unexpected": "J'attends une réponse à la question ci-dessus (ou /cancel).",
            "btn_orders": "📦 Commandes",
            "btn_flagged": "⚠️ À vérifier",
            "btn_stats": "📊 Statistiques",
            "btn_export": "📄 Export CSV",
            "btn_products": "🛍 Produits",
            "btn_broadcast": "📣 Message à tous",
            "btn_menu": "🛠 Menu admin",
            "btn_cancel": "✖️ Annuler",
            "btn_back": "◀ Retour",
            "cmd_admin": "Menu d'administration",
            "cmd_orders": "Commandes (filtres : awaiting, paid, failed, refunded, today…)",
            "cmd_order": "Détail d'une commande : /order LB-XXXXXX",
            "cmd_stats": "Statistiques : today, 7d, 30d, month",
            "cmd_export": "Export CSV des commandes et paiements",
            "cmd_products": "Produits : liste, ajout, modification",
            "cmd_broadcast": "Envoyer un message à tous les clients",
            "cmd_refund": "Rembourser : /refund LB-XXXXXX [montant]",
            "cmd_payout": "Paiement manuel : /payout numéro montant motif",
            # Orders
            "orders_usage": (
                "Filtre inconnu. Exemples : <code>/orders paid</code>, <code>/orders today</code>, "
                "<code>/orders 2026-11-01 2026-11-26</code>. Ou choisissez :"
            ),
            "order_usage": "Écrivez la référence : <code>/order LB-XXXXXX</code>",
            "filters_title": "📦 <b>Commandes</b> — quel filtre ?",
            "filter_aw": "⏳ En attente de paiement",
            "filter_pd": "✅ Payées",
            "filter_fl": "✖️ Échouées (expirées ou annulées)",
            "filter_rf": "↩️ Remboursées",
            "filter_td": "📅 Aujourd'hui",
            "filter_fg": "⚠️ À vérifier",
            "filter_all": "🗂 Toutes",
            "filter_range": "📅 Du {first} au {last}",
            "orders_title": "📦 <b>{filter}</b> — page {page}",
            "orders_empty": "Aucune commande.",
            "orders_line": "{icon} <b>{ref}</b> · {date}\n     {total} · {state}{flags}",
            "order_button": "{icon} {ref} · {total}",
            "btn_newer": "◀ Plus récentes",
            "btn_older": "Plus anciennes ▶",
            "btn_filters": "🔎 Filtres",
            "order_not_found": "Commande {ref} introuvable.",
            "order_head": "🧾 <b>Commande {ref}</b> — {state}",
            "order_created": "Créée le {date}",
            "order_paid_at": "Payée le {date}",
            "order_customer": "👤 {name} (id <code>{id}</code>{username}){phone}",
            "order_money": (
                "<b>Total : {total}</b> · payé {paid} · remboursé {refunded} · détenu {held}"
            ),
            "order_flags": "⚠️ <b>À vérifier :</b> {flags}",
            "payins_title": "<b>Paiements</b>",
            "payin_line": (
                "• {date} · {method} · {amount} · <b>{state}</b>\n"
                "  opérateur {operator} · request_id <code>{request_id}</code>\n"
                "  tx <code>{tx}</code> · {detail}"
            ),
            "payouts_title": "<b>Remboursements</b>",
            "payout_line": (
                "• {date} · {kind} · {amount} · <b>{state}</b> · {phone}\n"
                "  par {by} · request_id <code>{request_id}</code> · {detail}"
            ),
            "trail_title": "<b>Historique</b> ({count} dernières entrées)",
            "trail_line": "• {date} {actor} : {change}{why}",
            "none": "—",
            "btn_recheck": "🔄 Revérifier avec Ligdicash",
            "btn_cancel_order": "✖️ Annuler la commande",
            "btn_refund": "💸 Rembourser",
            "btn_clear_flag": "✅ Traité : {flag}",
            "recheck_nothing": "Aucun paiement à revérifier.",
            "recheck_done": "Ligdicash : {results}",
            "recheck_throttled": "patientez quelques secondes",
            "recheck_unreachable": "injoignable",
            "cannot_cancel": (
                "Cette commande n'attend plus de paiement : elle ne peut pas être annulée."
            ),
            "confirm_cancel": (
                "Annuler la commande <b>{ref}</b> ({total}) ?\n"
                "Le client en sera informé. Un paiement qui arriverait ensuite serait gardé et "
                "signalé."
            ),
            "btn_yes_cancel": "✖️ Oui, annuler",
            "order_cancelled": "Commande {ref} annulée.",
            "customer_cancelled": (
                "✖️ Votre commande <b>{ref}</b> ({total}) a été annulée par la boutique. "
                "Aucun montant n'a été prélevé. Pour toute question, répondez-nous ici."
            ),
            "flag_cleared": "Marqué comme traité : {flag}",
            "flag_paid_after_cancel": "payée après annulation",
            "flag_double_payment": "payée deux fois",
            "flag_stock_short": "stock insuffisant",
            "flag_amount_mismatch": "montant différent",
            "payout_intent": "demandé",
            "payout_sending": "en envoi",
            "payout_pending": "en attente",
            "payout_completed": "effectué",
            "payout_failed": "échoué",
            "payout_unknown": "issue inconnue",
            "payout_cancelled": "abandonné",
            "payout_kind_client": "portefeuille Ligdicash",
            "payout_kind_merchant": "mobile money",
            # Periods, stats, export
            "period_usage": (
                "Période inconnue. Exemples : <code>today</code>, <code>7d</code>, "
                "<code>30d</code>, <code>month</code>, <code>2026-11-01 2026-11-26</code> "
                "(400 jours au plus). Ou choisissez :"
            ),
            "period_title_stats": "📊 <b>Statistiques</b> — quelle période ?",
            "period_title_export": "📄 <b>Export CSV</b> — quelle période ?",
            "period_today": "Aujourd'hui",
            "period_7d": "7 derniers jours",
            "period_30d": "30 derniers jours",
            "period_month": "Ce mois-ci",
            "period_range": "Période",
            "period_span": "{label} ({first} – {last})",
            "period_day": "{label} ({day})",
            "stats": (
                "📊 <b>Statistiques — {period}</b>\n\n"
                "💰 Chiffre d'affaires : <b>{revenue}</b> ({payins} paiements)\n"
                "🧾 Commandes payées : {paid_orders} · panier moyen {basket}\n"
                "🔁 Conversion : {created_paid} payées sur {created} créées ({conversion})\n"
                "↩️ Remboursements : {refunds} ({refunds_count})"
            ),
            "stats_payouts": "💸 Paiements manuels : {total} ({count})",
            "stats_by_method": "<b>Par moyen de paiement</b>",
            "stats_by_operator": "<b>Par opérateur</b>",
            "stats_group_line": "• {name} : {revenue} ({count})",
            "operator_unknown": "non indiqué",
            "chart_caption": "Chiffre d'affaires par jour — {period}",
            "chart_title": "Chiffre d'affaires par jour",
            "chart_total": "{period} · total {total}",
            "chart_y": "F CFA",
            "chart_x": "Jour (UTC)",
            "chart_empty": "Aucun paiement sur la période",
            "export_preparing": "Préparation de l'export…",
            "export_orders": "🧾 Commandes — {period} : {rows} lignes",
            "export_payments": "💳 Paiements et remboursements — {period} : {rows} lignes",
            # Products
            "products_title": "🛍 <b>Produits</b> ({count}) — page {page}/{pages}",
            "products_empty": "🛍 Aucun produit pour l'instant.",
            "product_line": "{hidden}<b>{name}</b> — {price} · {stock}",
            "hidden_mark": "🙈 ",
            "btn_add_product": "➕ Ajouter un produit",
            "btn_previous": "◀",
            "btn_next": "▶",
            "product_card": (
                "🛍 <b>{name}</b> (n° {id}){hidden}\n"
                "Prix : {price}\nStock : {stock}\nCatégorie : {category}\nPhoto : {photo}\n"
                "Description : {description}"
            ),
            "product_hidden": "Produit masqué : les clients ne le voient plus.",
            "product_shown": "Produit visible dans le catalogue.",
            "card_hidden": " — 🙈 masqué",
            "stock_unlimited": "illimité",
            "stock_count": "{count}",
            "stock_out": "épuisé (0)",
            "category_none": "aucune",
            "photo_yes": "oui",
            "photo_no": "non",
            "btn_edit_name": "✏️ Nom",
            "btn_edit_price": "💰 Prix",
            "btn_edit_description": "📝 Description",
            "btn_edit_photo": "🖼 Photo",
            "btn_edit_category": "📂 Catégorie",
            "btn_edit_stock": "📦 Stock",
            "btn_restock": "➕ Réassort",
            "btn_hide": "🙈 Masquer",
            "btn_show": "👁 Afficher",
            "btn_delete": "🗑 Supprimer",
            "btn_back_products": "◀ Produits",
            "step": "Nouveau produit, étape {step}/6 — ",
            "ask_name": "✏️ Quel est le <b>nom</b> du produit ? (100 caractères au plus)",
            "ask_price": (
                "💰 Quel est le <b>prix</b> en F CFA ? Un nombre entier, par exemple "
                "<code>2500</code>."
            ),
            "ask_description": "📝 Écrivez la <b>description</b> (ou touchez « Passer »).",
            "ask_photo": "🖼 Envoyez la <b>photo</b> du produit (ou touchez « Passer »).",
            "ask_category": (
                "📂 Choisissez la <b>catégorie</b>, ou écrivez le nom d'une nouvelle catégorie."
            ),
            "ask_stock": (
                "📦 Combien en avez-vous en <b>stock</b> ? Un nombre entier, ou touchez "
                "« Illimité »."
            ),
            "current": "\nActuellement : {value}",
            "btn_skip": "⏭ Passer",
            "btn_remove": "🗑 Retirer",
            "btn_no_category": "Aucune catégorie",
            "btn_unlimited": "♾ Illimité",
            "name_length": "Le nom doit faire de 1 à {limit} caractères. Réessayez :",
            "description_length": "La description fait plus de {limit} caractères. Raccourcissez :",
            "category_length": "Le nom de catégorie doit faire de 1 à {limit} caractères :",
            "number_not_number": (
                "Ce n'est pas un nombre. Écrivez un nombre entier, par exemple 2500 :"
            ),
            "number_decimal": (
                "Pas de décimales : le F CFA n'a pas de centimes. Écrivez un entier :"
            ),
            "number_too_small": "Le nombre doit être au moins {low}. Réessayez :",
            "number_too_large": "Le nombre doit être au plus {high}. Réessayez :",
            "product_added": "✅ Produit ajouté : <b>{name}</b>",
            "product_saved": "Enregistré ✅",
            "product_gone": "Ce produit n'existe plus.",
            "delete_refused": (
                "Ce produit a déjà été commandé : il ne peut pas être supprimé (les commandes le "
                "citent). Masquez-le plutôt."
            ),
            "confirm_delete": "Supprimer définitivement <b>{name}</b> ?",
            "btn_yes_delete": "🗑 Oui, supprimer",
            "product_deleted": "Supprimé : {name}",
            "restock_unlimited": "Le stock de ce produit est illimité.",
            "ask_restock": (
                "➕ Réassort de <b>{name}</b> (stock actuel : {stock}). Combien en ajoutez-vous ?"
            ),
            "restocked": (
                "✅ +{quantity} : stock à {stock}. Les clients qui attendaient ce produit sont "
                "prévenus."
            ),
            # Broadcasts
            "ask_broadcast": (
                "📣 Écrivez le message à envoyer à tous les clients ({count} joignables).\n"
                "Texte simple : il sera envoyé tel quel."
            ),
            "broadcast_length": "Le message doit faire de 1 à {limit} caractères. Réessayez :",
            "broadcast_preview": ("📣 <b>Aperçu</b> — sera envoyé à {count} clients :\n\n{text}"),
            "btn_send": "✅ Envoyer",
            "btn_discard": "✖️ Annuler",
            "broadcast_discarded": "Message abandonné.",
            "broadcast_stale": "Cet aperçu n'est plus valable (déjà envoyé ou remplacé).",
            "broadcast_confirmed": "✅ Envoi lancé à {count} clients :\n\n{text}",
            "broadcast_progress": (
                "📣 <b>Envoi n° {id} en cours</b>\n"
                "Envoyés : {sent} · échecs : {failed} · bloqués : {skipped}\n"
                "Restants : {remaining} sur {total}"
            ),
            "btn_stop": "✖️ Arrêter l'envoi",
            "broadcast_over": "Cet envoi est déjà terminé.",
            "broadcast_stopping": "Envoi arrêté : {count} messages ne partiront pas.",
            "broadcast_finished": (
                "✅ <b>Envoi n° {id} terminé</b>\n"
                "Envoyés : {sent} sur {total} · échecs : {failed} · bloqués : {skipped}"
            ),
            "broadcast_cancelled": (
                "✖️ <b>Envoi n° {id} arrêté</b>\n"
                "Envoyés : {sent} sur {total} · échecs : {failed} · bloqués : {skipped} · "
                "non envoyés : {cancelled}\n"
                "(les messages déjà en route ont pu arriver quand même)"
            ),
            # Alerts
            "error_alert": (
                "🚨 <b>Erreur du bot</b> : <code>{kind}</code>\n{detail}\nMise à jour : {update}\n"
                "Détails dans les journaux (une alerte au plus toutes les 10 minutes par type)."
            ),
            "error_left_out": "\n({count} erreurs du même type depuis la dernière alerte)",
        },
        "en": {
            "menu": (
                "🛠 <b>Admin</b>\nWhat would you like to do?\n\n"
                "💸 Refund: /refund LB-XXXXXX [amount] · manual payout: "
                "/payout number amount reason"
            ),
            "cancelled": "Cancelled.",
            "stale_button": "This button is no longer valid.",
            "prompt_expired": "That prompt expired: start again from the menu.",
            "unexpected": "I am waiting for an answer to the question above (or /cancel).",
            "btn_orders": "📦 Orders",
            "btn_flagged": "⚠️ To check",
            "btn_stats": "📊 Stats",
            "btn_export": "📄 CSV export",
            "btn_products": "🛍 Products",
            "btn_broadcast": "📣 Message everyone",
            "btn_menu": "🛠 Admin menu",
            "btn_cancel": "✖️ Cancel",
            "btn_back": "◀ Back",
            "cmd_admin": "Admin menu",
            "cmd_orders": "Orders (filters: awaiting, paid, failed, refunded, today…)",
            "cmd_order": "One order in detail: /order LB-XXXXXX",
            "cmd_stats": "Stats: today, 7d, 30d, month",
            "cmd_export": "CSV export of orders and payments",
            "cmd_products": "Products: list, add, edit",
            "cmd_broadcast": "Send a message to every customer",
            "cmd_refund": "Refund: /refund LB-XXXXXX [amount]",
            "cmd_payout": "Manual payout: /payout number amount reason",
            "orders_usage": (
                "Unknown filter. Examples: <code>/orders paid</code>, <code>/orders today</code>, "
                "<code>/orders 2026-11-01 2026-11-26</code>. Or pick one:"
            ),
            "order_usage": "Type the reference: <code>/order LB-XXXXXX</code>",
            "filters_title": "📦 <b>Orders</b> — which filter?",
            "filter_aw": "⏳ Awaiting payment",
            "filter_pd": "✅ Paid",
            "filter_fl": "✖️ Failed (expired or cancelled)",
            "filter_rf": "↩️ Refunded",
            "filter_td": "📅 Today",
            "filter_fg": "⚠️ To check",
            "filter_all": "🗂 All",
            "filter_range": "📅 From {first} to {last}",
            "orders_title": "📦 <b>{filter}</b> — page {page}",
            "orders_empty": "No orders.",
            "orders_line": "{icon} <b>{ref}</b> · {date}\n     {total} · {state}{flags}",
            "order_button": "{icon} {ref} · {total}",
            "btn_newer": "◀ Newer",
            "btn_older": "Older ▶",
            "btn_filters": "🔎 Filters",
            "order_not_found": "Order {ref} not found.",
            "order_head": "🧾 <b>Order {ref}</b> — {state}",
            "order_created": "Created {date}",
            "order_paid_at": "Paid {date}",
            "order_customer": "👤 {name} (id <code>{id}</code>{username}){phone}",
            "order_money": (
                "<b>Total: {total}</b> · paid {paid} · refunded {refunded} · held {held}"
            ),
            "order_flags": "⚠️ <b>To check:</b> {flags}",
            "payins_title": "<b>Payments</b>",
            "payin_line": (
                "• {date} · {method} · {amount} · <b>{state}</b>\n"
                "  operator {operator} · request_id <code>{request_id}</code>\n"
                "  tx <code>{tx}</code> · {detail}"
            ),
            "payouts_title": "<b>Refunds</b>",
            "payout_line": (
                "• {date} · {kind} · {amount} · <b>{state}</b> · {phone}\n"
                "  by {by} · request_id <code>{request_id}</code> · {detail}"
            ),
            "trail_title": "<b>Audit trail</b> (last {count} entries)",
            "trail_line": "• {date} {actor}: {change}{why}",
            "none": "—",
            "btn_recheck": "🔄 Re-check with Ligdicash",
            "btn_cancel_order": "✖️ Cancel the order",
            "btn_refund": "💸 Refund",
            "btn_clear_flag": "✅ Handled: {flag}",
            "recheck_nothing": "No payment to re-check.",
            "recheck_done": "Ligdicash: {results}",
            "recheck_throttled": "wait a few seconds",
            "recheck_unreachable": "unreachable",
            "cannot_cancel": "This order no longer awaits payment: it cannot be cancelled.",
            "confirm_cancel": (
                "Cancel order <b>{ref}</b> ({total})?\n"
                "The customer will be told. A payment arriving later would be kept and flagged."
            ),
            "btn_yes_cancel": "✖️ Yes, cancel",
            "order_cancelled": "Order {ref} cancelled.",
            "customer_cancelled": (
                "✖️ Your order <b>{ref}</b> ({total}) was cancelled by the shop. No money was "
                "taken. If you have a question, reply here."
            ),
            "flag_cleared": "Marked as handled: {flag}",
            "flag_paid_after_cancel": "paid after cancellation",
            "flag_double_payment": "paid twice",
            "flag_stock_short": "stock short",
            "flag_amount_mismatch": "amount mismatch",
            "payout_intent": "requested",
            "payout_sending": "sending",
            "payout_pending": "pending",
            "payout_completed": "completed",
            "payout_failed": "failed",
            "payout_unknown": "outcome unknown",
            "payout_cancelled": "withdrawn",
            "payout_kind_client": "Ligdicash wallet",
            "payout_kind_merchant": "mobile money",
            "period_usage": (
                "Unknown period. Examples: <code>today</code>, <code>7d</code>, <code>30d</code>, "
                "<code>month</code>, <code>2026-11-01 2026-11-26</code> (400 days at most). "
                "Or pick one:"
            ),
            "period_title_stats": "📊 <b>Stats</b> — which period?",
            "period_title_export": "📄 <b>CSV export</b> — which period?",
            "period_today": "Today",
            "period_7d": "Last 7 days",
            "period_30d": "Last 30 days",
            "period_month": "This month",
            "period_range": "Period",
            "period_span": "{label} ({first} – {last})",
            "period_day": "{label} ({day})",
            "stats": (
                "📊 <b>Stats — {period}</b>\n\n"
                "💰 Revenue: <b>{revenue}</b> ({payins} payments)\n"
                "🧾 Paid orders: {paid_orders} · average basket {basket}\n"
                "🔁 Conversion: {created_paid} paid of {created} created ({conversion})\n"
                "↩️ Refunds: {refunds} ({refunds_count})"
            ),
            "stats_payouts": "💸 Manual payouts: {total} ({count})",
            "stats_by_method": "<b>By payment method</b>",
            "stats_by_operator": "<b>By operator</b>",
            "stats_group_line": "• {name}: {revenue} ({count})",
            "operator_unknown": "not given",
            "chart_caption": "Revenue per day — {period}",
            "chart_title": "Revenue per day",
            "chart_total": "{period} · total {total}",
            "chart_y": "F CFA",
            "chart_x": "Day (UTC)",
            "chart_empty": "No payment in this period",
            "export_preparing": "Preparing the export…",
            "export_orders": "🧾 Orders — {period}: {rows} rows",
            "export_payments": "💳 Payments and refunds — {period}: {rows} rows",
            "products_title": "🛍 <b>Products</b> ({count}) — page {page}/{pages}",
            "products_empty": "🛍 No products yet.",
            "product_line": "{hidden}<b>{name}</b> — {price} · {stock}",
            "hidden_mark": "🙈 ",
            "btn_add_product": "➕ Add a product",
            "btn_previous": "◀",
            "btn_next": "▶",
            "product_card": (
                "🛍 <b>{name}</b> (no. {id}){hidden}\n"
                "Price: {price}\nStock: {stock}\nCategory: {category}\nPhoto: {photo}\n"
                "Description: {description}"
            ),
            "product_hidden": "Product hidden: customers no longer see it.",
            "product_shown": "Product shown in the catalog.",
            "card_hidden": " — 🙈 hidden",
            "stock_unlimited": "unlimited",
            "stock_count": "{count}",
            "stock_out": "sold out (0)",
            "category_none": "none",
            "photo_yes": "yes",
            "photo_no": "no",
            "btn_edit_name": "✏️ Name",
            "btn_edit_price": "💰 Price",
            "btn_edit_description": "📝 Description",
            "btn_edit_photo": "🖼 Photo",
            "btn_edit_category": "📂 Category",
            "btn_edit_stock": "📦 Stock",
            "btn_restock": "➕ Restock",
            "btn_hide": "🙈 Hide",
            "btn_show": "👁 Show",
            "btn_delete": "🗑 Delete",
            "btn_back_products": "◀ Products",
            "step": "New product, step {step}/6 — ",
            "ask_name": "✏️ What is the product's <b>name</b>? (100 characters at most)",
            "ask_price": (
                "💰 What is the <b>price</b> in F CFA? A whole number, for example "
                "<code>2500</code>."
            ),
            "ask_description": "📝 Type the <b>description</b> (or tap “Skip”).",
            "ask_photo": "🖼 Send the product's <b>photo</b> (or tap “Skip”).",
            "ask_category": "📂 Pick the <b>category</b>, or type the name of a new one.",
            "ask_stock": "📦 How many are in <b>stock</b>? A whole number, or tap “Unlimited”.",
            "current": "\nNow: {value}",
            "btn_skip": "⏭ Skip",
            "btn_remove": "🗑 Remove",
            "btn_no_category": "No category",
            "btn_unlimited": "♾ Unlimited",
            "name_length": "The name must be 1 to {limit} characters. Try again:",
            "description_length": "The description is over {limit} characters. Shorten it:",
            "category_length": "A category name must be 1 to {limit} characters:",
            "number_not_number": "That is not a number. Type a whole number, for example 2500:",
            "number_decimal": "No decimals: the F CFA has no cents. Type a whole number:",
            "number_too_small": "The number must be at least {low}. Try again:",
            "number_too_large": "The number must be at most {high}. Try again:",
            "product_added": "✅ Product added: <b>{name}</b>",
            "product_saved": "Saved ✅",
            "product_gone": "This product no longer exists.",
            "delete_refused": (
                "This product was already ordered: it cannot be deleted (orders refer to it). "
                "Hide it instead."
            ),
            "confirm_delete": "Delete <b>{name}</b> for good?",
            "btn_yes_delete": "🗑 Yes, delete",
            "product_deleted": "Deleted: {name}",
            "restock_unlimited": "This product's stock is unlimited.",
            "ask_restock": (
                "➕ Restock <b>{name}</b> (stock now: {stock}). How many are you adding?"
            ),
            "restocked": (
                "✅ +{quantity}: stock now {stock}. Customers waiting for this product are told."
            ),
            "ask_broadcast": (
                "📣 Type the message to send to every customer ({count} reachable).\n"
                "Plain text: it is sent exactly as typed."
            ),
            "broadcast_length": "The message must be 1 to {limit} characters. Try again:",
            "broadcast_preview": "📣 <b>Preview</b> — will be sent to {count} customers:\n\n{text}",
            "btn_send": "✅ Send",
            "btn_discard": "✖️ Cancel",
            "broadcast_discarded": "Message dropped.",
            "broadcast_stale": "This preview is no longer valid (already sent or replaced).",
            "broadcast_confirmed": "✅ Sending to {count} customers:\n\n{text}",
            "broadcast_progress": (
                "📣 <b>Broadcast no. {id} sending</b>\n"
                "Sent: {sent} · failed: {failed} · blocked: {skipped}\n"
                "Remaining: {remaining} of {total}"
            ),
            "btn_stop": "✖️ Stop sending",
            "broadcast_over": "This broadcast is already over.",
            "broadcast_stopping": "Broadcast stopped: {count} messages will not go out.",
            "broadcast_finished": (
                "✅ <b>Broadcast no. {id} finished</b>\n"
                "Sent: {sent} of {total} · failed: {failed} · blocked: {skipped}"
            ),
            "broadcast_cancelled": (
                "✖️ <b>Broadcast no. {id} stopped</b>\n"
                "Sent: {sent} of {total} · failed: {failed} · blocked: {skipped} · "
                "not sent: {cancelled}\n"
                "(messages already on their way may still have arrived)"
            ),
            "error_alert": (
                "🚨 <b>Bot error</b>: <code>{kind}</code>\n{detail}\nUpdate: {update}\n"
                "Details in the logs (at most one alert per type every 10 minutes)."
            ),
            "error_left_out": "\n({count} more errors of this type since the last alert)",
        },
    },
)

# Callback data, "adm:" namespace (Telegram allows 64 bytes).
MENU: Final = "adm:menu"
CANCEL_PROMPT: Final = "adm:x"
ORDER_FILTERS: Final = "adm:of"
ORDER_LIST: Final = "adm:ol:"  # <filter code>:<page>[:<cursor>]
ORDER: Final = "adm:o:"  # <reference>
ORDER_RECHECK: Final = "adm:ock:"  # <reference>
ORDER_CANCEL: Final = "adm:ocx:"  # <reference>: asks
ORDER_CANCEL_YES: Final = "adm:ocy:"  # <reference>: cancels
ORDER_CLEAR_FLAG: Final = "adm:ofl:"  # <reference>:<flag>
STATS_MENU: Final = "adm:st"
STATS: Final = "adm:st:"  # <period code>
EXPORT_MENU: Final = "adm:ex"
EXPORT: Final = "adm:ex:"  # <period code>
PRODUCT_LIST: Final = "adm:pl:"  # <page>
PRODUCT: Final = "adm:p:"  # <product id>
PRODUCT_ADD: Final = "adm:pa"
PRODUCT_EDIT: Final = "adm:pe:"  # <product id>:<field>
PRODUCT_VISIBILITY: Final = "adm:pv:"  # <product id>:<1 show | 0 hide>
PRODUCT_DELETE: Final = "adm:pd:"  # <product id>: asks
PRODUCT_DELETE_YES: Final = "adm:pdy:"  # <product id>: deletes
PRODUCT_RESTOCK: Final = "adm:pr:"  # <product id>
PRODUCT_SKIP: Final = "adm:pskip"
PRODUCT_CATEGORY: Final = "adm:pcat:"  # <category id>, 0 = none
PRODUCT_UNLIMITED: Final = "adm:punl"
BROADCAST: Final = "adm:bc"
BROADCAST_SEND: Final = "adm:bcs:"  # <nonce of the previewed draft>
BROADCAST_DISCARD: Final = "adm:bcn:"  # <nonce>
BROADCAST_STOP: Final = "adm:bcx:"  # <broadcast id>
REFUND: Final = "rf:start:"  # <reference>: handled by the refunds feature

COMMANDS: Final = (
    "admin",
    "orders",
    "order",
    "stats",
    "export",
    "products",
    "broadcast",
    "refund",
    "payout",
)
FILTER_BUTTONS: Final = ("aw", "pd", "fl", "rf", "td", "fg", "all")
PERIOD_BUTTONS: Final = ("today", "7d", "30d", "month")
DETAIL_LIMIT: Final = 4000  # Telegram's 4,096, with room for the markup
_CARD_DESCRIPTION: Final = 600
_BUTTON_NAME: Final = 28


def escaped(text: str) -> str:
    """A user- or product-provided string made safe for HTML parse mode."""
    return html.escape(text, quote=False)


def short(text: str, limit: int) -> str:
    """Cut a text to `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def note(text: str) -> Reply:
    """A one-line message without buttons."""
    return Reply(text)


def commands(lang: Lang) -> list[tuple[str, str]]:
    """The admin commands for the / menu, as (command, description)."""
    return [(name, TEXT(lang, f"cmd_{name}")) for name in COMMANDS]


def _menu_button(lang: Lang) -> Button:
    return Button(TEXT(lang, "btn_menu"), data=MENU)


def _cancel_button(lang: Lang) -> Button:
    return Button(TEXT(lang, "btn_cancel"), data=CANCEL_PROMPT)


def menu(lang: Lang, *, note: str = "") -> Reply:
    """The /admin menu."""
    text = TEXT(lang, "menu")
    return Reply(
        f"{note}\n\n{text}" if note else text,
        rows(
            Button(TEXT(lang, "btn_orders"), data=ORDER_FILTERS),
            Button(TEXT(lang, "btn_flagged"), data=f"{ORDER_LIST}fg:0"),
            Button(TEXT(lang, "btn_stats"), data=STATS_MENU),
            Button(TEXT(lang, "btn_export"), data=EXPORT_MENU),
            Button(TEXT(lang, "btn_products"), data=f"{PRODUCT_LIST}0"),
            Button(TEXT(lang, "btn_broadcast"), data=BROADCAST),
            width=2,
        ),
    )


def unexpected(lang: Lang) -> Reply:
    """What a prompt answers to a message it cannot use."""
    return Reply(TEXT(lang, "unexpected"), ((_cancel_button(lang),),))


def usage(lang: Lang, key: str) -> Reply:
    """How to use a command."""
    return Reply(TEXT(lang, key), ((_menu_button(lang),),))


def retry(lang: Lang, key: str, **values: object) -> Reply:
    """An input refused: why, and a way out."""
    return Reply(TEXT(lang, key, **values), ((_cancel_button(lang),),))


# Orders


def flag_name(lang: Lang, flag: OrderFlag) -> str:
    """A flag in words."""
    return TEXT(lang, f"flag_{flag.value}")


def _day(lang: Lang, day: date) -> str:
    return str(format_date(day, "d MMM y", locale=lang))


def period_name(lang: Lang, period: Period) -> str:
    """A period in words, with its days."""
    key = f"period_{period.code}" if not period.code.startswith("d") else "period_range"
    label = TEXT(lang, key)
    if period.first_day == period.last_day:
        return TEXT(lang, "period_day", label=label, day=_day(lang, period.first_day))
    return TEXT(
        lang,
        "period_span",
        label=label,
        first=_day(lang, period.first_day),
        last=_day(lang, period.last_day),
    )


def filter_name(lang: Lang, code: str, period: Period | None) -> str:
    """An order filter in words."""
    if code in FILTER_BUTTONS:
        return TEXT(lang, f"filter_{code}")
    assert period is not None
    return TEXT(
        lang,
        "filter_range",
        first=_day(lang, period.first_day),
        last=_day(lang, period.last_day),
    )


def order_filters(lang: Lang, *, note: str = "") -> Reply:
    """The order filters to choose from."""
    title = TEXT(lang, "filters_title")
    return Reply(
        f"{note}\n\n{title}" if note else title,
        (
            *rows(
                *(
                    Button(TEXT(lang, f"filter_{code}"), data=f"{ORDER_LIST}{code}:0")
                    for code in FILTER_BUTTONS
                ),
                width=2,
            ),
            (_menu_button(lang),),
        ),
    )


def order_list(
    lang: Lang,
    title: str,
    code: str,
    listed: Sequence[Order],
    *,
    page: int,
    next_cursor: str | None,
) -> Reply:
    """A page of orders, one button each, with ◀ ▶ (next_cursor '' pages by number)."""
    lines = [
        TEXT(
            lang,
            "orders_line",
            icon=shop_words.ORDER_ICONS[order.state],
            ref=order.reference,
            date=when(order.created_at, lang),
            total=money(order.total, lang),
            state=shop_words.order_state(lang, order.state),
            flags=" ⚠️" if order.flags else "",
        )
        for order in listed
    ]
    head = TEXT(lang, "orders_title", filter=title, page=page + 1)
    body = "\n\n".join(lines) if lines else TEXT(lang, "orders_empty")
    buttons: list[tuple[Button, ...]] = [
        (
            Button(
                TEXT(
                    lang,
                    "order_button",
                    icon=shop_words.ORDER_ICONS[order.state],
                    ref=order.reference,
                    total=money(order.total, lang),
                ),
                data=ORDER + order.reference,
            ),
        )
        for order in listed
    ]
    paging: list[Button] = []
    if page > 0:
        paging.append(Button(TEXT(lang, "btn_newer"), data=f"{ORDER_LIST}{code}:{page - 1}"))
    if next_cursor is not None:
        after = f":{next_cursor}" if next_cursor else ""
        paging.append(Button(TEXT(lang, "btn_older"), data=f"{ORDER_LIST}{code}:{page + 1}{after}"))
    if paging:
        buttons.append(tuple(paging))
    buttons.append((Button(TEXT(lang, "btn_filters"), data=ORDER_FILTERS), _menu_button(lang)))
    return Reply(f"{head}\n\n{body}", tuple(buttons))


def _payin_line(lang: Lang, payin: Payin) -> str:
    none = TEXT(lang, "none")
    return TEXT(
        lang,
        "payin_line",
        date=when(payin.created_at, lang),
        method=escaped(payment.method_name(lang, payin.method)),
        amount=money(payin.amount, lang),
        state=shop_words.payin_state(lang, payin.state),
        operator=escaped(payin.operator or none),
        request_id=escaped(payin.request_id or none),
        tx=payin.transaction_id,
        detail=escaped(short(payin.detail or none, 200)),
    )


def _payout_line(lang: Lang, payout: Payout, phone: str) -> str:
    none = TEXT(lang, "none")
    return TEXT(
        lang,
        "payout_line",
        date=when(payout.created_at, lang),
        kind=TEXT(lang, f"payout_kind_{payout.kind.value}"),
        amount=money(payout.amount, lang),
        state=TEXT(lang, f"payout_{payout.state.value}"),
        phone=phone,
        by=payout.requested_by,
        request_id=escaped(payout.request_id or none),
        detail=escaped(short(payout.detail or payout.reason or none, 200)),
    )


def _trail_line(lang: Lang, entry: AuditEntry) -> str:
    change = ""
    if entry.from_state or entry.to_state:
        change = f"{entry.from_state or '∅'} → {entry.to_state or '∅'} "
    return TEXT(
        lang,
        "trail_line",
        date=entry.at.strftime("%d/%m %H:%M"),
        actor=escaped(entry.actor),
        change=escaped(change),
        why=escaped(short(entry.why, 160)),
    )


def order_detail(
    lang: Lang,
    order: Order,
    *,
    customer: Customer | None,
    phone: str,
    payins: Sequence[Payin],
    payouts: Sequence[Payout],
    trail: Sequence[AuditEntry],
    recheck: bool,
    mask: Callable[[str], str],
) -> Reply:
    """One order for an admin: lines, customer, money, flags, payins, payouts, trail, actions."""
    state = f"{shop_words.ORDER_ICONS[order.state]} {shop_words.order_state(lang, order.state)}"
    dates = [TEXT(lang, "order_created", date=when(order.created_at, lang))]
    if order.paid_at is not None:
        dates.append(TEXT(lang, "order_paid_at", date=when(order.paid_at, lang)))
    name = " ".join(p for p in (order.first_name, order.last_name) if p)
    if not name and customer is not None:
        name = customer.display_name
    username = f", @{escaped(customer.username)}" if customer and customer.username else ""
    head = [
        TEXT(lang, "order_head", ref=order.reference, state=state),
        " · ".join(dates),
        TEXT(
            lang,
            "order_customer",
            name=escaped(name or "?"),
            id=order.customer_id,
            username=username,
            phone=f" · {phone}" if phone else "",
        ),
    ]
    sums = TEXT(
        lang,
        "order_money",
        total=money(order.total, lang),
        paid=money(order.paid_amount, lang),
        refunded=money(order.refunded_amount, lang),
        held=money(order.held_amount, lang),
    )
    flags = ""
    if order.flags:
        names = ", ".join(flag_name(lang, flag) for flag in sorted(order.flags))
        flags = TEXT(lang, "order_flags", flags=names)
    # Each row is complete HTML, so the message can be shortened row by row, never mid-tag.
    lines = payment.lines_text(lang, order).split("\n")
    payin_rows = [_payin_line(lang, p) for p in payins]
    payout_rows = [_payout_line(lang, p, mask(p.phone)) for p in payouts]
    entries = list(trail)

    def assemble() -> str:
        parts = ["\n".join(head), "\n".join(lines), sums, flags]
        if payin_rows:
            parts.append("\n".join([TEXT(lang, "payins_title"), *payin_rows]))
        if payout_rows:
            parts.append("\n".join([TEXT(lang, "payouts_title"), *payout_rows]))
        if entries:
            parts.append(_trail(lang, entries))
        return "\n\n".join(part for part in parts if part)

    text = assemble()
    # Too long for one message: the oldest trail entries go first, then the oldest payins,
    # then the last order lines.
    while len(text) > DETAIL_LIMIT:
        if entries:
            entries.pop(0)
        elif len(payin_rows) > 1:
            payin_rows.pop(0)
        elif len(lines) > 1:
            if lines[-1] == "…":
                del lines[-2]
            else:
                lines[-1] = "…"
        else:
            break
        text = assemble()
    buttons: list[tuple[Button, ...]] = []
    if recheck:
        buttons.append((Button(TEXT(lang, "btn_recheck"), data=ORDER_RECHECK + order.reference),))
    if order.state is OrderState.AWAITING_PAYMENT:
        buttons.append(
            (Button(TEXT(lang, "btn_cancel_order"), data=ORDER_CANCEL + order.reference),)
        )
    if order.held_amount > 0:
        buttons.append((Button(TEXT(lang, "btn_refund"), data=REFUND + order.reference),))
    for flag in sorted(order.flags):
        buttons.append(
            (
                Button(
                    TEXT(lang, "btn_clear_flag", flag=flag_name(lang, flag)),
                    data=f"{ORDER_CLEAR_FLAG}{order.reference}:{flag.value}",
                ),
            )
        )
    buttons.append((Button(TEXT(lang, "btn_filters"), data=ORDER_FILTERS), _menu_button(lang)))
    return Reply(text, tuple(buttons))


def _trail(lang: Lang, entries: Sequence[AuditEntry]) -> str:
    return "\n".join(
        [
            TEXT(lang, "trail_title", count=len(entries)),
            *(_trail_line(lang, entry) for entry in entries),
        ]
    )


def recheck_toast(lang: Lang, outcomes: Sequence[str]) -> str:
    """What the re-check found, one word per payin."""
    words = []
    for outcome in outcomes:
        if outcome in ("throttled", "unreachable"):
            words.append(TEXT(lang, f"recheck_{outcome}"))
        else:
            words.append(shop_words.TEXT(lang, f"payin_{outcome}"))
    return TEXT(lang, "recheck_done", results=", ".join(words))


def confirm_cancel(lang: Lang, order: Order) -> Reply:
    """Ask before cancelling an unpaid order."""
    return Reply(
        TEXT(lang, "confirm_cancel", ref=order.reference, total=money(order.total, lang)),
        (
            (Button(TEXT(lang, "btn_yes_cancel"), data=ORDER_CANCEL_YES + order.reference),),
            (Button(TEXT(lang, "btn_back"), data=ORDER + order.reference),),
        ),
    )


def customer_cancelled(lang: Lang, order: Order) -> Reply:
    """What the customer reads when the shop cancels their order."""
    return Reply(
        TEXT(lang, "customer_cancelled", ref=order.reference, total=money(order.total, lang)),
        ((Button(shop_words.TEXT(lang, "btn_my_orders"), data=shop_words.ORDERS),),),
    )


# Stats and export


def period_menu(lang: Lang, prefix: str, *, note: str = "") -> Reply:
    """The periods to choose from, for stats (prefix STATS) or export (EXPORT)."""
    key = "period_title_stats" if prefix == STATS else "period_title_export"
    title = TEXT(lang, key)
    return Reply(
        f"{note}\n\n{title}" if note else title,
        (
            *rows(
                *(
                    Button(TEXT(lang, f"period_{code}"), data=f"{prefix}{code}")
                    for code in PERIOD_BUTTONS
                ),
                width=2,
            ),
            (_menu_button(lang),),
        ),
    )


def _percent(lang: Lang, permille: int) -> str:
    separator = "," if lang == "fr" else "."
    return f"{permille // 10}{separator}{permille % 10} %"


def _group_name(lang: Lang, key: str, *, method: bool) -> str:
    if method:
        for candidate in ("link", "orange_otp", "moov_approval"):
            if key == candidate:
                return escaped(payment.TEXT(lang, f"method_{key}"))
    return escaped(key) if key else TEXT(lang, "operator_unknown")


def stats(lang: Lang, figures: PeriodStats, period: Period) -> Reply:
    """The /stats message."""
    parts = [
        TEXT(
            lang,
            "stats",
            period=period_name(lang, period),
            revenue=money(figures.revenue, lang),
            payins=figures.payins_completed,
            paid_orders=figures.paid_orders,
            basket=money(figures.average_basket, lang),
            created_paid=figures.orders_created_paid,
            created=figures.orders_created,
            conversion=_percent(lang, figures.conversion_permille),
            refunds=money(figures.refunds_total, lang),
            refunds_count=figures.refunds_count,
        )
    ]
    if figures.payouts_count:
        parts.append(
            TEXT(
                lang,
                "stats_payouts",
                total=money(figures.payouts_total, lang),
                count=figures.payouts_count,
            )
        )
    for title, groups, method in (
        ("stats_by_method", figures.per_method, True),
        ("stats_by_operator", figures.per_operator, False),
    ):
        if groups:
            lines = [
                TEXT(
                    lang,
                    "stats_group_line",
                    name=_group_name(lang, group.key, method=method),
                    revenue=money(group.revenue, lang),
                    count=group.payins,
                )
                for group in groups
            ]
            parts.append("\n".join([TEXT(lang, title), *lines]))
    return Reply(
        "\n\n".join(parts),
        ((Button(TEXT(lang, "btn_stats"), data=STATS_MENU), _menu_button(lang)),),
    )


def chart_words(lang: Lang, figures: PeriodStats, period: Period) -> ChartWords:
    """The chart's title, total and axis labels."""
    return ChartWords(
        title=TEXT(lang, "chart_title"),
        total=TEXT(
            lang,
            "chart_total",
            period=period_name(lang, period),
            total=money(figures.revenue, lang),
        ),
        y_axis=TEXT(lang, "chart_y"),
        x_axis=TEXT(lang, "chart_x"),
        no_revenue=TEXT(lang, "chart_empty"),
    )


def axis_amount(lang: Lang, amount: int) -> str:
    """An amount on the chart's axis (the unit is in the axis label)."""
    return money(amount, lang).replace("F\u202fCFA", "").replace("F CFA", "").strip()


# Products


def _stock(lang: Lang, product: Product) -> str:
    if product.stock is None:
        return TEXT(lang, "stock_unlimited")
    if product.stock == 0:
        return TEXT(lang, "stock_out")
    return TEXT(lang, "stock_count", count=product.stock)


def product_list(
    lang: Lang, products: Sequence[Product], *, total: int, page: int, size: int
) -> Reply:
    """A page of products, hidden ones marked, one button each."""
    add = (Button(TEXT(lang, "btn_add_product"), data=PRODUCT_ADD),)
    if not products:
        return Reply(TEXT(lang, "products_empty"), (add, (_menu_button(lang),)))
    pages = max(1, (total + size - 1) // size)
    hidden = TEXT(lang, "hidden_mark")
    lines = [
        TEXT(
            lang,
            "product_line",
            hidden="" if p.active else hidden,
            name=escaped(p.name),
            price=money(p.price, lang),
            stock=_stock(lang, p),
        )
        for p in products
    ]
    buttons: list[tuple[Button, ...]] = list(
        rows(
            *(
                Button(
                    ("" if p.active else hidden) + short(p.name, _BUTTON_NAME),
                    data=f"{PRODUCT}{p.id}",
                )
                for p in products
            ),
            width=2,
        )
    )
    paging = []
    if page > 0:
        paging.append(Button(TEXT(lang, "btn_previous"), data=f"{PRODUCT_LIST}{page - 1}"))
    if page + 1 < pages:
        paging.append(Button(TEXT(lang, "btn_next"), data=f"{PRODUCT_LIST}{page + 1}"))
    if paging:
        buttons.append(tuple(paging))
    buttons += [add, (_menu_button(lang),)]
    head = TEXT(lang, "products_title", count=total, page=page + 1, pages=pages)
    return Reply("\n".join([head, "", *lines]), tuple(buttons))


def product_card(lang: Lang, product: Product, category: Category | None) -> Reply:
    """One product for an admin, with a button per action."""
    data = f"{product.id}"
    text = TEXT(
        lang,
        "product_card",
        name=escaped(product.name),
        id=product.id,
        hidden="" if product.active else TEXT(lang, "card_hidden"),
        price=money(product.price, lang),
        stock=_stock(lang, product),
        category=escaped(category.name) if category else TEXT(lang, "category_none"),
        photo=TEXT(lang, "photo_yes" if product.photo_file_id else "photo_no"),
        description=escaped(short(product.description, _CARD_DESCRIPTION)) or TEXT(lang, "none"),
    )
    edit = [
        Button(TEXT(lang, f"btn_edit_{field}"), data=f"{PRODUCT_EDIT}{data}:{field}")
        for field in ("name", "price", "description", "photo", "category", "stock")
    ]
    visibility = (
        Button(TEXT(lang, "btn_hide"), data=f"{PRODUCT_VISIBILITY}{data}:0")
        if product.active
        else Button(TEXT(lang, "btn_show"), data=f"{PRODUCT_VISIBILITY}{data}:1")
    )
    restock = (
        Button(TEXT(lang, "btn_restock"), data=f"{PRODUCT_RESTOCK}{data}")
        if product.stock is not None
        else None
    )
    return Reply(
        text,
        (
            *rows(*edit, width=2),
            *rows(restock, visibility, width=2),
            (Button(TEXT(lang, "btn_delete"), data=f"{PRODUCT_DELETE}{data}"),),
            (Button(TEXT(lang, "btn_back_products"), data=f"{PRODUCT_LIST}0"), _menu_button(lang)),
        ),
    )


_PROMPT_KEYS: Final = {
    "adm:ask_name": ("ask_name", 1),
    "adm:ask_price": ("ask_price", 2),
    "adm:ask_description": ("ask_description", 3),
    "adm:ask_photo": ("ask_photo", 4),
    "adm:ask_category": ("ask_category", 5),
    "adm:ask_stock": ("ask_stock", 6),
}


def _current(lang: Lang, state: str, product: Product, categories: Sequence[Category]) -> str:
    none = TEXT(lang, "none")
    values = {
        "adm:ask_name": escaped(product.name),
        "adm:ask_price": money(product.price, lang),
        "adm:ask_description": escaped(short(product.description, 200)) or none,
        "adm:ask_photo": TEXT(lang, "photo_yes" if product.photo_file_id else "photo_no"),
        "adm:ask_category": next(
            (escaped(c.name) for c in categories if c.id == product.category_id),
            TEXT(lang, "category_none"),
        ),
        "adm:ask_stock": _stock(lang, product),
    }
    return TEXT(lang, "current", value=values[state])


def product_prompt(
    lang: Lang,
    state: str,
    *,
    adding: bool,
    categories: Sequence[Category] = (),
    product: Product | None = None,
) -> Reply:
    """The question of one product field: a step of the add conversation, or an edit."""
    key, step = _PROMPT_KEYS[state]
    text = TEXT(lang, key)
    if adding:
        text = TEXT(lang, "step", step=step) + text
    elif product is not None:
        text += _current(lang, state, product, categories)
    extra: list[Button] = []
    if state in ("adm:ask_description", "adm:ask_photo"):
        extra.append(Button(TEXT(lang, "btn_skip" if adding else "btn_remove"), data=PRODUCT_SKIP))
    if state == "adm:ask_category":
        extra += [
            Button(short(c.name, _BUTTON_NAME), data=f"{PRODUCT_CATEGORY}{c.id}")
            for c in categories
        ]
        extra.append(Button(TEXT(lang, "btn_no_category"), data=f"{PRODUCT_CATEGORY}0"))
    if state == "adm:ask_stock":
        extra.append(Button(TEXT(lang, "btn_unlimited"), data=PRODUCT_UNLIMITED))
    return Reply(text, (*rows(*extra, width=2), (_cancel_button(lang),)))


def confirm_delete(lang: Lang, product: Product) -> Reply:
    """Ask before deleting a product for good."""
    return Reply(
        TEXT(lang, "confirm_delete", name=escaped(product.name)),
        (
            (Button(TEXT(lang, "btn_yes_delete"), data=f"{PRODUCT_DELETE_YES}{product.id}"),),
            (Button(TEXT(lang, "btn_back"), data=f"{PRODUCT}{product.id}"),),
        ),
    )


def restock_prompt(lang: Lang, product: Product) -> Reply:
    """Ask how many items to add."""
    return Reply(
        TEXT(lang, "ask_restock", name=escaped(product.name), stock=product.stock),
        ((_cancel_button(lang),),),
    )


# Broadcasts


def broadcast_prompt(lang: Lang, reachable: int) -> Reply:
    """Ask for the broadcast's text."""
    return Reply(TEXT(lang, "ask_broadcast", count=reachable), ((_cancel_button(lang),),))


def broadcast_message(text: str) -> Reply:
    """What customers receive: the admin's text, as plain text."""
    return Reply(escaped(text))


def broadcast_preview(lang: Lang, text: str, reachable: int, nonce: str) -> Reply:
    """The preview with Send and Cancel (bound to this draft)."""
    return Reply(
        TEXT(lang, "broadcast_preview", count=reachable, text=escaped(text)),
        (
            (
                Button(TEXT(lang, "btn_send"), data=BROADCAST_SEND + nonce),
                Button(TEXT(lang, "btn_discard"), data=BROADCAST_DISCARD + nonce),
            ),
        ),
    )


def broadcast_confirmed(lang: Lang, text: str, recipients: int) -> Reply:
    """The preview once confirmed (its buttons gone)."""
    return Reply(TEXT(lang, "broadcast_confirmed", count=recipients, text=escaped(text)))


def _counts(progress: BroadcastProgress) -> dict[str, int]:
    return {
        "id": progress.broadcast_id,
        "sent": progress.sent,
        "failed": progress.failed,
        "skipped": progress.skipped,
        "cancelled": progress.cancelled,
        "remaining": progress.remaining,
        "total": progress.recipients,
    }


def broadcast_progress(lang: Lang, progress: BroadcastProgress) -> Reply:
    """The progress message, with its Stop button."""
    return Reply(
        TEXT(lang, "broadcast_progress", **_counts(progress)),
        ((Button(TEXT(lang, "btn_stop"), data=f"{BROADCAST_STOP}{progress.broadcast_id}"),),),
    )


def broadcast_report(lang: Lang, progress: BroadcastProgress) -> Reply:
    """The final report: finished, or stopped."""
    key = "broadcast_cancelled" if progress.state.value == "cancelled" else "broadcast_finished"
    return Reply(TEXT(lang, key, **_counts(progress)), ((_menu_button(lang),),))


# Alerts


def error_alert(lang: Lang, kind: str, detail: str, update_id: int | None, left_out: int) -> Reply:
    """The alert admins get when handling an update failed."""
    text = TEXT(
        lang,
        "error_alert",
        kind=escaped(kind),
        detail=escaped(detail),
        update=update_id if update_id is not None else TEXT(lang, "none"),
    )
    if left_out:
        text += TEXT(lang, "error_left_out", count=left_out)
    return Reply(text)
