"""pyproject.toml: an installed copy, away from the repository, has and imports every module."""

import shutil
import subprocess
import sys
import zipfile

from conftest import ROOT


def test_the_wheel_holds_every_module_and_each_imports_outside_the_repository(tmp_path):
    # Built from a copy: setuptools builds in the source folder, and a test writes nothing into the project.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "output", "build", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "wheel")], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    installed = tmp_path / "installed"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(installed)
    sources = sorted(path.relative_to(ROOT).as_posix() for path in [*ROOT.glob("*.py"), *ROOT.glob("drawing/*.py")])
    assert sources == sorted(str(path.relative_to(installed).as_posix())
                             for path in [*installed.glob("*.py"), *installed.glob("drawing/*.py")])
    modules = [source.removesuffix(".py").replace("/", ".").removesuffix(".__init__") for source in sources]
    code = (f"import importlib, sys; sys.path[0] = {str(installed)!r}\n"
            f"for name in {modules!r}:\n"
            f"    assert importlib.import_module(name).__file__.startswith({str(installed)!r}), name\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
