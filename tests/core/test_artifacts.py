"""Artifacts: log_artifact(s), list_artifacts, download_artifacts, log_text/dict/figure, path safety."""
from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

import nbtrack
from nbtrack import (
    ArtifactNotFoundError,
    ArtifactPathError,
    FileInfo,
    InvalidParameterError,
    NoActiveRunError,
    RunNotFoundError,
    RunStateError,
    TrackingClient,
)
from nbtrack.artifacts import ArtifactRepository, is_local_uri, local_path_from_uri


@pytest.fixture
def files(tmp_path, monkeypatch):
    """A working dir with model.pkl, models/{a.txt,sub/b.txt}, plots/p.png."""
    work = tmp_path / "work"
    (work / "models" / "sub").mkdir(parents=True)
    (work / "plots").mkdir()
    (work / "model.pkl").write_bytes(pickle.dumps({"w": [1, 2, 3]}))
    (work / "models" / "a.txt").write_text("a")
    (work / "models" / "sub" / "b.txt").write_text("bb")
    (work / "plots" / "p.png").write_bytes(b"\x89PNG")
    monkeypatch.chdir(work)
    return work


def _paths(infos):
    return [(i.path, i.is_dir) for i in infos]


def test_log_artifact_and_list(any_uri, files):
    with nbtrack.start_run() as run:
        nbtrack.log_artifact("model.pkl")
        nbtrack.log_artifact(files / "plots" / "p.png", artifact_path="figures/train")
    client = TrackingClient()
    infos = client.list_artifacts(run.run_id)
    assert infos == [FileInfo("figures", True, None), FileInfo("model.pkl", False, (files / "model.pkl").stat().st_size)]
    assert client.list_artifacts(run.run_id, "figures") == [FileInfo("figures/train", True, None)]
    assert client.list_artifacts(run.run_id, "figures/train") == [FileInfo("figures/train/p.png", False, 4)]
    assert client.list_artifacts(run.run_id, "model.pkl") == []
    assert client.list_artifacts(run.run_id, "missing") == []


def test_log_artifacts_directory(any_uri, files):
    with nbtrack.start_run() as run:
        nbtrack.log_artifacts("models/")
        nbtrack.log_artifacts("plots/", artifact_path="visualizations")
    client = TrackingClient()
    assert _paths(client.list_artifacts(run.run_id)) == [
        ("a.txt", False), ("sub", True), ("visualizations", True),
    ]
    assert _paths(client.list_artifacts(run.run_id, "sub")) == [("sub/b.txt", False)]
    assert _paths(client.list_artifacts(run.run_id, "visualizations")) == [("visualizations/p.png", False)]


def test_download_file_folder_and_all(any_uri, files, tmp_path):
    with nbtrack.start_run() as run:
        nbtrack.log_artifact("model.pkl")
        nbtrack.log_artifacts("models", artifact_path="m")
    client = TrackingClient()
    local = client.download_artifacts(run.run_id, "model.pkl")
    assert pickle.loads(Path(local).read_bytes()) == {"w": [1, 2, 3]}
    dst = tmp_path / "dl"
    folder = client.download_artifacts(run.run_id, "m/sub", dst_path=str(dst))
    assert Path(folder) == (dst / "m" / "sub").resolve()
    assert (Path(folder) / "b.txt").read_text() == "bb"
    for everything in ("", "."):
        root = Path(client.download_artifacts(run.run_id, everything, dst_path=tmp_path / f"all{len(everything)}"))
        assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
            "m/a.txt", "m/sub/b.txt", "model.pkl",
        ]


def test_download_missing_is_a_clear_error(any_uri, files):
    with nbtrack.start_run() as run:
        pass
    with pytest.raises(ArtifactNotFoundError, match="nope.txt"):
        TrackingClient().download_artifacts(run.run_id, "nope.txt")


def test_missing_local_file_names_it(any_uri, files):
    with nbtrack.start_run():
        with pytest.raises(ArtifactNotFoundError, match="no_such.pkl"):
            nbtrack.log_artifact("no_such.pkl")
        with pytest.raises(FileNotFoundError, match="no_dir"):
            nbtrack.log_artifacts("no_dir")
        with pytest.raises(InvalidParameterError, match="log_artifact"):
            nbtrack.log_artifacts("model.pkl")


@pytest.mark.parametrize("bad", ["../escape", "a/../../escape", "/etc", "..", "C:/x", "a\\..\\..\\x"])
def test_paths_escaping_the_run_folder_are_rejected(any_uri, files, bad):
    with nbtrack.start_run() as run:
        with pytest.raises(ArtifactPathError):
            nbtrack.log_artifact("model.pkl", artifact_path=bad)
        with pytest.raises(ArtifactPathError):
            nbtrack.log_text("x", f"{bad}/f.txt")
    client = TrackingClient()
    with pytest.raises(ArtifactPathError):
        client.download_artifacts(run.run_id, bad)
    with pytest.raises(ArtifactPathError):
        client.list_artifacts(run.run_id, bad)


def test_symlink_pointing_out_is_rejected(any_uri, files, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    with nbtrack.start_run() as run:
        nbtrack.log_text("hello", "ok.txt")
    root = Path(nbtrack.get_run(run.run_id).info.artifact_uri)
    os.symlink(outside, root / "link")
    client = TrackingClient()
    with pytest.raises(ArtifactPathError, match="outside"):
        client.download_artifacts(run.run_id, "link/secret.txt")
    with pytest.raises(ArtifactPathError):
        client.download_artifacts(run.run_id, "")
    with pytest.raises(ArtifactPathError):
        client.log_text(run.run_id, "overwrite", "link/secret.txt")
    assert (outside / "secret.txt").read_text() == "secret"


def test_inner_paths_are_normalised(any_uri, files):
    with nbtrack.start_run() as run:
        nbtrack.log_artifact("model.pkl", artifact_path="a/./b/../c")
    assert _paths(TrackingClient().list_artifacts(run.run_id, "a")) == [("a/c", True)]


def test_log_text_and_dict(any_uri, files, tmp_path):
    with nbtrack.start_run() as run:
        nbtrack.log_text("héllo\n", "notes/readme.txt")
        nbtrack.log_dict({"a": 1, "b": [1, 2]}, "config.json")
        nbtrack.log_dict({"a": 1}, "config.data")
    client = TrackingClient()
    dl = lambda p: Path(client.download_artifacts(run.run_id, p, tmp_path / "t")).read_text("utf-8")  # noqa: E731
    assert dl("notes/readme.txt") == "héllo\n"
    assert json.loads(dl("config.json")) == {"a": 1, "b": [1, 2]}
    assert json.loads(dl("config.data")) == {"a": 1}


def test_log_dict_yaml(any_uri, files, tmp_path):
    yaml = pytest.importorskip("yaml")
    with nbtrack.start_run() as run:
        nbtrack.log_dict({"b": 1, "a": [1, 2]}, "config.yaml")
        nbtrack.log_dict({"a": 1}, "config.yml")
    client = TrackingClient()
    text = Path(client.download_artifacts(run.run_id, "config.yaml", tmp_path / "y")).read_text()
    assert yaml.safe_load(text) == {"b": 1, "a": [1, 2]}
    assert text.startswith("b: 1")  # key order kept
    with nbtrack.start_run(), pytest.raises(InvalidParameterError, match="YAML"):
        nbtrack.log_dict({"f": object()}, "bad.yml")


def test_log_text_dict_bad_inputs(any_uri, files):
    with nbtrack.start_run():
        with pytest.raises(InvalidParameterError, match="string"):
            nbtrack.log_text(b"bytes", "a.txt")
        with pytest.raises(InvalidParameterError, match="name a file"):
            nbtrack.log_text("x", "")
        with pytest.raises(InvalidParameterError, match="name a file"):
            nbtrack.log_text("x", "dir/")
        with pytest.raises(InvalidParameterError, match="JSON"):
            nbtrack.log_dict({"f": object()}, "bad.json")


def test_log_figure_matplotlib(any_uri, files, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    with nbtrack.start_run() as run:
        nbtrack.log_figure(fig, "plots/loss.png")
        nbtrack.log_figure(fig, "plots/loss.svg")
        with pytest.raises(InvalidParameterError, match="extension"):
            nbtrack.log_figure(fig, "plots/loss")
        with pytest.raises(InvalidParameterError, match="loss.nope"):
            nbtrack.log_figure(fig, "plots/loss.nope")
        with pytest.raises(InvalidParameterError, match="matplotlib Figure"):
            nbtrack.log_figure([1, 2], "x.png")
    plt.close(fig)
    client = TrackingClient()
    png = Path(client.download_artifacts(run.run_id, "plots/loss.png", tmp_path / "f"))
    assert png.read_bytes()[:4] == b"\x89PNG"
    svg = Path(client.download_artifacts(run.run_id, "plots/loss.svg", tmp_path / "f"))
    assert "<svg" in svg.read_text()


def test_log_figure_plotly_like(any_uri, files, tmp_path):
    class FakePlotly:
        def write_html(self, path):
            Path(path).write_text("<html>plot</html>")

        def write_image(self, path):
            Path(path).write_bytes(b"IMG")

    with nbtrack.start_run() as run:
        nbtrack.log_figure(FakePlotly(), "fig.html")
        nbtrack.log_figure(FakePlotly(), "fig.png")
    client = TrackingClient()
    assert Path(client.download_artifacts(run.run_id, "fig.html", tmp_path / "p")).read_text() == "<html>plot</html>"
    assert Path(client.download_artifacts(run.run_id, "fig.png", tmp_path / "p")).read_bytes() == b"IMG"


def test_no_active_run(any_uri, files):
    for call in (
        lambda: nbtrack.log_artifact("model.pkl"),
        lambda: nbtrack.log_artifacts("models"),
        lambda: nbtrack.log_text("x", "a.txt"),
        lambda: nbtrack.log_dict({}, "a.json"),
        lambda: nbtrack.log_figure(None, "a.png"),
    ):
        with pytest.raises(NoActiveRunError):
            call()


def test_deleted_or_missing_run(any_uri, files):
    client = TrackingClient()
    run_id = client.create_run("0").info.run_id
    client.log_artifact(run_id, "model.pkl")
    client.delete_run(run_id)
    with pytest.raises(RunStateError):
        client.log_artifact(run_id, "model.pkl")
    assert _paths(client.list_artifacts(run_id)) == [("model.pkl", False)]  # still readable
    with pytest.raises(RunNotFoundError):
        client.list_artifacts("c" * 32)


def test_repository_writes_are_atomic_and_listing_skips_temp_files(tmp_path):
    repo = ArtifactRepository(tmp_path / "run")
    repo.write_bytes("a.txt", b"1")
    (tmp_path / "run" / ".a.txt.123.tmp").write_bytes(b"half")
    assert repo.list() == [FileInfo("a.txt", False, 1)]
    repo.write_bytes("sub/b.txt", b"2")
    with pytest.raises(InvalidParameterError, match="existing artifact directory"):
        repo.write_bytes("sub", b"x")
    assert repo.list("sub") == [FileInfo("sub/b.txt", False, 1)]


def test_download_all_of_a_run_without_artifacts_is_an_empty_folder(any_uri, tmp_path):
    with nbtrack.start_run() as run:
        pass
    folder = Path(TrackingClient().download_artifacts(run.run_id, "", dst_path=tmp_path / "empty"))
    assert folder.is_dir() and list(folder.iterdir()) == []
    assert not Path(nbtrack.get_run(run.run_id).info.artifact_uri).exists()  # reading created nothing


@pytest.mark.parametrize("bad", ["s3://bucket/path", "", 5])
def test_create_experiment_rejects_non_local_artifact_locations(any_uri, bad):
    with pytest.raises(InvalidParameterError, match="artifact_location"):
        TrackingClient().create_experiment("remote", artifact_location=bad)


def test_yaml_without_pyyaml_is_a_clear_error(any_uri, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "yaml", None)  # makes `import yaml` fail
    with nbtrack.start_run() as run:
        with pytest.raises(InvalidParameterError, match="PyYAML"):
            nbtrack.log_dict({"a": 1}, "config.yaml")
        nbtrack.log_dict({"a": 1}, "config.json")
    assert [a.path for a in TrackingClient().list_artifacts(run.run_id)] == ["config.json"]


@pytest.mark.parametrize("uri", ["/tmp/a/artifacts", "file:///tmp/a/artifacts", "C:/runs/artifacts", "rel/artifacts"])
def test_local_artifact_uris_are_paths(uri):
    assert is_local_uri(uri)
    assert local_path_from_uri(uri).name == "artifacts"


@pytest.mark.parametrize("uri", ["mlflow-artifacts:/1/abc/artifacts", "s3://bucket/1/abc/artifacts",
                                 "http://host:5000/artifacts"])
def test_remote_artifact_uris_are_refused_as_local_paths(uri):
    assert not is_local_uri(uri)
    with pytest.raises(nbtrack.StoreError, match="not a local folder"):
        local_path_from_uri(uri)

