"""Admin → Customer agreements in the browser's terms: create and continue into the company
wizard (abandon, resume), delete refused, move in an htmx dialog, invite, re-invoicing basis."""
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.partner_setup import ORG, agreement_with, company_named, invite, on, partner
from webapp.extensions import db
from webapp.models import Company, CompanyDraft, CompanyMove, CustomerAgreement

D = dt.date
HTMX = {"HX-Request": "true"}


@pytest.fixture
def partner_logged_in(log_in):
    def _partner_logged_in(client):
        firm, admin = partner(D(2026, 1, 5))
        log_in(client, admin)
        return firm, admin
    return _partner_logged_in


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_r_agr_2_create_an_agreement_then_abandon_and_resume_the_company_wizard(
        app, client, partner_logged_in):
    firm, _ = partner_logged_in(client)
    created = client.post("/admin/agreements", data={"name": "Bakerkjeden",
                                                      "customer_number": "10001"})
    assert created.status_code == 303
    wizard = created.headers["Location"]
    assert wizard.endswith("/company")
    page = client.get(wizard)
    assert page.status_code == 200 and "Bakerkjeden" in _text(page)
    # Typed, then abandoned: kept as typed.
    later = client.post(wizard, data={"name": "Baker Nord AS", "organisation_number": "",
                                      "action": "later"})
    assert later.status_code == 303
    listing = _text(client.get("/admin/agreements"))
    assert "10001" in listing and "Fortsett å opprette Baker Nord AS" in listing
    # Resumed later from the list: the name is still there.
    assert 'value="Baker Nord AS"' in _text(client.get(wizard))
    assert client.post(wizard, data={"name": "Baker Nord AS", "action": "next"}) \
        .status_code == 303
    address = wizard.replace("/company", "/address")
    assert client.post(address, data={"address_line": "Kaigata 5", "postal_code": "5003",
                                      "action": "next"}).status_code == 303
    # Back from the address step keeps what was typed there, even unfinished; an unfinished
    # step is not created from the last step.
    assert client.post(address, data={"address_line": "Kaigata", "postal_code": "50",
                                      "action": "back"}).headers["Location"] == wizard
    assert 'value="Kaigata"' in _text(client.get(address))
    confirm_url = wizard.replace("/company", "/confirm")
    assert "Noen opplysninger mangler" in _text(client.get(confirm_url))
    assert client.post(confirm_url).headers["Location"] == address
    assert company_named("Baker Nord AS") is None
    assert client.post(address, data={"address_line": "Kaigata 5", "postal_code": "5003",
                                      "action": "next"}).status_code == 303
    confirm = _text(client.get(wizard.replace("/company", "/confirm")))
    assert "Kaigata 5" in confirm and "BERGEN" in confirm
    done = client.post(wizard.replace("/company", "/confirm"))
    assert done.status_code == 303
    company = company_named("Baker Nord AS")
    assert company.agreement.name == "Bakerkjeden" and company.city == "BERGEN"
    assert db.session.scalar(select(CompanyDraft.company_id)) == company.id
    # A finished wizard is not offered again, and cannot create the company twice.
    assert "Fortsett å opprette" not in _text(client.get("/admin/agreements"))
    client.post(wizard.replace("/company", "/confirm"))
    assert db.session.scalar(select(func.count()).select_from(Company).where(
        Company.name == "Baker Nord AS")) == 1


def test_wizard_bad_input_is_explained_next_to_the_field_and_kept(app, client, partner_logged_in):
    firm, _ = partner_logged_in(client)
    wizard = client.post("/admin/agreements", data={"name": "Avtale"}).headers["Location"]
    response = client.post(wizard, data={"name": "Feil AS", "organisation_number": "123456789",
                                         "email": "ikke-epost", "action": "next"})
    assert response.status_code == 422
    body = _text(response)
    assert "organisasjonsnummer" in body and 'value="Feil AS"' in body
    assert 'value="123456789"' in body and 'aria-invalid="true"' in body
    assert db.session.scalar(select(CompanyDraft.data))["name"] == "Feil AS"


def test_r_agr_2_an_empty_name_is_refused_with_a_message(app, client, partner_logged_in):
    partner_logged_in(client)
    response = client.post("/admin/agreements", data={"name": "", "customer_number": "5"})
    assert response.status_code == 422 and "Feltet må fylles ut" in _text(response)


def test_r_agr_3_deleting_an_agreement_with_companies_is_refused_with_an_explanation(
        app, client, partner_logged_in):
    firm, _ = partner_logged_in(client)
    full = agreement_with(firm, "Full", "Har selskap AS")
    empty = agreement_with(firm, "Tom")
    assert client.post(f"/admin/agreements/{full.id}/delete").status_code == 303
    assert "inneholder selskaper og kan ikke slettes" in _text(client.get("/admin/agreements"))
    assert db.session.get(CustomerAgreement, full.id).deleted_at is None
    client.post(f"/admin/agreements/{empty.id}/delete")
    db.session.expire_all()
    assert db.session.get(CustomerAgreement, empty.id).deleted_at is not None
    listing = _text(client.get("/admin/agreements"))
    assert "Kundeavtalen Tom er slettet" in listing and f'id="agreement-{empty.id}"' not in listing
    assert f'id="agreement-{full.id}"' in listing
    assert client.get(f"/admin/agreements/{empty.id}").status_code == 404


def test_r_agr_4_move_a_company_in_an_htmx_dialog(app, client, partner_logged_in):
    firm, admin = partner_logged_in(client)
    agreement_with(firm, "Gammel", "Flyttes AS")
    company = company_named("Flyttes AS")
    dialog = client.get(f"/admin/agreements/companies/{company.id}/move", headers=HTMX)
    assert dialog.status_code == 200 and "<html" not in _text(dialog)
    assert "En ny kundeavtale" in _text(dialog)
    # A new agreement needs a name: explained in the dialog, nothing moved.
    missing = client.post(f"/admin/agreements/companies/{company.id}/move", headers=HTMX,
                          data={"target": "new", "new_name": "", "new_customer_number": "9"})
    assert missing.status_code == 422 and "Gi den nye avtalen et navn" in _text(missing)
    assert 'value="9"' in _text(missing)
    # A customer number another agreement of the owner has: said at that field.
    agreement_with(firm, "Nummer sju", "Annen AS", customer_number="7")
    taken = client.post(f"/admin/agreements/companies/{company.id}/move", headers=HTMX,
                        data={"target": "new", "new_name": "Egen avtale",
                              "new_customer_number": "7"})
    assert taken.status_code == 422
    assert ('id="err-new_customer_number">En annen av avtalene deres har dette '
            'kundenummeret.</p>') in _text(taken)
    assert company_named("Flyttes AS").agreement.name == "Gammel"
    moved = client.post(f"/admin/agreements/companies/{company.id}/move", headers=HTMX,
                        data={"target": "new", "new_name": "Egen avtale",
                              "new_customer_number": "9"})
    assert moved.status_code == 204
    target = db.session.scalar(select(CustomerAgreement).where(
        CustomerAgreement.name == "Egen avtale"))
    assert moved.headers["HX-Redirect"] == f"/admin/agreements/{target.id}"
    db.session.expire_all()
    assert company_named("Flyttes AS").agreement_id == target.id
    history = _text(client.get("/admin/agreements"))
    assert "Gammel" in history and "Egen avtale" in history and "Rita Revisor" in history


def test_r_agr_4_moving_into_another_owners_agreement_changes_nothing(
        app, client, partner_logged_in):
    firm, _ = partner_logged_in(client)
    other, _ = partner(D(2026, 1, 5), name="Annet Byrå AS", org=ORG[1],
                       email="post@annet.example")
    agreement_with(firm, "Vår", "Vår kunde AS")
    theirs = agreement_with(other, "Deres", "Deres kunde AS")
    company = company_named("Vår kunde AS")
    response = client.post(f"/admin/agreements/companies/{company.id}/move",
                           data={"target": str(theirs.id)})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(CompanyMove)) == 0
    # Their company is not ours to move: not found.
    assert client.post(f"/admin/agreements/companies/{company_named('Deres kunde AS').id}"
                       f"/move", data={"target": "new", "new_name": "x"}).status_code == 404


def test_r_agr_1_inviting_one_person_to_two_companies_shows_one_licence(
        app, client, partner_logged_in):
    firm, _ = partner_logged_in(client)
    agreement = agreement_with(firm, "Kjeden", "Butikk En AS", "Butikk To AS")
    for name in ("Butikk En AS", "Butikk To AS"):
        response = client.post(f"/admin/agreements/{agreement.id}/invite", data={
            "company_id": str(company_named(name).id), "first_name": "Ola",
            "last_name": "Nordmann", "email": "ola@example.com", "user_group": "users"})
        assert response.status_code == 303
    page = _text(client.get(f"/admin/agreements/{agreement.id}"))
    assert '<dd data-licences>1</dd>' in page
    again = client.post(f"/admin/agreements/{agreement.id}/invite", data={
        "company_id": str(company_named("Butikk To AS").id), "first_name": "Ola",
        "last_name": "Nordmann", "email": "ola@example.com", "user_group": "users"})
    assert again.status_code == 422 and "har allerede tilgang" in _text(again)
    assert 'value="ola@example.com"' in _text(again)


def test_reinvoicing_basis_page_and_excel_export(app, client, partner_logged_in):
    firm, _ = partner_logged_in(client)
    agreement_with(firm, "Butikken", "Butikk AS", customer_number="40001")
    invite(company_named("Butikk AS"), "eva@example.com", first_name="Eva")
    page = client.get("/admin/agreements/basis?month=2026-01")
    assert page.status_code == 200 and "40001" in _text(page)
    export = client.get("/admin/agreements/basis.xlsx?month=2026-01")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    rows = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    # 5–31 January: 27 user-days of 31 at 349 kr.
    assert rows["Butikken"][0] == "40001" and rows["Butikken"][3:5] == (1, 27)
    assert round(rows["Butikken"][5] * 100) == round(34_900 * 27 / 31)
    bad = client.get("/admin/agreements/basis?month=januar")
    assert bad.status_code == 422 and "2026-11" in _text(bad) and 'value="januar"' in _text(bad)


def test_agreement_pages_in_english(app, client, partner_logged_in):
    firm, _ = partner_logged_in(client)
    agreement = agreement_with(firm, "Kjeden", "Butikk AS")
    for url in ("/admin/agreements", f"/admin/agreements/{agreement.id}",
                "/admin/agreements/basis"):
        page = client.get(url + "?lang=en")
        assert page.status_code == 200
        assert 'lang="en"' in _text(page) and "Customer agreement" in _text(page)


def test_r_agr_1_one_login_works_in_every_company_it_was_invited_to(
        app, client, log_in, partner_logged_in):
    firm, _ = partner_logged_in(client)
    agreement_with(firm, "Kjeden", "Butikk En AS", "Butikk To AS")
    ola, _ = invite(company_named("Butikk En AS"), "ola@example.com")
    invite(company_named("Butikk To AS"), "ola@example.com", group="administrators")
    stranger = agreement_with(firm, "Annen", "Fremmed AS").companies[0]
    client.post("/logout")
    log_in(client, ola)
    home = _text(client.get("/portal/"))
    assert "Butikk En AS" in home and 'id="acting-company"' in home
    two = company_named("Butikk To AS")
    assert client.post("/company", data={"company_id": str(two.id)}).status_code == 303
    page = _text(client.get("/portal/"))
    assert "Du arbeider nå i Butikk To AS" in page and "<h1>Butikk To AS</h1>" in page
    # In Butikk To, Ola is an administrator: the admin pages are there, for that company.
    assert client.get("/admin/users").status_code == 200
    # No access to a company it was not invited to: refused, nothing changes.
    assert client.post("/company", data={"company_id": str(stranger.id)}).status_code == 404
    # Access removed: back in its own company at the next request.
    membership = next(m for m in ola.memberships if m.company_id == two.id)
    from tests.partner_setup import owner_admin
    from webapp.services.agreements import remove_access
    remove_access(membership, owner_admin(firm), on(D(2026, 1, 6)))
    db.session.commit()
    assert client.get("/admin/users").status_code == 403
