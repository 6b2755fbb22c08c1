"""What a new run gets when the caller does not say: a readable name, and the tags that hold it.

The name and the user (:func:`nbtrack._identity.current_user`) are kept in MLflow's system tags
(``mlflow.runName``, ``mlflow.user``) so runs read the same in MLflow's tools.
"""
from __future__ import annotations

import random

RUN_NAME_TAG = "mlflow.runName"
USER_TAG = "mlflow.user"

_ADJECTIVES = ["amber", "able", "bold", "brave", "bright", "calm", "clever", "crisp", "daring", "eager", "fancy", "gentle", "glad", "honest", "jolly", "keen", "lively", "lucky", "merry", "mighty", "nimble", "noble", "polite", "proud", "quick", "quiet", "rare", "silent", "smooth", "sturdy", "sunny", "swift", "tidy", "vivid", "warm", "wise", "witty", "zesty"]
_NOUNS = ["ant", "badger", "bee", "crane", "deer", "dolphin", "eagle", "falcon", "ferret", "finch", "fox", "gecko", "hare", "hawk", "heron", "ibis", "koala", "lark", "lemur", "lynx", "mole", "moth", "newt", "otter", "owl", "panda", "puffin", "quail", "raven", "robin", "seal", "shrew", "sloth", "snail", "swan", "tiger", "toad", "trout", "vole", "wasp", "whale", "wren", "yak"]


def generate_run_name() -> str:
    """An MLflow-like readable name: ``adjective-noun-NNN``."""
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(0, 999):03d}"
