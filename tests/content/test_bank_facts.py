"""The tip bank (tips/*.yaml) checked against the research fact base it was written from.

The fact base lives outside the repository, in `shared/research/magnesium-facts.yaml` beside
the clone (`/work/shared/...` here, `../shared/...` in CI). Tests that need it are skipped, with a
reason, when it is missing; the tests of the bank on its own (citations, balance, length,
readability) always run.
"""

from __future__ import annotations

import re
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.content.test_added_facts import ADDED_FOODS
from tipbot.content.loader import LIST_SECTIONS
from tipbot.content.models import Bank, Topic

REPO = Path(__file__).resolve().parents[2]
TIPS_DIR = REPO / "tips"
FACTS_PATH = Path(__file__).resolve().parents[3] / "shared" / "research" / "magnesium-facts.yaml"
MISSING_FACTS = (
    f"research fact base not found at {FACTS_PATH} (shared/ is expected beside the clone)"
)

DAILY_VALUE_MG = 420
MIN_TIPS = 90
MAX_TOPIC_SHARE = 0.25
MIN_TIPS_PER_TOPIC = 4
MAX_MEAN_FK_GRADE = 9.0
MAX_TIP_FK_GRADE = 12.0


#: Sections that may be split over several files, as the loader allows (tipbot/content/loader.py).


def load_bank_from_yaml(tips_dir: Path = TIPS_DIR) -> Bank:
    """Merge every tips/*.yaml mapping and validate it as one Bank (stand-in for the loader)."""
    merged: dict[str, Any] = {}
    for path in sorted(tips_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict), f"{path.name}: expected a mapping at the top level"
        for key in LIST_SECTIONS & merged.keys() & data.keys():  # e.g. sources over two files
            merged[key] = merged[key] + data.pop(key)
        overlap = merged.keys() & data.keys()
        assert not overlap, (
            f"{path.name}: top-level key(s) {sorted(overlap)} already defined in another file"
        )
        merged.update(data)
    return Bank.model_validate(merged)


def _load_facts() -> dict[str, Any] | None:
    if not FACTS_PATH.is_file():
        return None
    facts: dict[str, Any] = yaml.safe_load(FACTS_PATH.read_text(encoding="utf-8"))
    return facts


FACTS = _load_facts()


def _params(items: list[Any], ids: list[str]) -> list[Any]:
    """Parametrise over fact-base rows, or one skipped placeholder when the fact base is missing."""
    if FACTS is None:
        return [
            pytest.param(None, id="fact-base-missing", marks=pytest.mark.skip(reason=MISSING_FACTS))
        ]
    return [pytest.param(item, id=i) for item, i in zip(items, ids, strict=True)]


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank_from_yaml()


@pytest.fixture(scope="module")
def facts() -> dict[str, Any]:
    if FACTS is None:
        pytest.skip(MISSING_FACTS)
    return FACTS


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- foods ----------------------------------------------------------------------------------------

FACT_FOODS: list[dict[str, Any]] = FACTS["foods"]["items"] if FACTS else []
ODS_FOODS = [row for row in FACT_FOODS if row["source"] == "ods_hp"]


#: US measures and their metric equivalents: ounces of weight in grams (1 oz = 28.35 g), cups and
#: tablespoons in millilitres as US food labels count them (21 CFR 101.9(b)(5)(viii)).
_GRAMS_PER_OZ = 28.35
_ML_PER_MEASURE = {"cup": 240, "tablespoon": 15}


def metric_serving(serving: str) -> str:
    """The ODS serving with its metric equivalent added, as foods.yaml must show it."""
    amount, _, unit = serving.partition(" ")
    quantity = float(Fraction(amount))
    if unit == "oz":
        grams = _GRAMS_PER_OZ * quantity
        shown = f"{grams:.2f}" if quantity == 1 else f"{round(grams)}"
        return f"{serving} ({shown} g)"
    measure = unit.removesuffix("s")
    if measure in _ML_PER_MEASURE:
        return f"{serving} ({round(_ML_PER_MEASURE[measure] * quantity)} ml)"
    return serving  # a count ("1 medium", "1 slice") needs no conversion


def test_metric_serving_converts_us_measures() -> None:
    assert metric_serving("1 oz") == "1 oz (28.35 g)"
    assert metric_serving("3.5 oz") == "3.5 oz (99 g)"
    assert metric_serving("1/4 cup") == "1/4 cup (60 ml)"
    assert metric_serving("2 tablespoons") == "2 tablespoons (30 ml)"
    assert metric_serving("1 medium") == "1 medium"


@pytest.mark.parametrize("row", _params(ODS_FOODS, [_slug(r["food"]) for r in ODS_FOODS]))
def test_ods_food_row_appears_in_foods_yaml_with_same_serving_mg_and_pct_dv(
    bank: Bank, row: dict[str, Any]
) -> None:
    matches = [item for item in bank.foods.items if item.name == row["food"]]
    assert len(matches) == 1, (
        f"{row['food']!r}: expected exactly one row in foods.yaml, found {len(matches)}"
    )
    item = matches[0]
    assert item.serving == metric_serving(row["serving"])
    assert item.mg == row["mg"]
    assert item.pct_dv == row["pct_dv"]
    assert item.source == "ods_hp"


def test_every_ods_food_row_is_in_foods_yaml(bank: Bank, facts: dict[str, Any]) -> None:
    names = {item.name for item in bank.foods.items}
    ods_rows = [row["food"] for row in facts["foods"]["items"] if row["source"] == "ods_hp"]
    assert len(ods_rows) == 30
    assert set(ods_rows) <= names, f"missing: {sorted(set(ods_rows) - names)}"


def test_dark_chocolate_70_85_row_matches_its_usda_fact(bank: Bank, facts: dict[str, Any]) -> None:
    fact = next(
        r for r in facts["foods"]["items"] if r["food"].startswith("Dark chocolate, 70-85%")
    )
    item = next(i for i in bank.foods.items if i.name == fact["food"])
    # Shown to the whole mg: "64.6 mg" was false precision for a food (issue 10, item 14).
    assert (item.serving, item.mg, item.pct_dv, item.source) == (
        fact["serving"],
        round(fact["mg"]),
        fact["pct_dv"],
        fact["source"],
    )
    assert item.mg == 65
    assert item.source == "usda_sr_19904"
    assert item.note and "treat" in item.note.lower(), "dark chocolate must be framed as a treat"


def test_dark_chocolate_45_59_row_matches_its_usda_fact(bank: Bank, facts: dict[str, Any]) -> None:
    fact = next(
        r for r in facts["foods"]["items"] if r["food"].startswith("Dark chocolate, 45-59%")
    )
    item = next(i for i in bank.foods.items if i.name == fact["food"])
    assert (item.serving, item.mg, item.pct_dv, item.source) == (
        fact["serving"],
        fact["mg"],
        fact["pct_dv"],
        fact["source"],
    )


def test_foods_yaml_has_no_row_missing_from_the_fact_base(
    bank: Bank, facts: dict[str, Any]
) -> None:
    fact_names = {row["food"] for row in facts["foods"]["items"]}
    # Rows added from USDA records are checked against their own record in test_added_facts.py.
    checked_there = {row.name for row in ADDED_FOODS}
    extra = [item.name for item in bank.foods.items if item.name not in fact_names | checked_there]
    assert not extra, f"foods not in the fact base: {extra}"


def test_pct_dv_is_mg_over_420_rounded_for_every_food(bank: Bank) -> None:
    wrong = [
        (item.name, item.mg, item.pct_dv, round(item.mg / DAILY_VALUE_MG * 100))
        for item in bank.foods.items
        if item.pct_dv != round(item.mg / DAILY_VALUE_MG * 100)
    ]
    assert not wrong, f"(name, mg, pct_dv, expected): {wrong}"


def test_daily_value_is_420_mg_as_in_the_fact_base(bank: Bank, facts: dict[str, Any]) -> None:
    assert bank.foods.daily_value_mg == DAILY_VALUE_MG
    dv = facts["rda"]["daily_value"]
    assert f"{DAILY_VALUE_MG} mg" in dv["fact"]
    assert bank.foods.daily_value_source == dv["source"]


def test_foods_table_has_at_least_25_items(bank: Bank) -> None:
    assert len(bank.foods.items) >= 25


# --- intakes --------------------------------------------------------------------------------------

FACT_RDA: list[dict[str, Any]] = FACTS["rda"]["table_mg_per_day"] if FACTS else []

#: Expected (stage, age_min, age_max) for each fact-base RDA group, in whole years.
RDA_AGES: dict[str, tuple[str, int, int]] = {
    "Infants 0-6 months": ("general", 0, 0),
    "Infants 7-12 months": ("general", 0, 0),
    "Children 1-3 years": ("general", 1, 3),
    "Children 4-8 years": ("general", 4, 8),
    "Children 9-13 years": ("general", 9, 13),
    "Teens 14-18 years": ("general", 14, 18),
    "Adults 19-30 years": ("general", 19, 30),
    "Adults 31-50 years": ("general", 31, 50),
    "Adults 51-70 years": ("general", 51, 70),
    "Adults over 70": ("general", 71, 150),
    "Pregnancy 18 years or younger": ("pregnancy", 14, 18),
    "Pregnancy 19-30 years": ("pregnancy", 19, 30),
    "Pregnancy 31-50 years": ("pregnancy", 31, 50),
    "Lactation 18 years or younger": ("lactation", 14, 18),
    "Lactation 19-30 years": ("lactation", 19, 30),
    "Lactation 31-50 years": ("lactation", 31, 50),
}


@pytest.mark.parametrize("row", _params(FACT_RDA, [_slug(r["group"]) for r in FACT_RDA]))
def test_rda_row_matches_fact_base(bank: Bank, row: dict[str, Any]) -> None:
    matches = [r for r in bank.intakes.rda if r.group == row["group"]]
    assert len(matches) == 1, (
        f"{row['group']!r}: expected one RDA row in intakes.yaml, found {len(matches)}"
    )
    ours = matches[0]
    assert ours.male == row.get("male")
    assert ours.female == row.get("female")
    assert ours.kind == row["type"]
    assert row["group"] in RDA_AGES, (
        f"new fact-base group {row['group']!r}: add its ages to RDA_AGES"
    )
    assert (ours.stage.value, ours.age_min, ours.age_max) == RDA_AGES[row["group"]]


def test_intakes_yaml_has_no_rda_row_missing_from_the_fact_base(
    bank: Bank, facts: dict[str, Any]
) -> None:
    fact_groups = {r["group"] for r in facts["rda"]["table_mg_per_day"]}
    assert [r.group for r in bank.intakes.rda if r.group not in fact_groups] == []


FACT_UL: list[dict[str, Any]] = FACTS["ul"]["table_mg_per_day_supplemental"] if FACTS else []

#: The whole-year age range each fact-base UL group covers (pregnancy and lactation: ages 14-50).
UL_AGES: dict[str, tuple[int, int]] = {
    "Infants 0-12 months": (0, 0),
    "Children 1-3 years": (1, 3),
    "Children 4-8 years": (4, 8),
    "9-18 years": (9, 18),
    "Adults 19-70 and over 70": (19, 150),
    "Pregnancy and lactation (all ages)": (14, 50),
}


@pytest.mark.parametrize("row", _params(FACT_UL, [_slug(r["group"]) for r in FACT_UL]))
def test_ul_figure_matches_fact_base(bank: Bank, row: dict[str, Any]) -> None:
    assert row["group"] in UL_AGES, (
        f"new fact-base UL group {row['group']!r}: add its ages to UL_AGES"
    )
    low, high = UL_AGES[row["group"]]
    expected = row["ul"] if isinstance(row["ul"], int) else None
    for age in range(low, high + 1):
        covering = [r for r in bank.intakes.ul if r.age_min <= age <= r.age_max]
        assert len(covering) == 1, (
            f"age {age}: expected one UL row, found {[r.group for r in covering]}"
        )
        assert covering[0].ul_mg == expected, (
            f"age {age} ({row['group']}): {covering[0].ul_mg} != {expected}"
        )
    if expected is None:
        assert covering[0].note, "a UL row without a figure needs a note saying why"
    if row["group"].startswith("Pregnancy"):
        assert "pregnan" in bank.intakes.ul_note.lower(), (
            "ul_note should say the limit applies in pregnancy"
        )


def test_ul_note_says_the_limit_counts_only_supplements_and_medicines(bank: Bank) -> None:
    note = bank.intakes.ul_note.lower()
    assert "supplements" in note and "medicines" in note and "food" in note


# --- forms ----------------------------------------------------------------------------------------

FACT_FORMS: list[dict[str, Any]] = FACTS["forms"]["items"] if FACTS else []


def _form_id(fact_name: str) -> str:
    """'glycinate (bisglycinate)' -> 'glycinate'; 'L-threonate' -> 'threonate'."""
    first = fact_name.split()[0].lower()
    return first.removeprefix("l-")


@pytest.mark.parametrize("row", _params(FACT_FORMS, [_form_id(r["form"]) for r in FACT_FORMS]))
def test_form_elemental_percent_matches_fact_base(bank: Bank, row: dict[str, Any]) -> None:
    matches = [f for f in bank.forms if f.id == _form_id(row["form"])]
    assert len(matches) == 1, f"form {row['form']!r} missing from forms.yaml"
    assert matches[0].elemental_percent == row["elemental_mg_percent"]


def test_forms_yaml_covers_at_least_eight_forms(bank: Bank) -> None:
    assert len(bank.forms) >= 8


# --- sources --------------------------------------------------------------------------------------


def _cited_source_ids(bank: Bank) -> dict[str, set[str]]:
    """Every source id cited anywhere in the bank, mapped to where it is cited."""
    cited: dict[str, set[str]] = {}

    def add(source_id: str, where: str) -> None:
        cited.setdefault(source_id, set()).add(where)

    for tip in bank.tips:
        for s in tip.sources:
            add(s, f"tip {tip.id}")
    add(bank.foods.daily_value_source, "foods.daily_value_source")
    for item in bank.foods.items:
        add(item.source, f"food {item.name}")
    for form in bank.forms:
        for s in form.sources:
            add(s, f"form {form.id}")
    for s in [*bank.interactions.sources, *bank.interactions.kidney_caution_sources]:
        add(s, "interactions")
    for cls in bank.interactions.classes:
        for s in cls.sources:
            add(s, f"interaction {cls.id}")
    for s in [*bank.intakes.rda_sources, *bank.intakes.ul_sources]:
        add(s, "intakes")
    for value in bank.intakes.other_values:
        add(value.source, f"intakes.other_values {value.name}")
    for rule in bank.doses:
        for s in rule.sources:
            add(s, f"dose rule {rule.id}")
    return cited


def test_every_tip_cites_only_existing_sources(bank: Bank) -> None:
    known = set(bank.source_index)
    unknown = {(t.id, s) for t in bank.tips for s in t.sources if s not in known}
    assert not unknown, f"(tip, unknown source): {sorted(unknown)}"


def test_every_citation_in_the_bank_points_to_an_existing_source(bank: Bank) -> None:
    known = set(bank.source_index)
    unknown = {s: sorted(w) for s, w in _cited_source_ids(bank).items() if s not in known}
    assert not unknown, f"unknown sources and where cited: {unknown}"


def test_every_listed_source_is_cited_somewhere(bank: Bank) -> None:
    uncited = set(bank.source_index) - set(_cited_source_ids(bank))
    assert not uncited, f"sources.yaml lists sources nothing cites: {sorted(uncited)}"


def test_source_ids_are_unique(bank: Bank) -> None:
    dupes = [i for i, n in Counter(s.id for s in bank.sources).items() if n > 1]
    assert not dupes


def test_no_do_not_cite_source_is_listed_or_cited(bank: Bank, facts: dict[str, Any]) -> None:
    banned = {s["id"] for s in facts["sources"] if s.get("do_not_cite")}
    assert banned, "the fact base should mark some sources do_not_cite"
    listed = banned & set(bank.source_index)
    cited = banned & set(_cited_source_ids(bank))
    assert not listed and not cited, f"do_not_cite sources used: {sorted(listed | cited)}"


def test_sources_shared_with_the_fact_base_keep_its_pmid_and_doi(
    bank: Bank, facts: dict[str, Any]
) -> None:
    by_id = {s["id"]: s for s in facts["sources"]}
    for source in bank.sources:
        fact = by_id.get(source.id)
        if fact is None:
            continue
        if fact.get("pmid"):
            assert source.pmid == fact["pmid"], source.id
        if fact.get("doi"):
            assert source.doi == fact["doi"], source.id


# --- interactions ---------------------------------------------------------------------------------


def test_interactions_cover_the_required_medicine_classes(bank: Bank) -> None:
    generics = {m.generic for cls in bank.interactions.classes for m in cls.medicines}
    for name in (
        "alendronate",
        "risedronate",
        "ibandronate",
        "doxycycline",
        "ciprofloxacin",
        "furosemide",
        "hydrochlorothiazide",
        "spironolactone",
        "omeprazole",
    ):
        assert name in generics, f"{name} is missing from interactions.yaml"


def test_no_brand_the_fact_base_marks_recalled_is_listed(bank: Bank, facts: dict[str, Any]) -> None:
    flagged = {
        brand.split(" (")[0]
        for cls in facts["interactions"]["classes"]
        if isinstance(cls.get("examples"), list)
        for med in cls["examples"]
        for brand in med.get("brands", [])
        if "recalled" in brand
    }
    ours = {b for cls in bank.interactions.classes for m in cls.medicines for b in m.brands}
    assert flagged, "expected the fact base to flag some brands as recalled"
    assert not flagged & ours, f"unverified brands listed: {sorted(flagged & ours)}"


def test_interaction_text_never_calls_a_combination_safe(bank: Bank) -> None:
    texts = [bank.interactions.general, bank.interactions.kidney_caution]
    for cls in bank.interactions.classes:
        texts += [cls.mechanism, cls.advice, cls.sources_disagree or ""]
    offenders = [t for t in texts if re.search(r"\bsafe(ly)?\b", t, re.IGNORECASE)]
    assert not offenders, offenders


# --- tips -----------------------------------------------------------------------------------------


def test_bank_has_at_least_90_tips(bank: Bank) -> None:
    assert len(bank.tips) >= MIN_TIPS


def test_no_topic_holds_more_than_a_quarter_of_the_tips(bank: Bank) -> None:
    counts = Counter(t.topic for t in bank.tips)
    limit = MAX_TOPIC_SHARE * len(bank.tips)
    assert all(n <= limit for n in counts.values()), {
        k.value: n for k, n in counts.items() if n > limit
    }


def test_every_topic_has_at_least_four_tips(bank: Bank) -> None:
    counts = Counter(t.topic for t in bank.tips)
    thin = {
        topic.value: counts.get(topic, 0)
        for topic in Topic
        if counts.get(topic, 0) < MIN_TIPS_PER_TOPIC
    }
    assert not thin, thin


def test_tip_ids_are_unique(bank: Bank) -> None:
    dupes = [i for i, n in Counter(t.id for t in bank.tips).items() if n > 1]
    assert not dupes


def test_every_tip_is_at_most_600_characters(bank: Bank) -> None:
    too_long = {t.id: len(t.text) for t in bank.tips if len(t.text) > 600}
    assert not too_long, too_long


def test_tip_text_is_plain_without_markup(bank: Bank) -> None:
    markup = re.compile(r"<[^>]+>|\*\*|__|`|\[[^\]]*\]\(")
    offenders = [t.id for t in bank.tips if markup.search(t.text) or markup.search(t.title)]
    assert not offenders, offenders


def test_no_tip_gives_an_individual_dose(bank: Bank) -> None:
    dose = re.compile(r"\btake\s+(about\s+|up to\s+)?\d[\d,]*\s*(mg|milligrams?)\b", re.IGNORECASE)
    offenders = [t.id for t in bank.tips if dose.search(t.text)]
    assert not offenders, offenders


def test_no_tip_claims_magnesium_prevents_or_cures(bank: Bank) -> None:
    strong = re.compile(r"\b(prevents|cures?|guarantee[sd]?|proven to)\b", re.IGNORECASE)
    offenders = [t.id for t in bank.tips if strong.search(t.text) or strong.search(t.title)]
    assert not offenders, offenders


def test_tips_have_a_readable_average_and_no_hard_tip(bank: Bank) -> None:
    textstat = pytest.importorskip("textstat", reason="textstat is needed to measure reading grade")
    grades = {t.id: textstat.flesch_kincaid_grade(t.text) for t in bank.tips}
    mean = sum(grades.values()) / len(grades)
    assert mean <= MAX_MEAN_FK_GRADE, f"mean Flesch-Kincaid grade {mean:.2f} > {MAX_MEAN_FK_GRADE}"
    hard = {tip_id: g for tip_id, g in grades.items() if g > MAX_TIP_FK_GRADE}
    assert not hard, f"tips above grade {MAX_TIP_FK_GRADE}: {hard}"


# --- issue 10: new figures, each checked against the source entry that states it ------------------

#: Figures the research fact base does not hold, with the source each one is read from. A test
#: checks both the figure and that the bank cites exactly that source for it.
EU_UK_VALUES: list[tuple[str, str, dict[str, int], tuple[int, int]]] = [
    # (source id, measure, figures, ages)
    ("efsa_drv_2015", "intake", {"male": 350, "female": 300}, (18, 150)),  # EFSA Journal 13:4186
    ("nhs_minerals", "intake", {"male": 300, "female": 270}, (19, 64)),  # UK RNI, adults 19-64
    ("efsa_ul_2006", "supplement_limit", {"mg": 250}, (4, 150)),  # SCF 2001, adults and 4+
    ("eu_fic_2011", "label_reference", {"mg": 375}, (18, 150)),  # Reg. 1169/2011 Annex XIII
]


@pytest.mark.parametrize(
    ("source_id", "measure", "figures", "ages"), EU_UK_VALUES, ids=[v[0] for v in EU_UK_VALUES]
)
def test_european_and_uk_reference_values_match_their_sources(
    bank: Bank, source_id: str, measure: str, figures: dict[str, int], ages: tuple[int, int]
) -> None:
    [value] = [v for v in bank.intakes.other_values if v.source == source_id]
    assert value.measure.value == measure
    assert {k: getattr(value, k) for k in figures} == figures
    assert (value.age_min, value.age_max) == ages
    assert bank.source_index[source_id].kind.value == "regulator"


def test_efsa_sources_keep_their_official_dois(bank: Bank) -> None:
    assert bank.source_index["efsa_drv_2015"].doi == "10.2903/j.efsa.2015.4186"
    assert bank.source_index["efsa_claims_2009"].doi == "10.2903/j.efsa.2009.1216"


def test_the_us_tables_are_labelled_as_such(bank: Bank) -> None:
    assert bank.intakes.region == "US/Canadian"
    assert bank.intakes.rda_note.startswith("The US/Canadian RDA")
    assert bank.intakes.ul_note.startswith("The US/Canadian upper limit")
    for tip_id in ("ul-350", "add-up-all-sources", "dv-not-a-goal", "pumpkin-seeds", "daily-tally"):
        text = bank.tip_index[tip_id].text
        assert "US" in text, tip_id


def _texts(bank: Bank) -> dict[str, str]:
    texts = {f"tip {t.id}": f"{t.title} {t.text}" for t in bank.tips}
    for cls in bank.interactions.classes:
        texts[f"interaction {cls.id}"] = " ".join(
            [cls.mechanism, cls.advice, cls.sources_disagree or ""]
        )
    return texts


def test_no_text_says_every_bisphosphonate_is_taken_fasting(bank: Bank) -> None:
    """Delayed-release risedronate (Atelvia) is taken after breakfast: fasting advice says so."""
    fasting = re.compile(r"empty stomach|first thing|before (any )?(food|breakfast)", re.I)
    exception = re.compile(r"Atelvia|delayed-release", re.I)
    unqualified = [
        where
        for where, text in _texts(bank).items()
        if fasting.search(text)
        and re.search(r"bisphosphonate|alendronate|bone tablet", text, re.I)
        and not exception.search(text)
    ]
    assert not unqualified, unqualified


def test_the_bisphosphonate_class_lists_the_delayed_release_and_effervescent_forms(
    bank: Bank,
) -> None:
    cls = next(c for c in bank.interactions.classes if c.id == "bisphosphonates")
    brands = {b for m in cls.medicines for b in m.brands}
    assert {"Atelvia", "Actonel DR", "Binosto"} <= brands
    assert "right after breakfast" in cls.advice
    assert "Follow your own label" in cls.advice
    assert "weekly or monthly" in cls.advice
    assert {"atelvia_label", "binosto_label", "risedronate_label"} <= set(cls.sources)


def test_where_the_limit_is_explained_prescribed_magnesium_is_left_alone(bank: Bank) -> None:
    phrase = "if your doctor prescribed magnesium, don't change it on your own"
    for tip_id in (
        "ul-350",
        "add-up-all-sources",
        "dv-not-a-goal",
        "cal-mag-combo",
        "yearly-review",
    ):
        assert phrase in bank.tip_index[tip_id].text.lower(), tip_id
    assert phrase in bank.intakes.ul_note.lower()


def test_too_much_magnesium_is_not_only_a_kidney_failure_problem(bank: Bank) -> None:
    for text in (bank.interactions.kidney_caution, bank.tip_index["kidney-hypermagnesemia"].text):
        assert "almost only" not in text
        assert re.search(r"normal kidneys|kidneys are normal", text), text
        assert "older" in text.lower() and "opioid" in text
    signs = bank.tip_index["toxicity-signs"].text
    assert "drowsiness or confusion" in signs and "slow breathing" in signs
    assert "kidney" not in signs


def test_the_intake_shortfall_uses_the_nih_figure_not_the_79_percent(bank: Bank) -> None:
    tip = bank.tip_index["most-fall-short"]
    assert "79%" not in tip.text and "about half" in tip.text
    assert tip.sources == ["ods_hp"]


def test_commercial_summaries_are_replaced_by_labels(bank: Bank) -> None:
    kinds = {s.id: s.kind.value for s in bank.sources}
    assert "commercial" not in kinds.values()
    by_class = {c.id: c.sources for c in bank.interactions.classes}
    assert by_class["gabapentin"] == ["neurontin_label"]
    assert set(by_class["dolutegravir"]) >= {"tivicay_epar", "juluca_epar"}
    for source_id in ("ryder_2005", "groenendijk_2022", "atc_mg_citrate", "usda_sr_19904"):
        url = bank.source_index[source_id].url
        assert not url.startswith(("https://www.medscape.com", "https://research.wur.nl")), url
        assert url != "https://fdc.nal.usda.gov/" and "api.fda.gov" not in url, url


def test_evidence_grades_fit_the_claims(bank: Bank) -> None:
    tips = bank.tip_index
    assert tips["efsa-bone-claim"].sources == ["efsa_claims_2009"]
    assert tips["efsa-bone-claim"].evidence.value == "reference_value"
    assert tips["bottom-line-bone"].evidence.value == "reference_value"
    assert tips["glycinate-evidence"].evidence.value == "lab_or_animal_study"
    assert tips["quinolones-spacing"].evidence.value == "lab_or_animal_study"
    assert "1989" in tips["quinolones-spacing"].text


def test_tips_quoting_european_figures_match_the_intake_table(bank: Bank) -> None:
    values = {v.source: v for v in bank.intakes.other_values}
    efsa, ul, nrv, uk = (
        values["efsa_drv_2015"],
        values["efsa_ul_2006"],
        values["eu_fic_2011"],
        values["nhs_minerals"],
    )
    tip = bank.tip_index["eu-reference-values"]
    for figure in (efsa.male, efsa.female, ul.mg, nrv.mg, uk.male, uk.female):
        assert f"{figure} mg" in tip.text, figure
    assert set(tip.sources) == set(values)
    assert f"European experts set {ul.mg} mg" in bank.tip_index["ul-350"].text
    assert "efsa_ul_2006" in bank.tip_index["ul-350"].sources
    assert f"{nrv.mg} mg (%NRV)" in bank.tip_index["dv-changed-2016"].text
