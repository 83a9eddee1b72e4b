"""Deep-link codes: Telegram's payload rules, anything else ignored."""

from __future__ import annotations

import pytest

from tipbot.deep_links import start_code


@pytest.mark.parametrize("code", ["clinic_madrid", "A-1", "x", "a" * 64, "Pharmacy-42_b"])
def test_valid_codes_are_kept(code: str) -> None:
    assert start_code([code]) == code


@pytest.mark.parametrize(
    "args",
    [[], ["a" * 65], ["bad!code"], ["clínica"], ["two", "words"], ["<b>x</b>"], ["a.b"]],
)
def test_anything_else_is_ignored(args: list[str]) -> None:
    assert start_code(args) is None
