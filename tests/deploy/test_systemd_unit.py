"""Rules for deploy/ligdibot.service: restarts, the env file, hardening, systemd's own word."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).parents[2] / "deploy" / "ligdibot.service"
INSTALLED_COMMAND = "/opt/ligdibot/venv/bin/ligdibot"
MAX_EXPOSURE = 2.0
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed on this machine"
)


def directives(section: str) -> dict[str, list[str]]:
    """Every `Key=value` of a unit section (a key may repeat, as systemd allows)."""
    found: dict[str, list[str]] = {}
    current = ""
    for raw in UNIT.read_text("utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = line.strip("[]")
        elif current == section:
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


SERVICE = directives("Service")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("Restart", "on-failure"),
        ("EnvironmentFile", "/etc/ligdibot/env"),
        ("User", "ligdibot"),
        ("Group", "ligdibot"),
        ("WorkingDirectory", "/var/lib/ligdibot"),
        ("StateDirectory", "ligdibot"),
        ("ReadWritePaths", "/var/lib/ligdibot"),
        ("ExecStart", f"{INSTALLED_COMMAND} run"),
        ("KillSignal", "SIGTERM"),
        ("TimeoutStopSec", "30s"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("CapabilityBoundingSet", ""),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("SystemCallFilter", "@system-service"),
        ("MemoryDenyWriteExecute", "yes"),
        ("UMask", "0077"),
    ],
)
def test_the_service_sets(key: str, value: str) -> None:
    assert value in SERVICE.get(key, []), f"{key}={value} missing from {UNIT.name}"


def test_the_environment_matches_the_image() -> None:
    assert SERVICE["Environment"] == [
        "PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PTB_TIMEDELTA=true"
    ]


def runnable_copy(folder: Path) -> Path:
    """The unit with ExecStart on this test's own `ligdibot` (systemd checks it exists)."""
    command = Path(sys.executable).with_name("ligdibot")
    assert command.exists(), "the ligdibot command is not installed in this virtualenv"
    copy = folder / UNIT.name
    copy.write_text(UNIT.read_text("utf-8").replace(INSTALLED_COMMAND, str(command)), "utf-8")
    return copy


@needs_systemd
def test_systemd_finds_nothing_wrong_with_the_unit(tmp_path: Path) -> None:
    assert SYSTEMD_ANALYZE is not None
    done = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", str(runnable_copy(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Unknown keys and bad values are only warnings ("ignoring"): any output is a failure.
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@needs_systemd
def test_systemd_rates_the_unit_well_exposed(tmp_path: Path) -> None:
    assert SYSTEMD_ANALYZE is not None
    done = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=yes", str(runnable_copy(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if "--offline" in done.stderr:
        pytest.skip("this systemd-analyze cannot rate a unit file offline (systemd < 250)")
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout + done.stderr)
    assert match is not None, done.stdout + done.stderr
    assert float(match[1]) <= MAX_EXPOSURE
