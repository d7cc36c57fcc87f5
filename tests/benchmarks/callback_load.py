"""A callback load generator run in its own process: POSTs callback pairs and times each answer.

`python -m tests.benchmarks.callback_load PLAN RESULT` reads PLAN (JSON: `url`, `concurrency`,
`pairs`: per transaction a list of `{content_type, body}` shots) and writes RESULT (JSON: wall-clock
`started` and `finished`, each POST's `latencies` in seconds, and the count of each HTTP status).
Like Ligdicash, each transaction's shots go one after the other (JSON, then form);
`concurrency` transactions are in flight at once. Running apart from the server under test keeps
the client's own work off the server's event loop and core.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

Shot = dict[str, str]


async def send_all(url: str, pairs: list[list[Shot]], concurrency: int) -> dict[str, Any]:
    """POST every shot; return the timings and statuses."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    queue = iter(pairs)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for pair in queue:
                for shot in pair:
                    began = time.perf_counter()
                    async with session.post(
                        url,
                        data=shot["body"].encode(),
                        headers={"Content-Type": shot["content_type"]},
                    ) as answer:
                        await answer.read()
                        latencies.append(time.perf_counter() - began)
                        statuses[answer.status] += 1

        started = time.time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        finished = time.time()
    return {
        "started": started,
        "finished": finished,
        "latencies": latencies,
        "statuses": {str(status): count for status, count in statuses.items()},
    }


def main(argv: list[str]) -> int:
    """Run a plan file and write the result file."""
    plan_path, result_path = Path(argv[0]), Path(argv[1])
    plan = json.loads(plan_path.read_text())
    result = asyncio.run(send_all(plan["url"], plan["pairs"], int(plan["concurrency"])))
    result_path.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
