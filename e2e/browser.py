"""What the browser tests do again and again, as a person at the keyboard would: log in, set
the operator's clock, walk the shop's later steps, wait for a mail, and wait for htmx."""
from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.mail_server import Inbox


def wait_for_mail(inbox: Inbox, to: str, subject_part: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in inbox.to(to):
            if subject_part in message["Subject"]:
                return message
        time.sleep(0.2)
    raise AssertionError(f"no mail to {to} with {subject_part!r}; got "
                         f"{[(m['To'], m['Subject']) for m in inbox.messages]}")


def link(message, path_part: str) -> str:
    return next(url for url in re.findall(r"https?://\S+", Inbox.body(message))
                if path_part in url)


def log_in(page, server, login_id, who, succeeds=True):
    page.goto(server + "/login")
    page.get_by_label("Kunde-ID").fill(login_id)
    page.get_by_label("Brukernavn").fill(who["username"])
    page.get_by_label("Passord").fill(who["password"])
    page.get_by_role("button", name="Logg inn").click()
    if succeeds:
        expect(page.get_by_role("button", name="Logg ut")).to_be_visible()


def set_clock(page, server, moment):
    page.goto(server + "/operator/clock")
    page.get_by_label("Still til (dato og tid)").fill(moment)
    page.get_by_role("button", name="Still klokken").click()
    expect(page.get_by_text("Klokken viser nå")).to_be_visible()


def fill_company(page):
    page.get_by_label("Foretakets navn").fill("Bakeriet Lille AS")
    page.get_by_label("Kontaktperson").fill("Ingrid Hansen")
    page.get_by_label("E-postadresse").fill("ingrid@bakeriet.example")
    page.get_by_label("Telefon").fill("912 34 567")


def add_second_user(page):
    page.get_by_role("button", name="Legg til bruker").click()
    row = page.locator("#user-1")
    expect(row).to_be_visible()
    # The new row arrives by a boosted swap; type only once htmx has settled it.
    page.wait_for_function("() => !document.querySelector('.htmx-settling, .htmx-request')")
    row.get_by_label("Fornavn").fill("Per")
    row.get_by_label("Fornavn").press("Tab")  # the username is suggested on change
    expect(row.get_by_label("Brukernavn")).to_have_value("per")
    row.get_by_label("Etternavn").fill("Olsen")
    row.get_by_label("E-postadresse").fill("per@bakeriet.example")


def hold_first_autosave(page, step: str) -> list:
    """A slow network: the step's first autosave waits until the test lets it go."""
    held = []

    def handle(route):
        if held:
            route.continue_()
        else:
            held.append(route)
    page.route(f"**/{step}/save", handle)
    return held


def confirm_after_product_step(page, late_company_autosave=False):
    """Steps 2–4 as a new customer: company, a second user, terms, confirm."""
    held = hold_first_autosave(page, "company") if late_company_autosave else []
    page.get_by_role("button", name="Neste").click()
    fill_company(page)
    page.get_by_role("button", name="Neste").click()
    if late_company_autosave:
        page.wait_for_timeout(500)  # long enough for "Next" to overtake it, were it sent
        assert "Bakeriet" in held[0].request.post_data and "912" not in held[0].request.post_data
        held[0].continue_()
    add_second_user(page)
    page.get_by_role("button", name="Neste").click()
    page.get_by_label("Jeg godtar vilkårene i lisensavtalen").check()
    page.get_by_role("button", name="Bekreft bestillingen").click()
    expect(page.get_by_role("heading", name="Takk for bestillingen")).to_be_visible()


def htmx_ready(page, selector: str) -> None:
    """Wait until htmx has taken charge of the element (its triggers are listening): typing
    into a form that a boosted swap has just put in place is otherwise lost."""
    page.wait_for_function(
        "(selector) => { const found = document.querySelector(selector);"
        " return !!(found && found['htmx-internal-data']); }", arg=selector)
