"""The /foods chart: drawn from the bank, every food labelled, cached on disk by content."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from matplotlib.text import Text

from tipbot.content import chart
from tipbot.content.chart import Reference, build_figure, render_chart, richest
from tipbot.content.models import Bank

DV = Reference(420, "Daily Value")


def texts(figure: object) -> list[str]:
    return [t.get_text() for t in figure.findobj(Text)]  # type: ignore[attr-defined]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_ten_richest_foods_richest_first(bank: Bank) -> None:
    foods = richest(bank.foods)
    assert len(foods) == 10
    assert [f.mg for f in foods] == sorted((f.mg for f in foods), reverse=True)
    poorest_shown = foods[-1].mg
    assert all(f.mg <= poorest_shown for f in bank.foods.items if f not in foods)


def test_every_food_its_value_the_reference_and_the_axes_are_labelled(bank: Bank) -> None:
    foods = richest(bank.foods)
    shown = texts(build_figure(foods, DV))
    joined = "\n".join(shown).replace("\n", " ")
    for food in foods:
        assert food.name in joined, food.name
        assert f"({food.serving})" in joined
        assert f"{food.mg:g} mg" in shown
    assert "Daily Value: 420 mg a day" in shown
    assert "Magnesium per serving (mg)" in shown
    assert "Food (serving)" in shown


def test_rendered_png_is_phone_sized_and_cached(
    bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = render_chart(bank.foods, DV, tmp_path)
    width, height = png_size(first.path)
    assert 800 <= width <= 1280 and 800 <= height <= 1600  # Telegram shows at most 1280 px a side
    assert 20_000 < first.path.stat().st_size < 2_000_000
    assert list(tmp_path.iterdir()) == [first.path]  # no temporary file left behind

    def must_not_draw(*args: object) -> None:
        raise AssertionError("the cached chart was drawn again")

    monkeypatch.setattr(chart, "build_figure", must_not_draw)
    again = render_chart(bank.foods, DV, tmp_path)
    assert again == first


def test_the_cache_key_follows_the_food_data_reference_and_language(bank: Bank) -> None:
    foods = richest(bank.foods)
    key = chart.chart_key(foods, DV, "en")
    changed = [foods[0].model_copy(update={"mg": foods[0].mg + 1}), *foods[1:]]
    assert chart.chart_key(changed, DV, "en") != key
    assert chart.chart_key(foods, Reference(320, "RDA"), "en") != key
    assert chart.chart_key(foods, DV, "es") != key
    assert chart.chart_key(list(foods), DV, "en") == key


def test_alt_text_names_every_food_and_the_reference(bank: Bank) -> None:
    foods = richest(bank.foods)
    text = chart.alt_text(foods, DV)
    for food in foods:
        assert f"{food.name}, {food.serving}: {food.mg:g} mg" in text
    assert "Daily Value of 420 mg" in text
    assert len(text) <= 1024  # a photo caption's limit
