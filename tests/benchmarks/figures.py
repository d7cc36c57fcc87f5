"""What the bot benchmarks share: latency figures, a bot's settings, free ports, a process's RSS."""

from __future__ import annotations

import math
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bot.emulator import DEFAULT_TOKEN
from bot.settings import Settings

ADMIN_ID = 900_001
REPO_ROOT = Path(__file__).resolve().parents[2]


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of a non-empty sample."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Latencies:
    """A latency sample in seconds, summarised."""

    count: int
    p50: float
    p95: float
    p99: float
    worst: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latencies:
        """Summarise a non-empty sample."""
        return cls(
            count=len(seconds),
            p50=percentile(seconds, 0.50),
            p95=percentile(seconds, 0.95),
            p99=percentile(seconds, 0.99),
            worst=max(seconds),
        )

    def line(self) -> str:
        """The figures in milliseconds, on one line."""
        return (
            f"p50 {self.p50 * 1000:.1f} ms, p95 {self.p95 * 1000:.1f} ms,"
            f" p99 {self.p99 * 1000:.1f} ms, max {self.worst * 1000:.1f} ms (n={self.count:,})"
        )


def verdict(ok: bool) -> str:
    """How a target reads in the printed figures."""
    return "met" if ok else "MISSED"


def bench_settings(tmp_path: Path, telegram_url: str) -> Settings:
    """Settings of an in-process bot on an emulator, in sandbox mode, on a free port."""
    return Settings(
        telegram_bot_token=SecretStr(DEFAULT_TOKEN),
        telegram_api_url=telegram_url,
        http_host="127.0.0.1",
        http_port=0,
        database_path=tmp_path / "ligdibot.sqlite3",
        admin_ids=(ADMIN_ID,),
        store_name="Boutique Bench",
        log_level="WARNING",
        _env_file=None,  # pydantic-settings' own argument: no .env file
    )


def free_port() -> int:
    """A loopback TCP port free at the time of asking (for a server in another process)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_kib(pid: int) -> tuple[int, int]:
    """VmRSS and VmHWM (peak RSS) of a live process, in KiB, from /proc/<pid>/status."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found["VmRSS"], found["VmHWM"]
