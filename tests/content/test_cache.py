"""The checked bank is cached between starts, and never served stale or from a bad file.

Every test counts the real checks (`validate_dir`) made: a cache hit makes none."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tipbot
from tipbot.content import cache
from tipbot.content.cache import CheckedBank, load_checked
from tipbot.content.loader import bundled_bank_dir


@pytest.fixture(scope="module")
def source_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled bank, which the tests copy again and edit."""
    target = tmp_path_factory.mktemp("bank") / "tips"
    shutil.copytree(bundled_bank_dir(), target)
    return target


@pytest.fixture
def bank_dir(source_bank: Path, tmp_path: Path) -> Path:
    target = tmp_path / "tips"
    shutil.copytree(source_bank, target)
    return target


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The directories really checked (not served from the cache), in order."""
    seen: list[Path] = []
    real: Callable[..., Any] = cache.validate_dir

    def counting(directory: Path, rules: Any) -> Any:
        seen.append(directory)
        return real(directory, rules)

    monkeypatch.setattr(cache, "validate_dir", counting)
    return seen


def cached_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("bank-*.pickle"))


def load(bank_dir: Path, cache_dir: Path) -> CheckedBank:
    checked, problems = load_checked(bank_dir, cache_dir)
    assert not problems
    assert checked is not None
    return checked


def test_an_unchanged_bank_is_checked_once_then_read_from_the_cache(
    bank_dir: Path, tmp_path: Path, checks: list[Path]
) -> None:
    cache_dir = tmp_path / "cache"
    first = load(bank_dir, cache_dir)
    second = load(bank_dir, cache_dir)
    assert checks == [bank_dir]
    assert len(cached_files(cache_dir)) == 1
    assert second.bank == first.bank
    assert [t.id for t in second.bank.tips] == [t.id for t in first.bank.tips]
    # The translations come from the cache too, in every language the bank has.
    assert second.translations.languages == first.translations.languages != ()
    tip = second.bank.tips[0]
    for lang in second.translations.languages:
        assert second.translations.tip_text(lang, tip) == first.translations.tip_text(lang, tip)
    assert cache_dir.stat().st_mode & 0o077 == 0  # private: only this user may read or write


def test_editing_a_bank_file_invalidates_the_cache(
    bank_dir: Path, tmp_path: Path, checks: list[Path]
) -> None:
    cache_dir = tmp_path / "cache"
    before = load(bank_dir, cache_dir)
    tips = bank_dir / "tips.yaml"
    old = "Half or more of your magnesium is in your bones"
    new = "Half or more of your magnesium sits in bone"
    assert before.bank.tip_index["bone-store-half"].title == old
    tips.write_text(tips.read_text().replace(f"title: {old}", f"title: {new}", 1))
    after = load(bank_dir, cache_dir)
    assert len(checks) == 2
    assert after.bank.tip_index["bone-store-half"].title == new
    assert len(cached_files(cache_dir)) == 1  # the stale entry was removed


def test_editing_a_translation_invalidates_the_cache(
    bank_dir: Path, tmp_path: Path, checks: list[Path]
) -> None:
    cache_dir = tmp_path / "cache"
    load(bank_dir, cache_dir)
    german = bank_dir / "locales" / "de" / "tips.yaml"
    german.write_text(german.read_text() + "\n# a translator's note\n")
    load(bank_dir, cache_dir)
    assert len(checks) == 2


def test_a_new_tipbot_version_invalidates_the_cache(
    bank_dir: Path, tmp_path: Path, checks: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    load(bank_dir, cache_dir)
    monkeypatch.setattr(tipbot, "__version__", tipbot.__version__ + ".post1")
    load(bank_dir, cache_dir)
    assert len(checks) == 2


def test_a_corrupt_cache_file_is_ignored_and_replaced(
    bank_dir: Path, tmp_path: Path, checks: list[Path]
) -> None:
    cache_dir = tmp_path / "cache"
    good = load(bank_dir, cache_dir)
    [entry] = cached_files(cache_dir)
    entry.write_bytes(b"\x80\x05not a pickle at all")
    again = load(bank_dir, cache_dir)
    assert again.bank == good.bank
    assert len(checks) == 2
    assert entry.read_bytes()[:2] != b"\x80\x05n"  # rewritten with the checked bank
    load(bank_dir, cache_dir)
    assert len(checks) == 2


def test_a_cache_file_others_may_write_is_not_read(
    bank_dir: Path, tmp_path: Path, checks: list[Path]
) -> None:
    cache_dir = tmp_path / "cache"
    load(bank_dir, cache_dir)
    [entry] = cached_files(cache_dir)
    entry.chmod(0o666)
    load(bank_dir, cache_dir)
    assert len(checks) == 2


def test_an_unwritable_cache_never_stops_the_bank_loading(
    bank_dir: Path, tmp_path: Path, checks: list[Path]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    checked = load(bank_dir, blocker / "cache")
    assert len(checked.bank.tips) > 0
    assert checks == [bank_dir]


def test_an_invalid_bank_is_reported_and_never_cached(bank_dir: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    tips = bank_dir / "tips.yaml"
    tips.write_text(
        tips.read_text().replace("sources: [iom_1997, ods_hp, lpi_mic]", "sources: [nowhere]", 1)
    )
    checked, problems = load_checked(bank_dir, cache_dir)
    assert checked is None
    assert any("nowhere" in str(p) for p in problems)
    assert cached_files(cache_dir) == []


def test_no_cache_dir_means_checking_every_time(bank_dir: Path, checks: list[Path]) -> None:
    load_checked(bank_dir, None)
    load_checked(bank_dir, None)
    assert len(checks) == 2
    assert not any(name.startswith("bank-") for name in os.listdir(bank_dir))
