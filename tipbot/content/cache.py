"""The checked tip bank, kept between starts so `tipbot run` does not re-check an unchanged bank.

Checking the bank (YAML parsing with line numbers, the schema, every rendered message's HTML,
the translations' numbers and markup) took about a second of a start-up that should take less
than 0.8 s, and the bank only changes when someone edits it. So the checked bank and its
translations are pickled into `TIPBOT_CACHE_DIR` under a key that hashes everything the result
depends on: every file of the bank directory (names and bytes), tipbot's version, the source files
of the package (size and modification time, so an edited rule in a checkout is not served stale),
the Python version and the rules it was checked with. Any change gives a new key, so a stale
entry is never read: it is simply not found.

The cache is an optimisation only. A missing, corrupt, foreign or unwritable cache is ignored
(with a warning) and the bank is checked as before; a bank that fails the check is never cached.
A pickle runs code when loaded, so an entry is read only from a file owned by this user that no
one else may write, in a directory created private (0700).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import tipbot
from tipbot.content.loader import BankError, Problem, bundled_bank_dir
from tipbot.content.models import Bank
from tipbot.content.translations import Translations, load_translations
from tipbot.content.validate import Rules, validate_dir

log = logging.getLogger(__name__)

#: Bump when what is pickled changes shape.
FORMAT = 1
PREFIX = "bank-"
SUFFIX = ".pickle"


@dataclass(frozen=True)
class CheckedBank:
    """A bank that passed every check `tipbot run` makes, with its translations loaded."""

    bank: Bank
    translations: Translations


def _package_stamp() -> list[str]:
    """Size and modification time of tipbot's own source files: a checked bank depends on the
    rules in them, and a checkout's code changes without a version bump."""
    root = Path(tipbot.__file__).resolve().parent
    stamps = []
    for path in sorted(root.rglob("*.py")):
        info = path.stat()
        stamps.append(f"{path.relative_to(root)}:{info.st_size}:{info.st_mtime_ns}")
    return stamps


def bank_key(directory: Path, rules: Rules) -> str:
    """The cache key of `directory` checked with `rules` (OSError: a file cannot be read)."""
    digest = hashlib.sha256()
    for part in (
        f"format {FORMAT}",
        f"tipbot {tipbot.__version__}",
        f"python {sys.version}",
        f"rules {rules!r}",
        *_package_stamp(),
    ):
        digest.update(part.encode() + b"\0")
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        name = str(path.relative_to(directory)).encode()
        data = path.read_bytes()
        digest.update(b"%d:%s\0%d\0" % (len(name), name, len(data)))
        digest.update(data)
    return digest.hexdigest()


def _trusted(path: Path) -> bool:
    """Only a regular file owned by this user and not writable by others is unpickled."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        return False
    mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return mine and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(path: Path) -> CheckedBank | None:
    try:
        if not path.exists():
            return None
        if not _trusted(path):
            log.warning("ignoring the bank cache %s: not a private file of this user", path)
            return None
        with path.open("rb") as f:
            value = pickle.load(f)  # noqa: S301 - see _trusted
    except Exception as exc:  # a corrupt or foreign file: check the bank instead
        log.warning("ignoring an unreadable bank cache %s (%s)", path, type(exc).__name__)
        return None
    if not isinstance(value, CheckedBank):
        log.warning("ignoring the bank cache %s: not a checked bank", path)
        return None
    return value


def _write(cache_dir: Path, path: Path, checked: CheckedBank) -> None:
    """Write atomically (a temporary file renamed), then remove older entries; never raises for
    a disk problem, since the cache is only an optimisation."""
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=cache_dir, prefix=".bank-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(checked, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        for old in cache_dir.glob(f"{PREFIX}*{SUFFIX}"):
            if old != path:
                old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError) as exc:
        log.warning("cannot write the bank cache in %s (%s); checking each start", cache_dir, exc)


#: What `tipbot run` and `tipbot console` check: every rule but the reading grade.
RUN_RULES = Rules(readability=False)


def load_checked(
    directory: Path | None, cache_dir: Path | None, rules: Rules = RUN_RULES
) -> tuple[CheckedBank | None, list[Problem]]:
    """The checked bank and its translations from the cache, or checked now (and cached).

    Returns None with the problems when the bank fails the check; `cache_dir` None: no cache.
    """
    try:
        directory = directory or bundled_bank_dir()
    except BankError as exc:
        return None, exc.problems
    path: Path | None = None
    if cache_dir is not None:
        try:
            path = cache_dir / f"{PREFIX}{bank_key(directory, rules)}{SUFFIX}"
        except OSError as exc:  # an unreadable file: the check below reports it properly
            log.debug("no bank cache key: %s", exc)
        if path is not None:
            cached = _read(path)
            if cached is not None:
                return cached, []
    checked, problems = _check(directory, rules)
    if checked is not None and path is not None and cache_dir is not None:
        _write(cache_dir, path, checked)
    return checked, problems


def _check(directory: Path, rules: Rules) -> tuple[CheckedBank | None, list[Problem]]:
    bank, problems = validate_dir(directory, rules)
    if bank is None:
        return None, problems
    try:
        translations = load_translations(directory, bank)
    except BankError as exc:
        return None, exc.problems
    return CheckedBank(bank, translations), []
