"""A realistic demo store for the UI tests, screenshots and the report: a sweep with child runs,
failed and stale runs, notes, artifacts of every previewable kind, and a registered model with
stages and aliases. Deterministic (fixed seeds), built through the public TrackingClient."""
from __future__ import annotations

import json
import math
import random
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from nbtrack.client import TrackingClient

CELL = """%%track_run {name} -p lr -p batch_size -p optimizer
model = MLP(hidden={hidden})
for epoch in range(epochs):
    loss, acc = train_one_epoch(model, lr=lr, batch_size=batch_size)
    nbtrack.log_metrics({{"loss": loss, "acc": acc}}, step=epoch)
"""


def _png(width: int, height: int, pixel) -> bytes:
    """A small RGB PNG drawn by ``pixel(x, y) -> (r, g, b)`` (no imaging library needed)."""
    rows = b"".join(
        b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height)
    )
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _artifacts(folder: Path, run_index: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plots").mkdir(exist_ok=True)
    (folder / "plots" / "confusion.png").write_bytes(
        _png(96, 96, lambda x, y: (255 - 2 * x, 40 + 2 * y, 120 + run_index * 10))
    )
    (folder / "plots" / "roc.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="120">'
        '<polyline points="0,120 40,50 100,20 200,0" fill="none" stroke="currentColor"/>'
        '<text x="100" y="100">ROC</text></svg>'
    )
    (folder / "report.html").write_text("<h3>Validation report</h3><p>accuracy by class</p>"
                                        "<script>document.title='pwned'</script>")
    (folder / "predictions.csv").write_text(
        "id,label,predicted,confidence\n" + "".join(f"{i},{i % 3},{(i + run_index) % 3},{0.5 + i / 40:.3f}\n" for i in range(12))
    )
    (folder / "config.json").write_text(json.dumps({"layers": [128, 64], "dropout": 0.1, "seed": run_index}))
    (folder / "train.log").write_text("epoch 0 loss 1.20\nepoch 1 loss 0.80\n")
    return folder


def _media(client: TrackingClient, run: str, index: int) -> None:
    """An image history (key "samples/digit", 4 steps) and a logged table of errors."""
    import numpy as np

    yy, xx = np.mgrid[0:48, 0:48]
    for k, step in enumerate((0, 10, 20, 30)):
        ring = np.abs(np.hypot(xx - 24, yy - 24) - (6 + 4 * k + index)) < 3
        image = np.stack([ring * 230, ring * (60 + 40 * k), (1 - ring) * 40 + 20], axis=-1)
        client.log_image(run, image.astype(np.uint8), key="samples/digit", step=step)
    client.log_table(run, {
        "id": list(range(6)),
        "label": ["3", "5", "8", "1", "7", "<b>2</b>"],
        "predicted": ["8", "3", "3", "7", "1", "2"],
        "confidence": [round(0.41 + 0.09 * j + 0.01 * index, 3) for j in range(6)],
    }, "eval/errors.json")


def _stale_run(store: str, experiment_id: str) -> None:
    code = (
        "import sys; from nbtrack.client import TrackingClient\n"
        "c = TrackingClient(sys.argv[1]); r = c.create_run(sys.argv[2], run_name='crashed-kernel')\n"
        "c.log_param(r.info.run_id, 'lr', '0.3'); c.log_metric(r.info.run_id, 'loss', 0.9)\n"
        "c.flush()\n"
    )
    subprocess.run([sys.executable, "-c", code, store, experiment_id], check=True, timeout=120)


def seed_demo(store: str, tmp: Path, steps: int = 40) -> dict[str, str]:
    """Fill ``store``; returns ids by name (experiment "mnist-mlp", runs, model "mnist-clf")."""
    client = TrackingClient(store)
    client.create_experiment("baselines")
    exp = client.create_experiment("mnist-mlp")
    rng = random.Random(7)
    ids: dict[str, str] = {"experiment": exp}
    sweep = client.create_run(exp, run_name="lr-sweep", tags={"team": "vision"}).info.run_id
    ids["lr-sweep"] = sweep
    configs = [(lr, opt) for lr in (0.1, 0.03, 0.01) for opt in ("adam", "sgd")]
    for i, (lr, opt) in enumerate(configs):
        name = f"{opt}-lr{lr}"
        run = client.create_run(exp, run_name=name, tags={"mlflow.parentRunId": sweep, "team": "vision"}).info.run_id
        ids[name] = run
        for key, value in {"lr": lr, "optimizer": opt, "batch_size": 64, "hidden": 128 * (1 + i % 2)}.items():
            client.log_param(run, key, value)
        speed = lr * (3 if opt == "adam" else 1.5)
        for step in range(steps):
            loss = math.exp(-speed * step) + 0.05 + rng.random() * 0.03
            client.log_metric(run, "loss", loss, step=step, timestamp=1_700_000_000_000 + i * 600_000 + step * 1500)
            client.log_metric(run, "val_loss", loss * 1.1 + 0.02, step=step, timestamp=1_700_000_000_000 + i * 600_000 + step * 1500)
            client.log_metric(run, "acc", 1 - loss / 1.3, step=step, timestamp=1_700_000_000_000 + i * 600_000 + step * 1500)
        client.set_tag(run, "nbtrack.cell_source", CELL.format(name=name, hidden=128 * (1 + i % 2)))
        if i < 2:
            client.log_artifacts(run, str(_artifacts(tmp / f"art{i}", i)))
        if opt == "adam" and lr != 0.01:
            _media(client, run, i)
        client.set_terminated(run)
    client.set_tag(ids["adam-lr0.03"], "mlflow.note.content", "Best so far: adam at 0.03 converges in ~25 epochs.")
    client.set_terminated(sweep)
    failed = client.create_run(exp, run_name="diverged-lr1.0").info.run_id
    client.log_param(failed, "lr", "1.0")
    client.log_param(failed, "optimizer", "sgd")
    client.log_metric(failed, "loss", float("nan"), step=0)
    client.set_terminated(failed, "FAILED")
    ids["diverged-lr1.0"] = failed
    _stale_run(store, exp)
    best = ids["adam-lr0.03"]
    client.log_model(best, {"weights": [1, 2, 3]}, "model", registered_model_name="mnist-clf")
    client.log_model(ids["adam-lr0.1"], {"weights": [4, 5, 6]}, "model", registered_model_name="mnist-clf")
    client.transition_model_version_stage("mnist-clf", 1, "Production")
    client.transition_model_version_stage("mnist-clf", 2, "Staging")
    client.set_registered_model_alias("mnist-clf", "champion", 1)
    client.set_registered_model_alias("mnist-clf", "challenger", 2)
    client.flush()
    return ids
