"""Products in the admin console: list, add (guided), edit, hide/show, delete, restock.

Adding walks name, price, description, photo, category and stock, one prompt each; editing a
field reuses the same prompt and its validation. The draft lives in user_data (JSON), so a
restart mid-way resumes at the same prompt. A change that makes a product available again
(restock, stock set, shown again) queues the restock message of every customer who asked to be
told, in the same transaction (storage), then wakes the outbox.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Final

from telegram.ext import filters

from bot.console import END, Prompt, Route, Visit, acknowledge, exact, refuse, send, show
from bot.messages import admin as say
from bot.messages.admin import TEXT
from bot.shop import restock_message
from storage.models import Product
from storage.stores import Stores

log = logging.getLogger(__name__)

PRODUCT_DRAFT: Final = "product"
# A prompt left unanswered this long no longer takes the admin's next message as its answer.
PROMPT_LIFETIME: Final = 3600.0
PAGE_SIZE: Final = 8
MAX_PRICE: Final = 2_000_000  # Ligdicash's largest payin: a dearer product could never be paid
MAX_STOCK: Final = 1_000_000
MAX_NAME: Final = 100
MAX_DESCRIPTION: Final = 2000
MAX_CATEGORY_NAME: Final = 40

# Conversation states (persisted: plain strings).
ASK_NAME: Final = "adm:ask_name"
ASK_PRICE: Final = "adm:ask_price"
ASK_DESCRIPTION: Final = "adm:ask_description"
ASK_PHOTO: Final = "adm:ask_photo"
ASK_CATEGORY: Final = "adm:ask_category"
ASK_STOCK: Final = "adm:ask_stock"
ASK_RESTOCK: Final = "adm:ask_restock"

FIELDS: Final[dict[str, str]] = {
    "name": ASK_NAME,
    "price": ASK_PRICE,
    "description": ASK_DESCRIPTION,
    "photo": ASK_PHOTO,
    "category": ASK_CATEGORY,
    "stock": ASK_STOCK,
}
# The order of the add conversation: each state's next one.
ADD_STEPS: Final[dict[str, str]] = {
    ASK_NAME: ASK_PRICE,
    ASK_PRICE: ASK_DESCRIPTION,
    ASK_DESCRIPTION: ASK_PHOTO,
    ASK_PHOTO: ASK_CATEGORY,
    ASK_CATEGORY: ASK_STOCK,
}
UNLIMITED_WORDS: Final = frozenset({"unlimited", "illimite", "illimité", "∞", "infini"})

_ID = r"(\d{1,18})"
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_CURRENCY = re.compile(r"(fcfa|cfa|xof|f)$")
_WHOLE = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?\d*[.,]\d+$")


class NumberProblem(StrEnum):
    """Why a typed amount or quantity is refused; the value is the text key that explains it."""

    NOT_A_NUMBER = "number_not_number"
    DECIMAL = "number_decimal"
    TOO_SMALL = "number_too_small"
    TOO_LARGE = "number_too_large"


def parse_whole(text: str, *, low: int, high: int, currency: bool = False) -> int | NumberProblem:
    """Read a whole number from `low` to `high` as people type it (`2 500`, `2500 F`)."""
    compact = _SPACES.sub("", text).lower()
    if currency:
        compact = _CURRENCY.sub("", compact)
    if _DECIMAL.fullmatch(compact):
        return NumberProblem.DECIMAL
    if not _WHOLE.fullmatch(compact):
        return NumberProblem.NOT_A_NUMBER
    digits = compact.lstrip("+-").lstrip("0") or "0"
    # Far beyond any limit: no need to turn a thousand digits into an int.
    value = int(digits) if len(digits) <= 12 else 10**12
    if compact.startswith("-"):
        value = -value
    if value < low:
        return NumberProblem.TOO_SMALL
    if value > high:
        return NumberProblem.TOO_LARGE
    return value


def parse_price(text: str) -> int | NumberProblem:
    """A product price: whole XOF from 1 to MAX_PRICE."""
    return parse_whole(text, low=1, high=MAX_PRICE, currency=True)


def parse_stock(text: str) -> int | NumberProblem | None:
    """A stock: a whole number from 0 to MAX_STOCK, or None for unlimited."""
    if text.strip().lower() in UNLIMITED_WORDS:
        return None
    return parse_whole(text, low=0, high=MAX_STOCK)


class CatalogAdmin:
    """The products part of the admin console."""

    def __init__(self, *, stores: Stores, wake_outbox: Callable[[], None]) -> None:
        self._stores = stores
        self._products = stores.products
        self._wake_outbox = wake_outbox

    def routes(self) -> list[Route]:
        """Commands and buttons that open a products screen."""
        return [
            Route(self._list_command, commands=("products",)),
            Route(self._list_button, pattern=exact(say.PRODUCT_LIST, r"(\d{1,4})")),
            Route(self._card_button, pattern=exact(say.PRODUCT, _ID)),
            Route(self._add, pattern=exact(say.PRODUCT_ADD)),
            Route(self._edit, pattern=exact(say.PRODUCT_EDIT, _ID, "(" + "|".join(FIELDS) + ")")),
            Route(self._visibility, pattern=exact(say.PRODUCT_VISIBILITY, _ID, "([01])")),
            Route(self._delete_ask, pattern=exact(say.PRODUCT_DELETE, _ID)),
            Route(self._delete_yes, pattern=exact(say.PRODUCT_DELETE_YES, _ID)),
            Route(self._restock_ask, pattern=exact(say.PRODUCT_RESTOCK, _ID)),
        ]

    def prompts(self) -> list[Prompt]:
        """What each products prompt accepts."""
        text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
        skip = exact(say.PRODUCT_SKIP)
        return [
            Prompt(ASK_NAME, self._typed_name, filter=text),
            Prompt(ASK_PRICE, self._typed_price, filter=text),
            Prompt(ASK_DESCRIPTION, self._typed_description, filter=text),
            Prompt(ASK_DESCRIPTION, self._skip_description, pattern=skip),
            Prompt(ASK_PHOTO, self._sent_photo, filter=filters.UpdateType.MESSAGE & filters.PHOTO),
            Prompt(ASK_PHOTO, self._skip_photo, pattern=skip),
            Prompt(ASK_CATEGORY, self._typed_category, filter=text),
            Prompt(ASK_CATEGORY, self._picked_category, pattern=exact(say.PRODUCT_CATEGORY, _ID)),
            Prompt(ASK_STOCK, self._typed_stock, filter=text),
            Prompt(ASK_STOCK, self._unlimited_stock, pattern=exact(say.PRODUCT_UNLIMITED)),
            Prompt(ASK_RESTOCK, self._typed_restock, filter=text),
        ]

    # Listing and the product card

    async def _list_command(self, v: Visit) -> object:
        await self._show_list(v, 0)
        return END

    async def _list_button(self, v: Visit) -> object:
        (page,) = v.groups()
        await self._show_list(v, int(page))
        return END

    async def _show_list(self, v: Visit, page: int, *, toast: str | None = None) -> None:
        listed = await self._products.page(
            include_hidden=True, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
        if not listed.products and page > 0:
            page = max(0, (listed.total - 1) // PAGE_SIZE)
            listed = await self._products.page(
                include_hidden=True, offset=page * PAGE_SIZE, limit=PAGE_SIZE
            )
        await show(
            v,
            say.product_list(
                v.lang, listed.products, total=listed.total, page=page, size=PAGE_SIZE
            ),
            toast=toast,
        )

    async def _card_button(self, v: Visit) -> object:
        product = await self._product(v)
        if product is not None:
            await self._show_card(v, product)
        return END

    async def _show_card(
        self, v: Visit, product: Product, *, toast: str | None = None, new: bool = False
    ) -> None:
        category = (
            await self._products.get_category(product.category_id)
            if product.category_id is not None
            else None
        )
        await show(v, say.product_card(v.lang, product, category), toast=toast, new=new)

    async def _product(self, v: Visit) -> Product | None:
        product = await self._products.get(int(v.groups()[0]))
        if product is None:
            await refuse(v, TEXT(v.lang, "product_gone"))
        return product

    # Adding

    async def _add(self, v: Visit) -> object:
        v.start_draft(PRODUCT_DRAFT, mode="add")
        await show(v, say.product_prompt(v.lang, ASK_NAME, adding=True), new=True)
        return ASK_NAME

    async def _next(self, v: Visit, draft: dict[str, Any], state: str) -> object:
        """After a valid answer: ask the next question, or create/update the product."""
        if draft.get("mode") == "edit":
            return await self._apply_edit(v, draft)
        following = ADD_STEPS.get(state)
        if following is not None:
            v.save_draft(draft)
            categories = await self._products.categories(include_hidden=True)
            await send(v, say.product_prompt(v.lang, following, adding=True, categories=categories))
            return following
        # Listed after the products already there: a new product goes to the end of its shelf.
        count = (await self._products.page(include_hidden=True, limit=1)).total
        product = await self._products.add(
            position=count,
            name=str(draft["name"]),
            price=int(draft["price"]),
            description=str(draft.get("description") or ""),
            photo_file_id=draft.get("photo") or None,
            category_id=draft.get("category") or None,
            stock=draft.get("stock"),
            actor=v.actor,
        )
        v.drop_draft()
        log.info("admin %s added product %s", v.admin_id, product.id)
        await self._show_card(v, product, new=True)
        await send(v, say.note(TEXT(v.lang, "product_added", name=say.escaped(product.name))))
        return END

    def _draft(self, v: Visit) -> dict[str, Any] | None:
        return v.draft(PRODUCT_DRAFT, PROMPT_LIFETIME)

    async def _expired(self, v: Visit) -> object:
        v.drop_draft()
        await send(v, say.menu(v.lang, note=TEXT(v.lang, "prompt_expired")))
        return END

    async def _typed_name(self, v: Visit) -> object:
        draft = self._draft(v)
        if draft is None:
            return await self._expired(v)
        name = " ".join(v.text.split())
        if not name or len(name) > MAX_NAME:
            await send(v, say.retry(v.lang, "name_length", limit=MAX_NAME))
            return None
        draft["name"] = name
        return await self._next(v, draft, ASK_NAME)

    async def _typed_price(self, v: Visit) -> object:
        draft = self._draft(v)
        if draft is None:
            return await self._expired(v)
        price = parse_price(v.text)
        if isinstance(price, NumberProblem):
            await send(v, say.retry(v.lang, price.value, low=1, high=MAX_PRICE, what="price"))
            return None
        draft["price"] = price
        return await self._next(v, draft, ASK_PRICE)

    async def _typed_description(self, v: Visit) -> object:
        draft = self._draft(v)
        if draft is None:
            return await self._expired(v)
        description = v.text.strip()
        if len(description) > MAX_DESCRIPTION:
            await send(v, say.retry(v.lang, "description_length", limit=MAX_DESCRIPTION))
            return None
        draft["description"] = description
        return await self._next(v, draft, ASK_DESCRIPTION)

    async def _skip_description(self, v: Visit) -> object:
        draft = self._draft(v)
        if draft is None:
            return await self._expired(v)
        await acknowledge(v)
        draft["description"] = ""
        return await self._next(v, draft, ASK_DESCRIPTION)

    async def _sent_photo(self, v: Visit) -> object:
        draft = self._draft(v)
        message = v.message
        if draft is None or message is None or not message.photo:
            return await self._expired(v)
        # Telegram sends several sizes, the largest last.
        draft["photo"] = message.photo[-1].file_id
        return await self._next(v, draft, ASK_PHOTO)

    async def _skip_photo(self, v: Visit) -> object:
        draft = self._draft(v)
        if draft is None:
            return await self._expired(v)
        await acknowledge(v)
        draft["photo"] = None
        return await self._next(v, draft, ASK_PHOTO)

    async def _typed_category(self, v: Visit) -> object:
        draft = self._draft(v)
        if draft is None:
            return await self._expired(v)
        name = " ".join(v.text.split())
        if not name or len(name) > MAX_CATEGORY_NAME:
            await send(v, say.retry(v.lang, "category_length", limit=MAX_CATEGORY_NAME))
            return None
        known = await self._products.categories(include_hidden=True)
        same = next((c for c in known if c.name.casefold() == name.casefold()), None)
        if same is None:
            same = await self._products.add_category(name, actor=v.actor, position=len(known))
            log.info("admin %s added category %s", v.admin_id, same.id)
        draft["category"] = same.id
        return await self._next(v, draft, ASK_CATEGORY)

    async def _picked_category(self, v: Visit) -> object:
        draft = self._draft(v)
        if draft is None:
            return await self._expired(v)
        category_id = int(v.groups()[0])
        if category_id and await self._products.get_category(category_id) is None:
            await refuse(v, TEXT(v.lang, "stale_button"))
            return None
        await acknowledge(v)
        draft["category"] = category_id or None
        return await self._next(v, draft, ASK_CATEGORY)

    async def _typed_stock(self, v: Visit) -> object:
        draft = self._draft(v)
        if draft is None:
            return await self._expired(v)
        stock = parse_stock(v.text)
        if isinstance(stock, NumberProblem):
            await send(v, say.retry(v.lang, stock.value, low=0, high=MAX_STOCK, what="stock"))
            return None
        draft["stock"] = stock
        return await self._next(v, draft, ASK_STOCK)

    async def _unlimited_stock(self, v: Visit) -> object:
        draft = self._draft(v)
        if draft is None:
            return await self._expired(v)
        await acknowledge(v)
        draft["stock"] = None
        return await self._next(v, draft, ASK_STOCK)

    # Editing

    async def _edit(self, v: Visit) -> object:
        product = await self._product(v)
        if product is None:
            return END
        field = v.groups()[1]
        state = FIELDS[field]
        v.start_draft(PRODUCT_DRAFT, mode="edit", product=product.id, field=field)
        categories = await self._products.categories(include_hidden=True)
        await show(
            v,
            say.product_prompt(v.lang, state, adding=False, categories=categories, product=product),
            new=True,
        )
        return state

    async def _apply_edit(self, v: Visit, draft: dict[str, Any]) -> object:
        product_id = int(draft["product"])
        field = str(draft["field"])
        changes: dict[str, Any] = {
            "name": {"name": draft.get("name")},
            "price": {"price": draft.get("price")},
            "description": {"description": draft.get("description") or ""},
            "photo": {"photo_file_id": draft.get("photo") or None},
            "category": {"category_id": draft.get("category") or None},
            "stock": {"stock": draft.get("stock")},
        }[field]
        v.drop_draft()
        product = await self._products.update(
            product_id, actor=v.actor, restock_message=restock_message, **changes
        )
        if product is None:
            await send(v, say.note(TEXT(v.lang, "product_gone")))
            return END
        self._wake_outbox()
        log.info("admin %s changed %s of product %s", v.admin_id, field, product_id)
        await self._show_card(v, product, toast=TEXT(v.lang, "product_saved"), new=v.query is None)
        return END

    # Hide/show, delete, restock

    async def _visibility(self, v: Visit) -> object:
        product = await self._product(v)
        if product is None:
            return END
        active = v.groups()[1] == "1"
        after = await self._products.update(
            product.id, actor=v.actor, active=active, restock_message=restock_message
        )
        if after is None:
            await refuse(v, TEXT(v.lang, "product_gone"))
            return END
        self._wake_outbox()
        log.info("admin %s %s product %s", v.admin_id, "showed" if active else "hid", product.id)
        await self._show_card(
            v, after, toast=TEXT(v.lang, "product_shown" if active else "product_hidden")
        )
        return END

    async def _delete_ask(self, v: Visit) -> object:
        product = await self._product(v)
        if product is None:
            return END
        if await self._stores.orders.ever_ordered(product.id):
            await refuse(v, TEXT(v.lang, "delete_refused"))
            return END
        await show(v, say.confirm_delete(v.lang, product))
        return END

    async def _delete_yes(self, v: Visit) -> object:
        product = await self._product(v)
        if product is None:
            return END
        if not await self._products.delete(product.id, actor=v.actor):
            await refuse(v, TEXT(v.lang, "delete_refused"))
            await self._show_card(v, product)
            return END
        log.info("admin %s deleted product %s", v.admin_id, product.id)
        await self._show_list(
            v, 0, toast=TEXT(v.lang, "product_deleted", name=say.short(product.name, 60))
        )
        return END

    async def _restock_ask(self, v: Visit) -> object:
        product = await self._product(v)
        if product is None:
            return END
        if product.stock is None:
            await refuse(v, TEXT(v.lang, "restock_unlimited"))
            return END
        v.start_draft(PRODUCT_DRAFT, mode="restock", product=product.id)
        await show(v, say.restock_prompt(v.lang, product), new=True)
        return ASK_RESTOCK

    async def _typed_restock(self, v: Visit) -> object:
        draft = self._draft(v)
        if draft is None or draft.get("mode") != "restock":
            return await self._expired(v)
        quantity = parse_whole(v.text, low=1, high=MAX_STOCK)
        if isinstance(quantity, NumberProblem):
            await send(v, say.retry(v.lang, quantity.value, low=1, high=MAX_STOCK, what="stock"))
            return None
        v.drop_draft()
        product = await self._products.restock(
            int(draft["product"]), quantity, actor=v.actor, restock_message=restock_message
        )
        if product is None:
            await send(v, say.note(TEXT(v.lang, "product_gone")))
            return END
        self._wake_outbox()
        log.info("admin %s restocked product %s by %d", v.admin_id, product.id, quantity)
        await self._show_card(v, product, new=True)
        await send(v, say.note(TEXT(v.lang, "restocked", quantity=quantity, stock=product.stock)))
        return END
