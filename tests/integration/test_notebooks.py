"""The notebooks in notebooks/ run top to bottom, offline, and stay small.

Each notebook is executed with nbclient in a fresh kernel of this interpreter (a kernel spec
written for the test, so a `python3` kernel installed elsewhere is never picked up), with
notebooks/ as the working directory. A cell that raises fails the test. Outputs must stay
small: no single output over `MAX_OUTPUT_BYTES`, except the inline interactive view (an
`<iframe srcdoc=...>` holding a whole offline page). The notebooks are stored in git without
outputs; a test checks that too.

Run alone: `.venv/bin/python -m pytest -q tests/test_notebooks.py -p no:warnings`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = ("01-getting-started", "02-cross-case-patterns", "03-add-a-notice")
CELL_TIMEOUT = 120  # seconds per cell
MAX_OUTPUT_BYTES = 1_000_000
MAX_VIEW_BYTES = 5_000_000  # the inline view: kg.outputs.render's page budget, escaped into srcdoc


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory: pytest.TempPathFactory) -> KernelSpecManager:
    """A kernel spec folder with one `python3` kernel: this interpreter, with ipykernel."""
    folder = tmp_path_factory.mktemp("kernels")
    spec = folder / "python3"
    spec.mkdir()
    kernel = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (renda-kg tests)",
        "language": "python",
    }
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    return KernelSpecManager(kernel_dirs=[str(folder)])


def _is_inline_view(output: dict) -> bool:
    html = output.get("data", {}).get("text/html", "")
    text = "".join(html) if isinstance(html, list) else html
    return "<iframe" in text[:200] and "srcdoc=" in text[:400]


def test_the_notebooks_are_there() -> None:
    assert [p.stem for p in _notebooks()] == list(EXPECTED)


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} of {path.name} has outputs: strip them"
            assert cell.execution_count is None, f"cell {index} of {path.name} has a count"


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(
    path: Path, kernel_specs: KernelSpecManager, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook = nbformat.read(path, as_version=4)
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=kernel_specs)
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=CELL_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n{path.name}: executed in {elapsed:.1f} s")
    views = 0
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"cell {index} of {path.name} failed"
            size = len(json.dumps(output, ensure_ascii=False).encode("utf-8"))
            if _is_inline_view(output):
                views += 1
                assert size <= MAX_VIEW_BYTES, f"cell {index}: inline view of {size} bytes"
            else:
                assert size <= MAX_OUTPUT_BYTES, f"cell {index} of {path.name}: {size} bytes"
    if path.stem == "01-getting-started":
        assert views == 1, "the getting-started notebook shows one interactive view inline"
