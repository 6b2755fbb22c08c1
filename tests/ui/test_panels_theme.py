"""The notebook panels in a real JupyterLab and Chromium, light and dark theme: every text of
the browser, comparison, registry panel and tracked-cell summary reads at >= 4.5:1 (WCAG AA),
and no table pushes its columns out of the panel. ``NBTRACK_SCREENSHOT=1`` copies the
screenshots to ``docs/ui-panels-*.png``."""
from __future__ import annotations

import json
import os
import shutil

import nbformat
import pytest

from .checks import contrast_problems
from .conftest import DARK, LIGHT, REPO, new_page, set_theme

pytestmark = pytest.mark.slow

SETUP = """%load_ext nbtrack
import numpy as np
import nbtrack
client = nbtrack.TrackingClient()
ids = {ids}
for i, name in enumerate(["adam-lr0.03", "adam-lr0.1"]):
    for step in (0, 10):
        img = np.zeros((32, 32, 3), dtype=np.uint8)
        img[:, :, i] = 120 + 6 * step
        img[8 + step:16 + step, 8:24, 2] = 255
        client.log_image(ids[name], img, key="reconstruction", step=step)
    client.log_table(ids[name], {{"class": ["cat", "dog"], "precision": [0.91 - i / 10, 0.84]}},
                     "per_class.json")"""
CELLS = {
    "browse": "%nbtrack_browse",
    "compare": '%nbtrack_compare adam-lr0.03 adam-lr0.1',
    "registry": "%nbtrack_registry mnist-clf",
    "summary": "%%track_run status-demo\nfor i in range(200):\n"
               "    nbtrack.log_metrics({'loss': 1 / (i + 1), 'acc': i / 200}, step=i)",
}
# what shows that each cell's panel finished drawing
READY = {"browse": ".nbtrack-runs-row", "compare": ".nbtrack-images img", "registry": ".nbtrack-audit",
         "summary": ".nbtrack-summary"}


@pytest.fixture(scope="module")
def notebook_page(lab, browser):
    root = lab.store.parent / "root"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SETUP.format(ids=json.dumps(lab.ids)))]
                                  + [nbformat.v4.new_code_cell(c) for c in CELLS.values()])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "panels.ipynb")
    page = new_page(browser, width=1280, height=2200)  # tall: whole panels in the shots
    page.goto(f"{lab.url}/lab/tree/panels.ipynb?token={lab.token}")
    page.locator(".jp-Notebook").wait_for()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                           timeout=180_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    for selector in READY.values():
        page.locator(f".jp-Notebook {selector}").first.wait_for(timeout=180_000)
    yield page
    page.context.close()


def _output(page, name: str):
    index = list(CELLS).index(name) + 2  # the setup cell comes first; nth-child counts from 1
    return f".jp-Notebook .jp-Cell:nth-child({index}) .jp-OutputArea"


@pytest.mark.parametrize("theme", [LIGHT, DARK])
def test_panels_read_in_both_themes(notebook_page, theme, tmp_path):
    page = notebook_page
    set_theme(page, theme)
    tag = "dark" if theme == DARK else "light"
    problems = []
    for name in CELLS:
        root = _output(page, name)
        page.locator(root).scroll_into_view_if_needed()
        problems += [f"{name}: {p}" for p in contrast_problems(page, root)]
        shot = tmp_path / f"ui-panels-{name}-{tag}.png"
        page.locator(root).screenshot(path=str(shot))
        if os.environ.get("NBTRACK_SCREENSHOT") == "1":
            shutil.copy(shot, REPO / "docs" / shot.name)
    assert not problems, f"low contrast in {tag} theme:\n" + "\n".join(problems)


def test_tables_scroll_inside_their_panel(notebook_page):
    page = notebook_page
    widths = page.evaluate("""() => [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')]
        .map(out => [out.getBoundingClientRect().right,
                     Math.max(0, ...[...out.querySelectorAll('table')].map(t => {
                        // a table may be wider than its output only inside a scrolling box
                        let e = t.parentElement; while (e && e !== out) {
                          const s = getComputedStyle(e);
                          if (s.overflowX === 'auto' || s.overflowX === 'scroll') return 0;
                          e = e.parentElement; }
                        return t.getBoundingClientRect().right; }))])""")
    assert all(right <= edge + 1 for edge, right in widths), widths
    # short ids with the full id one hover away
    ids = page.locator(f"{_output(page, 'browse')} .nbtrack-runs-row .nbtrack-id")
    assert len(ids.first.text_content()) == 8 and len(ids.first.get_attribute("title")) == 32
    # a row checkbox selects the run for Compare
    page.locator(f"{_output(page, 'browse')} .nbtrack-runs-row").first.wait_for()
    page.locator(f"{_output(page, 'browse')} input[type=checkbox]").first.check()
    page.locator(f"{_output(page, 'browse')} button", has_text="Compare (1)").wait_for()
