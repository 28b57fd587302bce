"""Simulated clerks for bench/web_load.py: Python threads with a `requests.Session` each.

A clerk signs in (GET /login for the pre-session CSRF token, POST /login), opens the search page
for the session's CSRF token, then loops until the deadline or the shared request budget:
search (POST /search), open one of the hits (POST /documents/ID, the viewer with the hits drawn,
as the result's "Open" button does), view that page's image (GET .../pages/N/image). Every
request is timed and its status kept; traffic goes only to the server's 127.0.0.1 address.
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field

import requests

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HIT = re.compile(
    r'<form method="post" action="/documents/(\d+)">.*?name="page" value="(\d+)"', re.DOTALL
)
MESSAGE = re.compile(r'<h1>([^<]*)</h1>|class="error"[^>]*>([^<]*)<')
# (query, sort): words, phrases, fields, code prefixes, dates (sorted by date), combinations
QUERIES: tuple[tuple[str, str], ...] = (
    ("furosemide", "relevance"),
    ("pneumonia", "relevance"),
    ("epilepsy", "relevance"),
    ("cardiomegaly", "relevance"),
    ("heart failure", "relevance"),
    ('"spiculated mass"', "relevance"),
    ('"invasive ductal carcinoma"', "relevance"),
    ("patient:10000042", "relevance"),
    ("patient:tallowmere", "relevance"),
    ("type:pathology_report", "relevance"),
    ("dx:I50", "relevance"),
    ("dx:C50", "relevance"),
    ("dx:E11.*", "relevance"),
    ("date:2019-01-01..2019-06-30", "date"),
    ("admitted:2020-03", "date"),
    ("dx:C50 date:2019", "date"),
    ("pneumonia filed:no", "relevance"),
    ("apixaban AND dx:I48", "relevance"),
    ("sepsis NOT dx:A41.9", "relevance"),
    ("cellulitis OR appendicitis", "relevance"),
    ("tamoxifen~", "relevance"),
    ("echocardiog*", "relevance"),
)
EXPECTED = {
    "login_form": 200,
    "login": 302,
    "search_form": 200,
    "search": 200,
    "document": 200,
    "image": 200,
}


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int  # 0: no answer (connection error or timeout)
    ok: bool
    started: float


@dataclass
class Recorder:
    """Samples from every clerk, and the shared request budget."""

    budget: int
    deadline: float
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    issued: int = 0

    def take(self) -> bool:
        """One request from the budget; False when it is spent or the time is up."""
        with self.lock:
            if self.issued >= self.budget or time.monotonic() >= self.deadline:
                return False
            self.issued += 1
            return True

    def add(self, sample: Sample, note: str = "") -> None:
        with self.lock:
            self.samples.append(sample)
            if not sample.ok and len(self.errors) < 50:
                self.errors.append(f"{sample.kind} {sample.status} {note}".strip())


class Clerk(threading.Thread):
    def __init__(
        self, base: str, name: str, password: str, rec: Recorder, seed: int, timeout: float
    ) -> None:
        super().__init__(name=f"clerk-{name}", daemon=True)
        self.base, self.user, self.password = base, name, password
        self.rec, self.rng, self.timeout = rec, random.Random(seed), timeout
        self.http = requests.Session()
        self.csrf = ""

    def _call(self, kind: str, method: str, path: str, data: dict[str, str] | None = None) -> str:
        """One timed request; the body ("" unless the expected status came back)."""
        started = time.monotonic()
        try:
            response = self.http.request(
                method, self.base + path, data=data, allow_redirects=False, timeout=self.timeout
            )
            body = response.content
            status = response.status_code
            note = ""
        except requests.RequestException as exc:
            body, status, note = b"", 0, type(exc).__name__
        elapsed = time.monotonic() - started
        ok = status == EXPECTED[kind]
        if not ok and body:  # what the error page says (messages carry no patient data)
            said = MESSAGE.findall(body.decode("utf-8", "replace"))
            note = " | ".join("".join(m).strip() for m in said)[:300]
        self.rec.add(Sample(kind, elapsed, status, ok, started), note)
        return body.decode("utf-8", "replace") if ok else ""

    def sign_in(self) -> bool:
        if not self.rec.take():
            return False
        page = self._call("login_form", "GET", "/login")
        token = CSRF.search(page)
        if token is None or not self.rec.take():
            return False
        form = {"name": self.user, "password": self.password, "csrf_token": token.group(1)}
        self._call("login", "POST", "/login", form)
        if not self.http.cookies.get("chartroom_session") or not self.rec.take():
            return False
        found = CSRF.search(self._call("search_form", "GET", "/search"))
        self.csrf = found.group(1) if found else ""
        return bool(self.csrf)

    def run(self) -> None:
        try:
            if not self.sign_in():
                return
            while self.rec.take():
                query, sort = self.rng.choice(QUERIES)
                form = {"csrf_token": self.csrf, "query": query, "sort": sort}
                hits = HIT.findall(self._call("search", "POST", "/search", form))
                if not hits or not self.rec.take():
                    continue
                document, page = self.rng.choice(hits)
                data = {"csrf_token": self.csrf, "q": f"({query})", "page": page}
                if not self._call("document", "POST", f"/documents/{document}", data):
                    continue
                if not self.rec.take():
                    return
                self._call("image", "GET", f"/documents/{document}/pages/{page}/image")
        except Exception as exc:  # a client bug must show up, not end the thread silently
            self.rec.add(Sample("client", 0.0, 0, False, time.monotonic()), repr(exc))
        finally:
            self.http.close()
