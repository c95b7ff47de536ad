"""Helpers that order through the web shop's real views, as a browser would."""
from __future__ import annotations

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Order

COMPANY = {"company_name": "Bakeriet Lille AS", "contact_person": "Ingrid Hansen",
           "email": "ingrid@bakeriet.example", "phone": "912 34 567",
           "billing_interval": "annual", "employee_count": "7", "comment": ""}


def start_order(client, trial: bool = False, addons_only: bool = False) -> str:
    """Open the shop and send its first step as it comes (the draft begins with that POST);
    returns the draft's public id."""
    page = client.get("/order?addons=1" if addons_only else
                      "/order?trial=1" if trial else "/order")
    assert page.status_code == 200
    data = {"mode": "trial" if trial else "buy", "action": "next"}
    if addons_only:
        data.update(product="none", users="1")
    response = client.post("/order", data=data)
    assert response.status_code in (303, 422)
    with client.session_transaction() as session:
        return session["drafts"][-1]


def step_url(public_id: str, step: str) -> str:
    return f"/order/{public_id}/{step}"


def post_product(client, public_id, product="office-professional", users=3, addons=(),
                 mode="buy", **extra):
    data = {"mode": mode, "product": product, "users": str(users), "addons": list(addons),
            "action": "next", **extra}
    return client.post(step_url(public_id, "product"), data=data)


def post_company(client, public_id, **overrides):
    return client.post(step_url(public_id, "company"),
                       data={**COMPANY, "action": "next", **overrides})


def user_rows(*rows: dict) -> dict:
    data = {}
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"users-{index}-{name}"] = value
    return data


ADMIN = {"first_name": "Ingrid", "last_name": "Hansen", "email": "ingrid@bakeriet.example",
         "username": "ingrid", "user_group": "administrators"}
SECOND = {"first_name": "Per", "last_name": "Olsen", "email": "per@bakeriet.example",
          "username": "per", "user_group": "users"}


def post_users(client, public_id, *rows, action="next"):
    return client.post(step_url(public_id, "users"), data={**user_rows(*rows), "action": action})


def post_terms(client, public_id, accept=True):
    data = {"action": "next"}
    if accept:
        data["accept"] = "y"
    return client.post(step_url(public_id, "terms"), data=data)


def order_through(client, trial=False, users=(ADMIN, SECOND), company=None, **product) -> Order:
    """Walk all four steps and confirm; return the submitted order."""
    public_id = start_order(client, trial=trial)
    assert post_product(client, public_id, mode="trial" if trial else "buy",
                        **product).status_code == 303
    assert post_company(client, public_id, **(company or {})).status_code == 303
    assert post_users(client, public_id, *users).status_code == 303
    assert post_terms(client, public_id).status_code == 303
    return db.session.scalar(select(Order).where(Order.public_id == public_id))


PASSWORD = "ingrid-passord"  # what the first user (Ingrid) sets from the welcome mail


def log_in_orderer(client, order, password=PASSWORD):
    """Ingrid, who ordered, logs in (the answer is returned: a refusal is a result too)."""
    return client.post("/login", data={"login_id": order.company.login_id,
                                       "username": "ingrid", "password": password})
