"""Lists that grow (invoices, users, agreements, dunning, mail): each page runs the same few
SQL statements with 3 rows as with 80, and shows one page of rows with links to the next."""
import datetime as dt

import pytest
from sqlalchemy import event, select

from tests.large_customer import seed_large_customer
from webapp import clock
from webapp.extensions import db
from webapp.models import Company, User
from webapp.services.demo import DEMO_ADMIN, OPERATOR

CUSTOMER_PAGES = ["/portal/", "/portal/invoices", "/portal/invoices?status=overdue",
                  "/admin/users", "/admin/users?q=bruker", "/admin/agreements",
                  "/admin/sales/subscriptions", "/admin/sales/invoices",
                  "/admin/sales/customers", "/admin/sales/frequencies"]
OPERATOR_PAGES = ["/operator/", "/operator/invoices", "/operator/dunning",
                  "/operator/payments", "/operator/mail", "/operator/trials"]
STATEMENT_LIMIT = 20


def _statements(app, client, path: str) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    client.get(path)  # warm: the catalog and the clock are read once per process
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, (path, response.status_code)
    return len(seen)


def _logged_in(app, who):
    client = app.test_client()
    login_id = db.session.scalar(select(Company.login_id).join(
        User, User.company_id == Company.id).where(User.username == who["username"]))
    assert client.post("/login", data={**who, "login_id": login_id}).status_code == 303
    return client


def _counts(app, size: int) -> dict[str, int]:
    now = clock.set_test_clock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=clock.OSLO))
    db.session.commit()
    seed_large_customer(now, invoices=size, users=size, agreements=size, mails=size)
    counts = {}
    for who, pages in ((DEMO_ADMIN, CUSTOMER_PAGES), (OPERATOR, OPERATOR_PAGES)):
        client = _logged_in(app, who)
        counts.update({path: _statements(app, client, path) for path in pages})
    return counts


@pytest.fixture
def small(app):
    return _counts(app, 3)


def test_list_pages_run_as_many_statements_with_80_rows_as_with_3(app, small, empty_database):
    empty_database()
    large = _counts(app, 80)
    assert large == small
    assert max(large.values()) <= STATEMENT_LIMIT, large


def test_long_lists_are_paged_and_searchable(app):
    now = clock.set_test_clock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=clock.OSLO))
    db.session.commit()
    seed_large_customer(now, invoices=120, users=120, agreements=60)
    client = _logged_in(app, DEMO_ADMIN)
    first = client.get("/portal/invoices").get_data(as_text=True)
    assert first.count('<tr id="invoice-') == 50 and "Side 1 av 3" in first
    last = client.get("/portal/invoices?page=3").get_data(as_text=True)
    assert last.count('<tr id="invoice-') == 20
    overdue = client.get("/portal/invoices?status=overdue").get_data(as_text=True)
    assert overdue.count('<tr id="invoice-') == overdue.count("status-overdue") == 10
    users = client.get("/admin/users?q=Bruker00042").get_data(as_text=True)
    assert users.count('<tr id="employee-') == 1 and "bruker42@fjordkaffe.example" in users
    agreements = client.get("/admin/agreements?page=2").get_data(as_text=True)
    assert agreements.count('<tr id="agreement-') == 11  # 60 made here and the demo's own
    home = client.get("/portal/").get_data(as_text=True)
    assert "forfallsdato" in home and "Alle ansatte og brukere" in home
