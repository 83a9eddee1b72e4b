"""`tipbot run` with instrumentation, for `bench.replies_during_broadcast --gc-log`.

Logs every garbage collection that holds the event loop for more than 20 ms (a line
`bench-gc gen=G ms=M` on stderr). With BENCH_GC_FREEZE=1 it also calls `gc.freeze()` once
`Runner.start()` has returned, so the objects built at start-up (tip bank, handlers, SQLAlchemy
and PTB state) leave the collector's generations: an experiment for a fix, not what tipbot does.

    python -m bench.botwrap   (same environment as `python -m tipbot run`)
"""

from __future__ import annotations

import gc
import os
import sys
import time
from typing import Any

SLOW_GC_S = 0.02


def _log_slow_collections() -> None:
    started = 0.0

    def callback(phase: str, info: dict[str, Any]) -> None:
        nonlocal started
        if phase == "start":
            started = time.perf_counter()
            return
        elapsed = time.perf_counter() - started
        if elapsed > SLOW_GC_S:
            print(
                f"bench-gc gen={info['generation']} ms={elapsed * 1000:.0f} "
                f"collected={info['collected']}",
                file=sys.stderr,
                flush=True,
            )

    gc.callbacks.append(callback)


def _freeze_after_start() -> None:
    from tipbot.runner import Runner

    original = Runner.start

    async def start(self: Runner) -> None:
        await original(self)
        gc.collect()
        gc.freeze()
        print(f"bench-gc frozen={gc.get_freeze_count()}", file=sys.stderr, flush=True)

    Runner.start = start  # type: ignore[method-assign]


def main() -> int:
    _log_slow_collections()
    if os.environ.get("BENCH_GC_FREEZE") == "1":
        _freeze_after_start()
    from tipbot.cli import main as tipbot_main

    return tipbot_main(["run"])


if __name__ == "__main__":
    sys.exit(main())
