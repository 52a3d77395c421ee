"""Browser tests: one real server on a throw-away SQLite database, driven by Debian's chromium.

The server is a subprocess (`policydesk runserver`) on a free port of 127.0.0.1, with the demo
organisation loaded; the tests never touch the database themselves. pytest-django's live
server is not used: the audit table refuses DELETE, so it could not be flushed between tests.
Tests share that one server, so each signs in with users no other test changes.

Every page opened through `E2E.new_page` is watched: a console error, an uncaught script
error, a Content-Security-Policy violation or a request to a host other than 127.0.0.1 fails
the test that opened it.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import translation
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Request,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "PolicyDesk-demo-2026"
HOST = "127.0.0.1"
TOTP_STEP = 30  # seconds; django-otp's default, used by the demo devices

# Make CSP violations visible even if the browser only reported them to a report endpoint.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  console.error(`CSP violation: ${event.violatedDirective} blocked ${blocked}`);
});
"""

FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")

expect.set_options(timeout=10_000)


def _answers(host: str, port: int, path: str) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base_url: str
    env: dict[str, str]
    log_path: Path
    _otp_steps: dict[str, int] = field(default_factory=dict)

    def cli(self, *args: str, timeout: float = 180) -> str:
        """Run `policydesk ARGS` against the test database and return its output."""
        result = subprocess.run(
            [sys.executable, "-m", "policydesk.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(
                f"`policydesk {' '.join(args)}` failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def otp_code(self, username: str) -> str:
        """A TOTP code of a demo user that the server will still accept.

        django-otp refuses a code of a time step already used, so when this user verified a
        code in the current step (an earlier test), wait for the next step first.
        """
        while time.time() // TOTP_STEP <= self._otp_steps.get(username, -1):
            time.sleep(0.5)
        code = self.cli("demo", "otp-code", username).strip()
        self._otp_steps[username] = int(time.time() // TOTP_STEP)
        assert re.fullmatch(r"\d{6,8}", code), f"unexpected otp-code output {code!r}"
        return code

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


@pytest.fixture(scope="session")
def e2e_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("e2e-data")
    env = {
        **os.environ,
        "POLICYDESK_SQLITE_PATH": str(data_dir / "e2e.sqlite3"),
        "POLICYDESK_DATA_DIR": str(data_dir),
        "POLICYDESK_ENV": "development",
        # Production-like pages: the app's own 403/404/500 pages, not Django's debug pages.
        "POLICYDESK_DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "policydesk.settings",
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("DATABASE_URL", "POLICYDESK_SQLITE_TEST_PATH"):
        env.pop(name, None)
    port = _free_port()
    server = Server(f"http://{HOST}:{port}", env, data_dir / "server.log")
    server.cli("migrate", "--noinput")
    server.cli("setup")
    server.cli("demo", "load", timeout=900)  # population, enquiries and complaints

    log = server.log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "policydesk.cli", "runserver", f"{HOST}:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{server.log_tail()}")
            if _answers(HOST, port, "/accounts/login/"):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within 60 s:\n{server.log_tail()}")
            time.sleep(0.25)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(apt-get update && apt-get install -y chromium). "
            "Playwright is never allowed to download its own browser.",
            pytrace=False,
        )
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as playwright:
        # launch() gives every run a fresh temporary profile (user-data dir).
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Hygiene:
    """What the watched pages did wrong: console errors, script errors, foreign requests."""

    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    # (path, status) pairs a test expects a page to answer with, e.g. 403 for a refusal:
    # chromium logs each such document as "Failed to load resource" on the console.
    expected_statuses: set[tuple[str, int]] = field(default_factory=set)

    def watch(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("request", self._on_request)
        page.on(
            "framenavigated",
            lambda frame: self.visited.append(frame.url) if frame == page.main_frame else None,
        )

    def _on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        where = message.location.get("url", "") if message.location else ""
        failed = FAILED_LOAD.match(text)
        if failed and (urlsplit(where).path, int(failed.group(1))) in self.expected_statuses:
            return
        if message.type == "error" or "Content Security Policy" in text:
            self.problems.append(f"console {message.type} on {where}: {text}")

    def _on_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in {"data", "blob", "about"}:
            return
        if parts.hostname != HOST:
            self.problems.append(f"request to another host: {request.method} {request.url}")

    def assert_clean(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "page hygiene:\n" + "\n".join(problems)


class E2E:
    """Helpers for one test: watched browser contexts on the shared server."""

    def __init__(self, server: Server, browser: Browser) -> None:
        self.server = server
        self.browser = browser
        self.base_url = server.base_url
        self.hygiene = Hygiene()
        self._contexts: list[BrowserContext] = []

    def url(self, path: str) -> str:
        return self.base_url + path

    def new_page(self, *, language_cookie: str | None = None) -> Page:
        """A page in a fresh browser context (its own cookies): one person at one counter."""
        context = self.browser.new_context(
            base_url=self.base_url,
            locale="zh-CN",  # the counters' browsers; the app's default language anyway
            timezone_id="Asia/Shanghai",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        context.add_init_script(CSP_LISTENER)
        if language_cookie:
            context.add_cookies(
                [{"name": "django_language", "value": language_cookie, "url": self.base_url}]
            )
        context.on("page", self.hygiene.watch)
        self._contexts.append(context)
        return context.new_page()

    def expect_status(self, path: str, status: int) -> None:
        """Declare that a page at path answers with an error status on purpose."""
        self.hygiene.expected_statuses.add((path, status))

    def sign_in(self, page: Page, username: str, password: str = DEMO_PASSWORD) -> int:
        """Post the log-in form; return the status of the answer (no other assertion)."""
        page.goto("/accounts/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password)
        with (
            page.expect_response(
                lambda response: (
                    response.request.method == "POST"
                    and urlsplit(response.url).path == "/accounts/login/"
                )
            ) as answer,
            page.expect_navigation(),
        ):
            page.locator("main form button[type=submit]").click()
        return answer.value.status

    def sign_in_verified(self, page: Page, username: str) -> None:
        """Sign in a user whose role needs a second factor, and present the TOTP code."""
        self.sign_in(page, username)
        expect(page).to_have_url(re.compile(r"/accounts/otp/verify/"))
        page.locator("#id_code").fill(self.server.otp_code(username))
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(self.url("/"))

    def sign_out(self, page: Page) -> None:
        with page.expect_navigation():
            page.locator("form.logout button").click()

    @staticmethod
    def translate(message: str, language: str) -> str:
        """The app's translation of a message, as the server renders it in that language."""
        with translation.override(language):
            return str(translation.gettext(message))

    @staticmethod
    def has_cjk(text: str) -> bool:
        return re.search(r"[\u4e00-\u9fff]", text) is not None

    @staticmethod
    def texts(scope: Page | Locator, selector: str) -> list[str]:
        """The visible texts of the elements matching selector, stripped."""
        return [text.strip() for text in scope.locator(selector).all_inner_texts()]

    def close(self) -> None:
        for context in self._contexts:
            with contextlib.suppress(PlaywrightError):
                context.close()


@pytest.fixture
def e2e(chromium: Browser, e2e_server: Server) -> Iterator[E2E]:
    helper = E2E(e2e_server, chromium)
    try:
        yield helper
    finally:
        helper.close()
    # Every watched page of the test must have been clean (tests may check earlier).
    helper.hygiene.assert_clean()
