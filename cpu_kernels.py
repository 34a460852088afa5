"""Which CPU kernels TensorFlow uses here: its oneDNN ones or not (they round differently).

TensorFlow turns oneDNN on by default on x86 CPUs with AVX-512 VNNI or BF16, AVX-VNNI or AMX, and
TF_ENABLE_ONEDNN_OPTS=0 or =1 decides it otherwise. A run is bit-identical only under the same
setting on the same CPU family, so a Ray task is sent with the driver's setting, and make test
runs the engine tests a second time under the other one. Reads /proc/cpuinfo; no TensorFlow.
"""

from __future__ import annotations

import os
from pathlib import Path

VARIABLE = "TF_ENABLE_ONEDNN_OPTS"
# The CPU flags with which TensorFlow (2.9 and later, Linux x86) turns oneDNN on by itself.
ONEDNN_FLAGS = {"avx512_vnni", "avx512_bf16", "avx_vnni", "amx_bf16", "amx_int8", "amx_tile"}


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags (empty where /proc/cpuinfo is not there: not Linux)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def onednn_default() -> str:
    """'1' where TensorFlow turns oneDNN on by itself on this CPU, else '0'."""
    return "1" if cpu_flags() & ONEDNN_FLAGS else "0"


def onednn_setting() -> str:
    """The setting in effect here: TF_ENABLE_ONEDNN_OPTS as given (TensorFlow reads '1' and 'true'
    as on), else this CPU's default."""
    given = os.environ.get(VARIABLE)
    if given is None:
        return onednn_default()
    return "1" if given.strip().lower() in ("1", "true") else "0"


if __name__ == "__main__":
    # `python cpu_kernels.py other`: the setting that is not in effect here (make test's second pass).
    import sys

    setting = onednn_setting()
    print({"1": "0", "0": "1"}[setting] if sys.argv[1:] == ["other"] else setting)
