"""notebooks/four_experiments.ipynb, executed in a real Jupyter kernel (nbclient and ipykernel), and
what animate.show() puts in a notebook opened in a real browser."""

from pathlib import Path

import nbformat
import pytest

import animate
import rundir
from conftest import ROOT, synthetic_run

NOTEBOOK = ROOT / "notebooks" / "four_experiments.ipynb"
pytestmark = [pytest.mark.notebook, pytest.mark.slow]


def test_the_notebook_runs_and_shows_each_page(tmp_path):
    """The notebook as shipped, with its parameters cell told to write into tmp_path and to train
    300 epochs (the post's 20,000 take a minute and a half more; the numbers are the ones
    train.py gives, checked elsewhere)."""
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    parameters = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(parameters) == 1
    parameters[0].source += f'\nOUTPUT = Path(r"{tmp_path}")\nOVERRIDES = ["epochs=300", "frames=12", "record.curvature=none"]'
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    printed = "".join(output.get("text", "") for output in outputs if output.output_type == "stream")
    for name in ("sgd_1x60", "sgd_2x10", "adam_1x60", "adam_2x10"):
        assert f"{name}: 300 epochs" in printed
        assert (tmp_path / name / "report.html").is_file()
    frames = [output.data["text/html"] for output in outputs if "text/html" in output.get("data", {})]
    assert len(frames) == 3 and all(frame.startswith("<iframe srcdoc=") for frame in frames)
    assert (tmp_path / "compare" / "report.html").is_file()


def test_a_page_shown_in_a_notebook_works_inside_its_frame(tmp_path, offline_page):
    """show()'s HTML in a page of its own, as a notebook puts it: the run's page runs in its
    sandboxed frame with no error and states the run's last frame."""
    run = synthetic_run(epochs=200, frames=10)
    rundir.write_run(tmp_path / "run", run)
    shown = animate.show(tmp_path / "run")  # no report.html yet: show writes it
    host = tmp_path / "notebook.html"
    host.write_text(f'<!DOCTYPE html><html><body data-ready="true">{shown._repr_html_()}</body></html>')
    page, problems = offline_page(host)
    frame = page.frames[1]
    frame.wait_for_selector("body[data-ready=true]", timeout=15000)
    assert frame.text_content("#epoch") == f"{run.frame_epochs[-1]:,}"
    frame.press("#frame-slider", "ArrowLeft")
    assert frame.text_content("#epoch") == f"{run.frame_epochs[-2]:,}"
    assert problems == []


def test_show_says_plainly_what_is_not_a_page(tmp_path):
    with pytest.raises(rundir.RunError, match="not a run directory"):
        animate.show(tmp_path)
    assert list(Path(tmp_path).iterdir()) == []


def test_a_mistake_in_a_notebook_is_one_line_not_a_traceback(tmp_path):
    """IPython shows a RunError or ConfigError as the one line a command would print."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    notebook = new_notebook(cells=[new_code_cell(f'import animate\nanimate.show(r"{tmp_path / "missing"}")'),
                                   new_code_cell('import config\nconfig.validate({"epochs": -1})')])
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True).execute()
    errors = [output for cell in notebook.cells for output in cell.outputs if output.output_type == "error"]
    assert [error.traceback for error in errors] == [
        [f"error: {tmp_path / 'missing'}: does not exist; train a run first, e.g. python train.py --config "
         "experiments/adam_2x10.yaml"],
        [errors[1].traceback[0]]]
    assert errors[1].traceback[0].startswith("error: config: epochs")


def test_a_studys_links_lead_to_its_experiments_pages_from_a_notebook(finished_study, tmp_path, offline_page):
    _, output, _, _ = finished_study
    host = tmp_path / "notebook.html"
    host.write_text(f'<!DOCTYPE html><html><body data-ready="true">{animate.show(output)._repr_html_()}</body></html>')
    page, problems = offline_page(host)
    frame = page.frames[1]
    frame.wait_for_selector("body[data-ready=true]", timeout=15000)
    links = frame.eval_on_selector_all("table a", "links => links.map(link => link.href)")
    assert links == [(output / "runs" / name / "report.html").resolve().as_uri() for name in ("sgd_2x10", "adam_2x10")]
    assert problems == []
