"""Helpers of the `ligdibot` command tests: a clean environment and the command's output."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import Settings

SETTING_NAMES = tuple(name.upper() for name in Settings.model_fields)


def clean_environment(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No setting from the machine running the tests, and no stray .env file."""
    monkeypatch.chdir(folder)
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)


@contextmanager
def logging_restored() -> Iterator[None]:
    """Put back the root logger the command reconfigures (pytest's capture lives there)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


@dataclass(frozen=True)
class Outcome:
    """What one run of the command did."""

    code: int
    out: str
    err: str

    def lines(self, level: str) -> list[str]:
        """The check-config verdict lines of one level ("ok", "warning", "FAILED")."""
        prefix = f"  {level:<7}  "
        return [
            line.removeprefix(prefix) for line in self.out.splitlines() if line.startswith(prefix)
        ]


async def ligdibot(capsys: pytest.CaptureFixture[str], *argv: str) -> Outcome:
    """Run `ligdibot ARGV` in a thread (it has its own event loop) while the test's servers run."""
    with logging_restored():
        code = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def set_env(monkeypatch: pytest.MonkeyPatch, **values: str | os.PathLike[str]) -> None:
    """Set settings as environment variables (names in lower case, like the fields)."""
    for name, value in values.items():
        monkeypatch.setenv(name.upper(), os.fspath(value))
