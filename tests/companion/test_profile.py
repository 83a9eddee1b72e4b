"""The profile's one-line forms and the audience tags a profile has."""

from __future__ import annotations

import pytest

from tipbot.companion.medicines import MEDICINE_TAGS, MedicineCatalogue
from tipbot.companion.profile import (
    AgeBand,
    ClearProfile,
    Diet,
    Kidney,
    Profile,
    ProfileInputError,
    Question,
    Region,
    SetAnswer,
    SexAnswer,
    ShowProfile,
    audience_tags,
    intake_person,
    parse_profile_command,
)
from tipbot.content.intake import IntakeInputError, Person, answer
from tipbot.content.models import AudienceTag, Bank, LifeStage, Sex

T = AudienceTag


@pytest.fixture(scope="module")
def catalogue(bank: Bank) -> MedicineCatalogue:
    return MedicineCatalogue(bank)


EMPTY = Profile()


def set_(args: str, catalogue: MedicineCatalogue, current: Profile = EMPTY) -> SetAnswer:
    command = parse_profile_command(args, current, catalogue)
    assert isinstance(command, SetAnswer)
    return command


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("set age 70", Profile(age_band=AgeBand.AGE_51_70)),
        ("set age 71", Profile(age_band=AgeBand.AGE_71_PLUS)),
        ("set age 50", Profile(age_band=AgeBand.AGE_31_50)),
        ("set sex female", Profile(sex=SexAnswer.FEMALE)),
        ("SET Sex Pregnant", Profile(sex=SexAnswer.PREGNANT)),
        ("set sex breastfeeding", Profile(sex=SexAnswer.BREASTFEEDING)),
        ("set region eu", Profile(region=Region.EU)),
        ("set region uk", Profile(region=Region.UK)),
        ("set kidney unsure", Profile(kidney=Kidney.UNSURE)),
        ("set kidney not sure", Profile(kidney=Kidney.UNSURE)),
        ("set diet no-dairy", Profile(diet=Diet.NO_DAIRY)),
        ("set diet vegan", Profile(diet=Diet.VEGAN)),
        ("set medicine alendronate", Profile(medicine="alendronate")),
        ("set medicine Fosamax", Profile(medicine="alendronate")),
        ("set medicine Actonel DR", Profile(medicine="atelvia")),
        ("set medicine atelvia", Profile(medicine="atelvia")),
        ("set medicine binosto", Profile(medicine="binosto")),
        ("set medicine Prolia", Profile(medicine="denosumab")),
        ("set medicine zoledronic acid", Profile(medicine="zoledronic-acid")),
        ("set medicine alendronat", Profile(medicine="alendronate")),  # a near miss
        ("set medicine None", Profile(medicine="none")),
    ],
)
def test_one_line_forms(args: str, expected: Profile, catalogue: MedicineCatalogue) -> None:
    assert set_(args, catalogue).profile == expected


def test_setting_one_answer_keeps_the_others(catalogue: MedicineCatalogue) -> None:
    current = Profile(region=Region.US, diet=Diet.VEGAN)
    updated = set_("set kidney yes", catalogue, current).profile
    assert updated == Profile(region=Region.US, diet=Diet.VEGAN, kidney=Kidney.YES)


def test_risedronate_names_the_delayed_release_form(catalogue: MedicineCatalogue) -> None:
    command = set_("set medicine risedronate", catalogue)
    assert command.profile.medicine == "risedronate"
    assert command.question is Question.MEDICINE
    assert any("Atelvia" in name for name in command.other_forms)


def test_clear_one_answer(catalogue: MedicineCatalogue) -> None:
    current = Profile(region=Region.US, kidney=Kidney.YES, medicine="alendronate")
    assert set_("clear kidney", catalogue, current).profile == Profile(
        region=Region.US, medicine="alendronate"
    )
    assert set_("clear medicine", catalogue, current).profile == Profile(
        region=Region.US, kidney=Kidney.YES
    )
    with pytest.raises(ProfileInputError, match="I can store these answers"):
        parse_profile_command("clear height", current, catalogue)


def test_no_medicine_gives_no_medicine_tag() -> None:
    assert audience_tags(Profile(medicine="none")) == frozenset()


def test_show_and_clear(catalogue: MedicineCatalogue) -> None:
    assert isinstance(parse_profile_command("", Profile(), catalogue), ShowProfile)
    assert isinstance(parse_profile_command("  clear ", Profile(), catalogue), ClearProfile)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ("set age seventy", "as a number"),
        ("set age 7", "between 14 and 120"),
        ("set age 130", "between 14 and 120"),
        ("set sex robot", "female, male, pregnant, breastfeeding"),
        ("set region mars", "us, eu, uk"),
        ("set kidney maybe", "yes, no, unsure"),
        ("set diet keto", "vegetarian, vegan, no-dairy, none"),
        ("set height 170", "I can store these answers: age, sex, region"),
        ("set age", "/profile set age 70"),
        ("delete", "/profile clear"),
        ("clear everything", "I can store these answers"),
        ("clear all the things", "/profile clear"),
        ("set medicine omeprazole", "I have no label rule for omeprazole; ask your pharmacist"),
        ("set medicine xyzzy", "I have no label rule for xyzzy"),
    ],
)
def test_bad_input_gets_a_clear_message(
    args: str, needle: str, catalogue: MedicineCatalogue
) -> None:
    with pytest.raises(ProfileInputError) as info:
        parse_profile_command(args, Profile(), catalogue)
    assert needle in str(info.value)


def test_unknown_medicine_suggests_close_names(catalogue: MedicineCatalogue) -> None:
    with pytest.raises(ProfileInputError, match="Did you mean"):
        parse_profile_command("set medicine alendro", Profile(), catalogue)


def test_no_profile_and_empty_profile_have_no_tags() -> None:
    assert audience_tags(None) == frozenset()
    assert audience_tags(Profile()) == frozenset()
    assert Profile().is_empty and not Profile(region=Region.EU).is_empty
    assert audience_tags(Profile(region=Region.EU, diet=Diet.NONE)) == frozenset()


@pytest.mark.parametrize(
    ("profile", "tags"),
    [
        (Profile(sex=SexAnswer.PREGNANT), {T.PREGNANT, T.FEMALE}),
        (Profile(sex=SexAnswer.BREASTFEEDING), {T.BREASTFEEDING, T.FEMALE}),
        (Profile(sex=SexAnswer.MALE), {T.MALE}),
        (Profile(kidney=Kidney.YES), {T.KIDNEY}),
        (Profile(kidney=Kidney.UNSURE), {T.KIDNEY}),
        (Profile(kidney=Kidney.NO), set()),
        (Profile(diet=Diet.VEGAN), {T.VEGAN, T.VEGETARIAN, T.NO_DAIRY}),
        (Profile(diet=Diet.VEGETARIAN), {T.VEGETARIAN}),
        (Profile(medicine="alendronate"), {T.BISPHOSPHONATE}),
        (Profile(medicine="atelvia"), {T.BISPHOSPHONATE, T.BISPHOSPHONATE_AFTER_BREAKFAST}),
        (Profile(medicine="denosumab"), {T.DENOSUMAB}),
        (Profile(medicine="zoledronic-acid"), {T.ZOLEDRONIC_ACID}),
        (Profile(age_band=AgeBand.AGE_71_PLUS), {T.AGE_71_PLUS}),
        (Profile(age_band=AgeBand.AGE_51_70), {T.AGE_51_70}),
        (Profile(age_band=AgeBand.AGE_31_50), set()),
    ],
)
def test_audience_tags(profile: Profile, tags: set[AudienceTag]) -> None:
    assert audience_tags(profile) == tags


def test_every_product_in_the_bank_has_a_tag(bank: Bank) -> None:
    assert {rule.id for rule in bank.doses} == set(MEDICINE_TAGS)


def test_age_band_gives_an_age_inside_it() -> None:
    for band in AgeBand:
        assert AgeBand.of(band.youngest) is band


def test_intake_person_needs_age_and_sex(bank: Bank) -> None:
    assert intake_person(None) is None
    assert intake_person(Profile(age_band=AgeBand.AGE_71_PLUS)) is None
    assert intake_person(Profile(sex=SexAnswer.FEMALE)) is None
    person = intake_person(Profile(age_band=AgeBand.AGE_71_PLUS, sex=SexAnswer.FEMALE))
    assert person == Person(71, Sex.FEMALE, LifeStage.GENERAL)
    assert [r.group for r in answer(bank.intakes, person).rda_rows] == ["Adults over 70"]


def test_intake_person_for_pregnancy_uses_the_pregnancy_rows(bank: Bank) -> None:
    person = intake_person(Profile(age_band=AgeBand.AGE_31_50, sex=SexAnswer.PREGNANT))
    assert person == Person(31, Sex.FEMALE, LifeStage.PREGNANCY)
    assert answer(bank.intakes, person).rda_rows[0].group == "Pregnancy 31-50 years"


@pytest.mark.parametrize("band", list(AgeBand))
@pytest.mark.parametrize("sex", list(SexAnswer))
def test_every_band_gives_the_rows_of_its_ages(bank: Bank, band: AgeBand, sex: SexAnswer) -> None:
    person = intake_person(Profile(age_band=band, sex=sex))
    assert person is not None
    if person.stage is not LifeStage.GENERAL and person.age > 50:
        with pytest.raises(IntakeInputError):  # the tables stop at 50; /intake says so itself
            answer(bank.intakes, person)
        return
    rows = answer(bank.intakes, person).rda_rows
    assert all(r.age_min <= person.age <= r.age_max for r in rows)
