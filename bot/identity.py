"""Who is writing: the customer record behind an update, and the language to answer in."""

from __future__ import annotations

from collections.abc import Iterable

from telegram import Update
from telegram.ext import filters

from bot.i18n import LANGUAGES, Lang, pick_language
from storage.customers import CustomerStore
from storage.models import Customer


class Visitors:
    """Records every user who talks to the bot and tells which language to use with them."""

    def __init__(
        self, customers: CustomerStore, default_language: Lang, admin_ids: Iterable[int] = ()
    ) -> None:
        self._customers = customers
        self.default_language = default_language
        self.admin_ids = frozenset(admin_ids)
        # Built once: an empty filters.User matches nobody, which is what no admins means.
        self.admin_filter = filters.User(user_id=self.admin_ids, allow_empty=False)

    def is_admin(self, user_id: int | None) -> bool:
        """True for the Telegram users listed in ADMIN_IDS."""
        return user_id is not None and user_id in self.admin_ids

    async def customer(self, update: Update) -> Customer | None:
        """Create or refresh the customer behind an update (None for updates without a user)."""
        user = update.effective_user
        if user is None or user.is_bot:
            return None
        return await self._customers.seen(
            user.id,
            first_name=user.first_name or "",
            last_name=user.last_name or "",
            username=user.username,
            language=pick_language(user.language_code, self.default_language),
        )

    def lang(self, customer: Customer | None) -> Lang:
        """The customer's language, or the shop's default."""
        if customer is not None:
            for lang in LANGUAGES:
                if customer.language == lang:
                    return lang
        return self.default_language

    async def set_language(self, customer: Customer, lang: Lang) -> None:
        """Remember the language the customer chose."""
        await self._customers.set_language(customer.id, lang)
