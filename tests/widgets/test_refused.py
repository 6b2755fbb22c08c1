"""A panel constructor that refuses its arguments leaves no widget registered with the kernel.

Every ipywidget registers itself as it is made; a panel that raised half-way through building
would otherwise stay registered (with its controls, layouts and charts) for the kernel's life.
"""
from __future__ import annotations

import pytest
from ipywidgets.widgets.widget import _instances  # every open widget, by model id

from nbtrack import NbtrackError
from nbtrack.widgets import ExperimentBrowser, LiveCurves, RegistryPanel, RunComparison

from .conftest import make_runs


@pytest.fixture
def runs(client, experiment_id):
    return make_runs(client, experiment_id, 2)


def _made_since(before: set[str]) -> list:
    """The widgets open now that were not open when ``before`` was taken."""
    return [w for k, w in _instances.items() if k not in before]


REFUSED = {
    "browser, unknown experiment": lambda c, ids: ExperimentBrowser(c, experiment="no-such"),
    "browser, page size": lambda c, ids: ExperimentBrowser(c, page_size=0),
    "comparison, unknown run": lambda c, ids: RunComparison([ids[0], "f" * 32], client=c),
    "comparison, not a list": lambda c, ids: RunComparison(ids[0], client=c),
    "registry, unknown model": lambda c, ids: RegistryPanel(c, model="no-such"),
    "live, unknown run": lambda c, ids: LiveCurves("0" * 32, client=c),
    "live, interval": lambda c, ids: LiveCurves(ids[0], client=c, interval="fast"),
}


@pytest.mark.parametrize("make", REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_panel_leaves_no_widget_open(client, runs, make):
    before = set(_instances)
    with pytest.raises(NbtrackError):
        make(client, runs)
    assert [type(w).__name__ for w in _made_since(before)] == []


def test_closing_a_panel_closes_the_widgets_it_made(client, runs):
    before = set(_instances)
    panel = RunComparison(runs, client=client)
    made = _made_since(before)
    assert len(made) > 10 and panel in made
    panel.close()
    assert [type(w).__name__ for w in made if w.comm is not None] == []


def test_switching_scales_leaves_no_old_scale_open(client, runs):
    before = set(_instances)
    live = LiveCurves(runs[0], client=client)
    live.log_scale = True
    live.x_axis = "wall"
    live.log_scale = False
    comparison = RunComparison(runs, client=client)
    comparison.x_axis = "wall"
    comparison.x_axis = "step"
    made = _made_since(before)
    live.close()
    comparison.close()
    assert [type(w).__name__ for w in made if w.comm is not None] == []
