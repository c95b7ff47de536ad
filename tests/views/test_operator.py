"""Operator console: orders, the mail log with readable messages; customers are kept out."""

from tests.shopping import order_through
from webapp.extensions import db
from webapp.services.demo import DEMO_ADMIN


def test_operator_sees_orders_and_reads_the_activation_mail(app, client, log_in_operator):
    order_through(client)
    log_in_operator(client)
    orders = client.get("/operator/").get_data(as_text=True)
    assert "Bakeriet Lille AS" in orders and "Venter på aktivering" in orders
    log = client.get("/operator/mail").get_data(as_text=True)
    assert "ingrid@bakeriet.example" in log and "aktiver kontoen" in log
    from webapp.models import OutboxMail
    mail = db.session.query(OutboxMail).first()
    message = client.get(f"/operator/mail/{mail.id}").get_data(as_text=True)
    assert '<a href="http://kvitt.test/activate/' in message


def test_customers_and_strangers_do_not_reach_the_operator_console(app, client, log_in_demo):
    assert client.get("/operator/").status_code == 302  # to login
    log_in_demo(client, DEMO_ADMIN)
    for url in ("/operator/", "/operator/mail", "/operator/clock", "/operator/mail/1"):
        assert client.get(url).status_code == 404
    assert client.post("/operator/clock", data={"advance": "3d"}).status_code == 404


def test_operator_pages_work_in_english(app, client, log_in_operator):
    log_in_operator(client)
    client.get("/?lang=en")
    page = client.get("/operator/").get_data(as_text=True)
    assert "Orders" in page and "Bestillinger" not in page
