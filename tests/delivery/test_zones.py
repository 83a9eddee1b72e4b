"""Finding a time zone from what a person types."""

import pytest

from tipbot.delivery.zones import find_zone, offset_key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("UTC", "UTC"),
        ("gmt", "UTC"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("São Paulo", "America/Sao_Paulo"),
        ("mumbai", "Asia/Kolkata"),
    ],
)
def test_find_zone_by_city_or_key(text: str, key: str) -> None:
    assert find_zone(text).key == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("UTC+5:30", "UTC+05:30"),
        ("utc-3", "UTC-03:00"),
        ("GMT+1", "UTC+01:00"),
        ("+0530", "UTC+05:30"),
        ("UTC+0", "UTC"),
        ("UTC+14", "UTC+14:00"),
    ],
)
def test_offsets(text: str, key: str) -> None:
    assert offset_key(text) == key
    assert find_zone(text).key == key


@pytest.mark.parametrize("text", ["UTC+15", "UTC+5:20", "UTC+5:75"])
def test_malformed_offsets_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        find_zone(text)


def test_near_miss_offers_choices_not_a_guess() -> None:
    match = find_zone("Berlinn")
    assert match.key is None
    assert "Europe/Berlin" in match.choices


def test_unknown_place_has_no_key_and_no_choices() -> None:
    match = find_zone("Narnia")
    assert match.key is None
    assert match.choices == ()


def test_empty_text_is_no_match() -> None:
    assert find_zone("   ").key is None
