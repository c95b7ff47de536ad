"""R-SHOP-8: the postal code fills the city from Bring's register."""
import pytest

from webapp.domain.postal import city_for


@pytest.mark.parametrize("code, city", [
    ("0150", "OSLO"), ("5003", "BERGEN"), ("9170", "LONGYEARBYEN"), (" 0150 ", "OSLO"),
])
def test_r_shop_8_known_postal_codes_give_their_city(code, city):
    assert city_for(code) == city


@pytest.mark.parametrize("code", ["0000", "015", "01500", "abcd", "", "0018"])
def test_r_shop_8_unknown_or_service_codes_give_no_city(code):
    assert city_for(code) is None
