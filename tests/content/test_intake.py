"""/intake for every age band, sex and life stage (IOM 1997 / 2006 DRI tables)."""

from __future__ import annotations

import pytest

from tests.conftest import User
from tipbot.content.intake import IntakeInputError, Person, age_bands, answer, parse_person
from tipbot.content.models import Bank, LifeStage, Sex

# (age, words, RDA or AI in mg, supplement upper limit in mg or None)
BANDS = [
    (1, "female", 80, 65),
    (3, "male", 80, 65),
    (4, "female", 130, 110),
    (8, "male", 130, 110),
    (9, "female", 240, 350),
    (13, "male", 240, 350),
    (14, "female", 360, 350),
    (18, "male", 410, 350),
    (19, "female", 310, 350),
    (30, "male", 400, 350),
    (31, "female", 320, 350),
    (50, "male", 420, 350),
    (51, "female", 320, 350),
    (70, "male", 420, 350),
    (71, "female", 320, 350),
    (99, "male", 420, 350),
    (17, "pregnant", 400, 350),
    (25, "pregnant", 350, 350),
    (40, "pregnant", 360, 350),
    (16, "lactating", 360, 350),
    (22, "breastfeeding", 310, 350),
    (45, "lactating", 320, 350),
]


@pytest.mark.parametrize(("age", "words", "rda", "ul"), BANDS)
def test_every_band(bank: Bank, age: int, words: str, rda: int, ul: int) -> None:
    result = answer(bank.intakes, parse_person(f"{age} {words}"))
    [row] = result.rda_rows
    assert result.rda_mg(row) == rda
    assert result.ul.ul_mg == ul


def test_infants_get_both_adequate_intakes_and_no_supplement_limit(bank: Bank) -> None:
    result = answer(bank.intakes, Person(0, Sex.FEMALE))
    assert [result.rda_mg(r) for r in result.rda_rows] == [30, 75]
    assert all(r.kind == "AI" for r in result.rda_rows)
    assert result.ul.ul_mg is None


@pytest.mark.parametrize(
    "text", ["", "67", "female", "67 alien", "sixty female", "200 male", "67 female 3"]
)
def test_unreadable_input_is_an_input_error(text: str) -> None:
    with pytest.raises(IntakeInputError):
        parse_person(text)


def test_pregnancy_outside_the_table_is_explained(bank: Bank) -> None:
    with pytest.raises(IntakeInputError, match="pregnancy values for ages 14 to 50"):
        answer(bank.intakes, Person(55, Sex.FEMALE, LifeStage.PREGNANCY))


def test_word_order_does_not_matter() -> None:
    assert parse_person("female 67") == parse_person("67 Female") == Person(67, Sex.FEMALE)


@pytest.mark.usefixtures("runner")
@pytest.mark.parametrize(("age", "words", "rda", "ul"), BANDS[::4])
async def test_intake_command_for_sample_bands(
    user: User, age: int, words: str, rda: int, ul: int
) -> None:
    [reply] = await user.send(f"/intake {age} {words}")
    assert f"{rda} mg a day" in reply.plain
    assert f"{ul} mg" in reply.plain
    assert "supplements and medicines" in reply.plain


def test_age_bands_for_the_guided_flow(bank: Bank) -> None:
    general = [label for label, _ in age_bands(bank.intakes, LifeStage.GENERAL)]
    assert general == [
        "Under 1",
        "1–3",
        "4–8",
        "9–13",
        "14–18",
        "19–30",
        "31–50",
        "51–70",
        "Over 70",
    ]
    assert [age for _, age in age_bands(bank.intakes, LifeStage.PREGNANCY)] == [14, 19, 31]
