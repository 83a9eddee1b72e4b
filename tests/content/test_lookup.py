"""Medicine look-up: brands, generics, case, typos, and no wild guesses."""

import pytest

from tipbot.content.lookup import LookupResult, MedicineIndex, edit_distance
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


# --- issue 10, item 13: every name resolves to its class; no wild suggestions ---------------

#: Every name the issue lists, with the class that must answer it.
ISSUE_NAMES = [
    ("denosumab", "bone-injections"),
    ("Prolia", "bone-injections"),
    ("zoledronic acid", "bone-injections"),
    ("Reclast", "bone-injections"),
    ("Aclasta", "bone-injections"),
    ("teriparatide", "bone-injections"),
    ("abaloparatide", "bone-injections"),
    ("romosozumab", "bone-injections"),
    ("Atelvia", "bisphosphonates"),
    ("Binosto", "bisphosphonates"),
    ("bictegravir", "dolutegravir"),
    ("Biktarvy", "dolutegravir"),
    ("Tums", "mineral-products"),
    ("calcium carbonate", "mineral-products"),
    ("milk of magnesia", "mineral-products"),
    ("iron", "mineral-products"),
    ("zinc", "mineral-products"),
    ("cisplatin", "mg-lowering"),
    ("carboplatin", "mg-lowering"),
    ("tacrolimus", "mg-lowering"),
    ("ciclosporin", "mg-lowering"),
    ("gentamicin", "mg-lowering"),
    ("amphotericin B", "mg-lowering"),
    ("digoxin", "digoxin"),
]


@pytest.mark.parametrize(("query", "class_id"), ISSUE_NAMES)
def test_every_name_in_the_issue_resolves_to_its_class(
    index: MedicineIndex, query: str, class_id: str
) -> None:
    result = index.lookup(query)
    assert [m.interaction.id for m in result.matches] == [class_id]
    assert result.suggestions == ()


def test_every_name_in_the_bank_resolves_to_a_class_that_lists_it(
    index: MedicineIndex, bank: Bank
) -> None:
    for cls in bank.interactions.classes:
        for medicine in cls.medicines:
            for name in (medicine.generic, *medicine.brands):
                ids = [m.interaction.id for m in index.lookup(name).matches]
                assert cls.id in ids, (name, ids)


#: Slips of the fingers on names in the bank: a dropped, doubled, swapped or wrong letter.
MISSPELLINGS = [
    ("alendronat", "bisphosphonates"),
    ("risedronat", "bisphosphonates"),
    ("ibandronnate", "bisphosphonates"),
    ("Fosammax", "bisphosphonates"),
    ("Atelvea", "bisphosphonates"),
    ("doxycylcine", "tetracyclines"),
    ("minocyclin", "tetracyclines"),
    ("ciprofloxacine", "quinolones"),
    ("levofloxacine", "quinolones"),
    ("furosemid", "loop-thiazide"),
    ("hydrochlorthiazide", "loop-thiazide"),
    ("spironolacton", "potassium-sparing"),
    ("pantoprazol", "ppis"),
    ("esomeprazol", "ppis"),
    ("levothyroxin", "levothyroxine"),
    ("gabapentine", "gabapentin"),
    ("dolutegravr", "dolutegravir"),
    ("denosumap", "bone-injections"),
    ("zolendronic acid", "bone-injections"),
    ("teriparatid", "bone-injections"),
    ("amphoterecin b", "mg-lowering"),
    ("digoxine", "digoxin"),
]


@pytest.mark.parametrize(("query", "class_id"), MISSPELLINGS)
def test_a_misspelt_bank_name_resolves(index: MedicineIndex, query: str, class_id: str) -> None:
    assert [m.interaction.id for m in index.lookup(query).matches] == [class_id]


#: Common medicines of older adults that the bank does not cover: the answer is "no entry", and
#: nothing else, because any suggestion would be a different medicine.
NOT_IN_BANK = [
    "warfarin",
    "metformin",
    "atorvastatin",
    "lisinopril",
    "amlodipine",
    "metoprolol",
    "sertraline",
    "prednisone",
    "allopurinol",
    "simvastatin",
    "clopidogrel",
    "apixaban",
    "tramadol",
    "paracetamol",
    "ibuprofen",
    "donepezil",
    "tamsulosin",
    "raloxifene",
    "risperidone",
    "valproate",
    "letrozole",
    "pregabalin",
]


@pytest.mark.parametrize("query", NOT_IN_BANK)
def test_a_medicine_not_in_the_bank_gets_no_entry_and_no_suggestion(
    index: MedicineIndex, query: str
) -> None:
    assert index.lookup(query) == LookupResult((), ())


def test_a_truncated_name_is_suggested_not_guessed(index: MedicineIndex) -> None:
    result = index.lookup("levoflox")
    assert result.matches == ()
    assert result.suggestions == ("levofloxacin",)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("omeprazol", "omeprazole", 1), ("doxycylcine", "doxycycline", 1), ("iron", "cipro", 3)],
)
def test_edit_distance_counts_a_swap_once(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
