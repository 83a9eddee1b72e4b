"""Medicine look-up: brands, generics, case, typos, and no wild guesses."""

import pytest

from tipbot.content.lookup import MedicineIndex
from tipbot.content.models import Bank


@pytest.fixture(scope="module")
def index(bank: Bank) -> MedicineIndex:
    return MedicineIndex(bank.interactions)


@pytest.mark.parametrize(
    ("query", "class_id"),
    [
        ("alendronate", "bisphosphonates"),
        ("Fosamax", "bisphosphonates"),
        ("FOSAMAX PLUS D", "bisphosphonates"),
        ("fosamax 70 mg", "bisphosphonates"),
        ("Actonel®", "bisphosphonates"),
        ("cipro", "quinolones"),
        ("omeprazol", "ppis"),
        ("Doxycyclin", "tetracyclines"),
        ("  levothyroxine ", "levothyroxine"),
    ],
)
def test_finds_the_class(index: MedicineIndex, query: str, class_id: str) -> None:
    result = index.lookup(query)
    assert class_id in [m.interaction.id for m in result.matches]


def test_unknown_name_has_no_match(index: MedicineIndex) -> None:
    result = index.lookup("warfarin")
    assert result.matches == ()


def test_distant_typo_gets_suggestions_not_a_match(index: MedicineIndex) -> None:
    result = index.lookup("ciproflox")
    assert result.matches == ()
    assert "ciprofloxacin" in result.suggestions


def test_empty_query(index: MedicineIndex) -> None:
    assert index.lookup("   ").matches == ()
