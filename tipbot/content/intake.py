"""Reference intakes for /intake: which RDA row and which upper limit apply to a person.

Plain functions over the bank's intake table, so every age band is testable without Telegram.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tipbot.content.models import IntakeTable, LifeStage, RdaRow, Sex, UlRow
from tipbot.i18n import N_, Reason

MAX_AGE = 120

_SEX_WORDS = {
    "male": (Sex.MALE, LifeStage.GENERAL),
    "man": (Sex.MALE, LifeStage.GENERAL),
    "m": (Sex.MALE, LifeStage.GENERAL),
    "boy": (Sex.MALE, LifeStage.GENERAL),
    "female": (Sex.FEMALE, LifeStage.GENERAL),
    "woman": (Sex.FEMALE, LifeStage.GENERAL),
    "f": (Sex.FEMALE, LifeStage.GENERAL),
    "girl": (Sex.FEMALE, LifeStage.GENERAL),
    "pregnant": (Sex.FEMALE, LifeStage.PREGNANCY),
    "pregnancy": (Sex.FEMALE, LifeStage.PREGNANCY),
    "lactating": (Sex.FEMALE, LifeStage.LACTATION),
    "lactation": (Sex.FEMALE, LifeStage.LACTATION),
    "breastfeeding": (Sex.FEMALE, LifeStage.LACTATION),
    "nursing": (Sex.FEMALE, LifeStage.LACTATION),
}


class IntakeInputError(Reason):
    """The user's words could not be read as an age and a sex or life stage."""


@dataclass(frozen=True)
class Person:
    age: int
    sex: Sex
    stage: LifeStage = LifeStage.GENERAL


@dataclass(frozen=True)
class IntakeAnswer:
    person: Person
    rda_rows: tuple[RdaRow, ...]  # two rows for infants (0-6 and 7-12 months), else one
    ul: UlRow

    def rda_mg(self, row: RdaRow) -> int | None:
        return row.male if self.person.sex is Sex.MALE else row.female


def sex_and_stage(word: str) -> tuple[Sex, LifeStage]:
    """`female` -> (female, general), `pregnant` -> (female, pregnancy); IntakeInputError else."""
    try:
        return _SEX_WORDS[word.casefold()]
    except KeyError:
        raise IntakeInputError(
            N_("use male, female, pregnant or lactating, not {word!r}"), word=word
        ) from None


def age_bands(table: IntakeTable, stage: LifeStage) -> list[tuple[str, int]]:
    """The table's age groups for a life stage, as (label, first age), for buttons."""
    bands: dict[str, int] = {}
    for row in table.rda:
        if row.stage is stage:
            bands.setdefault(_band_label(row.age_min, row.age_max), row.age_min)
    return list(bands.items())


def _band_label(low: int, high: int) -> str:
    if high == 0:
        return "Under 1"
    if high >= MAX_AGE:
        return f"Over {low - 1}"
    return f"{low}–{high}"


def parse_person(text: str) -> Person:
    """Read `67 female`, `female 67`, `28 pregnant`; raise IntakeInputError with a reason."""
    words = [w for w in re.split(r"[\s,]+", text.strip().casefold()) if w]
    ages = [w for w in words if w.isdigit()]
    others = [w for w in words if not w.isdigit()]
    if len(ages) != 1 or len(others) != 1:
        raise IntakeInputError(
            N_("give an age in years and one of: male, female, pregnant, lactating")
        )
    age = int(ages[0])
    if age > MAX_AGE:
        raise IntakeInputError(N_("the age must be between 0 and {max}"), max=MAX_AGE)
    sex, stage = sex_and_stage(others[0])
    return Person(age, sex, stage)


def answer(table: IntakeTable, person: Person) -> IntakeAnswer:
    rows = tuple(
        r for r in table.rda if r.stage is person.stage and r.age_min <= person.age <= r.age_max
    )
    if not rows:
        if person.stage is not LifeStage.GENERAL:
            ages = [r.age_min for r in table.rda if r.stage is person.stage]
            ages += [r.age_max for r in table.rda if r.stage is person.stage]
            raise IntakeInputError(
                N_("the tables give {stage} values for ages {low} to {high}"),
                stage=person.stage.value,
                low=min(ages),
                high=max(ages),
            )
        raise IntakeInputError(N_("no reference value for that age"))
    ul = next(u for u in table.ul if u.age_min <= person.age <= u.age_max)
    return IntakeAnswer(person, rows, ul)
