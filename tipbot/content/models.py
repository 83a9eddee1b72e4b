"""The tip bank's schema.

These pydantic models are the contract between the people who edit `tips/*.yaml` and the bot.
Every field a reviewer might get wrong is checked here, so that a broken bank fails at load time
with a file:line message instead of producing a wrong or rejected Telegram message later.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tipbot.telegram_html import utf16_length

#: Ids appear inside callback_data (64 bytes at most), so they stay short and plain.
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", min_length=1, max_length=40)]

TIP_MAX_CHARS = 600


class Strict(BaseModel):
    """A model that rejects unknown keys: a typo such as `sorces:` must fail, not vanish.

    The validators are built on first use (`defer_build`): a start that reads the checked bank
    from the cache (content/cache.py) never validates, and skips building them (about 20 ms)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True
    )


class EvidenceLevel(StrEnum):
    """A fixed vocabulary, so a claim's strength is always shown in the same plain words."""

    REFERENCE_VALUE = "reference_value"
    DRUG_LABEL = "drug_label"
    META_ANALYSIS = "meta_analysis"
    RANDOMISED_TRIAL = "randomised_trial"
    COHORT_STUDY = "cohort_study"
    CROSS_SECTIONAL_STUDY = "cross_sectional_study"
    NARRATIVE_REVIEW = "narrative_review"
    LAB_OR_ANIMAL_STUDY = "lab_or_animal_study"


class Topic(StrEnum):
    MAGNESIUM_IN_BODY = "magnesium_in_body"
    VITAMIN_D_PTH = "vitamin_d_pth"
    CALCIUM_BALANCE = "calcium_balance"
    WHO_IS_AT_RISK = "who_is_at_risk"
    FOODS_MEALS = "foods_meals"
    SUPPLEMENT_LABELS = "supplement_labels"
    SUPPLEMENT_FORMS = "supplement_forms"
    MEDICINES = "medicines"
    KIDNEY_CAUTIONS = "kidney_cautions"
    UPPER_LIMIT_SIDE_EFFECTS = "upper_limit_side_effects"
    STUDY_RESULTS = "study_results"
    HABITS = "habits"


class FoodGroup(StrEnum):
    NUTS_SEEDS = "nuts_seeds"
    LEGUMES_SOY = "legumes_soy"
    GREENS_VEGETABLES = "greens_vegetables"
    WHOLE_GRAINS = "whole_grains"
    OTHER = "other"


class SourceKind(StrEnum):
    """What kind of document a source is, so a reviewer sees how official the bank's footing is.

    The bank's rule is to cite a medicine's official label rather than a commercial summary of it;
    `validate` can only enforce that if every source says what it is.
    """

    LABEL = "label"  # a medicine's official label or product information (DailyMed, EMA, emc)
    REGULATOR = "regulator"  # a regulator or official body (FDA, NIH, EFSA, National Academies)
    REVIEW = "review"  # a review, meta-analysis or clinical reference text
    TRIAL = "trial"  # a randomised or controlled trial
    STUDY = "study"  # other original research: cohort, survey or absorption study
    COMMERCIAL = "commercial"  # a commercial summary (GoodRx, Drugs.com, MIMS and the like)


class Source(Strict):
    id: Slug
    kind: SourceKind
    title: str = Field(min_length=3)
    authors: str | None = None
    publisher: str | None = None
    journal: str | None = None
    year: int | None = Field(default=None, ge=1900, le=2100)
    url: str
    pmid: str | None = Field(default=None, pattern=r"^\d+$")
    doi: str | None = Field(default=None, pattern=r"^10\.\d{4,9}/\S+$")
    #: The generic name of the one medicine a label or a commercial drug page describes, so that
    #: `validate` can find a commercial page cited where the bank holds that medicine's label.
    medicine: str | None = None

    @field_validator("url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        if not re.fullmatch(r"https://[^\s/]+\.[^\s/]+(/\S*)?", value):
            raise ValueError("must be a canonical https:// URL")
        return value

    @model_validator(mode="after")
    def _has_origin(self) -> Source:
        if not (self.authors or self.publisher or self.journal):
            raise ValueError("give at least one of authors, publisher or journal")
        return self


class AudienceTag(StrEnum):
    """Who a tip is written for; a profile has some of these tags (tipbot/companion/profile.py).

    A fixed set, so that a typo such as `not_for: [pregnat]` fails at load time instead of silently
    letting a tip through to the very people it was meant to skip.
    """

    FEMALE = "female"
    MALE = "male"
    PREGNANT = "pregnant"
    BREASTFEEDING = "breastfeeding"
    AGE_51_70 = "age-51-70"
    AGE_71_PLUS = "age-71-plus"
    KIDNEY = "kidney"
    BISPHOSPHONATE = "bisphosphonate"
    #: Delayed-release risedronate (Atelvia, Actonel DR) is taken right after breakfast, so a tip
    #: that says "on an empty stomach, then wait before breakfast" must be `not_for` this tag.
    BISPHOSPHONATE_AFTER_BREAKFAST = "bisphosphonate-after-breakfast"
    DENOSUMAB = "denosumab"
    ZOLEDRONIC_ACID = "zoledronic-acid"
    VEGETARIAN = "vegetarian"
    VEGAN = "vegan"
    NO_DAIRY = "no-dairy"


class Tip(Strict):
    id: Slug
    topic: Topic
    title: str = Field(min_length=3, max_length=80)
    text: str = Field(min_length=20, max_length=TIP_MAX_CHARS)
    sources: list[Slug] = Field(min_length=1)
    evidence: EvidenceLevel
    #: Optional audience tags (`for:` is a Python keyword, hence the alias): the tips that fit
    #: a profile come first, a `not_for` tip is never sent to that profile, and
    #: `caution_for: [kidney]` adds the kidney caution. A tip without tags goes to everyone.
    for_: list[AudienceTag] = Field(default_factory=list, alias="for")
    not_for: list[AudienceTag] = Field(default_factory=list)
    caution_for: list[AudienceTag] = Field(default_factory=list)


class Food(Strict):
    name: str
    serving: str
    mg: float = Field(gt=0)
    pct_dv: int = Field(ge=0, le=200)
    group: FoodGroup
    source: Slug
    note: str | None = None


class FoodTable(Strict):
    daily_value_mg: int = Field(gt=0)
    daily_value_source: Slug
    items: list[Food] = Field(min_length=1)


class Form(Strict):
    id: Slug
    name: str
    elemental_percent: float = Field(gt=0, le=100)
    elemental_note: str | None = None
    #: The evidence in a few words, for the one-line /forms overview (details open on a button).
    in_brief: str = Field(min_length=1, max_length=60)
    absorption: str
    uses_side_effects: str
    sources: list[Slug] = Field(min_length=1)


class Medicine(Strict):
    generic: str
    brands: list[str] = Field(default_factory=list)


class InteractionClass(Strict):
    id: Slug
    name: str
    medicines: list[Medicine] = Field(min_length=1)
    mechanism: str
    advice: str
    sources_disagree: str | None = None
    sources: list[Slug] = Field(min_length=1)


class InteractionTable(Strict):
    general: str
    kidney_caution: str
    #: What the kidney warning rests on, so /forms can show the warning with its own citations.
    kidney_caution_sources: list[Slug] = Field(min_length=1)
    sources: list[Slug] = Field(min_length=1)
    classes: list[InteractionClass] = Field(min_length=1)


class DoseKind(StrEnum):
    """How often a medicine is given; the dose companion's schedules are built on these."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    EVERY_6_MONTHS = "every_6_months"
    YEARLY = "yearly"
    EVERY_2_YEARS = "every_2_years"


class Timing(StrEnum):
    """When a dose is taken relative to food: it decides which follow-up messages exist."""

    FASTING = "fasting"  # on rising, before the first food, drink or medicine of the day
    AFTER_BREAKFAST = "after_breakfast"  # Atelvia / Actonel DR
    APPOINTMENT = "appointment"  # given by a health professional: a reminder a week before


class DoseRule(Strict):
    """One bone medicine's rules as its official label states them, in our own words.

    Every number here is read by the dose companion (the "you may eat now" follow-up is sent at
    `food_wait_minutes`), so each is cited, and a rule the label does not give is left out rather
    than filled in: `missed` holds only the schedules whose missed-dose rule the label states.
    """

    id: Slug
    name: str = Field(min_length=3)
    generic: str = Field(min_length=3)
    brands: list[str] = Field(default_factory=list)
    schedules: list[DoseKind] = Field(min_length=1)
    timing: Timing
    how_to_take: str = Field(min_length=20, max_length=TIP_MAX_CHARS)
    food_wait_minutes: int | None = Field(default=None, ge=1, le=240)
    upright_minutes: int | None = Field(default=None, ge=1, le=240)
    minerals_wait_minutes: int | None = Field(default=None, ge=1, le=240)
    minerals: str = Field(min_length=20, max_length=TIP_MAX_CHARS)
    missed: dict[DoseKind, str] = Field(default_factory=dict)
    sources: list[Slug] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> DoseRule:
        appointment = self.timing is Timing.APPOINTMENT
        if appointment and any(k not in _APPOINTMENT_KINDS for k in self.schedules):
            raise ValueError("an appointment medicine is given every 6 months, 1 year or 2 years")
        if not appointment and any(k in _APPOINTMENT_KINDS for k in self.schedules):
            raise ValueError("a tablet is taken daily, weekly or monthly")
        if self.timing is Timing.FASTING and self.food_wait_minutes is None:
            raise ValueError("a fasting medicine needs food_wait_minutes from its label")
        if self.timing is not Timing.FASTING and self.food_wait_minutes is not None:
            raise ValueError("food_wait_minutes applies only to a medicine taken fasting")
        minerals, food = self.minerals_wait_minutes, self.food_wait_minutes
        if minerals is not None and food is not None and minerals < food:
            raise ValueError("minerals cannot follow sooner than food")
        for kind in self.missed:
            if kind not in self.schedules:
                raise ValueError(f"missed rule for {kind.value!r}, not one of its schedules")
        return self


_APPOINTMENT_KINDS = frozenset({DoseKind.EVERY_6_MONTHS, DoseKind.YEARLY, DoseKind.EVERY_2_YEARS})


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class LifeStage(StrEnum):
    GENERAL = "general"
    PREGNANCY = "pregnancy"
    LACTATION = "lactation"


class RdaRow(Strict):
    """One row of the reference-intake table; ages are in whole years, `age_max` inclusive."""

    group: str
    stage: LifeStage = LifeStage.GENERAL
    age_min: int = Field(ge=0)
    age_max: int = Field(ge=0, le=150)
    male: int | None = None
    female: int | None = None
    kind: str = Field(pattern=r"^(RDA|AI)$")


class UlRow(Strict):
    group: str
    age_min: int = Field(ge=0)
    age_max: int = Field(ge=0, le=150)
    ul_mg: int | None = None
    note: str | None = None


class ReferenceMeasure(StrEnum):
    INTAKE = "intake"  # how much a day from all sources (an RDA, AI or RNI)
    SUPPLEMENT_LIMIT = "supplement_limit"  # an upper limit for magnesium from supplements
    LABEL_REFERENCE = "label_reference"  # the figure a food label's percentage is based on


class ReferenceValue(Strict):
    """A reference value set by another body than the US/Canadian DRIs (EFSA, the EU, the UK).

    The bank holds both sets so that neither is shown as universal; which set a reader sees first
    is a profile choice outside the bank. `mg` is for a value that is the same for everyone,
    `male`/`female` for one that differs by sex.
    """

    name: str
    measure: ReferenceMeasure
    age_min: int = Field(ge=0)
    age_max: int = Field(ge=0, le=150)
    mg: int | None = Field(default=None, gt=0)
    male: int | None = Field(default=None, gt=0)
    female: int | None = Field(default=None, gt=0)
    note: str | None = None
    source: Slug
    #: Whose value it is, for a profile that asks for that region's values first (issue 11).
    region: Literal["eu", "uk"]

    @model_validator(mode="after")
    def _one_kind_of_figure(self) -> ReferenceValue:
        sexed = (self.male is not None, self.female is not None)
        if (self.mg is not None and any(sexed)) or (self.mg is None and not all(sexed)):
            raise ValueError("give either mg, or both male and female")
        return self

    def mg_for(self, sex: Sex) -> int:
        if self.mg is not None:
            return self.mg
        value = self.male if sex is Sex.MALE else self.female
        assert value is not None  # guaranteed by _one_kind_of_figure
        return value


class IntakeTable(Strict):
    #: Whose tables `rda` and `ul` are, shown beside every figure ("US/Canadian").
    region: str = Field(min_length=2)
    rda: list[RdaRow] = Field(min_length=1)
    rda_sources: list[Slug] = Field(min_length=1)
    ul: list[UlRow] = Field(min_length=1)
    ul_sources: list[Slug] = Field(min_length=1)
    rda_note: str
    ul_note: str
    other_values: list[ReferenceValue] = Field(default_factory=list)


#: Telegram's limits for a quiz poll, counted in UTF-16 code units as Telegram counts them.
QUIZ_QUESTION_MAX = 300
QUIZ_OPTION_MAX = 100
QUIZ_EXPLANATION_MAX = 200
QUIZ_MAX_OPTIONS = 10


class QuizQuestion(Strict):
    """One quiz poll, drawn from one tip: the tip is where a reader can learn more."""

    id: Slug
    tip: Slug
    question: str = Field(min_length=5)
    options: list[str] = Field(min_length=2, max_length=QUIZ_MAX_OPTIONS)
    #: The correct option, written out exactly as in `options` (robust to reordering them).
    answer: str
    explanation: str = Field(min_length=5)
    source: Slug

    @model_validator(mode="after")
    def _telegram_limits(self) -> QuizQuestion:
        if utf16_length(self.question) > QUIZ_QUESTION_MAX:
            raise ValueError(f"question: at most {QUIZ_QUESTION_MAX} characters")
        for option in self.options:
            if not 1 <= utf16_length(option) <= QUIZ_OPTION_MAX:
                raise ValueError(f"option {option!r}: 1 to {QUIZ_OPTION_MAX} characters")
        if len(set(self.options)) != len(self.options):
            raise ValueError("options must all differ")
        if self.answer not in self.options:
            raise ValueError(f"answer {self.answer!r} is not one of the options")
        if utf16_length(self.explanation) > QUIZ_EXPLANATION_MAX:
            raise ValueError(f"explanation: at most {QUIZ_EXPLANATION_MAX} characters")
        if self.explanation.count("\n") > 2:
            raise ValueError("explanation: at most 2 line breaks")
        return self

    @property
    def correct_index(self) -> int:
        return self.options.index(self.answer)


class Bank(Strict):
    """The whole validated bank, as the bot uses it."""

    sources: list[Source]
    tips: list[Tip]
    foods: FoodTable
    forms: list[Form]
    interactions: InteractionTable
    intakes: IntakeTable
    quiz: list[QuizQuestion] = Field(default_factory=list)
    #: Label rules per bone medicine (tips/doses.yaml); optional so that a bank without the dose
    #: companion still loads.
    doses: list[DoseRule] = Field(default_factory=list)

    @cached_property
    def source_index(self) -> dict[str, Source]:
        return {s.id: s for s in self.sources}

    @cached_property
    def tip_index(self) -> dict[str, Tip]:
        return {t.id: t for t in self.tips}

    def tip(self, tip_id: str) -> Tip | None:
        return self.tip_index.get(tip_id)
