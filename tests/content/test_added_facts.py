"""Figures added for issue 10 ("what osteoporosis patients still miss"), each against its source.

The research fact base does not hold these figures, so each one is written down here beside the
source entry it comes from: the USDA FoodData Central record (mg per 100 g and the serving's gram
weight), the UK label of a licensed magnesium tablet, or a chemical formula. The tests then check
that the bank says exactly what those sources give, that every row cites its own record, and that
the tips quoting a figure quote the same one as /foods.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tipbot import messages
from tipbot.content.loader import load_bank
from tipbot.content.models import Bank, EvidenceLevel, FoodGroup, Topic

TIPS_DIR = Path(__file__).resolve().parents[2] / "tips"
DAILY_VALUE_MG = 420


@dataclass(frozen=True)
class UsdaFood:
    """One /foods row taken from a USDA FoodData Central (SR Legacy) record."""

    name: str
    source: str
    fdc_id: int
    mg_per_100g: float
    grams: float
    serving: str
    group: FoodGroup


#: mg per 100 g and gram weights as given by each record (SR Legacy, April 2018).
ADDED_FOODS: tuple[UsdaFood, ...] = (
    UsdaFood("Quinoa, cooked", "usda_fdc_168917", 168917, 64, 185, "1 cup", FoodGroup.WHOLE_GRAINS),
    UsdaFood(
        "Swiss chard, boiled",
        "usda_fdc_170401",
        170401,
        86,
        87.5,
        "1/2 cup",
        FoodGroup.GREENS_VEGETABLES,
    ),
    UsdaFood(
        "Tofu, firm (set with calcium sulfate and nigari)",
        "usda_fdc_172448",
        172448,
        37,
        126,
        "1/2 cup",
        FoodGroup.LEGUMES_SOY,
    ),
    UsdaFood(
        "Buckwheat groats, roasted, cooked",
        "usda_fdc_170686",
        170686,
        51,
        84,
        "1/2 cup",
        FoodGroup.WHOLE_GRAINS,
    ),
    UsdaFood(
        "Chickpeas, boiled", "usda_fdc_173757", 173757, 48, 82, "1/2 cup", FoodGroup.LEGUMES_SOY
    ),
    UsdaFood(
        "Lentils, boiled", "usda_fdc_172421", 172421, 36, 99, "1/2 cup", FoodGroup.LEGUMES_SOY
    ),
    UsdaFood(
        "Sunflower seeds, hulled, dried",
        "usda_fdc_170562",
        170562,
        325,
        28.35,
        "1 oz",
        FoodGroup.NUTS_SEEDS,
    ),
    UsdaFood(
        "Oats, rolled or quick, dry",
        "usda_fdc_173904",
        173904,
        138,
        40.5,
        "1/2 cup",
        FoodGroup.WHOLE_GRAINS,
    ),
    UsdaFood("Flaxseed", "usda_fdc_169414", 169414, 392, 10, "1 tablespoon", FoodGroup.NUTS_SEEDS),
    UsdaFood(
        "Sesame seeds, whole, dried",
        "usda_fdc_170150",
        170150,
        351,
        9,
        "1 tablespoon",
        FoodGroup.NUTS_SEEDS,
    ),
)


def whole_mg(value: float) -> int:
    """Round half up to a whole mg, as a label would (Python's round() rounds half to even)."""
    return int(Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank(TIPS_DIR).bank


# --- foods from USDA records ---------------------------------------------------------------------


@pytest.mark.parametrize("food", ADDED_FOODS, ids=[f.source for f in ADDED_FOODS])
def test_usda_row_is_the_record_figure_for_its_serving(bank: Bank, food: UsdaFood) -> None:
    [row] = [item for item in bank.foods.items if item.name == food.name]
    assert row.source == food.source
    assert row.group is food.group
    assert row.serving.startswith(food.serving)
    grams = f"{food.grams:g} g"
    assert f"({grams})" in row.serving, f"the serving names its weight: {row.serving!r}"
    assert row.mg == whole_mg(food.mg_per_100g * food.grams / 100)
    assert row.pct_dv == round(row.mg / DAILY_VALUE_MG * 100)


@pytest.mark.parametrize("food", ADDED_FOODS, ids=[f.source for f in ADDED_FOODS])
def test_usda_row_cites_its_own_fooddata_central_record(bank: Bank, food: UsdaFood) -> None:
    source = bank.source_index[food.source]
    assert source.url == f"https://fdc.nal.usda.gov/food-details/{food.fdc_id}/nutrients"
    assert f"FDC {food.fdc_id}" in source.title


def test_every_usda_source_in_the_bank_links_to_a_food_record(bank: Bank) -> None:
    usda = [s for s in bank.source_index.values() if "fdc.nal.usda.gov" in s.url]
    assert len(usda) >= len(ADDED_FOODS) + 2  # and the two dark-chocolate records
    generic = [
        s.id for s in usda if not re.fullmatch(r"https://[^/]+/food-details/\d+/nutrients", s.url)
    ]
    assert not generic, f"USDA sources that do not open the food's own record: {generic}"


def test_dark_chocolate_is_shown_to_the_whole_mg(bank: Bank) -> None:
    row = next(i for i in bank.foods.items if i.name.startswith("Dark chocolate, 70-85%"))
    # USDA: 228 mg per 100 g; one ounce is 28.35 g, so 64.6 mg, shown without false precision.
    assert row.mg == whole_mg(228 * 28.35 / 100) == 65
    assert bank.source_index[row.source].url.endswith("/food-details/170273/nutrients")


def test_no_food_figure_has_false_precision(bank: Bank) -> None:
    assert all(float(item.mg).is_integer() for item in bank.foods.items)


def test_fortified_cereal_is_not_filed_as_a_whole_grain(bank: Bank) -> None:
    [row] = [i for i in bank.foods.items if i.name.startswith("Breakfast cereal fortified")]
    assert row.group is not FoodGroup.WHOLE_GRAINS
    assert row.note and "not the same as whole grain" in row.note


@pytest.mark.parametrize("name", ["Spinach, boiled", "Swiss chard, boiled"])
def test_oxalate_greens_say_less_is_absorbed(bank: Bank, name: str) -> None:
    [row] = [i for i in bank.foods.items if i.name == name]
    assert row.note and "oxalate" in row.note and "absorbed" in row.note


#: Tip id -> the food rows whose figures the tip quotes.
TIP_FIGURES: dict[str, tuple[str, ...]] = {
    "quinoa-buckwheat": (
        "Quinoa, cooked",
        "Buckwheat groats, roasted, cooked",
        "Rice, white, cooked",
    ),
    "lentils-chickpeas": ("Lentils, boiled", "Chickpeas, boiled"),
    "tofu-label": ("Tofu, firm (set with calcium sulfate and nigari)",),
    "seeds-sprinkle": ("Flaxseed", "Sesame seeds, whole, dried", "Sunflower seeds, hulled, dried"),
    "fortified-not-whole-grain": ("Oats, rolled or quick, dry",),
    "chard-and-spinach-oxalate": ("Swiss chard, boiled", "Spinach, boiled"),
}


@pytest.mark.parametrize("tip_id", sorted(TIP_FIGURES))
def test_food_tips_quote_the_same_figures_as_foods(bank: Bank, tip_id: str) -> None:
    tip = bank.tip(tip_id)
    assert tip is not None
    rows = {i.name: i for i in bank.foods.items}
    quoted = {int(n) for n in re.findall(r"(\d+) mg", tip.text)}
    expected = {int(rows[name].mg) for name in TIP_FIGURES[tip_id]}
    assert quoted == expected
    food_sources = {rows[name].source for name in TIP_FIGURES[tip_id]} - {"ods_hp"}
    assert food_sources <= set(tip.sources)


def test_water_tip_gives_the_nih_range(bank: Bank) -> None:
    tip = bank.tip("water-magnesium")
    assert tip is not None and tip.sources == ["ods_hp"]
    # NIH ODS: magnesium in tap, mineral and bottled water ranges from 1 mg/L to more than 120 mg/L.
    assert "1 mg to more than 120 mg per litre" in tip.text


# --- forms and labels ----------------------------------------------------------------------------

MG_PER_MMOL = 24.305  # standard atomic weight of magnesium (IUPAC), g/mol

#: emc SmPC 11577 (Magnesium 4mmol Chewable Tablets): each tablet holds 4 mmol (97.2 mg) of
#: magnesium as 777.6 mg of magnesium glycerophosphate.
SMPC_11577 = {"mmol": 4, "mg": 97.2, "compound_mg": 777.6}

#: IUPAC standard atomic weights (abridged), for elemental shares worked out from a formula.
ATOMIC_WEIGHT = {"C": 12.011, "H": 1.008, "O": 15.999, "Mg": 24.305, "P": 30.974}


def mass(formula: dict[str, int]) -> float:
    return sum(ATOMIC_WEIGHT[element] * count for element, count in formula.items())


def test_mmol_to_mg_matches_the_label(bank: Bank) -> None:
    assert round(SMPC_11577["mmol"] * MG_PER_MMOL, 1) == SMPC_11577["mg"]
    tip = bank.tip("mmol-on-labels")
    assert tip is not None
    assert "24.3 mg" in tip.text and "4 mmol" in tip.text
    assert f"{whole_mg(SMPC_11577['mg'])} mg" in tip.text
    assert tip.sources == ["emc_11577_mg_glycerophosphate"]
    assert tip.evidence is EvidenceLevel.DRUG_LABEL


def test_glycerophosphate_share_is_the_labels_and_the_formulas(bank: Bank) -> None:
    [form] = [f for f in bank.forms if f.id == "glycerophosphate"]
    from_label = round(SMPC_11577["mg"] / SMPC_11577["compound_mg"] * 100, 1)
    glycerophosphate = {"C": 3, "H": 7, "Mg": 1, "O": 6, "P": 1}  # MgC3H7O6P
    from_formula = round(ATOMIC_WEIGHT["Mg"] / mass(glycerophosphate) * 100, 1)
    assert form.elemental_percent == from_label == from_formula
    assert form.sources == ["emc_11577_mg_glycerophosphate"]
    source = bank.source_index["emc_11577_mg_glycerophosphate"]
    assert source.url == "https://www.medicines.org.uk/emc/product/11577/smpc"


def test_gluconate_share_is_worked_out_from_its_formula(bank: Bank) -> None:
    [form] = [f for f in bank.forms if f.id == "gluconate"]
    dry = {"C": 12, "H": 22, "Mg": 1, "O": 14}  # C12H22MgO14
    dihydrate = {"C": 12, "H": 26, "Mg": 1, "O": 16}  # with two waters of crystallisation
    assert form.elemental_percent == round(ATOMIC_WEIGHT["Mg"] / mass(dry) * 100, 1)
    assert form.elemental_note and f"{ATOMIC_WEIGHT['Mg'] / mass(dihydrate) * 100:.1f}%" in (
        form.elemental_note
    )
    tip = bank.tip("gluconate-little-magnesium")
    assert tip is not None
    # A 500 mg tablet of the dihydrate gives 27 mg, of the dry salt 29 mg: "less than 30 mg".
    assert whole_mg(500 * ATOMIC_WEIGHT["Mg"] / mass(dry)) < 30
    assert "less than 30 mg" in tip.text


def test_new_forms_come_after_the_existing_ones(bank: Bank) -> None:
    ids = [f.id for f in bank.forms]
    assert ids[-2:] == ["glycerophosphate", "gluconate"]


# --- what osteoporosis patients still miss -------------------------------------------------------

NEW_TIP_IDS = (
    "not-an-osteoporosis-treatment",
    "bone-basics-first",
    "magnesium-with-bone-medicine",
    "ask-first-kidneys",
    "ask-first-heart-muscles",
    "ask-first-bowel",
    "quinoa-buckwheat",
    "lentils-chickpeas",
    "tofu-label",
    "seeds-sprinkle",
    "chard-and-spinach-oxalate",
    "phytate-whole-grains",
    "water-magnesium",
    "fortified-not-whole-grain",
    "kidney-diet-foods",
    "myth-epsom-baths",
    "myth-night-cramps",
    "myth-sleep",
    "myth-two-to-one",
    "myth-red-cell-test",
    "mmol-on-labels",
    "glycerophosphate-medicine",
    "gluconate-little-magnesium",
    "with-food-split-doses",
)


def test_at_least_sixteen_new_tips_are_in_the_bank(bank: Bank) -> None:
    missing = [tip_id for tip_id in NEW_TIP_IDS if bank.tip(tip_id) is None]
    assert not missing
    assert len(NEW_TIP_IDS) >= 16


def test_magnesium_is_not_a_treatment_and_bone_medicine_is_kept(bank: Bank) -> None:
    tip = bank.tip("not-an-osteoporosis-treatment")
    assert tip is not None
    assert "not a treatment for osteoporosis" in tip.text
    assert "Keep taking them as prescribed" in tip.text
    basics = bank.tip("bone-basics-first")
    assert basics is not None
    for word in ("calcium", "vitamin D", "protein", "active", "falls"):
        assert word in basics.text


@pytest.mark.parametrize(
    ("tip_id", "words"),
    [
        ("ask-first-kidneys", ("kidney disease", "dialysis")),
        ("ask-first-heart-muscles", ("heart block", "slow heart rate", "myasthenia gravis")),
        ("ask-first-bowel", ("blocked bowel",)),
    ],
)
def test_who_should_not_start_magnesium_alone(
    bank: Bank, tip_id: str, words: tuple[str, ...]
) -> None:
    tip = bank.tip(tip_id)
    assert tip is not None and tip.topic is Topic.KIDNEY_CAUTIONS
    for word in words:
        assert word in tip.text


@pytest.mark.parametrize(
    ("tip_id", "source", "evidence"),
    [
        ("myth-epsom-baths", "grober_2017", EvidenceLevel.NARRATIVE_REVIEW),
        ("myth-night-cramps", "garrison_2020", EvidenceLevel.META_ANALYSIS),
        ("myth-sleep", "mah_2021", EvidenceLevel.META_ANALYSIS),
        ("myth-two-to-one", "iom_1997", EvidenceLevel.REFERENCE_VALUE),
        ("myth-red-cell-test", "ods_hp", EvidenceLevel.REFERENCE_VALUE),
    ],
)
def test_myths_cite_the_evidence_they_rest_on(
    bank: Bank, tip_id: str, source: str, evidence: EvidenceLevel
) -> None:
    tip = bank.tip(tip_id)
    assert tip is not None
    assert tip.title.startswith("Myth:")
    assert source in tip.sources
    assert tip.evidence is evidence


def test_cochrane_cramps_review_is_cited_by_its_doi(bank: Bank) -> None:
    source = bank.source_index["garrison_2020"]
    assert source.doi == "10.1002/14651858.CD009402.pub3"
    assert source.url == f"https://doi.org/{source.doi}"


def test_new_doi_sources_link_to_their_doi(bank: Bank) -> None:
    wrong = [
        s.id
        for s in bank.source_index.values()
        if s.doi and s.url.startswith("https://doi.org/") and s.url != f"https://doi.org/{s.doi}"
    ]
    assert not wrong


# --- /about ---------------------------------------------------------------------------------------


def test_about_says_magnesium_is_not_an_osteoporosis_treatment() -> None:
    about = messages.ABOUT
    assert "not a treatment for osteoporosis" in about
    assert "bone medicine" in about


def test_about_has_an_emergency_line() -> None:
    about = messages.ABOUT
    assert "emergency" in about
    for sign in ("muscle weakness", "slow", "breathing", "confusion"):
        assert sign in about


def test_sleep_myth_gives_the_reviews_pooled_figure(bank: Bank) -> None:
    tip = bank.tip("myth-sleep")
    assert tip is not None
    # Mah & Pitre 2021: 3 trials, 151 older adults; asleep 17.36 min sooner, low-quality evidence.
    assert f"about {whole_mg(17.36)} minutes sooner" in tip.text
    assert "three small trials" in tip.text and "uncertain" in tip.text
