"""The optional profile: a few answers that let the bot pick tips and values that fit.

Every answer is optional and a profile with none behaves exactly like no profile. Only what the
person gave is kept, and in the coarsest form that still helps: an age band, not a birth date.

The one-line forms (`/profile set age 70`, `/profile clear`) are parsed here, with a clear message
for every bad input, so that handlers only route and reply.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from tipbot.companion.medicines import MEDICINE_TAGS, MedicineCatalogue, UnknownMedicine
from tipbot.content.intake import Person
from tipbot.content.models import AudienceTag, LifeStage, Sex
from tipbot.i18n import N_, Reason

_E = TypeVar("_E", bound=StrEnum)


class ProfileInputError(Reason):
    """What the person typed cannot be used; the message tells them what to type instead."""


class AgeBand(StrEnum):
    """The reference-intake age groups (NIH and EFSA both step at these ages for adults)."""

    AGE_14_18 = "14-18"
    AGE_19_30 = "19-30"
    AGE_31_50 = "31-50"
    AGE_51_70 = "51-70"
    AGE_71_PLUS = "71+"

    @classmethod
    def of(cls, age: int) -> AgeBand:
        for band, upper in _BAND_UPPER:
            if age <= upper:
                return band
        return cls.AGE_71_PLUS

    @property
    def youngest(self) -> int:
        """An age inside the band, for look-ups that need a number (the reference tables)."""
        return int(self.value.rstrip("+").split("-")[0])


_BAND_UPPER = (
    (AgeBand.AGE_14_18, 18),
    (AgeBand.AGE_19_30, 30),
    (AgeBand.AGE_31_50, 50),
    (AgeBand.AGE_51_70, 70),
)
MIN_AGE = 14
MAX_AGE = 120


class SexAnswer(StrEnum):
    FEMALE = "female"
    MALE = "male"
    PREGNANT = "pregnant"
    BREASTFEEDING = "breastfeeding"


class Region(StrEnum):
    """Which set of reference values to show: US/Canada (NIH), EU (EFSA) or UK."""

    US = "us"
    EU = "eu"
    UK = "uk"


class Kidney(StrEnum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


class Diet(StrEnum):
    VEGETARIAN = "vegetarian"
    VEGAN = "vegan"
    NO_DAIRY = "no-dairy"
    NONE = "none"


class Question(StrEnum):
    """The profile's questions, as typed after `/profile set`."""

    AGE = "age"
    SEX = "sex"
    REGION = "region"
    MEDICINE = "medicine"
    KIDNEY = "kidney"
    DIET = "diet"


@dataclass(frozen=True)
class Profile:
    age_band: AgeBand | None = None
    sex: SexAnswer | None = None
    region: Region | None = None
    #: The product's id in tips/doses.yaml (`alendronate`, `atelvia`): the product, not only the
    #: generic, because forms of one generic are taken differently; `none` if the person said so.
    medicine: str | None = None
    kidney: Kidney | None = None
    diet: Diet | None = None

    @property
    def is_empty(self) -> bool:
        return self == Profile()


def audience_tags(profile: Profile | None) -> frozenset[AudienceTag]:
    """The tags a tip's `for` / `not_for` / `caution_for` are matched against.

    Kidney "not sure" counts as kidney: the caution costs little and missing it could harm. A vegan
    diet is also vegetarian and dairy-free, so tips for either fit a vegan.
    """
    if profile is None:
        return frozenset()
    tags: set[AudienceTag] = set()
    if profile.age_band is AgeBand.AGE_51_70:
        tags.add(AudienceTag.AGE_51_70)
    elif profile.age_band is AgeBand.AGE_71_PLUS:
        tags.add(AudienceTag.AGE_71_PLUS)
    if profile.sex is not None:
        tags.add(_SEX_TAGS[profile.sex])
        if profile.sex in (SexAnswer.PREGNANT, SexAnswer.BREASTFEEDING):
            tags.add(AudienceTag.FEMALE)
    if profile.kidney in (Kidney.YES, Kidney.UNSURE):
        tags.add(AudienceTag.KIDNEY)
    if profile.diet is not None:
        tags |= _DIET_TAGS[profile.diet]
    if profile.medicine is not None and profile.medicine in MEDICINE_TAGS:
        tags |= MEDICINE_TAGS[profile.medicine]
    return frozenset(tags)


def intake_person(profile: Profile | None) -> Person | None:
    """Who `/intake` with no arguments answers for, or None when age or sex is not given.

    The band's youngest age picks the same reference row as any age in the band, because the
    bands are the reference tables' own age groups.
    """
    if profile is None or profile.age_band is None or profile.sex is None:
        return None
    sex, stage = _INTAKE_SEX[profile.sex]
    return Person(profile.age_band.youngest, sex, stage)


_INTAKE_SEX = {
    SexAnswer.FEMALE: (Sex.FEMALE, LifeStage.GENERAL),
    SexAnswer.MALE: (Sex.MALE, LifeStage.GENERAL),
    SexAnswer.PREGNANT: (Sex.FEMALE, LifeStage.PREGNANCY),
    SexAnswer.BREASTFEEDING: (Sex.FEMALE, LifeStage.LACTATION),
}
_SEX_TAGS = {
    SexAnswer.FEMALE: AudienceTag.FEMALE,
    SexAnswer.MALE: AudienceTag.MALE,
    SexAnswer.PREGNANT: AudienceTag.PREGNANT,
    SexAnswer.BREASTFEEDING: AudienceTag.BREASTFEEDING,
}
_DIET_TAGS: dict[Diet, frozenset[AudienceTag]] = {
    Diet.VEGETARIAN: frozenset({AudienceTag.VEGETARIAN}),
    Diet.VEGAN: frozenset({AudienceTag.VEGAN, AudienceTag.VEGETARIAN, AudienceTag.NO_DAIRY}),
    Diet.NO_DAIRY: frozenset({AudienceTag.NO_DAIRY}),
    Diet.NONE: frozenset(),
}


@dataclass(frozen=True)
class ShowProfile:
    """`/profile` alone: show the answers and the buttons to change them."""


@dataclass(frozen=True)
class ClearProfile:
    """`/profile clear`: forget every answer."""


@dataclass(frozen=True)
class SetAnswer:
    """`/profile set QUESTION VALUE` or `/profile clear QUESTION`; `profile` is the result."""

    question: Question
    profile: Profile
    #: Other products with the same generic, for the reply to mention (e.g. Atelvia).
    other_forms: tuple[str, ...] = ()


ProfileCommand = ShowProfile | ClearProfile | SetAnswer

NO_MEDICINE = "none"
USAGE = N_(
    "Write /profile set age 70, /profile set sex female (or male, pregnant, breastfeeding), "
    "/profile set region eu (us, eu, uk), /profile set kidney no (yes, unsure), "
    "/profile set diet vegan (vegetarian, no-dairy, none), /profile set medicine alendronate "
    "(or none), /profile clear age (one answer) or /profile clear (all)."
)


def parse_profile_command(
    args: str, current: Profile, medicines: MedicineCatalogue
) -> ProfileCommand:
    """Read what follows `/profile`; raise ProfileInputError with a message for the person."""
    words = args.split()
    if not words:
        return ShowProfile()
    verb = words[0].casefold()
    if verb == "clear" and len(words) == 1:
        return ClearProfile()
    if verb == "clear" and len(words) == 2:
        question = _question(words[1])
        return SetAnswer(question, dataclasses.replace(current, **{FIELDS[question]: None}))
    if verb != "set" or len(words) < 3:
        raise ProfileInputError(USAGE)
    question = _question(words[1])
    value = " ".join(words[2:])
    if question is Question.MEDICINE and value.strip().casefold() == NO_MEDICINE:
        return SetAnswer(question, dataclasses.replace(current, medicine=NO_MEDICINE))
    if question is Question.MEDICINE:
        try:
            match = medicines.resolve(value)
        except UnknownMedicine as exc:
            raise ProfileInputError.of(exc) from None
        updated = dataclasses.replace(current, medicine=match.rule.id)
        return SetAnswer(question, updated, match.other_forms)
    return SetAnswer(question, _apply(question, value, current))


def _question(word: str) -> Question:
    try:
        return Question(word.casefold())
    except ValueError:
        known = ", ".join(q.value for q in Question)
        raise ProfileInputError(
            N_("I can store these answers: {known}. {usage}"), known=known, usage=Reason(USAGE)
        ) from None


#: The Profile field that holds each question's answer (storage names its columns the same).
FIELDS = {
    Question.AGE: "age_band",
    Question.SEX: "sex",
    Question.REGION: "region",
    Question.MEDICINE: "medicine",
    Question.KIDNEY: "kidney",
    Question.DIET: "diet",
}


def _apply(question: Question, value: str, current: Profile) -> Profile:
    text = value.strip().casefold()
    if question is Question.AGE:
        if not re.fullmatch(r"\d{1,3}", text):
            raise ProfileInputError(N_("write your age in years as a number, for example 70"))
        age = int(text)
        if not MIN_AGE <= age <= MAX_AGE:
            raise ProfileInputError(
                N_("the age must be between {low} and {high}"), low=MIN_AGE, high=MAX_AGE
            )
        return dataclasses.replace(current, age_band=AgeBand.of(age))
    if question is Question.SEX:
        sex = _choice(question, value, SexAnswer, {"woman": "female", "man": "male"})
        return dataclasses.replace(current, sex=sex)
    if question is Question.REGION:
        region = _choice(question, value, Region, {"usa": "us", "canada": "us", "gb": "uk"})
        return dataclasses.replace(current, region=region)
    if question is Question.KIDNEY:
        kidney = _choice(question, value, Kidney, {"not sure": "unsure", "not-sure": "unsure"})
        return dataclasses.replace(current, kidney=kidney)
    diet = _choice(question, value, Diet, {"no dairy": "no-dairy", "dairy-free": "no-dairy"})
    return dataclasses.replace(current, diet=diet)


def _choice(question: Question, value: str, enum: type[_E], aliases: dict[str, str]) -> _E:
    text = value.strip().casefold()
    try:
        return enum(aliases.get(text, text))
    except ValueError:
        allowed = ", ".join(str(member.value) for member in enum)
        raise ProfileInputError(
            N_("{value} is not one of the answers for {question}: {allowed}"),
            value=value.strip()[:30],
            question=question.value,
            allowed=allowed,
        ) from None
