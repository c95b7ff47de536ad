"""A hostile client: walks the URL map as one role, learns each form's fields from the pages,
and sends hypothesis-made hostile values to every form field, query argument and id in a path.
What it reports is every answer of 500 or more and every exception, with what caused it."""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

import lxml.html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing.converters import AnyConverter, NumberConverter

# Values an attacker or a confused browser sends: control characters, numbers no column
# holds, dates no calendar has, formulas, markup, header injection, very long text.
HOSTILE_TEXT = [
    "", " ", "\x00", "a\x00b", "\x01\x02\x1f\x7f", "\t", "\r\n", "99999999999999999999999",
    "-99999999999999999999", "9" * 400, "1e309", "-1e309", "NaN", "inf", "-inf", "-1", "0",
    "0.000000001", "1,5", "1.5", "kr 100", "²", "١٢٣", "½", "=cmd|' /C calc'!A0", "+1+1",
    "-2+3", "@SUM(A1)", "<script>alert(1)</script>", "\"><svg onload=alert(1)>",
    "' OR 1=1 --", "\\", "../../etc/passwd", "%00", "%", "{{7*7}}", "${7*7}", "a" * 5000,
    "x" * 100_000, "\u202e", "\ufeff", "🧾" * 10, "2026-02-30", "99999-01-01", "0000-00-00",
    "1900-01-01", "9999-12-31", "31.12.9999", "99999999d", "-5d", "1d", "remove-²", "on",
    "true", "null", "None", "[]", "{}", "x@y\r\nBcc: z@example.com", "ø@æ.å", "\x85\u2028",
    "nb", "en", "zz", "//evil.example", "https://evil.example", "javascript:alert(1)",
]


def hostile_values() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT),
        st.text(max_size=40),
        st.integers(min_value=-(10 ** 30), max_value=10 ** 30).map(str),
        st.dates(min_value=__import__("datetime").date(1, 1, 1)).map(str),
        st.builds(lambda chars: "".join(chars), st.lists(
            st.characters(max_codepoint=0x9f, categories=("Cc",)), min_size=1, max_size=5)),
    )


def file_part() -> st.SearchStrategy:
    """A file where a text field was expected (or a file field with odd content)."""
    return st.builds(lambda data, name: (io.BytesIO(data), name),
                     st.binary(max_size=300), st.sampled_from(["a.txt", "x.xml", "", "\x00.csv"]))


@dataclass
class Target:
    """One thing to send: a form (method, path, fields with their usual values)."""
    method: str
    path: str
    fields: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    files: set = field(default_factory=set)


@dataclass
class Finding:
    where: str
    what: str
    value: str

    def __str__(self):
        return f"{self.where}: {self.what} ← {self.value[:120]!r}"


SKIP_PATHS = ("/logout", "/static/")


class Walker:
    """Crawls the pages one client can see and remembers their forms and query arguments."""

    def __init__(self, app, client, start: list[str], limit: int = 120,
                 scope: tuple[str, ...] = ("/",)):
        self.app, self.client, self.start, self.limit = app, client, start, limit
        self.scope = scope  # the paths this role walks (another role walks the rest)
        self.targets: dict[tuple, Target] = {}
        self.pages: dict[str, set] = {}   # path → query argument names seen
        self.path_values: dict[tuple, str] = {}  # (endpoint, argument) → a value seen

    def endpoint(self, method: str, path: str):
        adapter = self.app.url_map.bind("kvitt.test")
        try:
            return adapter.match(path, method=method)
        except HTTPException:
            return None, {}
        except Exception:  # noqa: BLE001  (a redirect for a missing slash)
            return None, {}

    def crawl(self) -> None:
        queue, seen = list(self.start), set()
        while queue and len(seen) < self.limit:
            url = queue.pop(0)
            split = urlsplit(url)
            if split.netloc and split.netloc != "kvitt.test":
                continue
            key = (split.path, tuple(sorted(k for k, _ in parse_qsl(split.query))))
            if key in seen or split.path.startswith(SKIP_PATHS) or (
                    url not in self.start and not split.path.startswith(self.scope)):
                continue
            seen.add(key)
            self._remember_page(split.path, split.query)
            response = self.client.get(url)
            if response.status_code in (301, 302, 303):
                queue.append(response.headers["Location"])
                continue
            if "text/html" not in response.content_type:
                continue
            document = lxml.html.fromstring(response.get_data(as_text=True) or "<p/>")
            for link in document.xpath("//a/@href"):
                queue.append(link)
            self._remember_forms(document, split.path)

    def _remember_page(self, path: str, query: str) -> None:
        endpoint, arguments = self.endpoint("GET", path)
        if endpoint is None:
            return
        for name, value in arguments.items():
            self.path_values.setdefault((endpoint, name), str(value))
        self.pages.setdefault(path, set()).update(k for k, _ in parse_qsl(query))

    def _remember_forms(self, document, page_path: str) -> None:
        for element in document.xpath("//form | //*[@hx-post] | //*[@hx-get]"):
            form = element if element.tag == "form" else next(
                (a for a in element.iterancestors("form")), element)
            if element.get("hx-post") or element.get("hx-get"):
                method = "POST" if element.get("hx-post") else "GET"
                action = element.get("hx-post") or element.get("hx-get")
            else:
                method = (form.get("method") or "GET").upper()
                action = form.get("action") or page_path
            split = urlsplit(action)
            path = split.path or page_path
            if path.startswith(SKIP_PATHS) or not path.startswith(self.scope):
                continue
            fields, files = {}, set()
            for control in form.xpath(".//input | .//select | .//textarea | .//button"):
                name = control.get("name")
                if not name or name in fields:
                    continue
                kind = (control.get("type") or "").lower()
                if kind == "file":
                    files.add(name)
                    fields[name] = ""
                elif control.tag == "select":
                    options = control.xpath(".//option/@value")
                    fields[name] = options[-1] if options else ""
                elif kind in ("checkbox", "radio") and not control.get("checked"):
                    fields.setdefault(name, control.get("value") or "on")
                else:
                    fields[name] = control.get("value") or control.text or ""
            query = dict(parse_qsl(split.query))
            key = (method, path, tuple(sorted(fields)))
            if method == "GET":
                self.pages.setdefault(path, set()).update(fields)
                self.pages[path].update(query)
            self.targets.setdefault(key, Target(method, path, fields, query, files))
            self._remember_page(path, split.query)


class Fuzzer:
    """Sends hostile values; collects findings instead of stopping at the first."""

    def __init__(self, app, client, examples: int, relogin, caplog, path_examples: int = 50):
        self.app, self.client, self.examples, self.relogin = app, client, examples, relogin
        self.path_examples = path_examples
        self.caplog = caplog
        self.findings: list[Finding] = []
        self.requests = 0

    def _send(self, where: str, method: str, url: str, data=None, htmx=False, shown=""):
        headers = {"HX-Request": "true"} if htmx else {}
        self.caplog.clear()
        self.requests += 1
        try:
            response = self.client.open(url, method=method, data=data, headers=headers,
                                        content_type="multipart/form-data" if data else None)
        except Exception as error:  # noqa: BLE001  (everything an attacker can provoke)
            self.findings.append(Finding(where, f"{type(error).__name__}: {error}"[:300], shown))
            return None
        if response.status_code >= 500:
            self.findings.append(Finding(where, f"status {response.status_code}", shown))
        errors = [r for r in self.caplog.records if r.levelno >= logging.ERROR]
        if errors:
            self.findings.append(Finding(where, f"logged: {errors[0].getMessage()[:200]}", shown))
        return response

    def _run(self, strategy, test, examples: int | None = None) -> None:
        @settings(max_examples=examples or self.examples, deadline=None, database=None,
                  derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        def run(example):
            test(example)
        run()

    def form(self, target: Target) -> None:
        """Every field at once: each either its usual value, a hostile one or a file part."""
        self.relogin()
        names = sorted(target.fields)
        if not names:
            names = ["action", "name", "amount", "id"]
        choice = st.fixed_dictionaries({name: st.one_of(
            st.just(target.fields.get(name, "")), hostile_values(), file_part()
            if name not in target.files else file_part()) for name in names})

        def test(values):
            if target.method == "GET":
                query = {**target.query, **{k: v for k, v in values.items()
                                            if isinstance(v, str)}}
                url = target.path + "?" + urlencode(query)
                self._send(f"GET {target.path}", "GET", url, htmx=True, shown=url)
            else:
                url = target.path + ("?" + urlencode(target.query) if target.query else "")
                shown = repr({k: (v if isinstance(v, str) else "<file>")
                              for k, v in values.items()})
                self._send(f"POST {target.path}", "POST", url, data=values,
                           htmx=len(shown) % 2 == 0, shown=shown)
        self._run(choice, test)

    def query_argument(self, path: str, name: str, others: set) -> None:
        self.relogin()

        def test(value):
            query = {other: "1" for other in others if other != name}
            query[name] = value
            url = path + "?" + urlencode(query)
            self._send(f"GET {path}?{name}=", "GET", url, htmx=len(value) % 2 == 1, shown=url)
        self._run(hostile_values(), test)

    def path_argument(self, rule, values: dict, name: str) -> None:
        """An id or a word in the path itself: huge numbers, words where a converter allows."""
        converter = rule._converters[name]
        self.relogin()

        def test(value):
            built = {**values, name: value}
            try:
                url = rule.build(built, append_unknown=False)[1]
            except Exception:  # noqa: BLE001  (the converter refuses it: no URL to send)
                return
            for method in sorted({"GET", "POST"} & rule.methods):
                self._send(f"{method} {rule.rule} [{name}]", method, url, shown=url)
        if isinstance(converter, NumberConverter):
            strategy = st.one_of(st.integers(min_value=0, max_value=10 ** 40),
                                 st.sampled_from([2 ** 63, 2 ** 63 - 1, 2 ** 31, 2 ** 64]))
        elif isinstance(converter, AnyConverter):
            return
        else:
            strategy = hostile_values().filter(lambda v: v and "/" not in v)
        self._run(strategy, test, self.path_examples)
