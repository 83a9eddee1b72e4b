"""Which bone medicine a person means, and the label rules that belong to it."""

from __future__ import annotations

import pytest

from tipbot.companion.medicines import MedicineCatalogue, UnknownMedicine
from tipbot.content.models import Bank


@pytest.fixture(scope="module")
def catalogue(bank: Bank) -> MedicineCatalogue:
    return MedicineCatalogue(bank)


@pytest.mark.parametrize(
    ("name", "rule_id"),
    [
        ("alendronate", "alendronate"),
        ("ALENDRONATE", "alendronate"),
        ("Fosamax®", "alendronate"),
        ("Fosamax Plus D", "alendronate"),
        ("fosamax 70 mg", "alendronate"),  # a known name, then extra words
        ("alendronat", "alendronate"),  # a near miss
        ("Binosto", "binosto"),
        ("risedronate", "risedronate"),
        ("Actonel", "risedronate"),
        ("Actonel DR", "atelvia"),  # not the immediate-release rule
        ("atelvia", "atelvia"),
        ("ibandronate", "ibandronate"),
        ("Boniva", "ibandronate"),
        ("Prolia", "denosumab"),
        ("denosumab", "denosumab"),
        ("zoledronic acid", "zoledronic-acid"),
        ("Reclast", "zoledronic-acid"),
        ("Aclasta", "zoledronic-acid"),
    ],
)
def test_names_resolve_to_products(catalogue: MedicineCatalogue, name: str, rule_id: str) -> None:
    assert catalogue.resolve(name).rule.id == rule_id


def test_a_generic_with_several_forms_names_the_others(catalogue: MedicineCatalogue) -> None:
    assert catalogue.resolve("risedronate").other_forms == (
        "Risedronate delayed-release tablets (Atelvia, Actonel DR)",
    )
    assert "Alendronate effervescent tablets (Binosto)" in catalogue.resolve("Fosamax").other_forms
    assert catalogue.resolve("ibandronate").other_forms == ()


@pytest.mark.parametrize(
    ("name", "forms"),
    [
        ("risedronate delayed release", ["Actonel", "Atelvia"]),
        ("risedronate DR", ["Actonel", "Atelvia"]),
        ("alendronate effervescent", ["Fosamax", "Binosto"]),
    ],
)
def test_a_generic_with_more_words_asks_which_form(
    catalogue: MedicineCatalogue, name: str, forms: list[str]
) -> None:
    with pytest.raises(UnknownMedicine) as info:
        catalogue.resolve(name)
    assert str(info.value).startswith("Which ")
    assert all(form in str(info.value) for form in forms)


def test_a_medicine_from_interactions_is_named_but_gets_no_rule(
    catalogue: MedicineCatalogue,
) -> None:
    with pytest.raises(UnknownMedicine) as info:
        catalogue.resolve("omeprazol")
    message = str(info.value)
    assert message.startswith("I have no label rule for omeprazol; ask your pharmacist")
    assert "not one of the bone medicines" in message


@pytest.mark.parametrize("name", ["", "   ", "xyzzy", "teriparatide", "romosozumab"])
def test_no_rule_is_ever_guessed(catalogue: MedicineCatalogue, name: str) -> None:
    with pytest.raises(UnknownMedicine):
        catalogue.resolve(name)


def test_names_for_a_picker(catalogue: MedicineCatalogue, bank: Bank) -> None:
    names = catalogue.names
    assert names[:5] == [
        "alendronate",
        "risedronate",
        "ibandronate",
        "denosumab",
        "zoledronic acid",
    ]
    assert {"Fosamax", "Atelvia", "Prolia", "Reclast"} <= set(names)
    assert all(catalogue.resolve(n).rule in bank.doses for n in names)
