"""Tips that fit a profile, over small fixture banks and over many simulated days."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tipbot.companion.profile import Diet, Kidney, Profile, SexAnswer, audience_tags
from tipbot.companion.selection import (
    Audience,
    audiences,
    kidney_caution,
    mentions_supplements,
    next_fitting_tip,
)
from tipbot.content.models import AudienceTag, Bank, Tip
from tipbot.delivery.rotation import RotationState, next_tip

T = AudienceTag


def tip(tip_id: str, topic: str = "habits", text: str = "", **tags: Any) -> Tip:
    data = {
        "id": tip_id,
        "topic": topic,
        "title": f"Tip {tip_id}",
        "text": text or "A plain tip about daily habits and bone health.",
        "sources": ["ods_hp"],
        "evidence": "narrative_review",
        **tags,
    }
    return Tip.model_validate(data)


#: A small bank: 12 untagged tips, 3 for vegans, 2 not for pregnancy, 1 for bisphosphonate users.
FIXTURE = [tip(f"plain-{n:02d}") for n in range(12)] + [
    tip("vegan-a", **{"for": ["vegan"]}),
    tip("vegan-b", **{"for": ["vegan"]}),
    tip("vegan-c", **{"for": ["vegan", "vegetarian"]}),
    tip("no-preg-a", not_for=["pregnant"]),
    tip("no-preg-b", **{"for": ["age-71-plus"], "not_for": ["pregnant", "breastfeeding"]}),
    tip("bisphos", **{"for": ["bisphosphonate"]}),
]
IDS = tuple(sorted(t.id for t in FIXTURE))
AUDIENCES = audiences(FIXTURE)


def run(
    tags: frozenset[AudienceTag], days: int, seed: int = 7, ids: tuple[str, ...] = IDS
) -> list[str]:
    state = RotationState(seed, 0, frozenset())
    sent = []
    for _ in range(days):
        result = next_fitting_tip(ids, state, tags, AUDIENCES)
        assert result is not None
        chosen, state = result
        sent.append(chosen)
    return sent


def test_the_alias_for_reads_the_yaml_key() -> None:
    assert AUDIENCES["vegan-a"] == Audience(frozenset({T.VEGAN}), frozenset())
    assert "plain-00" not in AUDIENCES


@pytest.mark.parametrize("seed", [0, 1, 99, 4095])
def test_without_a_profile_the_rotation_is_unchanged(seed: int) -> None:
    state = RotationState(seed, 0, frozenset())
    for _ in range(200):
        expected = next_tip(IDS, state)
        assert next_fitting_tip(IDS, state, frozenset(), AUDIENCES) == expected
        state = expected[1]


def test_answers_that_give_no_tags_change_nothing() -> None:
    tags = audience_tags(Profile(kidney=Kidney.NO, diet=Diet.NONE))
    assert run(tags, 100) == run(frozenset(), 100)


@pytest.mark.parametrize("seed", range(0, 4096, 257))
def test_pregnant_profile_never_gets_a_not_for_pregnant_tip_in_1000_days(seed: int) -> None:
    tags = audience_tags(Profile(sex=SexAnswer.PREGNANT))
    sent = run(tags, 1000, seed)
    assert "no-preg-a" not in sent and "no-preg-b" not in sent
    # ...and still gets every other tip, cycle after cycle.
    assert set(sent) == set(IDS) - {"no-preg-a", "no-preg-b"}


def test_the_same_holds_over_the_real_bank_with_random_tags(bank: Bank) -> None:
    ids = tuple(sorted(t.id for t in bank.tips))
    rng = random.Random(11)
    tagged = {tip_id: Audience(frozenset(), frozenset({T.PREGNANT})) for tip_id in ids[::7]}
    for tip_id in ids[3::5]:
        tagged.setdefault(tip_id, Audience(frozenset({T.PREGNANT}), frozenset()))
    state = RotationState(rng.randrange(4096), 0, frozenset())
    sent = []
    for _ in range(1000):
        result = next_fitting_tip(ids, state, frozenset({T.PREGNANT, T.FEMALE}), tagged)
        assert result is not None
        chosen, state = result
        sent.append(chosen)
    assert not set(sent) & set(ids[::7])
    assert set(sent) == set(ids) - set(ids[::7])


def test_fitting_tips_come_first_in_each_cycle() -> None:
    tags = audience_tags(Profile(diet=Diet.VEGAN))
    sent = run(tags, 3 * len(IDS))
    for cycle in range(3):
        this = sent[cycle * len(IDS) : (cycle + 1) * len(IDS)]
        assert set(this[:3]) == {"vegan-a", "vegan-b", "vegan-c"}
        assert sorted(this) == sorted(IDS)  # every tip reached within the cycle, once


def test_every_tip_is_reached_within_the_cycle_without_a_profile_field() -> None:
    tags = audience_tags(Profile(medicine="alendronate"))
    sent = run(tags, len(IDS))
    assert sent[0] == "bisphos"
    assert sorted(sent) == sorted(IDS)  # vegan tips too: no tip withheld for lack of an answer


def test_a_bank_where_everything_is_excluded_gives_none() -> None:
    only = {"x": Audience(frozenset(), frozenset({T.VEGAN}))}
    state = RotationState(1, 0, frozenset())
    assert next_fitting_tip(("x",), state, frozenset({T.VEGAN}), only) is None


def test_profile_set_mid_cycle_keeps_the_cycle() -> None:
    state = RotationState(5, 0, frozenset())
    sent = []
    for _ in range(6):
        chosen, state = next_tip(IDS, state)
        sent.append(chosen)
    tags = audience_tags(Profile(sex=SexAnswer.PREGNANT))
    while True:
        result = next_fitting_tip(IDS, state, tags, AUDIENCES)
        assert result is not None
        chosen, after = result
        if after.cycle != 0:
            break
        sent.append(chosen)
        state = after
    assert len(set(sent)) == len(sent)  # no repeats inside the cycle
    allowed = set(IDS) - {"no-preg-a", "no-preg-b"}
    assert allowed <= set(sent)  # the cycle ends only when every allowed tip was sent
    assert set(sent[6:]) <= allowed  # nothing excluded after the profile was set


SUPPLEMENT = tip("supp", text="A magnesium supplement is best taken with a meal, say the labels.")
FORM = tip("form", topic="supplement_forms", text="Citrate and glycinate are common forms of it.")
FOOD = tip("food", topic="foods_meals", text="Pumpkin seeds and almonds are rich in magnesium.")
MARKED = tip(
    "marked", text="Drinking mineral water adds magnesium to the day.", caution_for=["kidney"]
)


@pytest.mark.parametrize("kidney", [Kidney.YES, Kidney.UNSURE])
def test_kidney_flag_adds_the_caution_to_every_supplement_tip(bank: Bank, kidney: Kidney) -> None:
    tags = audience_tags(Profile(kidney=kidney))
    for supplement_tip in [SUPPLEMENT, FORM, MARKED]:
        assert kidney_caution(bank, supplement_tip, tags) == bank.interactions.kidney_caution
    assert kidney_caution(bank, FOOD, tags) is None


def test_no_caution_without_the_kidney_flag(bank: Bank) -> None:
    for profile in [None, Profile(), Profile(kidney=Kidney.NO)]:
        assert kidney_caution(bank, SUPPLEMENT, audience_tags(profile)) is None


def test_every_supplement_tip_of_the_real_bank_gets_the_caution(bank: Bank) -> None:
    tags = audience_tags(Profile(kidney=Kidney.YES))
    with_word = [t for t in bank.tips if "supplement" in t.text.casefold()]
    assert with_word  # the check below must look at something
    for bank_tip in with_word:
        assert mentions_supplements(bank_tip)
        assert kidney_caution(bank, bank_tip, tags) == bank.interactions.kidney_caution
