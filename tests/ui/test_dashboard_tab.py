"""``%nbtrack_browse EXP --tab`` run in a real notebook opens the dashboard tab on EXP.

Its own module, so its lab and page start fresh (no tabs or sidebars left by other tests).
"""
from __future__ import annotations

import pytest

from .conftest import LIGHT, set_theme

pytestmark = pytest.mark.slow

DASH = '[data-testid="nbtrack-dashboard"]'


def test_browse_tab_magic_opens_the_dashboard(page, lab, tmp_path):
    """A notebook cell running ``%nbtrack_browse EXP --tab`` opens the dashboard on EXP."""
    set_theme(page, LIGHT)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:create-new', {kernelName: 'python3'}); }")
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget?.content?.activeCell")
    # The document must have loaded first: a source set earlier is replaced by the loaded model.
    page.evaluate("""async () => {
        const panel = window.jupyterapp.shell.currentWidget;
        await panel.context.ready;
        await panel.sessionContext.ready;
        panel.content.activeCell.model.sharedModel.setSource('%load_ext nbtrack\\n%nbtrack_browse baselines --tab');
    }""")
    page.locator(".jp-NotebookPanel .jp-Cell .jp-InputArea", has_text="nbtrack_browse baselines --tab").wait_for()
    page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=180_000)  # a loaded machine
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-cell'); }")
    try:
        page.locator(DASH).wait_for(timeout=180_000)
    finally:
        page.screenshot(path=str(tmp_path / "tab.png"))  # what the page showed, kept by pytest
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
    assert tab.inner_text().startswith("nbtrack")
    chosen = page.locator(f'{DASH} [data-testid="experiment-item"][data-experiment-id]')
    page.locator(f"{DASH} .nbtrack-experiments li.nbtrack-active", has_text="baselines").wait_for()
    assert chosen.count() >= 3
    # the output names what it opened; its button reveals the tab again
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Untitled").first.click()
    button = page.get_by_test_id("open-dashboard-tab")
    assert "baselines" in page.locator(".jp-OutputArea-output", has=button).inner_text()
    button.click()
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current", has_text="nbtrack").wait_for()
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabCloseIcon").click()
