"""The people of the playground: an admin and a few customers, each a user of the emulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from bot.emulator import TelegramEmulator
from bot.playground.feed import Draft, Feed
from payments.sandbox import OTP_DECLINED, OTP_EXPIRED, OTP_WRONG

Role = Literal["admin", "customer"]
LANGUAGES: Final = ("fr", "en")
NAME_MAX: Final = 32

# Stable ids, so a kept database (--keep) finds the same people again on the next run.
ADMIN_ID: Final = 5_000_001
ORANGE: Final = "22607123456"
MOOV: Final = "22670123456"


@dataclass(frozen=True)
class Persona:
    """Someone the page can speak as; `phone` is what their share-contact dialog proposes."""

    id: int
    name: str
    language: str
    role: Role
    phone: str

    def to_json(self) -> dict[str, Any]:
        """Return the page's view."""
        return {
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "role": self.role,
            "phone": self.phone,
        }


# (id, first name, language, role, phone proposed when sharing a contact)
DEFAULT_CAST: Final[tuple[tuple[int, str, str, Role, str], ...]] = (
    (ADMIN_ID, "Admin", "fr", "admin", ORANGE),
    (5_000_101, "Awa", "fr", "customer", ORANGE),
    (5_000_102, "Moussa", "fr", "customer", MOOV),
    (5_000_103, "John", "en", "customer", ORANGE),
)
FIRST_ADDED_ID: Final = 5_000_201

# Numbers the share-contact dialog offers, with what the sandbox does with them.
PHONE_CHOICES: Final = (
    (ORANGE, "Orange Money: pays (the OTP decides)"),
    (MOOV, "Moov Money: approved after a few seconds"),
    ("22670123499", "Moov Money: the customer declines"),
    ("22670123498", "Moov Money: never confirmed"),
    ("22658123456", "Telecel: not accepted"),
)

MAGIC_VALUES: Final = (
    (
        "Orange Money OTP",
        (
            (OTP_WRONG, "wrong code (asked again)"),
            (OTP_EXPIRED, "expired code"),
            (OTP_DECLINED, "operator declines"),
            ("123456", "any other 4-8 digits: paid"),
        ),
    ),
    (
        "Moov Money number",
        (
            ("…99", "the customer declines"),
            ("…98", "never confirmed"),
            ("any other", "approved after a few seconds"),
        ),
    ),
    (
        "Refund (payout) number",
        (
            ("…99", "payout fails"),
            ("…98", "payout never confirmed"),
            ("…97", "no answer: outcome unknown"),
            ("any other", "refunded"),
        ),
    ),
    (
        "Payment page",
        (
            ("Payer", "pays with the chosen operator"),
            ("Annuler", "cancels the payment"),
        ),
    ),
)


class Cast:
    """Everyone the page can speak as, created in the emulator and announced on the feed."""

    def __init__(self, emulator: TelegramEmulator, feed: Feed) -> None:
        self._emulator = emulator
        self._feed = feed
        self._people: dict[int, Persona] = {}

    def add_defaults(self) -> None:
        """Create the admin and the three demo customers."""
        for user_id, name, language, role, phone in DEFAULT_CAST:
            self._add(Persona(user_id, name, language, role, phone))

    def add_customer(self, name: str, language: str) -> Persona:
        """Create one more customer; raise ValueError on an empty/long name or a bad language."""
        name = " ".join(name.split())
        if not name or len(name) > NAME_MAX:
            raise ValueError(f"name must be 1 to {NAME_MAX} characters")
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        user_id = max([FIRST_ADDED_ID - 1, *self._people]) + 1
        # Alternate operators, so the next person added tries the other one.
        phone = (ORANGE, MOOV)[len(self._people) % 2]
        return self._add(Persona(user_id, name, language, "customer", phone))

    def _add(self, persona: Persona) -> Persona:
        self._emulator.create_user(persona.name, user_id=persona.id, language_code=persona.language)
        self._people[persona.id] = persona
        self._feed.publish(
            Draft(
                source="playground",
                kind="persona",
                summary=f"{persona.name} ({persona.role}, {persona.language}) joined",
                chat_id=persona.id,
                data={"persona": persona.to_json()},
            )
        )
        return persona

    def personas(self) -> list[Persona]:
        """Everyone, in the order they were created."""
        return list(self._people.values())

    def get(self, user_id: int) -> Persona | None:
        """The persona with this id, if any."""
        return self._people.get(user_id)

    @property
    def admin_ids(self) -> tuple[int, ...]:
        """The ids of the admins, for ADMIN_IDS."""
        return tuple(p.id for p in self._people.values() if p.role == "admin")

    def name_of(self, chat_id: int) -> str:
        """A persona's name, or the id when unknown."""
        persona = self._people.get(chat_id)
        return persona.name if persona else str(chat_id)
