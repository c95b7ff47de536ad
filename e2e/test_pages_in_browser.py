"""Every page of every role, in bokmål and English, on a phone (390 px) and a wide screen
(1280 px), in real Chromium: no sideways scrolling, no WCAG 2.1 A/AA violation found by
axe-core, no console error, and no 4xx/5xx for the page's own assets and links."""
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from e2e.browser import log_in
from webapp.services.demo import DEMO_ADMIN, DEMO_PARTNER, OPERATOR

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (390, 1280)
LANGUAGES = ("nb", "en")
PAGES_PER_ROLE = 30
# Links that act (log out) or download rather than show a page.
NOT_WALKED = ("/logout", "/static/", ".pdf", ".xml", ".xlsx", ".csv", ".txt")
ROLES = {
    "anonymous": (None, None, ["/", "/order", "/order?trial=1", "/login", "/password/forgot",
                               "/guide", "/support", "/quote",
                               "/order?product=efaktura-basic"]),
    "customer": ("100002", DEMO_ADMIN, ["/portal/"]),
    "partner": ("100003", DEMO_PARTNER, ["/partner/clients", "/partner/collaborations"]),
    "operator": ("100001", OPERATOR, ["/operator/"]),
}


def _same_site(server: str, href: str) -> str | None:
    url = urljoin(server + "/", href)
    split = urlsplit(url)
    if split.netloc != urlsplit(server).netloc or split.path.startswith(NOT_WALKED) or \
            split.path.endswith(NOT_WALKED):
        return None
    return split.path + (f"?{split.query}" if split.query else "")


def _walk(page, server: str, start: list[str]) -> list[str]:
    """The pages this role reaches by following links from its start pages."""
    queue, seen = list(start), []
    while queue and len(seen) < PAGES_PER_ROLE:
        path = queue.pop(0)
        if path in seen:
            continue
        response = page.goto(server + path)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        seen.append(path)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => "
                                              "a.getAttribute('href'))"):
            target = _same_site(server, href)
            if target and target.split("?")[0] not in {p.split("?")[0] for p in seen}:
                queue.append(target.replace("?lang=en", "").replace("?lang=nb", ""))
    return seen


# Text a reader should never see: Python's None, a format left unfilled, a template tag.
RAW_TEXT = re.compile(r"\bNone\b|%\(\w+\)s|\{\{|\{%|\bnan\b|Traceback")
# Words that only appear in a page that shows bokmål to an English reader.
BOKMAL_IN_ENGLISH = re.compile(r"\b(brukere|Rabatt for|fakturering|Hver|Kreditert beløp)\b")


def _check(page, server: str, path: str, problems: list, checked_links: dict,
           failed_responses: list, language: str) -> None:
    before = len(failed_responses)
    page.goto(server + path)
    page.wait_for_load_state("networkidle")
    text = page.inner_text("main")
    # English pages say "None (add-ons only)" and "None yet" in their own words.
    shown = text if language == "nb" else text.replace("None", "")
    raw = RAW_TEXT.search(shown)
    if raw:
        problems.append(f"{path} ({language}): raw text in "
                        f"{shown[max(0, raw.start() - 60):raw.end() + 30]!r}")
    if language == "en" and BOKMAL_IN_ENGLISH.search(text):
        problems.append(f"{path} (en): bokmål {BOKMAL_IN_ENGLISH.search(text).group(0)!r}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"{path}: {overflow} px wider than the screen")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return result.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' '))
            .slice(0, 3).join(', '));
    }""")
    problems.extend(f"{path}: axe {violation}" for violation in violations)
    problems.extend(f"{path}: asset {failure}" for failure in failed_responses[before:])
    for href in page.eval_on_selector_all("a[href]", "ls => ls.map(a => a.getAttribute('href'))"):
        target = _same_site(server, href)
        # A language link would switch the browser's session language (the page itself is
        # checked in both languages).
        if target is None or target in checked_links or "lang=" in target:
            continue
        checked_links[target] = page.request.get(server + target, max_redirects=5).status
        if checked_links[target] >= 400:
            problems.append(f"{path}: link {target} answers {checked_links[target]}")


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_fits_a_phone_and_a_wide_screen_in_both_languages(browser, demo_server,
                                                                       role):
    login_id, who, start = ROLES[role]
    problems, console_errors, failed_responses = [], [], []
    for width in WIDTHS:
        # axe-core is injected as an inline script, which the pages' policy forbids: this
        # context lets the test's own script in (the other browser tests run with the policy).
        context = browser.new_context(viewport={"width": width, "height": 800},
                                      bypass_csp=True)
        page = context.new_page()
        page.on("console", lambda message, width=width, page=page: console_errors.append(
            f"{width}px {page.url}: {message.text}") if message.type == "error" else None)
        page.on("pageerror", lambda error, page=page: console_errors.append(
            f"{page.url}: {error}"))
        page.on("response", lambda response: failed_responses.append(
            f"{response.status} {response.url}") if response.status >= 400
            and response.url.startswith(demo_server) else None)
        if who is not None:  # on a phone the log-out button is behind the menu
            log_in(page, demo_server, login_id, who, succeeds=False)
            page.wait_for_url(lambda url: "/login" not in url)
        paths = _walk(page, demo_server, start)
        assert len(paths) >= min(3, len(start)), paths
        checked_links: dict[str, int] = {}
        for language in LANGUAGES:
            page.goto(f"{demo_server}{start[0]}{'&' if '?' in start[0] else '?'}lang={language}")
            for path in paths:
                _check(page, demo_server, path, problems, checked_links, failed_responses,
                       language)
        context.close()
    assert not console_errors, console_errors
    assert not problems, "\n".join(problems)
