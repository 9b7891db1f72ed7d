"""Pages as a real browser renders them: Debian's Chromium, headless, with every network lookup refused."""

from __future__ import annotations

import re
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# Headless and offline: no sandbox (containers), no background traffic, and every host name resolves to
# nothing, so a page that needs a CDN visibly breaks instead of quietly fetching it.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
    "--disable-sync", "--metrics-recording-only", "--host-resolver-rules=MAP * ~NOTFOUND",
)


def rendered_dom(page: Path) -> str:
    """The DOM of ``page`` after Chromium loaded and ran it."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (make browser)")
    with tempfile.TemporaryDirectory(prefix="citylake-chromium-") as profile:
        result = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.resources: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        for name in ("src", "href"):
            if tag in ("script", "img", "link", "iframe") and attributes.get(name):
                self.resources.append(attributes[name])


def links_and_resources(dom: str) -> tuple[list[str], list[str]]:
    """Anchors' targets, and everything else the page loads (scripts, styles, images)."""
    collector = _Collector()
    collector.feed(dom)
    return collector.links, collector.resources


def text_of(dom: str, element_id: str) -> str:
    """The text inside the element with ``element_id`` (tags stripped)."""
    match = re.search(rf'<(\w+)[^>]*id="{re.escape(element_id)}"[^>]*>(.*?)</\1>', dom, re.S)
    assert match, f"no element #{element_id} in the rendered page"
    return re.sub(r"<[^>]+>", " ", match.group(2))
