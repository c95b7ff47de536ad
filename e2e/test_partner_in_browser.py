"""An accounting firm in real Chromium: a customer agreement with the company wizard abandoned
and resumed, one person invited to two companies is one licence, a company moved to a new
agreement in the dialog; a collaboration for a new client, approved from the e-mail."""
import re

import pytest
from playwright.sync_api import expect

from e2e.browser import link, log_in, wait_for_mail
from webapp.services.demo import DEMO_PARTNER

pytestmark = pytest.mark.e2e


WIZARD = re.compile(r"/drafts/\d+/company$")


def nav(page, name):
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()


def next_step(page, step):
    """Go on, and wait for the next step's page before touching it (htmx boosts the form);
    an autosave still under way is let finish first."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.get_by_role("button", name="Neste").click()
    expect(page.locator('[aria-current="step"]')).to_have_text(step)


def create_company(page, name, postal_code=None):
    expect(page).to_have_url(WIZARD)  # the wizard is open, not the page before it
    page.get_by_label("Foretakets navn").fill(name)
    next_step(page, "Adresse")
    if postal_code:
        page.get_by_label("Postnummer").fill(postal_code)
    next_step(page, "Bekreft")
    page.get_by_role("button", name="Opprett selskap").click()
    expect(page.get_by_text(f"{name} er opprettet i kundeavtalen")).to_be_visible()


def invite(page, company, email):
    form = page.locator("#invite")
    form.get_by_label("Foretak").select_option(label=company)
    form.get_by_label("Fornavn").fill("Ola")
    form.get_by_label("Etternavn").fill("Nordmann")
    form.get_by_label("E-postadresse").fill(email)
    form.get_by_role("button", name="Inviter").click()
    expect(page.get_by_text(f"tilgang til {company}")).to_be_visible()


def test_partner_builds_an_agreement_invites_once_and_moves_a_company(page, demo_server, inbox):
    log_in(page, demo_server, DEMO_PARTNER["login_id"], DEMO_PARTNER)
    nav(page, "Kundeavtaler")
    page.get_by_label("Navn på kundeavtalen").fill("Bakerkjeden")
    page.get_by_label("Kundenummer").fill("10001")
    page.get_by_role("button", name="Opprett kundeavtale").click()
    # Straight on into the new-company wizard; abandoned after the first field.
    expect(page.get_by_role("heading", name="Nytt selskap i Bakerkjeden")).to_be_visible()
    page.get_by_label("Foretakets navn").fill("Baker Nord AS")
    page.get_by_role("button", name="Fullfør senere").click()
    expect(page.get_by_text("Lagret. Fortsett å opprette selskapet")).to_be_visible()
    nav(page, "Kundeavtaler")
    # Resumed later from the list, with what was typed.
    resume = page.get_by_role("link", name="Fortsett å opprette Baker Nord AS")
    page.goto(demo_server + resume.get_attribute("href"))  # a full load: nothing left to settle
    expect(page).to_have_url(WIZARD)
    expect(page.get_by_label("Foretakets navn")).to_have_value("Baker Nord AS")
    next_step(page, "Adresse")
    page.get_by_label("Postnummer").fill("5003")
    next_step(page, "Bekreft")
    expect(page.get_by_text("BERGEN")).to_be_visible()
    page.get_by_role("button", name="Opprett selskap").click()
    expect(page.get_by_text("Baker Nord AS er opprettet i kundeavtalen")).to_be_visible()
    page.get_by_role("button", name="Nytt selskap").click()
    create_company(page, "Baker Sør AS")

    invite(page, "Baker Nord AS", "ola@bakerkjeden.example")
    invite(page, "Baker Sør AS", "ola@bakerkjeden.example")
    expect(page.locator("dd[data-licences]")).to_have_text("1")
    expect(page.get_by_text("fortsatt én lisens i denne kundeavtalen")).to_be_visible()
    welcome = wait_for_mail(inbox, "ola@bakerkjeden.example", "Velkommen")
    assert "/password/set/" in link(welcome, "/password/set/")
    wait_for_mail(inbox, "ola@bakerkjeden.example", "tilgang til Baker Sør AS")

    # Move Baker Sør to a new agreement, in the dialog.
    page.get_by_role("link", name="Flytt selskap Baker Sør AS").click()
    dialog = page.locator("#dialog")
    expect(dialog.get_by_role("heading", name="Flytt Baker Sør AS")).to_be_visible()
    dialog.get_by_label("En ny kundeavtale").check()
    dialog.get_by_role("button", name="Flytt selskap").click()
    expect(dialog.get_by_text("Gi den nye avtalen et navn")).to_be_visible()
    dialog.get_by_label("Navn på den nye kundeavtalen").fill("Baker Sør")
    dialog.get_by_label("Kundenummer").fill("10002")
    dialog.get_by_role("button", name="Flytt selskap").click()
    expect(page.get_by_text("Baker Sør AS er flyttet til Baker Sør fra i dag")).to_be_visible()
    expect(page.get_by_role("heading", name="Baker Sør", exact=True)).to_be_visible()
    expect(page.locator("dd[data-licences]")).to_have_text("1")
    nav(page, "Kundeavtaler")
    row = page.locator("#agreements tr", has_text="Bakerkjeden")
    expect(row.locator("[data-licences]")).to_have_text("1")
    expect(page.locator("table.moves")).to_contain_text("Rita Revisor")


def test_partner_activates_a_collaboration_and_the_client_approves_from_the_mail(
        browser, page, demo_server, inbox):
    log_in(page, demo_server, DEMO_PARTNER["login_id"], DEMO_PARTNER)
    nav(page, "Klienter")
    page.get_by_label("Foretakets navn").fill("Kafé Sentrum AS")
    page.get_by_label("Organisasjonsnummer").fill("912 360 113")
    page.get_by_label("E-postadresse").fill("post@kafe.example")
    page.get_by_role("button", name="Legg til klient").click()
    expect(page.get_by_role("heading", name="Kafé Sentrum AS")).to_be_visible()
    # Without an assignment there is no collaboration.
    page.get_by_role("button", name="Aktiver").click()
    expect(page.get_by_text("uten oppgave kan et samarbeid ikke aktiveres").first) \
        .to_be_visible()
    page.locator("#assignment-form").get_by_label("Oppgave").fill("Løpende bokføring 2026")
    page.get_by_role("button", name="Legg til oppgave").click()
    expect(page.get_by_text("Oppgaven er lagt til.")).to_be_visible()
    page.locator("#activate-form").get_by_label("Oppgave").select_option(
        label="Løpende bokføring 2026")
    page.get_by_label("Kvitt Regnskap Smart").check()
    page.get_by_label("Vårt byrå").check()
    page.get_by_label("3 måneder").check()
    contact = page.locator("fieldset", has_text="Obligatorisk kontaktperson")
    contact.get_by_label("Fornavn").fill("Kari")
    contact.get_by_label("Etternavn").fill("Kafé")
    contact.get_by_label("E-postadresse").fill("kari@kafe.example")
    page.get_by_role("button", name="Aktiver").click()
    expect(page.get_by_text("Samarbeidet venter på at")).to_be_visible()
    expect(page.locator("[data-status]")).to_have_text("Venter på kundens godkjenning")

    invitation = wait_for_mail(inbox, "kari@kafe.example", "inviterer Kafé Sentrum AS")
    welcome = wait_for_mail(inbox, "kari@kafe.example", "Velkommen")
    client = browser.new_context(locale="nb-NO").new_page()
    # The link alone approves nothing: the client's administrator logs in first.
    client.goto(link(invitation, "/collaboration/approve/"))
    expect(client.get_by_label("Kunde-ID")).to_be_visible()
    client.goto(link(welcome, "/password/set/"))
    client.get_by_label("Nytt passord").fill("kari-sitt-passord")
    client.get_by_label("Gjenta passordet").fill("kari-sitt-passord")
    client.get_by_role("button", name="Lagre passord").click()
    expect(client.get_by_role("button", name="Logg ut")).to_be_visible()
    client.goto(link(invitation, "/collaboration/approve/"))
    expect(client.get_by_text("Kvitt Regnskap Smart")).to_be_visible()
    expect(client.locator("dd[data-members]")).to_contain_text("i brukergruppen Regnskapsfører")
    # The terms are accepted, not only the button pressed.
    client.get_by_role("button", name="Godkjenn").click()
    expect(client.get_by_text("Godta vilkårene for å godkjenne samarbeidet.")).to_be_visible()
    client.get_by_label("Jeg godtar vilkårene for samarbeidet").check()
    client.get_by_role("button", name="Godkjenn").click()
    expect(client.get_by_role("heading", name="Samarbeidet er godkjent")).to_be_visible()
    # The link works once.
    client.goto(link(invitation, "/collaboration/approve/"))
    expect(client.get_by_role("heading", name="Samarbeidet er allerede godkjent")).to_be_visible()

    page.reload()
    expect(page.locator("[data-status]")).to_have_text("Aktiv")
    # The firm's user works in the client's company: switched from the header.
    page.get_by_label("Foretak", exact=True).select_option(label="Kafé Sentrum AS")
    page.get_by_role("button", name="Bytt selskap").click()
    expect(page.get_by_text("Du arbeider nå i Kafé Sentrum AS.")).to_be_visible()
    expect(page.get_by_role("heading", name="Kafé Sentrum AS")).to_be_visible()
    page.get_by_role("link", name="Fakturaer", exact=True).click()
    expect(page.get_by_role("heading", name="Fakturaer")).to_be_visible()

    # The client ends it under Admin; the firm's user loses the company the same day.
    client.goto(demo_server + "/admin/users")
    client.get_by_role("link", name="Regnskapsførere").click()
    expect(client.locator("dd[data-members]")).to_contain_text("Rita")
    client.once("dialog", lambda dialog: dialog.accept())
    client.get_by_role("button", name="Avslutt samarbeid").click()
    expect(client.get_by_text("firmaets brukere har ikke lenger tilgang")).to_be_visible()
    page.goto(demo_server + "/portal/")
    expect(page.get_by_label("Foretak", exact=True)).to_have_count(0)
