"""No 500 for any input (issue: hostile input): each role's pages are walked, and every form,
query argument and id in a path gets hypothesis-made hostile values. Nothing may answer 500,
raise, or log an error."""
import datetime as dt
import os

import pytest
from sqlalchemy import select

from tests.billing_setup import sales_subscription
from tests.fuzzing import Fuzzer, Walker
from tests.shopping import post_company, post_product, start_order, step_url
from webapp import clock
from webapp.extensions import db
from webapp.models import Company, User
from webapp.services import collaboration
from webapp.services.demo import DEMO_ADMIN, DEMO_PARTNER, OPERATOR, seed_demo_data

EXAMPLES = int(os.environ.get("KVITT_FUZZ_EXAMPLES", "200"))
GLOBAL_ARGUMENTS = {"lang"}
# Each role, where its walk starts and the part of the site it walks (the partner's own
# portal is the customer's, walked once).
CUSTOMER = (DEMO_ADMIN, ["/portal/", "/admin/sales/frequencies", "/admin/agreements"], ("/",))
ROLES = {
    "anonymous": (None, ["/", "/order", "/login", "/password/forgot", "/guide", "/support",
                         "/order/price", "/postal-code"], ("/",)),
    "customer": CUSTOMER,
    "partner": (DEMO_PARTNER, ["/partner/clients", "/partner/collaborations"], ("/partner",)),
    "operator": (OPERATOR, ["/operator/"], ("/operator",)),
}
# The customer's share is the largest: the same walk is fuzzed in four parts (the paths they
# start with, but not those of another part), so that they can run side by side.
PARTS = {
    "all": (("/",), ()),
    "portal": (("/portal",), ()),
    "admin": (("/admin",), ("/admin/sales",)),
    "sales": (("/admin/sales",), ()),
    "elsewhere": (("/",), ("/portal", "/admin")),
}
CASES = [("anonymous", "all"), ("customer", "portal"), ("customer", "admin"),
         ("customer", "sales"), ("customer", "elsewhere"), ("partner", "all"),
         ("operator", "all")]


@pytest.fixture
def demo_world(app, run_jobs):
    clock.set_test_clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=clock.OSLO))
    seed_demo_data()
    db.session.commit()
    fjordkaffe = db.session.scalar(select(Company).where(Company.name == "Fjordkaffe AS"))
    sales_subscription(fjordkaffe, [("Kaffe", 2, 12_500, 25, "S")], dt.date(2026, 3, 3))
    firm = db.session.scalar(select(Company).where(Company.name == "Regnskapshuset AS"))
    for name, number in (("Fjordkaffe AS", "916000006"), ("Ny Kunde AS", "912360113")):
        collaboration.add_client(firm, clock.now(), name=name, organisation_number=number,
                                 email="post@kunde.example", customer_number=number[-3:])
    db.session.commit()
    clock.set_test_clock(dt.datetime(2026, 3, 3, 9, 0, tzinfo=clock.OSLO))
    db.session.commit()
    run_jobs()


@pytest.mark.parametrize("role, part", CASES, ids=[f"{r}-{p}" for r, p in CASES])
def test_no_500_for_hostile_input(app, demo_world, role, part, caplog):
    who, start, scope = ROLES[role]
    inside, outside = PARTS[part]

    def in_part(path: str) -> bool:
        return path.startswith(inside) and not path.startswith(outside)

    client = app.test_client()

    def relogin():
        if who is None:
            return
        if client.get(start[0]).status_code == 200:
            return
        login_id = db.session.scalar(select(Company.login_id).join(
            User, User.company_id == Company.id).where(User.username == who["username"]))
        client.post("/login", data={**who, "login_id": login_id})

    relogin()
    if who is None:  # a draft in this browser: the shop's later steps are walked too
        public_id = start_order(client)
        post_product(client, public_id)
        post_company(client, public_id)
        start = start + [step_url(public_id, "users"), step_url(public_id, "terms")]
    walker = Walker(app, client, start, scope=scope)
    walker.crawl()
    fuzzer = Fuzzer(app, client, EXAMPLES, relogin, caplog)
    for target in walker.targets.values():
        if in_part(target.path):
            fuzzer.form(target)
    global_done = set()
    for path, names in walker.pages.items():
        if not in_part(path):
            continue
        for name in sorted(names):
            if name in GLOBAL_ARGUMENTS:  # read before any view: once per role is enough
                if name in global_done:
                    continue
                global_done.add(name)
            fuzzer.query_argument(path, name, names)
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not rule.rule.startswith(scope) \
                or not in_part(rule.rule):
            continue
        values = {name: walker.path_values.get((rule.endpoint, name), "1")
                  for name in rule.arguments}
        for name in rule.arguments:
            fuzzer.path_argument(rule, values, name)
    report = "\n".join(sorted({str(f) for f in fuzzer.findings}))
    print(f"{role}-{part}: {sum(in_part(t.path) for t in walker.targets.values())} forms, "
          f"{sum(len(names) for path, names in walker.pages.items() if in_part(path))} query "
          f"arguments, {fuzzer.requests} requests")
    assert not fuzzer.findings, f"{len(fuzzer.findings)} failures:\n{report}"
