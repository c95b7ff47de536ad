"""R-PLAN-4: the company profile; an organisation number registered elsewhere is explained."""
import datetime as dt

import pytest
from sqlalchemy import select

from tests.billing_setup import active_customer
from webapp.extensions import db
from webapp.models import Company


@pytest.fixture
def admin_client(client, admin_of, log_in):
    subscription = active_customer(dt.date(2026, 4, 20))
    log_in(client, admin_of(subscription))
    return client


def test_r_plan_4_profile_is_saved_with_a_checked_organisation_number(admin_client):
    response = admin_client.post("/portal/company", data={
        "name": "Bakeriet Lille AS", "organisation_number": "923 609 016",
        "address_line": "Torget 2", "postal_code": "0150"})
    assert response.status_code == 303
    company = db.session.scalar(select(Company).where(Company.name == "Bakeriet Lille AS"))
    assert (company.organisation_number, company.city) == ("923609016", "OSLO")


def test_r_plan_4_a_wrong_check_digit_is_refused(admin_client):
    response = admin_client.post("/portal/company", data={
        "name": "Bakeriet Lille AS", "organisation_number": "923609017"})
    assert response.status_code == 422
    assert "sjekk de ni sifrene" in response.get_data(as_text=True)


def test_r_plan_4_an_organisation_number_already_registered_is_explained(admin_client):
    other = active_customer(dt.date(2026, 4, 20), name="Annen AS")
    other.agreement.companies[0].organisation_number = "923609016"
    db.session.commit()
    response = admin_client.post("/portal/company", data={
        "name": "Bakeriet Lille AS", "organisation_number": "923609016"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "allerede registrert i Kvitt på en annen konto" in html
    assert 'value="923609016"' in html
