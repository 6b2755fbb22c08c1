"""Fixtures for the UI tests: one real ``jupyter lab`` per module over a seeded demo store, and
headless Debian Chromium driven by playwright (both from ``tests._support.lab``)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests._support.env import REPO
from tests._support.lab import CHROMIUM, CHROMIUM_ARGS, lab_env, new_page, serve_lab

from .seed import seed_demo

__all__ = ["DARK", "LIGHT", "REPO", "browser", "lab", "new_page", "set_theme"]

DARK = "JupyterLab Dark"
LIGHT = "JupyterLab Light"
HIGH_CONTRAST = "JupyterLab Dark High Contrast"
THEME_TAGS = {LIGHT: "light", DARK: "dark", HIGH_CONTRAST: "hc"}


@dataclass
class Lab:
    url: str
    token: str
    store: Path
    ids: dict[str, str]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """``jupyter lab`` serving a seeded demo store (app exposed to the page for theme changes)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    tmp = tmp_path_factory.mktemp("lab")
    root, store = tmp / "root", tmp / "store"
    root.mkdir()
    ids = seed_demo(str(store), tmp / "artifacts")
    with serve_lab(root, lab_env(tmp, store), tmp / "lab.log", "--LabApp.expose_app_in_browser=True") as (url, token):
        yield Lab(url, token, store, ids)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def page(lab, browser):
    """A page on the module's lab, with the nbtrack sidebar button present (one per module)."""
    page = new_page(browser)
    page.goto(f"{lab.url}/lab?token={lab.token}")
    page.locator('.jp-SideBar [data-id="nbtrack-experiments"]').wait_for()
    yield page
    page.context.close()


def set_theme(page, theme: str) -> None:
    """Switch JupyterLab's theme through its command and wait until it is applied and drawn.

    Once the new theme's CSS is in, JupyterLab hides its whole shell for one frame (a redraw
    for Chrome) behind a splash. A visibility check made in that frame sees every panel hidden,
    and a click chosen from it (say, on the tab of an open sidebar) does the opposite of what
    was meant; so this returns only once the shell is shown again and the splash is gone.
    """
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand('apputils:change-theme')")
    page.evaluate("t => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme)
    page.wait_for_function(
        """t => document.body.dataset.jpThemeName === t
               && !document.getElementById('main').classList.contains('lm-mod-hidden')
               && !document.getElementById('jupyterlab-splash')""",
        arg=theme,
    )
