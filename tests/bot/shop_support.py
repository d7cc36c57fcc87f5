"""Helpers for the shop's end-to-end tests: a customer who types and taps through the emulator."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from bot.emulator import CallbackAnswer, ChatMessage, TelegramEmulator
from bot.i18n import Lang
from bot.messages.shop import TEXT
from storage.models import Product


@dataclass(frozen=True)
class Shopper:
    """One emulated customer talking to the running bot."""

    emulator: TelegramEmulator
    id: int

    @classmethod
    def create(
        cls, emulator: TelegramEmulator, name: str = "Awa", language_code: str | None = "fr"
    ) -> Shopper:
        """Add a user to the emulated world."""
        return cls(emulator, emulator.create_user(name, language_code=language_code).id)

    async def say(self, text: str, *, expect: str | None = None) -> ChatMessage:
        """Send text and return the bot's first reply after it (containing `expect`)."""
        update = await self.emulator.inject_text(self.id, text)
        return await self.emulator.wait_for_message(
            self.id, contains=expect, after=update["message"]["message_id"]
        )

    async def tap(
        self,
        message: ChatMessage,
        *,
        expect: str,
        data: str | None = None,
        text: str | None = None,
    ) -> tuple[ChatMessage, CallbackAnswer]:
        """Press a button and return the message that then shows `expect`, and the answer.

        That is the pressed message once edited, or a newer message (sent in its place).
        """
        before = self.emulator.message(self.id, message.message_id)
        query = await self.press(before, data=data, text=text)
        answer = await self.emulator.wait_for_callback_answer(query)
        shown = await self.emulator.wait_for(
            self.id,
            lambda m: (
                not m.deleted
                and expect in m.content
                and (
                    m.message_id > before.message_id
                    or (m.message_id == before.message_id and m.edits > before.edits)
                )
            ),
        )
        return shown, answer

    async def tap_for_answer(
        self, message: ChatMessage, *, data: str | None = None, text: str | None = None
    ) -> CallbackAnswer:
        """Press a button and return only the bot's answer to the press (toast or alert)."""
        query = await self.press(message, data=data, text=text)
        return await self.emulator.wait_for_callback_answer(query)

    async def press(
        self, message: ChatMessage, *, data: str | None = None, text: str | None = None
    ) -> str:
        """Press a button; return the callback query id."""
        update = await self.emulator.press_button(self.id, message.message_id, data=data, text=text)
        return str(update["callback_query"]["id"])

    def current(self, message: ChatMessage) -> ChatMessage:
        """The message as it stands now."""
        return self.emulator.message(self.id, message.message_id)


def button_for(message: ChatMessage, prefix: str) -> str:
    """The callback data of the first button whose data starts with `prefix`."""
    for data in message.callback_data():
        if data.startswith(prefix):
            return data
    raise AssertionError(f"no button starting with {prefix!r}: {message.callback_data()}")


def named(catalog: list[Product], name: str) -> Product:
    """The demo product whose name starts with `name`."""
    return next(product for product in catalog if product.name.startswith(name))


def text(lang: Lang, key: str, **values: object) -> str:
    """A shop text with its HTML tags removed, as the customer reads it."""
    raw = TEXT(lang, key, **values)
    for tag in ("<b>", "</b>", "<code>", "</code>"):
        raw = raw.replace(tag, "")
    return raw


def shop_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the shop's error handler logged: every update whose handling raised."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "bot.shop" and record.levelno >= logging.ERROR
    ]
