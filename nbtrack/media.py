"""Images and tables as run artifacts, in the file layout MLflow's UI reads.

- An image logged with ``key`` and ``step`` is saved as
  ``images/<key>+step+<step>+timestamp+<ms>+<uuid>.png`` (``/`` in the key becomes ``~``) beside
  a small ``...+compressed.webp`` thumbnail, and the run gets tag ``mlflow.loggedImages``.
  :func:`parse_image_name` reads a name back, so a key's images form a history by step.
- A table is pandas' ``split`` JSON (``{"columns": [...], "data": [[...]]}``); logging to an
  existing table file appends rows, and tag ``mlflow.loggedArtifacts`` lists it as a table.

Pillow, numpy and pandas are imported only when an image or table is used.
"""
from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from .errors import InvalidParameterError

__all__ = ["Image", "ImageEntry", "image_file_names", "parse_image_name", "to_png", "table_json", "merge_tables"]

IMAGE_KEY_RE = re.compile(r"^[a-zA-Z0-9_\-./ ]+$")
THUMBNAIL_SIZE = 256
_NAME_RE = re.compile(r"^(?P<key>.+)\+step\+(?P<step>-?\d+)\+timestamp\+(?P<ts>\d+)\+(?P<id>[0-9a-f-]+)\.png$")
TABLE_FORBIDDEN = set("\"',:[]{}")


class Image:
    """An image to log: from a numpy array (HxW, HxWx3 or HxWx4; floats in [0, 1] or ints in
    [0, 255]), a Pillow image, a file path, or bytes. Named like ``mlflow.Image``."""

    def __init__(self, image: Any):
        self._pil = _as_pil(image)

    def to_pil(self) -> Any:
        return self._pil

    def to_array(self) -> Any:
        import numpy as np

        return np.asarray(self._pil)

    def resize(self, size: tuple[int, int]) -> Image:
        return Image(self._pil.resize(size))

    def save(self, path: Any) -> None:
        self._pil.save(path)

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self._pil.size)


def _as_pil(image: Any) -> Any:
    import PIL.Image

    if isinstance(image, Image):
        return image.to_pil()
    if isinstance(image, PIL.Image.Image):
        return image
    if isinstance(image, (str, bytes)) or hasattr(image, "__fspath__"):
        source = io.BytesIO(image) if isinstance(image, bytes) else image
        with PIL.Image.open(source) as opened:
            opened.load()
            return opened.copy()
    if hasattr(image, "__array__"):
        return PIL.Image.fromarray(_as_uint8(image))
    raise InvalidParameterError(
        f"Unsupported image {type(image).__name__}: pass a numpy array, a PIL image, "
        "nbtrack.Image, a file path or PNG/JPEG bytes"
    )


def _as_uint8(array: Any) -> Any:
    import numpy as np

    arr = np.asarray(array)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise InvalidParameterError(f"Image arrays are HxW, HxWx3 or HxWx4; got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if np.isnan(arr).any() or arr.min() < 0 or arr.max() > 1:
            raise InvalidParameterError("Float image values must be within [0, 1]")
        return (arr * 255).round().astype(np.uint8)
    if arr.dtype.kind in "iub":
        if arr.size and (arr.min() < 0 or arr.max() > 255):
            raise InvalidParameterError("Integer image values must be within [0, 255]")
        return arr.astype(np.uint8)
    raise InvalidParameterError(f"Unsupported image dtype {arr.dtype}")


def to_png(image: Any) -> bytes:
    buf = io.BytesIO()
    _as_pil(image).save(buf, format="PNG")
    return buf.getvalue()


def to_thumbnail(image: Any) -> bytes:
    pil = _as_pil(image).copy()
    pil.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    buf = io.BytesIO()
    (pil if pil.mode in ("RGB", "RGBA", "L") else pil.convert("RGBA")).save(buf, format="WEBP")
    return buf.getvalue()


def image_file_names(key: str, step: int, timestamp: int) -> tuple[str, str]:
    """(full image, thumbnail) artifact paths of one step of an image key."""
    if not isinstance(key, str) or not IMAGE_KEY_RE.match(key):
        raise InvalidParameterError(
            f"Image key {key!r} may only hold letters, digits, '_', '-', '.', ' ' and '/'"
        )
    stem = f"images/{key.replace('/', '~')}+step+{step}+timestamp+{timestamp}+{uuid.uuid4()}"
    return f"{stem}.png", f"{stem}+compressed.webp"


@dataclass(frozen=True)
class ImageEntry:
    """One logged image of a key: its step, time and artifact paths."""

    key: str
    step: int
    timestamp: int
    path: str
    thumbnail_path: str


def parse_image_name(path: str) -> ImageEntry | None:
    """The entry a full-size image file name encodes, or None for other files."""
    name = path.rsplit("/", 1)[-1]
    match = _NAME_RE.match(name)
    if match is None or name.endswith("+compressed.png"):
        return None
    thumb = path[: -len(".png")] + "+compressed.webp"
    return ImageEntry(match["key"].replace("~", "/"), int(match["step"]), int(match["ts"]), path, thumb)


# -- tables -------------------------------------------------------------------------------
def check_table_file(artifact_file: Any) -> str:
    if not isinstance(artifact_file, str) or not artifact_file.endswith(".json"):
        raise InvalidParameterError(f"Table artifact_file must be a '.json' path, got {artifact_file!r}")
    bad = TABLE_FORBIDDEN & set(artifact_file)
    if bad:
        raise InvalidParameterError(f"Table artifact_file {artifact_file!r} contains {''.join(sorted(bad))!r}")
    return artifact_file


def as_frame(data: Any) -> Any:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, dict):
        try:
            return pd.DataFrame(data)
        except ValueError as exc:
            raise InvalidParameterError(f"Table dict columns must have equal lengths: {exc}") from None
    raise InvalidParameterError(f"Table data must be a dict of columns or a DataFrame, got {type(data).__name__}")


def table_json(frame: Any) -> bytes:
    return frame.to_json(orient="split", index=False).encode("utf-8")


def read_table(data: bytes) -> Any:
    import pandas as pd

    payload = json.loads(data)
    return pd.DataFrame(payload["data"], columns=payload["columns"])


def merge_tables(old: Any, new: Any) -> Any:
    import pandas as pd

    return pd.concat([old, new], ignore_index=True)
