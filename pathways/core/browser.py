"""Launching Debian's Chromium through Playwright, shared by the browser tests and bench/.

No browser is downloaded: Playwright drives /usr/bin/chromium (or $PATHWAYS_CHROMIUM). The
flags keep Chromium off the network this machine does not have."""

from __future__ import annotations

import os
from typing import Any

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(playwright: Any) -> Any:
    """A headless Chromium Browser from a started sync_playwright()."""
    return playwright.chromium.launch(
        executable_path=os.environ.get("PATHWAYS_CHROMIUM", "/usr/bin/chromium"),
        args=CHROMIUM_ARGS,
    )
