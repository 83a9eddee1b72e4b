"""The /foods chart: the ten richest foods as horizontal bars, with the daily reference as a line.

Many readers are older adults on a phone, and a picture of "how far one serving goes" is read at a
glance where a list of 32 lines is not. The figure is built from the bank alone, so it is drawn
once per (language, reference, food data) and kept on disk; the key hashes the food rows, so an
edit to `tips/foods.yaml` makes a new file instead of serving a stale one.

matplotlib's object API (`Figure` + the Agg canvas) is used rather than pyplot: it keeps no global
state, so a figure can be drawn in a worker thread while the bot's event loop keeps running. It is
imported on first use: it takes most of a second and tens of MB, which a process that never draws
(a delivery worker, a bot whose chart is already on disk) should not pay.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from tipbot import messages
from tipbot.content.models import Food, FoodTable
from tipbot.i18n import ENGLISH, Translator

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: How many foods the chart shows: enough to compare, few enough for large type on a phone.
CHART_FOODS = 10
#: Bump when the drawing changes, so cached files from an older look are not reused.
CHART_VERSION = 2

# High contrast on white: dark navy bars (about 12:1 against white), a vermilion reference line
# that stays distinct from navy for the common kinds of colour blindness, black text.
BAR_COLOUR = "#1b2f5e"
LINE_COLOUR = "#d55e00"
TEXT_COLOUR = "#000000"
#: Telegram shows photos at most 1280 px on a side; 8 x 10 inches at 150 dpi is 1200 x 1500.
FIGURE_INCHES = (8.0, 10.0)
DPI = 150


class Reference(NamedTuple):
    """The daily amount the bars are compared with (the Daily Value now; a user's RDA later)."""

    mg: int
    label: str


@dataclass(frozen=True)
class Chart:
    """A rendered chart file, the key it is cached under, and its text for screen readers."""

    path: Path
    key: str
    alt_text: str


def richest(table: FoodTable, count: int = CHART_FOODS) -> list[Food]:
    """The `count` foods with the most magnesium per serving, richest first (ties by name)."""
    return sorted(table.items, key=lambda f: (-f.mg, f.name))[:count]


def bar_label(food: Food) -> str:
    """The food's name and serving, wrapped to fit beside a bar; `*` marks a food with a note."""
    name = textwrap.fill(food.name + ("*" if food.note else ""), width=22)
    return f"{name}\n({food.serving})"


def alt_text(foods: list[Food], reference: Reference, t: Translator = ENGLISH) -> str:
    """What the picture shows, in words, for the caption (screen readers cannot see bars)."""
    items = "; ".join(f"{f.name}, {f.serving}: {t.format_number(f.mg)} mg" for f in foods)
    return t.gettext(messages.CHART_ALT).format(
        count=len(foods), items=items, label=reference.label, mg=reference.mg
    )


def chart_key(foods: list[Food], reference: Reference, language: str) -> str:
    """A digest of everything drawn: language, reference, and each food's name, serving and mg."""
    payload = {
        "version": CHART_VERSION,
        "language": language,
        "reference": [reference.mg, reference.label],
        "foods": [[f.name, f.serving, f.mg, bool(f.note)] for f in foods],
    }
    data = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def build_figure(foods: list[Food], reference: Reference, t: Translator = ENGLISH) -> Figure:
    """Draw the chart (richest food at the top) and return the figure, not yet saved."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [bar_label(f) for f in foods]
    values = [f.mg for f in foods]
    positions = list(range(len(foods)))
    axes.barh(positions, values, color=BAR_COLOUR, height=0.7)
    axes.set_yticks(positions, labels, fontsize=13, color=TEXT_COLOUR)
    axes.invert_yaxis()
    for y, value in zip(positions, values, strict=True):
        axes.text(
            value + reference.mg * 0.015,
            y,
            f"{t.format_number(value)} mg",
            va="center",
            fontsize=15,
            fontweight="bold",
            color=TEXT_COLOUR,
        )
    axes.axvline(reference.mg, color=LINE_COLOUR, linewidth=4, linestyle=(0, (6, 3)))
    axes.text(
        reference.mg,
        -0.9,
        t.gettext(messages.CHART_REFERENCE).format(label=reference.label, mg=reference.mg),
        ha="right",
        va="bottom",
        fontsize=15,
        fontweight="bold",
        color=LINE_COLOUR,
    )
    axes.set_xlim(0, reference.mg * 1.05)
    axes.set_ylim(len(foods) - 0.5, -1.4)
    axes.set_xlabel(t.gettext(messages.CHART_X_LABEL), fontsize=16, color=TEXT_COLOUR)
    axes.set_ylabel(t.gettext(messages.CHART_Y_LABEL), fontsize=16, color=TEXT_COLOUR)
    axes.tick_params(axis="x", labelsize=14, colors=TEXT_COLOUR)
    title = t.gettext(messages.CHART_TITLE)
    axes.set_title(title, fontsize=20, fontweight="bold", color=TEXT_COLOUR, pad=14)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if any(f.note for f in foods):
        figure.text(0.02, 0.01, t.gettext(messages.CHART_NOTE), fontsize=13, color=TEXT_COLOUR)
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    return figure


def render_chart(
    table: FoodTable, reference: Reference, cache_dir: Path, language: str = "en"
) -> Chart:
    """The chart file for this reference and language: drawn once, then read from `cache_dir`.

    Written to a temporary name and renamed, so a concurrent reader never sees half a PNG.
    """
    foods = richest(table)
    key = chart_key(foods, reference, language)
    path = cache_dir / f"foods-{language}-{reference.mg}-{key[:16]}.png"
    t = Translator(language)
    chart = Chart(path, key, alt_text(foods, reference, t))
    if path.is_file():
        return chart
    cache_dir.mkdir(parents=True, exist_ok=True)
    figure = build_figure(foods, reference, t)
    handle, temporary = tempfile.mkstemp(dir=cache_dir, suffix=".png.tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            figure.savefig(out, format="png", dpi=DPI, facecolor="white")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return chart
