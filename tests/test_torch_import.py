"""seglab.torch is optional: ``import seglab`` never needs PyTorch, and without it
``import seglab.torch`` says how to install it. Runs without PyTorch (fresh interpreters)."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(code, cwd):
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_seglab_does_not_import_torch(tmp_path):
    code = "import sys, seglab, seglab.losses, seglab.models; print('torch' in sys.modules)"
    assert run(code, tmp_path) == "False"


def test_missing_torch_names_the_extra(tmp_path):
    code = """
import sys
class NoTorch:  # an environment without PyTorch, as import sees it (scipy asks sys.modules)
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoTorch())
try:
    import seglab.torch
except ImportError as exc:
    print(exc)
"""
    message = run(code, tmp_path)
    assert message == ("seglab.torch needs PyTorch, which is not installed: "
                       "pip install 'seglab[torch]' (it pins torch==2.13.0)")


def test_seglab_folder_on_sys_path_is_refused_clearly():
    """Started inside seglab/, ``import torch`` would find seglab/torch.py itself."""
    code = """
try:
    import torch
except ImportError as exc:
    print(exc)
"""
    assert "imported as the top-level module 'torch'" in run(code, ROOT / "seglab")


def test_the_makefile_installs_the_pin_of_the_extra():
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["torch"]
    assert extra == ["torch==2.13.0"]
    installs = re.findall(r"pip install --quiet (torch\S*)", (ROOT / "Makefile").read_text())
    assert installs == extra
    assert re.search(r"^test: .*\$\(TORCH\)", (ROOT / "Makefile").read_text(), re.M)
