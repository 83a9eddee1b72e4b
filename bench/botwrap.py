"""`tipbot run` with instrumentation, for `bench.replies_during_broadcast --gc-log`.

Logs every garbage collection that holds the event loop for more than 20 ms (a line
`bench-gc gen=G ms=M` on stderr), and once `Runner.start()` has returned, how many objects
tipbot's own `gc.freeze()` at the end of start-up moved out of the collector's sight (a line
`bench-gc frozen=N`). It changes nothing in the bot.

    python -m bench.botwrap   (same environment as `python -m tipbot run`)
"""

from __future__ import annotations

import gc
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


def _report_freeze_after_start() -> None:
    from tipbot.runner import Runner

    original = Runner.start

    async def start(self: Runner) -> None:
        await original(self)
        print(
            f"bench-gc frozen={gc.get_freeze_count()} tracked={len(gc.get_objects())}",
            file=sys.stderr,
            flush=True,
        )

    Runner.start = start  # type: ignore[method-assign]


def main() -> int:
    _log_slow_collections()
    _report_freeze_after_start()
    from tipbot.cli import main as tipbot_main

    return tipbot_main(["run"])


if __name__ == "__main__":
    sys.exit(main())
