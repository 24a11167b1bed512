"""Run notebooks/quickstart.ipynb in a fresh Jupyter kernel and check its outputs."""

from __future__ import annotations

import os
import pathlib

import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"

#: Where the notebook looks for MNIST: the same default as the ``mnist_dir`` fixture.
MNIST_DIR = pathlib.Path(
    os.environ.get(
        "DLEVERAGE_MNIST_DIR",
        pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist",
    )
)

#: Seconds one cell may run. The whole quick start took 51 s on 2 busy cores.
CELL_TIMEOUT = 300


def _execute(path: pathlib.Path):
    nbformat = pytest.importorskip(
        "nbformat", reason="nbformat is not installed (pip install '.[test]')"
    )
    nbclient = pytest.importorskip(
        "nbclient", reason="nbclient is not installed (pip install '.[test]')"
    )
    pytest.importorskip(
        "ipykernel", reason="ipykernel is not installed (pip install '.[test]')"
    )
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return notebook


def _outputs(notebook) -> tuple[str, int]:
    text: list[str] = []
    images = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text.append(output["text"])
            data = output.get("data", {})
            images += "image/png" in data
            text.append(data.get("text/plain", ""))
    return "".join(text), images


def test_committed_without_outputs():
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed")
    notebook = nbformat.read(NOTEBOOKS / "quickstart.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


@pytest.mark.cluster
@pytest.mark.slow
def test_quickstart_runs():
    notebook = _execute(NOTEBOOKS / "quickstart.ipynb")
    text, images = _outputs(notebook)
    assert "Traceback" not in text
    assert images == 3  # histogram, highest and lowest scores
    assert "lambda = 0" in text
    assert 'ridge = "rel:0.01"' in text
    assert "d_eff" in text
    if (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        assert "MNIST test split: 10000 images of 28 x 28 pixels" in text
    else:
        assert "Falling back to scikit-learn digits" in text
