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
    # The wheel as pip builds it (`pip wheel --no-build-isolation`): the build backend that
    # pyproject.toml names, asked through its PEP 517 hook in the checkout, in a process
    # of its own (without pip's start-up: 0.2 s of CPU instead of 0.8 s).
    build = (
        "import importlib, sys, tomllib; "
        "name = tomllib.load(open('pyproject.toml', 'rb'))['build-system']['build-backend']; "
        "importlib.import_module(name).build_wheel(sys.argv[1])"
    )
    subprocess.run(
        [sys.executable, "-c", build, str(dist)], cwd=REPO, check=True, capture_output=True
    )
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
