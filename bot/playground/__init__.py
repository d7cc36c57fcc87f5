"""The local playground: the whole bot, the Telegram emulator and the sandbox, in a browser page."""

from bot.playground.cast import ADMIN_ID, Cast, Persona
from bot.playground.feed import Entry, Feed
from bot.playground.runner import (
    Playground,
    PlaygroundError,
    PlaygroundOptions,
    is_loopback,
    open_playground,
    serve,
)

__all__ = [
    "ADMIN_ID",
    "Cast",
    "Entry",
    "Feed",
    "Persona",
    "Playground",
    "PlaygroundError",
    "PlaygroundOptions",
    "is_loopback",
    "open_playground",
    "serve",
]
