"""Rules for `ligdibot backup`: online, verified, never over an existing file or the live one."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from bot.app import Runtime
from bot.demo import seed_demo_catalog
from storage.database import Database, check_file
from storage.models import Product
from storage.stores import Stores
from tests.bot.cli_support import clean_environment, ligdibot, set_env

Capture = pytest.CaptureFixture[str]
CUSTOMERS = 40


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_environment(monkeypatch, tmp_path)
    set_env(monkeypatch, telegram_bot_token="123:abc")


@pytest.fixture
async def shop_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A closed database with the demo catalog and a few customers, as DATABASE_PATH."""
    path = tmp_path / "live" / "shop.sqlite3"
    async with Database.open(path) as db:
        stores = Stores.over(db)
        await seed_demo_catalog(stores)
        for user_id in range(1, 4):
            await stores.customers.seen(user_id, first_name=f"C{user_id}", language="fr")
    set_env(monkeypatch, database_path=path)
    return path


async def add_customers(stores: Stores) -> None:
    """Keep writing while the backup runs."""
    for user_id in range(1000, 1000 + CUSTOMERS):
        await stores.customers.seen(user_id, first_name="Awa", language="fr")
        await asyncio.sleep(0)


async def test_backup_of_a_running_bot_is_complete_and_verified(
    bot: Runtime,
    catalog: list[Product],
    monkeypatch: pytest.MonkeyPatch,
    capsys: Capture,
    tmp_path: Path,
) -> None:
    set_env(monkeypatch, database_path=bot.settings.database_path)
    target = tmp_path / "backups" / "shop-backup.sqlite3"
    run, _ = await asyncio.gather(
        ligdibot(capsys, "backup", str(target)), add_customers(bot.stores)
    )
    assert run.code == 0, run.err
    report = check_file(target)
    assert report.ok
    assert report.row_counts["products"] == len(catalog)
    live = check_file(bot.settings.database_path)
    assert 0 <= report.row_counts["customers"] <= live.row_counts["customers"] == CUSTOMERS
    assert f"backup written to {target}" in run.out
    assert "  integrity  ok" in run.out
    assert any(line.split() == ["products", str(len(catalog))] for line in run.out.splitlines())
    # The bot goes on writing to its own database.
    await bot.stores.customers.seen(5000, first_name="Ali", language="fr")
    assert await bot.stores.customers.get(5000) is not None


async def test_an_existing_file_is_kept_unless_forced(
    shop_file: Path, capsys: Capture, tmp_path: Path
) -> None:
    target = tmp_path / "backup.sqlite3"
    target.write_bytes(b"yesterday's backup")
    refused = await ligdibot(capsys, "backup", str(target))
    assert refused.code == 1
    assert refused.err == f"ligdibot: {target} exists: pass --force to replace it\n"
    assert target.read_bytes() == b"yesterday's backup"

    forced = await ligdibot(capsys, "backup", str(target), "--force")
    assert forced.code == 0
    assert check_file(target).row_counts["customers"] == 3


async def test_the_live_database_is_never_a_backup_target(shop_file: Path, capsys: Capture) -> None:
    before = check_file(shop_file)
    for target in (shop_file, Path(f"{shop_file}-wal")):
        run = await ligdibot(capsys, "backup", str(target), "--force")
        assert run.code == 1
        assert "must not replace the live database" in run.err
    assert check_file(shop_file).row_counts == before.row_counts


async def test_no_database_means_no_backup_and_no_new_file(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "shop.sqlite3"
    set_env(monkeypatch, database_path=missing)
    run = await ligdibot(capsys, "backup", str(tmp_path / "backup.sqlite3"))
    assert run.code == 1
    assert run.err == f"ligdibot: no database at {missing} (DATABASE_PATH)\n"
    assert not missing.parent.exists()


async def test_invalid_settings_stop_the_backup(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture, tmp_path: Path
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    run = await ligdibot(capsys, "backup", str(tmp_path / "backup.sqlite3"))
    assert run.code == 2
    assert "TELEGRAM_BOT_TOKEN: required, not set" in run.err


async def test_verify_accepts_a_backup_and_refuses_a_damaged_file(
    shop_file: Path, capsys: Capture, tmp_path: Path
) -> None:
    target = tmp_path / "backup.sqlite3"
    assert (await ligdibot(capsys, "backup", str(target))).code == 0
    good = await ligdibot(capsys, "backup", "--verify", str(target))
    assert good.code == 0
    assert "  integrity  ok" in good.out

    damaged = tmp_path / "damaged.sqlite3"
    data = bytearray(target.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # the second page: the catalog's table
    damaged.write_bytes(bytes(data))
    bad = await ligdibot(capsys, "backup", "--verify", str(damaged))
    assert bad.code == 1
    assert str(damaged) in bad.err


async def test_the_installed_command_backs_up_from_a_shell(shop_file: Path, tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("ligdibot")
    target = tmp_path / "from-shell.sqlite3"
    process = await asyncio.create_subprocess_exec(
        command,
        "backup",
        str(target),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert f"backup written to {target}" in out.decode()
    assert check_file(target).ok
