"""`bench.startup`'s breakdown of the time before `tipbot run`'s first request, in a process
that has imported nothing else first.

The steps: importing `tipbot.cli` and `tipbot.runner` with the collector paused (as `python -m
tipbot` runs them), and reading the checked bank from a warm cache; then, for comparison, the
check the cache saves (with the translations, as a cold start makes it) and the reading-grade
check's first textstat call. This ran inside `bench.startup` itself until issue 14's third
start-up pass, whose own imports (SQLAlchemy, httpx, asyncio, tipbot.storage through
`bench.common`) were then already loaded and missing from the import figure.

    python -m bench.startup_breakdown --cache-dir DIR    (prints one RESULT line)
"""

import gc

gc.disable()  # as tipbot/__main__.py, before anything else is imported

import sys  # noqa: E402
import time  # noqa: E402


def main(cache_dir: str) -> dict[str, float]:
    started = time.perf_counter()
    import tipbot.cli
    import tipbot.runner  # noqa: F401 - imported by `tipbot run` before it connects

    imported = time.perf_counter()
    from pathlib import Path

    from tipbot.content.cache import load_checked

    checked, problems = load_checked(None, Path(cache_dir))  # as tipbot.cli.cmd_run
    cached = time.perf_counter()
    assert checked is not None and not problems
    checked, problems = load_checked(None, None)  # no cache: the full check
    checked_now = time.perf_counter()
    assert checked is not None and not problems
    import textstat

    textstat.flesch_kincaid_grade("Magnesium helps keep bones strong.")
    readability_first_call = time.perf_counter()
    return {
        "import_s": imported - started,
        "cached_bank_s": cached - imported,
        "check_bank_s": checked_now - cached,
        "textstat_first_call_s": readability_first_call - checked_now,
    }


if __name__ == "__main__":
    if sys.argv[1:2] != ["--cache-dir"] or len(sys.argv) != 3:
        sys.exit(__doc__)
    result = main(sys.argv[2])
    from bench.common import emit

    emit(result)
