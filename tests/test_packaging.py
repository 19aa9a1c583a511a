"""The wheel carries the default templates, and an installed copy finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO


@pytest.mark.slow
def test_wheel_contains_templates_and_the_installed_package_finds_them(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (wheel,) = dist.glob("vault_crm-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "vault_crm/templates/reconnect.md.j2" in names
        assert "vault_crm/cli/__init__.py" in names
        site = tmp_path / "site"
        zf.extractall(site)
    # Import from the unpacked wheel only (as after a plain `pip install .`), not the checkout.
    code = (
        "import vault_crm.render as r, sys; p = r.packaged_templates(); "
        "print(p); sys.exit(0 if (p / 'reconnect.md.j2').is_file() else 1)"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(site))
