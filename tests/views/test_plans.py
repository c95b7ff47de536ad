"""Plans: an upgrade at once with the rest of the period invoiced pro rata, a downgrade and
another interval from the next period, add-ons, eFaktura Free → Basic; Free is not invoiced."""
import datetime as dt

from sqlalchemy import select

from tests.billing_setup import active_customer
from webapp.extensions import db
from webapp.models import Invoice, SubscriptionAddOn

D = dt.date


def test_upgrade_now_is_invoiced_pro_rata_the_next_morning(client, admin_of, at, invoices, log_in,
                                                           run_jobs):
    subscription = active_customer(D(2026, 4, 20), "quarterly", addons=())
    at(2026, 4, 21, 9, 0)
    run_jobs()
    log_in(client, admin_of(subscription))
    at(2026, 6, 16, 12, 0)
    response = client.post("/portal/plan", data={"plan": "office-enterprise",
                                                 "interval": "quarterly"})
    assert response.status_code == 303
    db.session.refresh(subscription)
    assert subscription.plan_code == "office-enterprise"
    upgrade = invoices()[-1]
    # 3 users × (449 − 349) = 300 kr a month, 16–30 June (15/30) and July: 150 + 300 = 450 kr
    assert (upgrade.invoice_date, upgrade.period_start, upgrade.period_end) == (
        D(2026, 6, 17), D(2026, 6, 16), D(2026, 7, 31))
    assert upgrade.net_ore == 45_000 and upgrade.total_ore == 56_250
    assert upgrade.lines[0].description == "Oppgradering til Enterprise"


def test_downgrade_and_interval_take_effect_from_the_next_period(client, admin_of, at, invoices,
                                                                 log_in, run_jobs):
    subscription = active_customer(D(2026, 4, 20), "quarterly",
                                   addons=("office-mobile", "office-ehf"))
    at(2026, 4, 21, 9, 0)
    run_jobs()
    log_in(client, admin_of(subscription))
    at(2026, 6, 1, 12, 0)
    client.post("/portal/plan", data={"plan": "office-invoicing", "interval": "annual",
                                      "addons": ["office-mobile"]})
    db.session.refresh(subscription)
    assert (subscription.plan_code, subscription.next_plan_code) == (
        "office-professional", "office-invoicing")
    assert subscription.next_billing_interval == "annual"
    assert len(invoices()) == 1  # nothing to invoice now
    at(2026, 7, 11, 9, 0)
    run_jobs()
    renewal = invoices()[-1]
    assert (renewal.period_start, renewal.period_end) == (D(2026, 8, 1), D(2027, 7, 31))
    descriptions = [line.description for line in renewal.lines]
    assert any("Invoicing Edition" in d for d in descriptions)
    assert "Sending av EHF-faktura" not in descriptions and "Mobile Edition" in descriptions
    # The removed add-on stays as history: in force to the end of the paid period.
    assert db.session.scalar(select(SubscriptionAddOn.removed_from).where(
        SubscriptionAddOn.addon_code == "office-ehf")) == D(2026, 8, 1)


def test_efaktura_free_to_basic_and_free_is_never_invoiced(client, admin_of, at, invoices, log_in,
                                                           run_jobs):
    subscription = active_customer(D(2026, 4, 20), "monthly", plan="efaktura-free", addons=(),
                                   quantity=1)
    for day in (21, 30):
        at(2026, 4, day, 9, 0)
        run_jobs()
    assert invoices() == []
    log_in(client, admin_of(subscription))
    client.post("/portal/plan", data={"plan": "efaktura-basic"})
    db.session.refresh(subscription)
    assert subscription.plan_code == "efaktura-basic"
    at(2026, 5, 1, 9, 0)
    run_jobs()
    [first] = db.session.scalars(select(Invoice)).all()
    assert first.lines[0].description == "Kvitt eFaktura Basic"
    # Billing starts with the upgrade on 30 April: the first invoice the next day.
    assert (first.invoice_date, first.period_start, first.period_end) == (
        D(2026, 5, 1), D(2026, 4, 30), D(2026, 5, 31))


def test_a_plan_of_another_product_is_refused(client, admin_of, log_in):
    subscription = active_customer(D(2026, 4, 20), "quarterly")
    log_in(client, admin_of(subscription))
    refused = client.post("/portal/plan", data={"plan": "efaktura-premium",
                                                "interval": "quarterly"})
    # The plan page again, saying why, with nothing changed.
    assert refused.status_code == 422 and "Velg fra listene." in refused.get_data(as_text=True)
    db.session.refresh(subscription)
    assert subscription.plan_code == "office-professional"


def test_operator_sets_enterprise_terms_and_they_are_invoiced(
        client, at, invoices, run_jobs, log_in_operator):

    subscription = active_customer(D(2026, 4, 20), "monthly", plan="efaktura-basic",
                                   addons=(), quantity=3)
    login_id = subscription.agreement.companies[0].login_id
    log_in_operator(client)
    bad = client.post("/operator/enterprise", data={"login_id": "424242",
                                                    "monthly_price": "abc", "licences": "0"})
    assert bad.status_code == 422
    response = client.post("/operator/enterprise", data={
        "login_id": login_id, "monthly_price": "2500", "licences": "40"})
    assert response.status_code == 303
    at(2026, 5, 11, 9, 0)
    run_jobs()
    renewal = [i for i in invoices() if i.period_start == D(2026, 6, 1)][0]
    assert [(ln.description, ln.amount_ore) for ln in renewal.lines] == [
        ("Kvitt eFaktura Enterprise", 250_000)]


def test_the_plan_page_shows_what_saving_costs_before_it_is_saved(client, admin_of, at, invoices,
                                                                  log_in, run_jobs):
    """The preview is the engine's own answer in a savepoint that is undone: the same invoice
    the save then writes, and nothing kept meanwhile."""
    subscription = active_customer(D(2026, 4, 20), "quarterly", addons=())
    at(2026, 4, 21, 9, 0)
    run_jobs()
    log_in(client, admin_of(subscription))
    at(2026, 6, 16, 12, 0)
    page = client.get("/portal/plan").get_data(as_text=True)
    assert "Slik det står nå, kommer neste faktura 11.07.2026" in page
    wanted = {"plan": "office-enterprise", "interval": "quarterly"}
    preview = client.post("/portal/plan/preview", data=wanted,
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert preview.startswith('<aside id="plan-preview"')
    assert "kr\xa0562,50" in preview and "16.06.2026–31.07.2026" in preview
    db.session.refresh(subscription)
    assert subscription.plan_code == "office-professional" and len(invoices()) == 1
    client.post("/portal/plan", data=wanted)
    upgrade = invoices()[-1]
    assert upgrade.total_ore == 56_250 and len(invoices()) == 2
    downgrade = client.post("/portal/plan/preview", data={"plan": "office-invoicing",
                                                          "interval": "quarterly"},
                            headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "fra neste periode" in downgrade and "kr\xa0" in downgrade
    unknown = client.post("/portal/plan/preview", data={"plan": "finnes-ikke"},
                          headers={"HX-Request": "true"})
    assert unknown.status_code == 200 and len(invoices()) == 2


def test_r_plan_6_more_licences_at_once_fewer_from_the_next_period(client, admin_of, at, invoices,
                                                                   log_in, run_jobs):
    """R-PLAN-6: the customer raises its licence count, sees in advance what the next
    morning's invoice will be (the model's figure), and is invoiced exactly that; a lower
    count waits for the next period; never fewer than the users in use."""
    from tests.billing_model import VAT, band_unit, cost, percent
    from webapp.models import LicenceSubscription, QuantityChange

    subscription = active_customer(D(2026, 1, 5), quantity=3, users=2)
    at(2026, 1, 6, 9, 0)
    run_jobs()
    log_in(client, admin_of(subscription))
    at(2026, 3, 10, 12, 0)
    page = client.get("/portal/plan").get_data(as_text=True)
    assert "3 lisenser, 2 brukere i bruk." in page
    # Users 4 and 5 in their bands, with Mobile Edition per user, 10 March – 31 January,
    # less the annual discount, plus VAT.
    gross = cost(band_unit(34_900, 4) + band_unit(34_900, 5) + 2 * 2_900, D(2026, 3, 10),
                 D(2027, 1, 31))
    net = gross - percent(gross, 10)
    total = net + percent(net, VAT)
    htmx = {"HX-Request": "true"}
    shown = client.post("/portal/licences/preview", data={"licences": "5"}, headers=htmx)
    expected = f"{total // 100:,}".replace(",", "\xa0") + f",{total % 100:02d}"
    assert shown.status_code == 200 and f"kr\xa0{expected}" in shown.get_data(as_text=True)
    assert "10.03.2026–31.01.2027" in shown.get_data(as_text=True)
    assert len(invoices()) == 1 and db.session.get(LicenceSubscription,
                                                   subscription.id).quantity == 3
    refused = client.post("/portal/licences", data={"licences": "1"}, headers=htmx)
    assert refused.status_code == 422
    assert "Færre lisenser enn brukere i bruk" in refused.get_data(as_text=True)
    assert refused.headers["HX-Retarget"] == "#licences"
    assert client.post("/portal/licences", data={"licences": "5"}).status_code == 303
    at(2026, 3, 11, 9, 0)
    run_jobs()
    difference = invoices()[-1]
    assert (difference.invoice_date, difference.period_start, difference.period_end,
            difference.total_ore) == (D(2026, 3, 11), D(2026, 3, 10), D(2027, 1, 31), total)
    assert difference.lines[0].description == "Lisenser økt fra 3 til 5"
    # Fewer: from the next period, which is invoiced at four.
    at(2026, 6, 1, 12, 0)
    assert client.post("/portal/licences", data={"licences": "4"}).status_code == 303
    assert "Fra neste periode: 4." in client.get("/portal/plan").get_data(as_text=True)
    assert db.session.get(LicenceSubscription, subscription.id).quantity == 5
    at(2027, 1, 11, 9, 0)
    run_jobs()
    renewal = invoices()[-1]
    assert renewal.period_start == D(2027, 2, 1)
    assert [line.quantity for line in renewal.lines if "brukere" in line.description] == [4]
    change = db.session.scalars(select(QuantityChange).order_by(QuantityChange.id)).all()
    assert [(c.effective_on, c.previous_quantity, c.quantity) for c in change] == [
        (D(2026, 3, 10), 3, 5), (D(2027, 2, 1), 5, 4)]
