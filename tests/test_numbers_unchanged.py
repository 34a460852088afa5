"""The same numbers before and after a change of the engine: four cells of the shipped sweep,
trained by this version's study.py (one process, the later cells of a shape by the loop kept from
the first: loop_cache.LoopCache) and by the version before loops were kept (REFERENCE, each cell's loop
built for it), on this machine, give bit-identical arrays. (The whole sweep, the post's four runs
and the 50-seed study were compared by hand: see the README's "Reproducibility".)"""

import subprocess
import sys
import tarfile
import io

import numpy as np
import pytest

from conftest import ROOT

# The last commit before issue 24 kept a study's loops from cell to cell (itself bit-identical to
# a55b14e, the version before issue 21 moved the pipeline out of the commands).
REFERENCE = "f2f9c2a"
CELLS_STUDY = """base: {base}
seeds: 3
grid:
  learning_rate: [0.1, 1.0]
  optimizer: [sgd, adam]
"""


def reference_tree(destination):
    """The project as it was at REFERENCE, unpacked into destination (nothing in the repository is
    touched); None when this clone does not hold that commit."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", REFERENCE], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination


@pytest.mark.slow
def test_sweep_cells_are_bit_identical_to_the_version_before_loops_were_kept(tmp_path):
    old_root = reference_tree(tmp_path / "reference")
    if old_root is None:
        pytest.skip(f"this clone does not hold {REFERENCE} (a shallow clone)")
    outputs = {}
    processes = []
    for label, root in (("now", ROOT), ("before", old_root)):
        study_file = tmp_path / f"cells_{label}.yaml"
        study_file.write_text(CELLS_STUDY.format(base=root / "experiments" / "sgd_1x60.yaml"))
        outputs[label] = tmp_path / f"out_{label}"
        command = [sys.executable, str(root / "study.py"), str(study_file), "--output-dir", str(outputs[label]),
                   "--set", "epochs=500", "--set", "frames=10", "--no-progress", "--jobs", "1"]
        processes.append(subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for process in processes:
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr
    for cell in ("lr0.1_sgd", "lr0.1_adam", "lr1_sgd", "lr1_adam"):
        with np.load(outputs["now"] / "runs" / cell / "snapshots.npz") as now, \
                np.load(outputs["before"] / "runs" / cell / "snapshots.npz") as before:
            assert set(before.files) == set(now.files)
            for name in before.files:
                np.testing.assert_array_equal(now[name], before[name], err_msg=f"{cell}: {name}")
