"""Shared test helpers: the repo root on sys.path, and small configs that train in seconds."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import config as config_module  # noqa: E402


@pytest.fixture
def small_config():
    """The shipped 2x10 Adam experiment, shrunk to train in well under a second."""
    return config_module.load_config(
        ROOT / "experiments" / "adam_2x10.yaml",
        ["epochs=300", "frames=40", "n_samples=64", "grid_points=50"],
    )


def shipped_files():
    """experiments/*.yaml split into experiment configs and study files (which list experiments)."""
    paths = sorted((ROOT / "experiments").glob("*.yaml"))
    studies = [path for path in paths if "experiments" in (config_module.load_yaml(path.read_text()) or {})]
    return [path for path in paths if path not in studies], studies
