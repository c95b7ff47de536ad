"""R-SHOP-7 … R-SHOP-9, R-TRIAL-1: confirmation, activation, reminders, welcome and login."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.shopping import ADMIN, SECOND, order_through
from webapp import clock
from webapp.extensions import db
from webapp.models import LicenceSubscription, Order, User


def test_r_shop_7_confirmation_mail_has_summary_and_activation_link(client, at, link_in, mails):
    at(2026, 4, 20, 10, 0)
    order_through(client, addons=["office-ehf"])
    [mail] = mails("order_confirmation")
    assert mail.to_address == "ingrid@bakeriet.example"
    assert "Professional" in mail.body_text and "Sending av EHF-faktura" in mail.body_text
    assert "Antall brukere: 3" in mail.body_text and "ingrid" in mail.body_text
    assert "20.05.2026" in mail.body_text  # the link is valid 30 days
    assert link_in(mail, "/activate/")


def test_r_shop_7_nothing_is_usable_before_activation(client):
    order = order_through(client)
    user = db.session.scalar(select(User).where(User.username == "ingrid"))
    user.set_password("a-long-password")
    db.session.commit()
    response = client.post("/login", data={"login_id": order.company.login_id,
                                           "username": "ingrid", "password": "a-long-password"})
    assert response.status_code == 422
    assert "ikke aktivert" in response.get_data(as_text=True)


def test_r_shop_7_reminders_after_3_and_7_days_then_expiry_after_30(client, at, activate, mails,
                                                                    run_jobs):
    submitted = at(2026, 4, 20, 10, 0)
    order = order_through(client)
    for day, reminders in [(2, 0), (3, 1), (4, 1), (7, 2), (29, 2)]:
        clock.set_test_clock(submitted + dt.timedelta(days=day, minutes=1))
        db.session.commit()
        run_jobs()
        run_jobs()  # running a job twice changes nothing the second time
        assert len(mails("activation_reminder")) == reminders, day
    at(2026, 5, 20, 10, 1)
    run_jobs()
    db.session.refresh(order)
    assert order.status == "expired"
    assert db.session.scalar(select(LicenceSubscription.status)) == "expired"
    response, _ = activate(client, order)
    assert response.status_code == 410
    assert "utløpt" in response.get_data(as_text=True)


def test_r_shop_7_reminder_link_activates_too(client, at, link_in, mails, run_jobs):
    at(2026, 4, 20, 10, 0)
    order_through(client)
    at(2026, 4, 23, 11, 0)
    run_jobs()
    path = link_in(mails("activation_reminder")[0], "/activate/")
    response = client.post(path, data={"address_line": "Storgata 1", "postal_code": "0150"})
    assert response.status_code == 303


def test_r_shop_7_after_a_long_downtime_one_reminder_not_two(client, at, mails, run_jobs):
    at(2026, 4, 20, 10, 0)
    order_through(client)
    at(2026, 4, 28, 10, 0)
    run_jobs()
    assert len(mails("activation_reminder")) == 1


@pytest.mark.parametrize("mangle, status, text", [
    (lambda path: path[:-3] + "abc", 404, "ikke gyldig"),
    (lambda path: "/activate/garbage", 404, "ikke gyldig"),
])
def test_r_shop_7_tampered_links_are_refused_clearly(client, mangle, status, text, link_in, mails):
    order_through(client)
    path = link_in(mails("order_confirmation")[0], "/activate/")
    response = client.get(mangle(path))
    assert response.status_code == status and text in response.get_data(as_text=True)


def test_r_shop_7_a_link_works_once(client, activate, mails):
    order = order_through(client)
    first, path = activate(client, order)
    assert first.status_code == 303
    again = client.post(path, data={"address_line": "Storgata 1", "postal_code": "0150"})
    assert again.status_code == 410 and "allerede aktivert" in again.get_data(as_text=True)
    assert len(mails("welcome")) == 2


def test_r_shop_8_full_order_asks_for_invoice_address_and_fills_city(client, activate, link_in,
                                                                     mails):
    order = order_through(client)
    path = link_in(mails("order_confirmation")[0], "/activate/")
    page = client.get(path).get_data(as_text=True)
    assert 'name="postal_code"' in page and 'name="address_line"' in page
    city = client.get("/postal-code?postal_code=0150", headers={"HX-Request": "true"})
    assert 'value="OSLO"' in city.get_data(as_text=True)
    unknown = client.get("/postal-code?postal_code=0000", headers={"HX-Request": "true"})
    assert "finnes ikke i postnummerregisteret" in unknown.get_data(as_text=True)
    response, _ = activate(client, order)
    assert response.status_code == 303
    db.session.refresh(order)
    assert (order.agreement.invoice_address_line, order.agreement.invoice_postal_code,
            order.agreement.invoice_city) == ("Storgata 1", "0150", "OSLO")
    assert db.session.scalar(select(LicenceSubscription.status)) == "active"


@pytest.mark.parametrize("address, field, message", [
    ({"postal_code": "0000"}, "postal_code", "finnes ikke i postnummerregisteret"),
    ({"postal_code": "12"}, "postal_code", "fire sifre"),
    ({"postal_code": ""}, "postal_code", "Feltet må fylles ut."),
    ({"address_line": ""}, "address_line", "Feltet må fylles ut."),
    ({"address_line": "x" * 201}, "address_line", "200"),
])
def test_r_shop_8_bad_address_is_refused_next_to_the_field(client, address, field, message,
                                                           activate, mails):
    order = order_through(client)
    response, _ = activate(client, order, **address)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html.split(f'id="field-{field}"')[1].split("</div>")[0]
    assert order.status == "submitted" and not mails("welcome")
    if field == "postal_code":
        assert 'value="Storgata 1"' in html


def test_r_shop_9_welcome_mail_for_every_user_then_set_password_and_log_in(client, activate,
                                                                           link_in, mails):
    order = order_through(client)
    activate(client, order)
    welcome = {mail.to_address: mail for mail in mails("welcome")}
    assert set(welcome) == {ADMIN["email"], SECOND["email"]}
    body = welcome[SECOND["email"]].body_text
    login_id = order.company.login_id
    assert f"Kunde-ID: {login_id}" in body and "Brukernavn: per" in body
    for prefix in ("/login", "/guide", "/portal/support", "/password/set/"):
        assert link_in(welcome[SECOND["email"]], prefix)
    set_path = link_in(welcome[SECOND["email"]], "/password/set/")
    short = client.post(set_path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "mellom 10 og 200 tegn" in short.get_data(as_text=True)
    done = client.post(set_path, data={"password": "per-sitt-passord", "confirm":
                                       "per-sitt-passord"})
    # Per did not order: he reads and accepts the terms of service first (R-PLAN-5).
    assert done.status_code == 303 and done.headers["Location"] == "/terms/accept?next=/portal/"
    assert client.post(done.headers["Location"], data={"accept": "y"}).headers["Location"] \
        == "/portal/"
    again = client.get(set_path)
    assert again.status_code == 410
    client.post("/logout")
    login = client.post("/login", data={"login_id": login_id, "username": "PER",
                                        "password": "per-sitt-passord"})
    assert login.status_code == 303
    home = client.get("/portal/").get_data(as_text=True)
    assert "Bakeriet Lille AS" in home and "Professional" in home
    assert "Ingrid Hansen" in home and "Per Olsen" in home and "2 av 3 i bruk" in home


def test_r_shop_9_wrong_password_is_refused_without_saying_which_part(client, activate):
    order = order_through(client)
    activate(client, order)
    response = client.post("/login", data={"login_id": order.company.login_id,
                                           "username": "ingrid", "password": "wrong-password"})
    assert response.status_code == 422
    assert "Feil kunde-ID, brukernavn eller passord." in response.get_data(as_text=True)


def test_r_trial_1_trial_skips_the_address_and_shows_days_left(client, at, link_in, mails):
    at(2026, 4, 20, 10, 0)
    order = order_through(client, trial=True)
    assert db.session.scalar(select(LicenceSubscription.is_trial)) is True
    path = link_in(mails("order_confirmation")[0], "/activate/")
    page = client.get(path).get_data(as_text=True)
    assert 'name="postal_code"' not in page and "prøveperioden" in page
    assert client.post(path, data={}).status_code == 303
    subscription = db.session.scalar(select(LicenceSubscription))
    assert subscription.status == "trial"
    assert subscription.trial_ends_on == dt.date(2026, 5, 20)
    set_path = link_in(mails("welcome", to=ADMIN["email"])[0], "/password/set/")
    client.post(set_path, data={"password": "ingrid-passord", "confirm": "ingrid-passord"})
    at(2026, 4, 30, 12, 0)
    assert "Prøveperiode: 20 dager igjen." in client.get("/portal/").get_data(as_text=True)
    del order


def test_r_shop_9_mail_goes_out_over_smtp_by_the_job(client, smtp_server, mails, run_jobs):
    order = order_through(client)
    run_jobs()
    [message] = smtp_server.to("ingrid@bakeriet.example")
    assert message["Subject"] == "Din bestilling av Kvitt: aktiver kontoen"
    assert "/activate/" in smtp_server.body(message)
    run_jobs()
    assert len(smtp_server.messages) == 1  # never sent twice
    assert mails()[0].status == "sent"
    del order


def test_outbox_keeps_mail_and_retries_when_smtp_is_down(app, client, mails, run_jobs):
    from tests.mail_server import free_port

    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    try:
        order_through(client)
        run_jobs()
        [mail] = mails()
        assert (mail.status, mail.attempts) == ("pending", 1) and mail.last_error
        assert mail.next_attempt_at > clock.now()
    finally:
        app.config["MAIL_URL"] = ""
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_outbox_delivers_once_smtp_is_back(app, client, smtp_server, at, mails, run_jobs):
    at(2026, 4, 20, 10, 0)
    working = app.config["MAIL_URL"]
    from tests.mail_server import free_port

    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"
    order_through(client)
    run_jobs()
    app.config["MAIL_URL"] = working
    run_jobs()
    assert smtp_server.messages == []  # not before the back-off has passed
    at(2026, 4, 20, 10, 5)
    run_jobs()
    assert len(smtp_server.messages) == 1
    assert mails()[0].status == "sent" and mails()[0].attempts == 2
