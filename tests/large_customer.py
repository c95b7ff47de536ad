"""A large customer for the list-page tests and bench/pages.py, written in bulk."""
from __future__ import annotations

import datetime as dt


def seed_large_customer(now: dt.datetime, *, invoices: int, users: int, agreements: int,
                        mails: int = 0) -> None:
    """The demo data, and the demo customer (Fjordkaffe AS) with many invoices, users and
    agreements, written in bulk."""
    from sqlalchemy import insert, select

    from webapp.extensions import db
    from webapp.models import (
        Company,
        CustomerAgreement,
        Employee,
        Invoice,
        Membership,
        OutboxMail,
        User,
        UserGroup,
    )
    from webapp.services.billing import vendor_company
    from webapp.services.demo import seed_demo_data

    seed_demo_data()
    db.session.commit()
    company = db.session.scalar(select(Company).where(Company.name == "Fjordkaffe AS"))
    vendor = vendor_company()
    group_id = db.session.scalar(select(UserGroup.id).where(
        UserGroup.company_id == company.id, UserGroup.key == "users"))
    today = now.date()
    rows = [{"company_id": company.id, "username": f"bruker{n}", "username_key": f"bruker{n}",
             "first_name": f"Bruker{n:05d}", "last_name": "Hansen",
             "email": f"bruker{n}@fjordkaffe.example", "created_at": now}
            for n in range(users)]
    db.session.execute(insert(User), rows)
    user_ids = db.session.scalars(select(User.id).where(User.company_id == company.id,
                                                        User.username.like("bruker%"))).all()
    db.session.execute(insert(Employee), [
        {"company_id": company.id, "user_id": user_id, "first_name": f"Bruker{n:05d}",
         "last_name": "Hansen", "email": f"bruker{n}@fjordkaffe.example"}
        for n, user_id in enumerate(user_ids)])
    db.session.execute(insert(Membership), [
        {"user_id": user_id, "company_id": company.id, "user_group_id": group_id}
        for user_id in user_ids])
    for n in range(agreements):
        agreement = CustomerAgreement(name=f"Avtale {n}", customer_number=str(1000 + n),
                                      owner_company_id=company.id,
                                      invoice_recipient_id=company.id,
                                      invoice_email="faktura@fjordkaffe.example",
                                      billing_interval="annual", created_at=now)
        db.session.add(agreement)
        db.session.flush()
        db.session.add(Company(login_id=str(300000 + n), name=f"Datter {n} AS",
                               agreement_id=agreement.id, created_at=now))
    db.session.execute(insert(Invoice), [
        {"seller_company_id": vendor.id, "number": 10_000 + n, "kind": "invoice",
         "agreement_id": company.agreement_id, "buyer_name": company.name,
         "buyer_email": company.email, "invoice_date": today - dt.timedelta(days=n % 700),
         "due_date": today - dt.timedelta(days=n % 700 - 14), "send_at": now,
         "kid": f"{10_000 + n}", "net_ore": 100_000, "vat_ore": 25_000, "total_ore": 125_000,
         "paid_ore": 0 if n % 10 == 0 else 125_000, "credited_ore": 0, "created_at": now}
        for n in range(invoices)])
    if mails:
        db.session.execute(insert(OutboxMail), [
            {"message_id": f"<bench-{n}@kvitt>", "kind": "invoice",
             "to_address": f"kunde{n}@example.com", "subject": f"Faktura {n}",
             "body_text": "…", "status": "sent", "created_at": now, "next_attempt_at": now,
             "sent_at": now}
            for n in range(mails)])
    db.session.commit()
