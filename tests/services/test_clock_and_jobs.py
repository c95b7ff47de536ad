"""The application clock and its test clock, the catalog data file and the jobs command."""
import datetime as dt

from sqlalchemy import func, select

from webapp import clock
from webapp.extensions import db
from webapp.models import CatalogItem, VolumeBand
from webapp.services.catalog import load_catalog


def test_clock_cli_sets_advances_and_resets_the_shared_test_clock(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["clock", "set", "2026-04-20T08:00"])
    assert result.exit_code == 0, result.output
    assert "2026-04-20T08:00:00+02:00 (test clock)" in result.output
    assert runner.invoke(args=["clock", "advance", "3d"]).output.startswith(
        "2026-04-23T08:00:00+02:00")
    assert runner.invoke(args=["clock", "advance", "8h"]).output.startswith(
        "2026-04-23T16:00:00+02:00")
    db.session.expire_all()
    assert clock.today() == dt.date(2026, 4, 23)
    assert runner.invoke(args=["clock", "advance", "soon"]).exit_code != 0
    assert "wall clock" in runner.invoke(args=["clock", "reset"]).output


def test_clock_daylight_saving_is_kept_in_oslo_time(app):
    app.test_cli_runner().invoke(args=["clock", "set", "2026-03-28T08:00"])
    app.test_cli_runner().invoke(args=["clock", "advance", "1d"])
    db.session.expire_all()
    # 24 hours after 08:00 CET on the day before summer time is 09:00 CEST.
    assert clock.local(clock.now()).strftime("%H:%M %Z") == "09:00 CEST"


def test_clock_test_clock_is_refused_when_not_allowed(app):
    app.config["TEST_CLOCK_ALLOWED"] = False
    try:
        result = app.test_cli_runner().invoke(args=["clock", "set", "2026-04-20T08:00"])
        assert result.exit_code != 0 and "not allowed" in result.output
    finally:
        app.config["TEST_CLOCK_ALLOWED"] = True


def test_clock_operator_page_sets_the_clock(client, app, log_in_operator):

    log_in_operator(client)
    response = client.post("/operator/clock", data={"moment": "2026-04-20T08:00"})
    assert response.status_code == 303
    assert clock.local(clock.now()) == dt.datetime(2026, 4, 20, 8, 0, tzinfo=clock.OSLO)
    bad = client.post("/operator/clock", data={"advance": "tomorrow"})
    assert bad.status_code == 422 and "3d" in bad.get_data(as_text=True)


def test_catalog_loads_from_the_data_file_idempotently(app):
    load_catalog()
    load_catalog()
    db.session.commit()
    import json
    from pathlib import Path

    listed = json.loads((Path(__file__).parents[2] / "webapp/catalog.json").read_text())["items"]
    assert db.session.scalar(select(func.count()).select_from(CatalogItem)) == len(listed) >= 16
    assert db.session.scalar(select(func.count()).select_from(VolumeBand)) == 5
    enterprise = db.session.scalar(select(CatalogItem).where(CatalogItem.code ==
                                                             "office-enterprise"))
    assert enterprise.price_ore == 44900 and enterprise.per_user


def test_jobs_run_command_runs_every_job(app):
    result = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert result.exit_code == 0
    assert "activation_reminders: 0" in result.output and "deliver_mail: 0" in result.output


def test_r_shop_3_a_price_change_in_the_catalog_reaches_the_live_price(client):
    from webapp.services.catalog import catalog_changed

    url = "/order/price?product=office-enterprise&users=1&billing_interval=quarterly"
    assert "kr\u00a0449,00" in client.get(url).get_data(as_text=True)
    enterprise = db.session.scalar(select(CatalogItem).where(CatalogItem.code ==
                                                             "office-enterprise"))
    enterprise.price_ore = 47900
    catalog_changed()
    db.session.commit()
    assert "kr\u00a0479,00" in client.get(url).get_data(as_text=True)


def test_migrations_match_the_models(app):
    """`flask db check`: the migrations create exactly the tables the models describe."""
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
