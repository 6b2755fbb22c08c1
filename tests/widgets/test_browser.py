"""ExperimentBrowser against a real TinyDB store: paging, sorting, filtering, selection, compare."""
from __future__ import annotations

import pytest
import traitlets

from nbtrack.errors import ExperimentNotFoundError, InvalidParameterError
from nbtrack.widgets import ExperimentBrowser, RunComparison

from .conftest import XSS, make_runs, make_stale_run
from .svgparse import elements, table_rows


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    """One store with 460 runs, shared by the read-only paging and sorting tests."""
    import nbtrack

    uri = f"tinydb://{tmp_path_factory.mktemp('big') / 'store'}"
    client = nbtrack.TrackingClient(uri)
    exp = client.create_experiment("big")
    make_runs(client, exp, 460)
    return client, exp


def _body_rows(browser):
    return table_rows(browser.table.value)[1:]


def test_pages_of_a_460_run_experiment(big_store):
    client, exp = big_store
    browser = ExperimentBrowser(client=client, experiment="big", page_size=200)
    assert browser.run_count == 460 and browser.page_count == 3
    assert len(_body_rows(browser)) == 200
    assert browser.prev_button.disabled and not browser.next_button.disabled
    seen = {row[4] for row in _body_rows(browser)}
    browser.next_button.click()
    browser.next_button.click()
    assert browser.page == 2 and len(_body_rows(browser)) == 60
    assert browser.next_button.disabled
    browser.next_button.click()  # no page past the last
    assert browser.page == 2
    seen |= {row[4] for row in _body_rows(browser)}
    browser.prev_button.click()
    seen |= {row[4] for row in _body_rows(browser)}
    assert len(seen) == 460
    assert "rows 201-400 of 460" in browser.page_label.value


def test_page_size_picker_and_trait_agree(big_store):
    client, _ = big_store
    browser = ExperimentBrowser(client=client, experiment="big")
    browser.page_size_picker.value = 25
    assert browser.page_size == 25 and len(_body_rows(browser)) == 25
    browser.page = 18
    assert len(_body_rows(browser)) == 10
    browser.page_size = 100
    assert browser.page_size_picker.value == 100
    assert browser.page == 4 and len(_body_rows(browser)) == 60  # clamped to the last page


@pytest.mark.parametrize("size", [0, 201, -5])
def test_bad_page_size_is_refused(big_store, size):
    client, _ = big_store
    with pytest.raises(InvalidParameterError, match="page_size must be 1 to 200"):
        ExperimentBrowser(client=client, experiment="big", page_size=size)


def test_default_columns_and_sorting_by_any_column(big_store):
    client, _ = big_store
    browser = ExperimentBrowser(client=client, experiment="big", page_size=10)
    header = table_rows(browser.table.value)[0]
    assert header == ["name", "status", "start", "duration", "run_id", "params.lr", "params.model",
                      "metrics.acc", "metrics.loss"]
    assert _body_rows(browser)[0][0] == "run-0459"  # newest first by default
    browser.sort_picker.value = "metrics.acc"
    browser.order_picker.value = False
    assert browser.sort_by == "metrics.acc" and browser.descending is False
    assert [r[0] for r in _body_rows(browser)[:2]] == ["run-0000", "run-0001"]
    browser.descending = True
    assert _body_rows(browser)[0][0] == "run-0459"
    browser.sort_by = "params.lr"
    lrs = [float(r[5]) for r in _body_rows(browser)]
    assert lrs == sorted(lrs, reverse=True) and lrs[0] == 1.0
    browser.sort_by = "name"
    browser.descending = False
    assert _body_rows(browser)[0][0] == "run-0000"


def test_choosing_columns_changes_the_table_and_sort_choices(big_store):
    client, _ = big_store
    browser = ExperimentBrowser(client=client, experiment="big", page_size=10)
    browser.sort_by = "metrics.loss"
    browser.column_picker.value = ("params.model",)
    assert table_rows(browser.table.value)[0][5:] == ["params.model"]
    assert "metrics.loss" not in browser.sort_picker.options
    assert browser.sort_by == "start"


def test_filter_narrows_and_a_bad_filter_shows_inline_without_raising(big_store):
    client, _ = big_store
    browser = ExperimentBrowser(client=client, experiment="big", page_size=200)
    browser.filter_box.value = "metrics.acc >= 0.45 AND params.model = 'rf'"
    assert browser.filter_string == browser.filter_box.value
    assert browser.run_count == 5 and browser.filter_error.value == ""
    bad = "metrics.acc >= 0.45 AND params.model = "
    browser.filter_string = bad
    error = browser.filter_error.value
    assert f"position {len(bad)}: expected" in error  # the end of the text, where a value is due
    assert error.endswith(" " * (len(bad) + 2) + "^</div>")  # caret under that position
    assert elements(error, "div", "nbtrack-error")
    assert browser.run_count == 5  # the last good result stays
    browser.filter_string = "params.model = '<script>'"
    assert browser.run_count == 0 and browser.filter_error.value == ""
    browser.filter_string = "attributes.status = 'FINISHED' OR (metrics.acc < 0)"
    assert browser.run_count == 460


def test_selection_survives_paging_and_compare_opens_a_comparison(big_store):
    client, _ = big_store
    browser = ExperimentBrowser(client=client, experiment="big", page_size=10)
    first = list(browser.row_checks)[0]
    browser.row_checks[first].value = True
    browser.compare_button.click()
    assert "at least two" in browser.status.value and browser.comparison is None
    browser.next_button.click()
    assert not any(c.value for c in browser.row_checks.values())
    second = list(browser.row_checks)[3]
    browser.row_checks[second].value = True
    assert browser.selected_run_ids == (first, second)
    assert browser.compare_button.description == "Compare (2)"
    assert elements(browser._row_views[second].value, "tr", "nbtrack-selected")
    browser.prev_button.click()
    assert [i for i, c in browser.row_checks.items() if c.value] == [first]
    assert len(elements(browser.table.value, "tr", "nbtrack-selected")) == 1
    browser.row_checks[first].value = False
    assert browser.selected_run_ids == (second,)
    browser.row_checks[first].value = True
    browser.compare_button.click()
    assert isinstance(browser.comparison, RunComparison)
    assert browser.compare_box.children == (browser.comparison,)
    assert [r.info.run_id for r in browser.comparison.runs] == [second, first]  # as checked
    assert "Comparison of 2 runs" not in browser.static_html()  # the panel title is the twin's
    assert "nbtrack-params" in browser.static_html()


def test_refresh_picks_up_new_runs_and_experiments(client, experiment_id):
    make_runs(client, experiment_id, 3)
    browser = ExperimentBrowser(client=client, experiment=experiment_id)
    other = client.create_experiment("later")
    make_runs(client, experiment_id, 2, start=3)
    assert browser.run_count == 3
    browser.refresh_button.click()
    assert browser.run_count == 5 and "Refreshed: 5 runs" in browser.status.value
    assert other in [value for _, value in browser.experiment_picker.options]
    browser.experiment_picker.value = other
    assert browser.experiment_id == other and browser.run_count == 0
    assert table_rows(browser.table.value) == [["name", "status", "start", "duration", "run_id"]]


def test_default_experiment_is_the_newest(client, experiment_id):
    newest = client.create_experiment("newest")
    make_runs(client, newest, 1)
    assert ExperimentBrowser(client=client).experiment_id == newest


def test_stale_runs_are_marked(client, experiment_id, tracking_uri):
    make_runs(client, experiment_id, 2)
    stale = make_stale_run(tracking_uri, experiment_id)
    browser = ExperimentBrowser(client=client, experiment=experiment_id)
    rows = {row[4]: row for row in _body_rows(browser)}
    assert rows[stale[:8]][1] == "RUNNING (stale)"
    assert len(elements(browser.table.value, "tr", "nbtrack-stale")) == 1


def test_user_text_is_escaped_everywhere(client):
    exp = client.create_experiment(f"exp {XSS}")
    run = client.create_run(exp, run_name=XSS)
    client.log_param(run.info.run_id, "p", XSS)
    client.set_tag(run.info.run_id, "t", XSS)
    browser = ExperimentBrowser(client=client, experiment=exp)
    browser.filter_string = f"params.p = '{XSS}' AND"
    html = browser.twin_bundle()["text/html"] + browser.table.value + browser.filter_error.value
    assert "<script>" not in html
    assert _body_rows(browser)[0][0] == XSS
    assert "&lt;script&gt;" in browser.filter_error.value


def test_bad_inputs(client, experiment_id):
    with pytest.raises(ExperimentNotFoundError, match="'nope'"):
        ExperimentBrowser(client=client, experiment="nope")
    with pytest.raises(InvalidParameterError, match="client must be an nbtrack.TrackingClient"):
        ExperimentBrowser(client="memory:")
    browser = ExperimentBrowser(client=client, experiment=experiment_id)
    with pytest.raises(traitlets.TraitError):
        browser.page = "two"
