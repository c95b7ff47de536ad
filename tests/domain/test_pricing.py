"""R-SHOP-3: the live price: graduated volume bands, add-ons, interval discount, VAT."""
import pytest

from webapp.domain.money import format_nok
from webapp.domain.pricing import Band, PricedItem, band_lines, quote

BANDS = [Band(1, 5, 0), Band(6, 10, 10), Band(11, 25, 20), Band(26, 50, 30), Band(51, None, 40)]
ENTERPRISE = PricedItem("office-enterprise", "Enterprise", 44900, True)
PROFESSIONAL = PricedItem("office-professional", "Professional", 34900, True)
MOBILE = PricedItem("office-mobile", "Mobile Edition", 2900, True)
STORAGE = PricedItem("office-storage-50", "Extra storage 50 GB", 9900, False)
EHF = PricedItem("office-ehf", "EHF", 7900, False)


@pytest.mark.parametrize("users, expected_monthly_ore", [
    (1, 44900),
    (5, 5 * 44900),
    (6, 5 * 44900 + 40410),
    (10, 5 * 44900 + 5 * 40410),
    (11, 5 * 44900 + 5 * 40410 + 35920),
    (25, 5 * 44900 + 5 * 40410 + 15 * 35920),
    (26, 5 * 44900 + 5 * 40410 + 15 * 35920 + 31430),
    (50, 5 * 44900 + 5 * 40410 + 15 * 35920 + 25 * 31430),
    (51, 5 * 44900 + 5 * 40410 + 15 * 35920 + 25 * 31430 + 26940),
    (60, 5 * 44900 + 5 * 40410 + 15 * 35920 + 25 * 31430 + 10 * 26940),
])
def test_r_shop_3_each_user_is_priced_in_the_band_it_falls_in(users, expected_monthly_ore):
    result = quote(ENTERPRISE, users, [], BANDS, months=3, interval_discount_percent=0)
    assert result.edition_monthly_ore == expected_monthly_ore
    assert sum(line.users for line in result.band_lines) == users


def test_r_shop_3_band_lines_show_the_discount_of_each_band():
    lines = band_lines(34900, 12, BANDS)
    assert [(ln.from_user, ln.to_user, ln.users, ln.discount_percent, ln.unit_ore)
            for ln in lines] == [
        (1, 5, 5, 0, 34900), (6, 10, 5, 10, 31410), (11, 12, 2, 20, 27920)]


@pytest.mark.parametrize("months, percent, period_ore", [
    (12, 10, 1_740_960),  # 161 200 øre a month × 12 = 1 934 400, less 10 %
    (6, 5, 918_840),      # × 6 = 967 200, less 5 %
    (3, 0, 483_600),
])
def test_r_shop_3_interval_discount_applies_to_the_final_sum(months, percent, period_ore):
    # 3 Enterprise users (134 700) + Mobile for 3 (8 700) + storage (9 900) + EHF (7 900)
    # = 161 200 per month.
    result = quote(ENTERPRISE, 3, [MOBILE, STORAGE, EHF], BANDS, months, percent)
    assert result.monthly_ore == 161_200
    assert result.period_before_discount_ore == 161_200 * months
    assert result.interval_discount_ore == 161_200 * months * percent // 100
    assert result.period_ore == period_ore


def test_r_shop_3_vat_is_25_percent_of_the_discounted_period_rounded_to_the_ore():
    result = quote(PROFESSIONAL, 7, [], BANDS, months=12, interval_discount_percent=10)
    # 5 × 349 + 2 × 314.10 = 2 373.20 a month; × 12 = 28 478.40; −10 % = 2 847.84 → 25 630.56
    assert result.monthly_ore == 237_320
    assert result.interval_discount_ore == 284_784
    assert result.period_ore == 2_563_056
    assert result.vat_ore == 640_764
    assert result.period_incl_vat_ore == 3_203_820


def test_r_shop_3_lines_add_up_to_the_totals():
    result = quote(ENTERPRISE, 57, [MOBILE, EHF], BANDS, months=6, interval_discount_percent=5)
    assert sum(ln.amount_ore for ln in result.band_lines) == result.edition_monthly_ore
    assert result.edition_monthly_ore + sum(ln.amount_ore for ln in result.addon_lines) \
        == result.monthly_ore
    assert result.period_before_discount_ore - result.interval_discount_ore == result.period_ore
    assert result.period_ore + result.vat_ore == result.period_incl_vat_ore


def test_r_shop_2_no_edition_prices_add_ons_only():
    result = quote(None, 4, [MOBILE, STORAGE], BANDS, months=3, interval_discount_percent=0)
    assert result.band_lines == []
    assert result.monthly_ore == 4 * 2900 + 9900


def test_money_is_formatted_the_norwegian_and_the_english_way():
    assert format_nok(123456789) == "kr\u00a01\u00a0234\u00a0567,89"
    assert format_nok(-5) == "kr\u00a0\u22120,05"  # a minus sign, not "-kr"
    assert format_nok(-123456, "en") == "NOK \u22121,234.56"
    assert format_nok(123456789, "en") == "NOK 1,234,567.89"
