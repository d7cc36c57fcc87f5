"""The `ligdibot` command: one sub-command per job."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import os
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import get_args
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError

from bot import logs
from bot.settings import Settings, describe_error, problems
from payments.errors import Reason
from storage.models import IntegrityReport

# Any well-formed token Ligdicash never issued: its confirm must come back "not found".
PROBE_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJsaWdkaWJvdCI6ImNoZWNrIn0.bGlnZGlib3Q"  # noqa: S105
WEBHOOK_PATH = "/telegram"
WRONG_KEYS = "wrong keys, check LIGDICASH_API_KEY and LIGDICASH_API_TOKEN"
SETUP_HINTS = {
    Reason.AUTHENTICATION: WRONG_KEYS,
    Reason.APP_AUTHENTICATION: WRONG_KEYS,
    Reason.IP_NOT_WHITELISTED: "this server's IP address is not whitelisted at Ligdicash",
    Reason.PAYIN_DISABLED: "payins are not enabled for this Ligdicash project",
}


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every sub-command."""
    parser = argparse.ArgumentParser(prog="ligdibot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot and its HTTP server (settings from env/.env)")
    sandbox = commands.add_parser("sandbox", help="run the Ligdicash sandbox on its own")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8090)
    sandbox.add_argument("--public-url", default="", help="base URL people reach it at")
    backup = commands.add_parser(
        "backup", help="copy the database to FILE while the bot runs, then verify the copy"
    )
    backup.add_argument("file", type=Path)
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup.add_argument(
        "--verify", action="store_true", help="only verify an existing backup FILE (restore check)"
    )
    check = commands.add_parser(
        "check-config", help="validate the settings and show them (secrets as set/unset)"
    )
    check.add_argument(
        "--reach", action="store_true", help="also call Telegram (getMe) and Ligdicash (a confirm)"
    )
    playground = commands.add_parser(
        "playground",
        help="try the whole bot in a browser: fake Telegram, sandbox payments, demo products",
    )
    playground.add_argument("--host", default="127.0.0.1")
    playground.add_argument("--port", type=int, default=8080)
    playground.add_argument(
        "--keep", type=Path, metavar="DB_PATH", help="use and keep this database file"
    )
    playground.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the sub-command named on the command line."""
    args = build_parser().parse_args(argv)
    if args.command == "sandbox":
        return _sandbox(args)
    if args.command == "backup":
        return _backup(args.file, force=args.force, verify_only=args.verify)
    if args.command == "check-config":
        return _check_config(reach=args.reach)
    if args.command == "playground":
        return _playground(args)
    return _run()


def _load_settings() -> Settings | None:
    try:
        return Settings()  # pydantic-settings fills it from the environment
    except ValidationError as exc:
        print(f"ligdibot: {describe_error(exc)}", file=sys.stderr)
        return None


def secrets_of(settings: Settings) -> list[str]:
    """The values of every secret setting, for the logs to hide wherever they turn up."""
    values = (getattr(settings, name) for name in type(settings).model_fields)
    return [value.get_secret_value() for value in values if isinstance(value, SecretStr)]


def _run() -> int:
    settings = _load_settings()
    if settings is None:
        return 2
    logs.configure(settings.log_level, settings.log_format, secrets_of(settings))
    from bot.app import run  # keeps `ligdibot sandbox` light

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(settings))
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    from payments.sandbox import SandboxConfig, serve  # only this sub-command needs it

    logs.configure("INFO")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(SandboxConfig(public_url=args.public_url), args.host, args.port))
    return 0


# playground


def _playground(args: argparse.Namespace) -> int:
    from bot.playground import (  # the bot, the emulator and the page: only this needs them
        Playground,
        PlaygroundError,
        PlaygroundOptions,
        is_loopback,
        serve,
    )

    logs.configure(args.log_level)
    if not is_loopback(args.host):
        print(
            f"ligdibot: warning: anyone who can reach {args.host}:{args.port} can drive the bot",
            file=sys.stderr,
        )

    def announce(playground: Playground) -> None:
        kept = "kept" if args.keep else "deleted when you stop"
        print(
            f"\nligdibot playground is ready: open {playground.page_url}\n"
            f"  database: {playground.database_path} ({kept})\n"
            "  stop with Ctrl+C\n",
            flush=True,
        )

    options = PlaygroundOptions(host=args.host, port=args.port, keep=args.keep)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(options, announce))
    except PlaygroundError as exc:
        return _fail(f"{exc} (try another --port)")
    return 0


# backup


def _backup(target: Path, *, force: bool, verify_only: bool) -> int:
    from storage.database import StorageError, check_file

    if verify_only:
        try:
            report = check_file(target)
        except (OSError, sqlite3.Error) as exc:
            return _fail(f"cannot read {target}: {exc}")
        _print_report(f"backup {target}", report)
        return 0 if report.ok else _fail(f"{target} failed its integrity check")
    settings = _load_settings()
    if settings is None:
        return 2
    logs.configure("WARNING", settings.log_format, secrets_of(settings))
    source = settings.database_path
    if not source.is_file():
        return _fail(f"no database at {source} (DATABASE_PATH)")
    live = {source.resolve(), *(Path(f"{source.resolve()}{end}") for end in ("-wal", "-shm"))}
    if target.resolve() in live:
        return _fail("the backup must not replace the live database: choose another file")
    if target.exists() and not force:
        return _fail(f"{target} exists: pass --force to replace it")
    try:
        report = asyncio.run(_write_backup(source, target, overwrite=force))
    except (StorageError, OSError, sqlite3.Error) as exc:
        return _fail(f"backup failed: {exc}")
    _print_report(f"backup written to {target}", report)
    return 0


async def _write_backup(source: Path, target: Path, *, overwrite: bool) -> IntegrityReport:
    from storage.database import Database

    # schema_target=0: a backup never migrates, so a newer `ligdibot` installed beside an
    # older running bot cannot change the schema under it.
    async with Database.open(source, schema_target=0) as db:
        return await db.backup(target, overwrite=overwrite)


def _print_report(title: str, report: IntegrityReport) -> None:
    print(title)
    print(f"  size       {report.size_bytes:,} bytes")
    print(f"  schema     {report.schema_version}")
    print(f"  integrity  {report.integrity}")
    width = max((len(name) for name in report.row_counts), default=5)
    print(f"  {'table':<{width}}  rows")
    for name, count in sorted(report.row_counts.items()):
        print(f"  {name:<{width}}  {count:>6}")


def _fail(message: str) -> int:
    print(f"ligdibot: {message}", file=sys.stderr)
    return 1


# check-config


class Level(StrEnum):
    """How a check-config line weighs: only FAILED makes the exit code non-zero."""

    OK = "ok"
    WARNING = "warning"
    FAILED = "FAILED"


OK, WARNING, FAILED = Level.OK, Level.WARNING, Level.FAILED


@dataclass(frozen=True)
class Finding:
    """One line of check-config's verdict."""

    level: Level
    text: str


def _check_config(*, reach: bool) -> int:
    try:
        settings = Settings()
    except ValidationError as exc:
        return _verdict([Finding(FAILED, line) for line in problems(exc)])
    # The findings say what went wrong; the client's own warnings would only repeat them.
    logs.configure("ERROR", settings.log_format, secrets_of(settings))
    print("settings (environment and .env):")
    rows = setting_rows(settings)
    width = max(len(name) for name, _ in rows)
    for name, shown in rows:
        print(f"  {name:<{width}}  {shown}")
    if settings.use_sandbox:
        print("payments: sandbox (simulated, no real money moves)")
    else:
        print(f"payments: live, Ligdicash at {settings.ligdicash_api_url}")
    if settings.telegram_webhook_url:
        print(f"updates:  webhook at {settings.telegram_webhook_url}")
    else:
        print("updates:  long polling")
    findings = [Finding(OK, "settings are valid"), *static_findings(settings)]
    if reach:
        findings += asyncio.run(_reach(settings))
    return _verdict(findings)


def _verdict(findings: Sequence[Finding]) -> int:
    print("checks:")
    for finding in findings:
        print(f"  {finding.level:<7}  {finding.text}")
    failed = sum(finding.level == FAILED for finding in findings)
    if failed:
        print(f"{failed} problem{'s' if failed > 1 else ''} found")
        return 1
    print("all good")
    return 0


def setting_rows(settings: Settings) -> list[tuple[str, str]]:
    """Every setting with the value in force; secrets only as set/unset."""
    rows = []
    for name, field in type(settings).model_fields.items():
        value = getattr(settings, name)
        if value is None:
            shown = "unset"
        elif field.annotation is SecretStr or SecretStr in get_args(field.annotation):
            shown = "set"
        elif isinstance(value, bool):
            shown = str(value).lower()
        elif isinstance(value, tuple):
            shown = ",".join(str(item) for item in value)
        else:
            shown = str(value)
        if name not in settings.model_fields_set:
            shown += " (default)"
        rows.append((name.upper(), shown))
    return rows


def static_findings(settings: Settings) -> list[Finding]:
    """What can be told without calling anyone: database, payment mode, URLs, admins."""
    findings = [_database_finding(settings.database_path)]
    keys = {
        "LIGDICASH_API_KEY": settings.ligdicash_api_key,
        "LIGDICASH_API_TOKEN": settings.ligdicash_api_token,
    }
    given = [name for name, value in keys.items() if value is not None]
    if len(given) == 1:
        findings.append(
            Finding(WARNING, f"only {given[0]} is set: both keys are needed to take real money")
        )
    elif not given:
        findings.append(
            Finding(WARNING, "no Ligdicash keys: payments are simulated by the sandbox")
        )
    elif settings.ligdicash_sandbox:
        findings.append(
            Finding(WARNING, "LIGDICASH_SANDBOX=true: payments are simulated although keys are set")
        )
    if not settings.use_sandbox:
        public = urlsplit(settings.public_url)
        if public.scheme != "https":
            findings.append(
                Finding(WARNING, "PUBLIC_URL is not https: Ligdicash callbacks need public HTTPS")
            )
        if _is_local(public.hostname or ""):
            findings.append(
                Finding(WARNING, "PUBLIC_URL points at this machine: Ligdicash cannot call it")
            )
    webhook = settings.telegram_webhook_url
    if webhook and urlsplit(webhook).path.rstrip("/") != WEBHOOK_PATH:
        findings.append(
            Finding(
                WARNING,
                f"TELEGRAM_WEBHOOK_URL does not end in {WEBHOOK_PATH}: the proxy must forward it"
                f" to {WEBHOOK_PATH}",
            )
        )
    if not settings.admin_ids:
        findings.append(
            Finding(WARNING, "ADMIN_IDS is empty: nobody gets alerts or the admin commands")
        )
    return findings


def _is_local(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _database_finding(path: Path) -> Finding:
    where = path.resolve()
    if where.exists():
        writable = os.access(where, os.R_OK | os.W_OK) and os.access(where.parent, os.W_OK)
        if where.is_file() and writable:
            return Finding(OK, f"database {where} exists and is writable")
        return Finding(FAILED, f"database {where} is not a file this user can write")
    ancestor = where.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if ancestor.is_dir() and os.access(ancestor, os.W_OK | os.X_OK):
        return Finding(OK, f"database {where} will be created at the first run")
    return Finding(FAILED, f"database {where} cannot be created: {ancestor} is not writable")


async def _reach(settings: Settings) -> list[Finding]:
    # python-telegram-bot 22 warns unless durations are timedeltas, as in `ligdibot run`.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    return [*await reach_telegram(settings), await reach_ligdicash(settings)]


async def reach_telegram(settings: Settings) -> list[Finding]:
    """Call getMe with the token (and read the webhook's health in webhook mode)."""
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError, TelegramError

    api = settings.telegram_api_url.rstrip("/")
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
    )
    findings = []
    try:
        async with bot:  # initialize() calls getMe
            findings.append(Finding(OK, f"Telegram: token accepted, bot @{bot.bot.username}"))
            if settings.telegram_webhook_url:
                info = await bot.get_webhook_info()
                if info.last_error_message:
                    findings.append(
                        Finding(
                            WARNING, f"Telegram reports webhook errors: {info.last_error_message}"
                        )
                    )
    except InvalidToken:
        findings.append(Finding(FAILED, "Telegram refused TELEGRAM_BOT_TOKEN (see @BotFather)"))
    except NetworkError as exc:
        findings.append(Finding(FAILED, f"Telegram not reachable at {api}: {exc.message}"))
    except TelegramError as exc:
        findings.append(Finding(FAILED, f"Telegram answered an error: {exc.message}"))
    return findings


async def reach_ligdicash(settings: Settings) -> Finding:
    """Confirm a made-up token: "not found" proves the keys work, an auth refusal that not."""
    from payments.client import LigdicashClient
    from payments.errors import (
        MerchantSetupError,
        NotFoundError,
        ProtocolError,
        RejectedError,
        TransportError,
    )

    if settings.use_sandbox:
        return Finding(OK, "Ligdicash: sandbox mode, nothing to reach")
    assert settings.ligdicash_api_key is not None
    assert settings.ligdicash_api_token is not None
    url = settings.ligdicash_api_url
    client = LigdicashClient(
        base_url=url,
        api_key=settings.ligdicash_api_key,
        api_token=settings.ligdicash_api_token,
        store_name=settings.store_name,
        store_website_url=settings.website_url,
        total_timeout=settings.ligdicash_timeout,
        confirm_retries=0,
    )
    try:
        async with client:
            await client.confirm_payin(PROBE_TOKEN)
    except NotFoundError:
        return Finding(OK, f"Ligdicash: keys accepted at {url}")
    except MerchantSetupError as exc:
        if exc.reason is Reason.BAD_INPUT:  # past the key check: only the made-up token is bad
            return Finding(OK, f"Ligdicash: keys accepted at {url}")
        hint = SETUP_HINTS.get(exc.reason, exc.reason.value)
        return Finding(FAILED, f"Ligdicash refused the merchant setup: {hint}")
    except RejectedError as exc:
        return Finding(FAILED, f"Ligdicash refused the check ({exc.reason}): try again later")
    except TransportError as exc:
        return Finding(FAILED, f"Ligdicash not reachable at {url}: {exc}")
    except ProtocolError as exc:
        return Finding(
            FAILED, f"{url} does not answer like Ligdicash ({exc}): see LIGDICASH_API_URL"
        )
    return Finding(OK, f"Ligdicash: keys accepted at {url}")
