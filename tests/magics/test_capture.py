"""nbtrack.capture: each capture step on real inputs (real git repos, real env, real modules)."""
from __future__ import annotations

import json
import subprocess
import sys
import types
import warnings

import pytest

from nbtrack import capture
from nbtrack._validation import MAX_TAG_VALUE_LENGTH


@pytest.fixture(autouse=True)
def _fresh_capture_state(monkeypatch):
    """Each test sees no warn-once memory, no cached server lookup and no notebook env vars."""
    monkeypatch.setattr(capture, "_WARNED", set())
    monkeypatch.setattr(capture, "_CACHE", {})
    for var in ("NBTRACK_NOTEBOOK", "JPY_SESSION_NAME"):
        monkeypatch.delenv(var, raising=False)


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(cwd), "PATH": "/usr/bin:/bin"})


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q", "-b", "trunk")
    (tmp_path / "a.txt").write_text("one\n")
    git(tmp_path, "add", "a.txt")
    git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


# -- truncate / cell source ---------------------------------------------------------------------
@pytest.mark.parametrize("size", [0, 10, MAX_TAG_VALUE_LENGTH])
def test_truncate_keeps_short_text(size):
    assert capture.truncate("x" * size) == "x" * size


@pytest.mark.parametrize("limit", [100, MAX_TAG_VALUE_LENGTH])
def test_truncate_cuts_long_text_to_the_limit_and_says_so(limit):
    out = capture.truncate("y" * (limit * 3), limit)
    assert len(out) <= limit
    assert out.startswith("y") and f"truncated {limit * 3} characters" in out


def test_cell_source_tag_is_truncated_but_artifact_is_whole():
    src = "x = 1\n" * 5000
    cap = capture.cell_source_tags(src, 7)
    assert len(cap.tags["nbtrack.cell_source"]) <= MAX_TAG_VALUE_LENGTH
    assert cap.artifacts["cell.py"] == src
    assert cap.tags["nbtrack.execution_count"] == "7"


def test_cell_source_without_execution_count_has_no_count_tag():
    assert "nbtrack.execution_count" not in capture.cell_source_tags("pass", None).tags


# -- notebook path ------------------------------------------------------------------------------
def test_notebook_override_wins_over_everything(monkeypatch, tmp_path):
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(tmp_path / "explicit.ipynb"))
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "lab.ipynb"))
    ns = {"__vsc_ipynb_file__": str(tmp_path / "vscode.ipynb")}
    assert capture.find_notebook_path(ns) == str(tmp_path / "explicit.ipynb")


def test_jupyterlab_session_name_is_used(monkeypatch, tmp_path):
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "lab.ipynb"))
    assert capture.find_notebook_path({}) == str(tmp_path / "lab.ipynb")


def test_relative_override_is_made_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBTRACK_NOTEBOOK", "nb/x.ipynb")
    assert capture.find_notebook_path({}) == str(tmp_path / "nb" / "x.ipynb")


def test_vscode_variable_is_used():
    assert capture.find_notebook_path({"__vsc_ipynb_file__": "/w/v.ipynb"}) == "/w/v.ipynb"


@pytest.mark.parametrize("bad", [None, "", 3])
def test_bad_vscode_variable_is_ignored_outside_a_kernel(bad):
    # This test process is no ipykernel, so the server lookup finds nothing either.
    assert capture.find_notebook_path({"__vsc_ipynb_file__": bad}) is None


# -- git ----------------------------------------------------------------------------------------
def test_git_info_of_a_clean_repo(repo):
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                          text=True, check=True).stdout.strip()
    assert capture.git_info(str(repo)) == {
        "nbtrack.git.commit": head, "nbtrack.git.branch": "trunk", "nbtrack.git.dirty": "false"}


def test_modified_tracked_file_makes_the_repo_dirty_but_untracked_does_not(repo):
    (repo / "new.txt").write_text("untracked\n")
    assert capture.git_info(str(repo))["nbtrack.git.dirty"] == "false"
    (repo / "a.txt").write_text("changed\n")
    assert capture.git_info(str(repo))["nbtrack.git.dirty"] == "true"


def test_git_info_from_a_subfolder(repo):
    sub = repo / "notebooks"
    sub.mkdir()
    assert capture.git_info(str(sub))["nbtrack.git.branch"] == "trunk"


def test_repo_without_commits_has_branch_but_no_commit(tmp_path):
    git(tmp_path, "init", "-q", "-b", "fresh")
    info = capture.git_info(str(tmp_path))
    assert "nbtrack.git.commit" not in info and info["nbtrack.git.branch"] == "fresh"


def test_not_a_repo_gives_nothing(tmp_path):
    assert capture.git_info(str(tmp_path)) == {}


def test_detached_head_has_commit_but_no_branch(repo):
    git(repo, "checkout", "-q", "--detach")
    info = capture.git_info(str(repo))
    assert "nbtrack.git.branch" not in info and len(info["nbtrack.git.commit"]) == 40


# -- environment --------------------------------------------------------------------------------
def test_package_versions_of_imported_third_party_modules():
    import pytest as _pytest  # noqa: F401 - make sure it is imported

    versions = capture.imported_package_versions({"pytest": None, "os": None, "json": None})
    assert versions == {"pytest": _pytest.__version__}


def test_package_versions_skip_submodules_private_and_unknown_names():
    names = {"pytest.mark": None, "_pytest": None, "no_such_module_xyz": None}
    assert capture.imported_package_versions(names) == {}


def test_host_user_has_both_and_mirrors_the_mlflow_user():
    tags = capture.host_user()
    assert tags["nbtrack.host"] and tags["nbtrack.user"] == tags["mlflow.user"]


def test_capture_cell_collects_everything(repo, monkeypatch):
    notebook = repo / "analysis.ipynb"
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(notebook))
    fake_numpy = types.SimpleNamespace(__version__="9.9.9")
    monkeypatch.setitem(sys.modules, "numpy", fake_numpy)
    cap = capture.capture_cell("print(1)\n", 3, {})
    tags = cap.tags
    assert tags["nbtrack.notebook"] == tags["mlflow.source.name"] == str(notebook)
    assert tags["mlflow.source.type"] == "NOTEBOOK"
    assert tags["nbtrack.git.branch"] == "trunk" and tags["nbtrack.git.dirty"] == "false"
    assert tags["nbtrack.python"] == ".".join(map(str, sys.version_info[:3]))
    assert tags["nbtrack.pkg.numpy"] == "9.9.9"
    assert tags["nbtrack.execution_count"] == "3" and tags["nbtrack.cell_source"] == "print(1)\n"
    env = json.loads(cap.artifacts["environment.json"])
    assert env["python"] == tags["nbtrack.python"] and "pytest" in env["packages"]


@pytest.fixture
def hanging_git(tmp_path, monkeypatch):
    """A real `git` on PATH that never answers: the capture must time out, warn, and go on."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setattr(capture, "GIT_TIMEOUT_S", 0.3)
    monkeypatch.chdir(tmp_path)


def test_a_failing_step_warns_once_and_the_rest_is_still_captured(hanging_git):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = capture.capture_cell("x = 1", 1, {})
        second = capture.capture_cell("x = 2", 2, {})
    messages = [str(w.message) for w in caught if issubclass(w.category, capture.CaptureWarning)]
    assert len(messages) == 1
    assert "git state" in messages[0] and "TimeoutExpired" in messages[0]
    for cap in (first, second):
        assert "nbtrack.git.dirty" not in cap.tags and "nbtrack.python" in cap.tags


def test_missing_git_is_not_a_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git anywhere
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert capture.git_info(str(tmp_path)) == {}


# -- papermill ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source, expected",
    [
        ("# Parameters\nalpha = 0.6\nname = 'x'\n", {"alpha": 0.6, "name": "x"}),
        ("# Parameters\nlayers = [\n    1,\n    2,\n]\nflag = True\nnothing = None\n",
         {"layers": [1, 2], "flag": True, "nothing": None}),
        ("\n# Parameters\nn = -3\n", {"n": -3}),
    ],
)
def test_papermill_injected_cells_are_recognised(source, expected):
    assert capture.parse_papermill_parameters(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "alpha = 0.6\n",                              # no header
        "# parameters\nalpha = 0.6\n",                # not papermill's header
        "# Parameters\n",                             # nothing assigned
        "# Parameters\nalpha = compute()\n",          # not a literal
        "# Parameters\nalpha = 1\nprint(alpha)\n",    # not only assignments
        "# Parameters\na, b = 1, 2\n",                # not a single name
        "# Parameters\nalpha = (\n",                  # syntax error
        "",
    ],
)
def test_other_cells_are_not_papermill_parameters(source):
    assert capture.parse_papermill_parameters(source) is None


def test_papermill_translator_output_round_trips():
    translators = pytest.importorskip("papermill.translators")
    params = {"lr": 0.01, "name": "it's", "sizes": [8, 16], "opts": {"a": 1}, "on": False}
    source = translators.PythonTranslator.codify(params)
    assert capture.parse_papermill_parameters(source) == params


def test_failed_notebook_lookup_is_retried_but_a_found_path_is_kept(monkeypatch):
    answers = iter([None, "/work/a.ipynb", "/work/other.ipynb"])
    monkeypatch.setattr(capture, "_ask_server", lambda: next(answers))
    monkeypatch.setattr(capture, "SERVER_RETRY_S", 0.0)
    assert capture.find_notebook_path() is None  # the server has not registered the session yet
    assert capture.find_notebook_path() == "/work/a.ipynb"
    assert capture.find_notebook_path() == "/work/a.ipynb"
