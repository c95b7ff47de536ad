"""Links in e-mails point at PUBLIC_URL whoever writes the mail: a job with no request at all,
or a view, whatever host the request named (a forged Host header cannot send a customer's
password link elsewhere)."""
import jobs
from webapp.links import external

PUBLIC = "https://kvitt.example.no/kvitt"


def test_links_are_built_from_public_url_without_a_request(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    assert external("auth.login") == f"{PUBLIC}/login"
    assert external("portal.support", category="trial") == f"{PUBLIC}/portal/support?category=trial"


def test_a_job_writes_links_at_public_url(client, app, monkeypatch, at, mails, trial_customer):
    trial_customer(client)  # ordered 20 April: the trial ends 20 May
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    at(2026, 5, 10, 9, 0)  # ten days left: the first upgrade mail
    outcome = jobs.run_job("trial_mails")
    assert outcome.ok and outcome.count == 1
    [mail] = mails("trial_upgrade")
    assert f"{PUBLIC}/portal/buy" in mail.body_text
    assert f"{PUBLIC}/portal/support?category=trial" in mail.body_text


def test_a_forged_host_header_does_not_move_the_password_link(client, app, monkeypatch, mails,
                                                              trial_customer):
    order = trial_customer(client)
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    response = client.post("/password/forgot", headers={"Host": "evil.example"},
                           data={"login_id": order.company.login_id,
                                 "username": "ingrid"})
    assert response.status_code == 303
    [mail] = mails("password_reset")
    assert f"{PUBLIC}/password/set/" in mail.body_text
    assert "evil.example" not in mail.body_text
