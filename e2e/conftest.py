"""Browser tests: a real Kvitt server process, real Chromium, a real SMTP server on loopback."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.mail_server import Inbox, free_port

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("KVITT_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


@pytest.fixture
def server(inbox, tmp_path):
    """Start Kvitt as `scripts/run` does (migrations, catalog, scheduler) on a free port."""
    yield from start_server(inbox, tmp_path)


@pytest.fixture
def demo_server(inbox, tmp_path):
    """Kvitt with the demo data, its customer activated on 20 April 2026 (test clock)."""
    yield from start_server(inbox, tmp_path, before=[["clock", "set", "2026-04-20T10:00"],
                                                     ["seed-demo"]])


def start_server(inbox, tmp_path, before=()):
    """The README's run command (gunicorn and its scheduler process), in development mode for
    the test clock, without demo data unless `before` loads it."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'kvitt.sqlite'}",
           "MAIL_URL": f"smtp://127.0.0.1:{inbox.port}", "KVITT_SCHEDULER_INTERVAL": "1",
           "KVITT_ENV": "development", "SECRET_KEY": "e2e-secret", "KVITT_DEMO": "0",
           "PORT": str(port), "WEB_CONCURRENCY": "2",
           "PUBLIC_URL": f"http://127.0.0.1:{port}", "FLASK_APP": "webapp"}
    flask = [sys.executable, "-m", "flask"]
    subprocess.run(flask + ["db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(flask + ["catalog", "load"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    for command in before:
        subprocess.run(flask + command, env=env, cwd=ROOT, check=True, capture_output=True)
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(["bash", str(ROOT / "scripts" / "run")], env=env, cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # 200: scheduler ticking too
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError((tmp_path / "server.log").read_text())
    yield base
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # a loaded 2-core machine in CI is slower than 5 s

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="nb-NO")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


