"""Every notebook in notebooks/ runs headless, so none of them rots.

Each notebook's first code cell (tagged `parameters`) holds its sizes and switches to tiny ones
when JAXJAM_NB_SMOKE=1. The test executes every notebook with nbclient in a python3 kernel of
THIS interpreter (a kernelspec written for the test, so no other installed `python3` kernel is
picked up), in its own temporary working directory, with this process's environment (the
persistent XLA cache of tests/conftest.py, XLA_FLAGS) plus JAXJAM_NB_SMOKE=1; any cell error, or
a cell running past CELL_TIMEOUT_S, fails it. The notebooks run side by side, one kernel each
(their time is mostly XLA compiling, one core per program), so the test takes about as long as
the slowest notebook. Needs nbclient and ipykernel (the `dev` extras); skipped without them.
"""

import asyncio
import json
import os
import sys
import time

import pytest

nbformat = pytest.importorskip("nbformat")

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
NB_DIR = os.path.join(REPO, "notebooks")
NOTEBOOKS = sorted(f for f in os.listdir(NB_DIR) if f.endswith(".ipynb"))
CELL_TIMEOUT_S = 300  # per cell; the smoke sizes take seconds (compiles included)
# what each notebook leaves in its working directory (beside running without an error)
WRITES = {"explore.ipynb": ["state.png"],
          "quickstart.ipynb": ["runs/quickstart_notebook/trained_episode.gif"],
          "large_scale.ipynb": ["runs/large_scale_notebook/trained_M4N10.gif"]}
WHICH_PYTHON = "import sys; print(sys.executable)"  # appended: the kernel is this interpreter


def _kernel_manager(kernel_dir: str):
    """A python3 kernel of this interpreter (sys.executable), whatever else is installed."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec = os.path.join(kernel_dir, "python3")
    os.makedirs(spec, exist_ok=True)
    with open(os.path.join(spec, "kernel.json"), "w") as fh:
        json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                   "display_name": "Python 3 (jaxjam tests)", "language": "python"}, fh)
    return AsyncKernelManager(kernel_name="python3",
                              kernel_spec_manager=KernelSpecManager(kernel_dirs=[kernel_dir]))


async def _execute(name: str, cwd: str, env: dict, kernel_dir: str):
    """The executed notebook, or the exception (a CellExecutionError names the cell)."""
    import nbclient

    for attempt in (1, 2):  # a kernel that dies before it answers (its ports raced another
        # kernel's: "Address already in use") is started once more; a failing cell is not retried
        nb = nbformat.read(os.path.join(NB_DIR, name), as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(WHICH_PYTHON))
        client = nbclient.NotebookClient(nb, km=_kernel_manager(kernel_dir), timeout=CELL_TIMEOUT_S,
                                         startup_timeout=120, resources={"metadata": {"path": cwd}})
        t0 = time.perf_counter()
        try:
            await client.async_execute(env=env, cwd=cwd)
            break
        except RuntimeError as err:
            if attempt == 2 or "before replying to kernel_info" not in str(err):
                return err
        except Exception as err:  # noqa: BLE001  (reported per notebook below)
            return err
        finally:
            print(f"notebooks/{name}: {time.perf_counter() - t0:.1f} s")  # shown with -s
    return nb


async def _execute_all(tmp_path, env: dict) -> dict:
    runs = []
    for name in NOTEBOOKS:
        cwd = tmp_path / name.removesuffix(".ipynb")
        cwd.mkdir()
        runs.append(_execute(name, str(cwd), env, str(tmp_path / "kernels")))
    return dict(zip(NOTEBOOKS, await asyncio.gather(*runs)))


def test_notebooks_are_clean_and_parametrised():
    """As committed: valid nbformat 4, no outputs, the sizes in a first code cell tagged
    `parameters` that reads JAXJAM_NB_SMOKE."""
    assert {"explore.ipynb", "quickstart.ipynb", "large_scale.ipynb", "broadcast.ipynb"} <= set(NOTEBOOKS)
    for name in NOTEBOOKS:
        with open(os.path.join(NB_DIR, name)) as fh:
            raw = json.load(fh)
        nbformat.validate(raw)
        assert raw["nbformat"] == 4, name
        code = [c for c in raw["cells"] if c["cell_type"] == "code"]
        for c in code:
            assert c["outputs"] == [] and c["execution_count"] is None, f"{name}: saved with outputs"
        first = code[0]
        assert "parameters" in first["metadata"].get("tags", []), f"{name}: first code cell not tagged parameters"
        assert "JAXJAM_NB_SMOKE" in "".join(first["source"]), f"{name}: no smoke switch"


@pytest.mark.slow
def test_notebooks_run_headless(tmp_path, monkeypatch):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))  # connection files
    path = os.environ.get("PYTHONPATH", "")
    env = {**os.environ, "JAXJAM_NB_SMOKE": "1", "IPYTHONDIR": str(tmp_path / "ipython"),
           "PYTHONPATH": os.pathsep.join([REPO] + [os.path.abspath(p) for p in path.split(os.pathsep) if p]),
           "PYDEVD_DISABLE_FILE_VALIDATION": "1"}  # debugpy's frozen-modules note on stderr
    results = asyncio.run(_execute_all(tmp_path, env))
    failed = {k: v for k, v in results.items() if isinstance(v, BaseException)}
    assert not failed, "\n\n".join(f"notebooks/{k} failed:\n{v}" for k, v in failed.items())
    for name, nb in results.items():
        kernel_python = "".join(o.get("text", "") for o in nb.cells[-1].outputs).strip()
        assert os.path.realpath(kernel_python) == os.path.realpath(sys.executable), (name, kernel_python)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.execution_count for c in code), f"{name}: a code cell did not run"
        for rel in WRITES.get(name, []):
            out = tmp_path / name.removesuffix(".ipynb") / rel
            assert out.is_file() and out.stat().st_size > 0, f"{name} did not write {rel}"
