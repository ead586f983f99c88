"""The numbered notebooks: committed without outputs, and executed headless with papermill.

Execution runs each notebook on a small simulated world with a kernel that is this very
interpreter (a kernelspec written to a temporary JUPYTER_PATH), so the notebooks see the
project's virtualenv whatever kernels the machine has.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from model.settings import PROJECT_ROOT

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
KERNEL_NAME = "sidak-test-python"
WORLD = {"seed": 11, "months": 2, "offices": 3, "transactions_per_office_month": 250}
TIME_LIMIT_SECONDS = 150  # the target is under a minute each; CI machines vary

# Notebook -> (extra papermill parameters, minimum number of images it must produce).
EXPECTED: dict[str, tuple[dict[str, Any], int]] = {
    "01-explore.ipynb": ({}, 7),
    "02-evaluate.ipynb": ({"top_cases": 5}, 5),
    "03-feedback.ipynb": ({"rounds": 2, "review_capacity": 25}, 1),
}


def test_notebooks_are_the_numbered_three() -> None:
    assert [path.name for path in NOTEBOOKS] == sorted(EXPECTED)
    assert all(re.fullmatch(r"\d{2}-[a-z-]+\.ipynb", path.name) for path in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_have_no_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs (run nbstripout)"
            assert cell.execution_count is None, f"{path.name}: execution counts left in"
    assert "papermill" not in notebook.metadata, f"{path.name}: papermill metadata left in"
    assert "widgets" not in notebook.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_have_one_parameters_cell(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    source = tagged[0].source
    for name in ("data_dir", "truth_dir", "work_dir", "seed"):
        assert re.search(rf"^{name} = ", source, re.MULTILINE), f"{path.name}: no {name}"
    imports = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "from model." in imports, f"{path.name}: notebooks use the package"


@pytest.fixture(scope="module")
def venv_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A kernelspec running this interpreter, visible through a temporary JUPYTER_PATH."""
    root = tmp_path_factory.mktemp("jupyter")
    spec_dir = root / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Sidak (test venv)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(root))
        patch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        yield KERNEL_NAME


@pytest.fixture(scope="module")
def notebook_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated world with verdicts (outcomes) and truth/ beside it."""
    from model.simulate import SimulationConfig, simulate_world, write_world

    out = tmp_path_factory.mktemp("notebook-world")
    write_world(simulate_world(SimulationConfig(**WORLD, n_outcomes=100)), out)
    return out


def _images(notebook: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_headless(
    path: Path, venv_kernel: str, notebook_world: Path, tmp_path: Path, _empty_mlflow_db: Path
) -> None:
    import papermill

    # A migrated, empty MLflow store (from conftest) spares the notebook the migrations.
    (tmp_path / "mlruns").mkdir()
    shutil.copy(_empty_mlflow_db, tmp_path / "mlruns" / "mlflow.db")
    extra, min_images = EXPECTED[path.name]
    parameters = {
        "data_dir": str(notebook_world),
        "truth_dir": str(notebook_world / "truth"),
        "work_dir": str(tmp_path / "work"),
        "tracking_uri": f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}",
        "seed": 3,
        **extra,
    }
    output = tmp_path / path.name
    started = time.perf_counter()
    papermill.execute_notebook(
        str(path),
        str(output),
        parameters=parameters,
        kernel_name=venv_kernel,
        cwd=str(NOTEBOOKS_DIR),
        progress_bar=False,
        request_save_on_cell_execute=False,
        execution_timeout=TIME_LIMIT_SECONDS,
    )
    seconds = time.perf_counter() - started
    print(f"{path.name}: {seconds:.1f} s")
    executed = nbformat.read(output, as_version=4)
    errors = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors
    assert _images(executed) >= min_images
    assert seconds < TIME_LIMIT_SECONDS
    if path.name == "02-evaluate.ipynb":
        assert (tmp_path / "work" / "reports" / "report.html").exists()
        assert (tmp_path / "mlruns" / "mlflow.db").exists()
    if path.name == "03-feedback.ipynb":
        assert (tmp_path / "work" / "outcomes.csv").exists()
