"""Every setting of the bot, read from the environment and an optional `.env` file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LIVE_LIGDICASH_URL = "https://app.ligdicash.com/pay/v01/"
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class Settings(BaseSettings):
    """The bot's configuration; field names are the environment variables, upper-cased."""

    # env_ignore_empty: `KEY=` lines of an env file (env.example copied as is) mean "default".
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        env_ignore_empty=True,
    )

    telegram_bot_token: SecretStr
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()

    ligdicash_api_key: SecretStr | None = None
    ligdicash_api_token: SecretStr | None = None
    ligdicash_api_url: str = LIVE_LIGDICASH_URL
    ligdicash_sandbox: bool = False
    ligdicash_top_up_wallet: Literal[0, 1] = 0
    ligdicash_timeout: float = Field(default=30.0, gt=0, le=300)

    public_url: str = "http://127.0.0.1:8080"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    database_path: Path = Path("data/ligdibot.sqlite3")

    store_name: str = Field(default="Boutique ligdibot", min_length=1, max_length=64)
    store_website_url: str | None = None
    default_language: Literal["fr", "en"] = "fr"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    checkout_timeout_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)
    metrics_token: SecretStr | None = None

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.replace(" ", "").split(",") if part)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("ligdicash_top_up_wallet", mode="before")
    @classmethod
    def _digit(cls, value: object) -> object:
        # The environment gives "0"/"1"; a Literal[0, 1] field does not convert strings itself.
        return int(value) if isinstance(value, str) and value.strip() in ("0", "1") else value

    @field_validator("telegram_api_url", "public_url", "ligdicash_api_url", "store_website_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("telegram_webhook_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must be an https:// URL (Telegram only calls HTTPS webhooks)")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.telegram_webhook_url and self.telegram_webhook_secret is None:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_WEBHOOK_URL is set")
        secret = self.telegram_webhook_secret
        if secret is not None and not _WEBHOOK_SECRET.match(secret.get_secret_value()):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET: 1-256 characters among A-Z a-z 0-9 _ -")
        return self

    @property
    def use_sandbox(self) -> bool:
        """True when payments go to the embedded sandbox (asked for, or no Ligdicash keys)."""
        return (
            self.ligdicash_sandbox
            or self.ligdicash_api_key is None
            or self.ligdicash_api_token is None
        )

    @property
    def base_url(self) -> str:
        """The public base URL without a trailing slash."""
        return self.public_url.rstrip("/")

    @property
    def website_url(self) -> str:
        """The store's website sent to Ligdicash (defaults to the public URL)."""
        return self.store_website_url or self.base_url


def describe_error(error: ValidationError) -> str:
    """Turn a settings validation error into one line naming each bad setting."""
    return "invalid configuration: " + "; ".join(problems(error))


def problems(error: ValidationError) -> list[str]:
    """One line per bad setting of a validation error: `NAME: what is wrong`."""
    lines = []
    for item in error.errors():
        name = "_".join(str(p) for p in item["loc"]).upper()
        if item["type"] == "missing":
            message = "required, not set"
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}: {message}" if name else message)
    return lines
