"""RunComparison shows logged images (per key, side by side, at a chosen step) and logged
tables (side by side), in the widget and in its static twin: escaped, images inlined."""
from __future__ import annotations

import base64
import re

import numpy as np

from nbtrack.widgets import RunComparison

from .conftest import XSS
from .svgparse import elements, table_rows


def _runs_with_media(client, experiment_id):
    ids = []
    for i, name in enumerate(["a", XSS]):
        run_id = client.create_run(experiment_id, run_name=name).info.run_id
        for step in (0, 5):
            pixels = np.full((8, 8, 3), 40 * i + 20 * step, dtype=np.uint8)
            client.log_image(run_id, pixels, key="samples/recon", step=step)
        client.log_table(run_id, {"label": ["cat", XSS], "score": [0.5 + i, 0.25]}, "preds.json")
        client.set_terminated(run_id)
        ids.append(run_id)
    return ids


def test_images_side_by_side_latest_step_then_a_chosen_one(client, experiment_id):
    panel = RunComparison(_runs_with_media(client, experiment_id), client=client)
    assert panel.media.image_keys == ["samples/recon"] and panel.media.steps == [0, 5]
    images = panel.images_view.value
    rows = table_rows(images)
    assert rows[0] == ["image", *panel.labels] and rows[1][0] == "samples/recon"
    imgs = elements(images, "img")
    assert len(imgs) == 2 and all("at step 5" in i["title"] for i in imgs)
    data = imgs[0]["src"].split(",", 1)[1]
    assert base64.b64decode(data)[:4] == b"RIFF"  # the webp thumbnail, inlined
    panel.image_step_picker.value = 0
    assert panel.image_step == 0
    assert all("at step 0" in i["title"] for i in elements(panel.images_view.value, "img"))
    assert "Images (step 0)" in panel.twin_bundle()["text/html"]


def test_tables_side_by_side_and_escaped_in_the_twin(client, experiment_id):
    panel = RunComparison(_runs_with_media(client, experiment_id), client=client)
    tables = panel.tables_view.value
    assert "Table preds.json" in tables and len(elements(tables, "table", "nbtrack-logged-table")) == 2
    twin = panel.twin_bundle()["text/html"]
    assert "<script>" not in twin and "&lt;script&gt;" in twin
    assert re.search(r"<td[^>]*>1\.5</td>", twin)  # the second run's score
    assert panel.tables_view in panel.children and panel.images_view in panel.children


def test_runs_without_media_show_no_media_controls(client, experiment_id):
    ids = [client.create_run(experiment_id, run_name=n).info.run_id for n in ("x", "y")]
    panel = RunComparison(ids, client=client)
    assert panel.image_step_picker not in panel.children and panel.tables_view not in panel.children
