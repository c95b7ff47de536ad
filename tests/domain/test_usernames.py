"""R-SHOP-5: usernames suggested from the first name; letters and digits only."""
import pytest

from webapp.domain import usernames


@pytest.mark.parametrize("first_name, taken, expected", [
    ("Ingrid", set(), "ingrid"),
    ("Ingrid Marie", set(), "ingrid"),
    ("Åse", set(), "ase"),
    ("Bjørn", set(), "bjorn"),
    ("Ærlend", set(), "aerlend"),
    ("José", set(), "jose"),
    ("Per", {"per"}, "per2"),
    ("Per", {"PER", "per2"}, "per3"),
    ("!!!", set(), "user"),
])
def test_r_shop_5_username_is_suggested_from_the_first_name(first_name, taken, expected):
    assert usernames.suggest(first_name, taken) == expected


@pytest.mark.parametrize("username, error, warning", [
    ("ingrid", None, None),
    ("Ingrid2", None, None),
    ("bjørn", None, "non_ascii_letters"),
    ("åse", None, "non_ascii_letters"),
    ("ola.n", "special_characters", None),
    ("ola nordmann", "special_characters", None),
    ("ola-n", "special_characters", None),
    ("", "required", None),
    ("a" * 31, "too_long", None),
])
def test_r_shop_5_letters_and_digits_only_with_a_warning_for_nordic_letters(
        username, error, warning):
    result = usernames.check(username)
    assert (result.error, result.warning) == (error, warning)


def test_r_shop_5_usernames_compare_without_regard_to_case():
    assert usernames.key(" Ingrid ") == usernames.key("INGRID")
