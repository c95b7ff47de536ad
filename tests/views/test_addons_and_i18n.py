"""R-SHOP-2 add-ons for an existing customer; every page in bokmål and English; CSRF."""
from sqlalchemy import select

from tests.shopping import post_company, post_product, post_terms, start_order, step_url
from webapp.extensions import db
from webapp.models import LicenceSubscription, OutboxMail
from webapp.services.demo import DEMO_ADMIN


def test_r_shop_2_an_administrator_buys_add_ons_only(client, log_in_demo):
    log_in_demo(client, DEMO_ADMIN)
    public_id = start_order(client, addons_only=True)
    assert post_product(client, public_id, product="none",
                        addons=["office-storage-50"]).status_code == 303
    company_page = client.get(step_url(public_id, "company")).get_data(as_text=True)
    assert 'value="Fjordkaffe AS"' in company_page
    assert post_company(client, public_id, company_name="Fjordkaffe AS").status_code == 303
    assert client.get(step_url(public_id, "users")).status_code == 404  # no users step
    assert post_terms(client, public_id).status_code == 303
    subscription = db.session.scalar(select(LicenceSubscription))
    assert [a.addon_code for a in subscription.addons] == ["office-storage-50"]
    [mail] = db.session.scalars(select(OutboxMail)).all()
    assert mail.kind == "addon_confirmation" and "Ekstra lagring 50 GB" in mail.body_text


def test_r_shop_2_none_needs_at_least_one_add_on(client, log_in_demo):
    log_in_demo(client, DEMO_ADMIN)
    public_id = start_order(client, addons_only=True)
    response = post_product(client, public_id, product="none")
    assert response.status_code == 422 and "minst ett tilleggsprodukt" in \
        response.get_data(as_text=True)


def test_every_message_has_a_bokmal_translation():
    from pathlib import Path

    from babel.messages.pofile import read_po

    po = Path(__file__).resolve().parents[2] / "webapp/translations/nb/LC_MESSAGES/messages.po"
    catalog = read_po(po.open("rb"))
    untranslated = [m.id for m in catalog if m.id and not (
        all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert untranslated == []


def test_pages_switch_between_bokmal_and_english(client):
    public_id = start_order(client)
    assert "Velg versjon" in client.get(step_url(public_id, "product")).get_data(as_text=True)
    english = client.get(step_url(public_id, "product") + "?lang=en").get_data(as_text=True)
    assert "Choose edition" in english and '<html lang="en">' in english
    assert "Choose edition" in client.get(step_url(public_id, "product")).get_data(as_text=True)


def test_forms_are_protected_by_csrf(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.get("/order").status_code == 200
        response = client.post("/order", data={"mode": "buy", "product": "office-professional",
                                               "users": "1", "action": "next"})
        assert response.status_code == 400
        assert "Skjemaet var utløpt" in response.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_rule_8_add_ons_bought_in_the_shop_are_invoiced_the_next_morning(client, at, log_in_demo,
                                                                         run_jobs):
    """Product "None": the add-on is invoiced for the rest of the paid period the next
    morning, exactly as in the portal; the preview is priced at the customer's own interval."""
    import datetime as dt

    from tests.billing_model import cost, percent
    from webapp.models import Invoice

    at(2026, 3, 10, 9, 0)
    log_in_demo(client, DEMO_ADMIN)
    at(2026, 3, 11, 9, 0)
    run_jobs()  # the demo customer's first invoice: paid through 31 March next year
    subscription = db.session.scalar(select(LicenceSubscription))
    paid_to = subscription.billed_through
    subscription.billing_interval = "semiannual"  # the customer's own interval from now on
    db.session.commit()
    at(2026, 4, 2, 12, 0)
    public_id = start_order(client, addons_only=True)
    post_product(client, public_id, product="none", addons=["office-storage-50"])
    post_company(client, public_id, company_name="Fjordkaffe AS")
    summary = client.get(step_url(public_id, "terms")).get_data(as_text=True)
    # Semi-annual, the customer's own interval: 6 × 99,00 less 5 % = 564,30 (not annual).
    assert 'data-price="period">kr\xa0564,30<' in summary
    assert post_terms(client, public_id).status_code == 303
    at(2026, 4, 3, 9, 0)
    run_jobs()
    invoice = db.session.scalars(select(Invoice).order_by(Invoice.id)).all()[-1]
    amount = cost(9_900, dt.date(2026, 4, 2), paid_to)
    assert (invoice.invoice_date, invoice.period_start, invoice.period_end) == (
        dt.date(2026, 4, 3), dt.date(2026, 4, 2), paid_to)
    assert invoice.net_ore == amount - percent(amount, 5)


def test_invoice_lines_are_shown_in_the_readers_language(client, at, log_in_demo, run_jobs):
    """An English reader sees the lines in English; the document itself (PDF, EHF) stays in
    bokmål, the invoice's language, and so does a credit note's copy of a line."""
    from webapp import clock
    from webapp.models import Invoice
    from webapp.services.billing import credit_invoice

    at(2026, 3, 10, 9, 0)
    log_in_demo(client, DEMO_ADMIN)
    at(2026, 3, 11, 9, 0)
    run_jobs()
    invoice = db.session.scalar(select(Invoice).order_by(Invoice.id))
    note = credit_invoice(invoice, "Feil antall brukere", clock.now())
    db.session.commit()
    for shown in (invoice, note):
        english = client.get(f"/portal/invoices/{shown.id}?lang=en").get_data(as_text=True)
        assert "Kvitt Office Professional, users 1–" in english
        assert "Discount for annual invoicing 10%" in english
        assert "brukere 1–" not in english and "Rabatt for" not in english
        bokmal = client.get(f"/portal/invoices/{shown.id}?lang=nb").get_data(as_text=True)
        assert "Kvitt Office Professional, brukere 1–" in bokmal
        assert "Rabatt for årlig fakturering 10 %" in bokmal
        client.get("/?lang=en")
        ehf = client.get(f"/portal/invoices/{shown.id}.xml").get_data(as_text=True)
        assert "brukere 1–" in ehf and "users 1–" not in ehf
    client.get("/?lang=nb")
