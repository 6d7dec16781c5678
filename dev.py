#!/usr/bin/env python3
"""Set up and run argo_scheduler on a machine that has only Python.

    python3 dev.py demo    # venv + install, then run examples/hello.ipynb on the local engine
    python3 dev.py test    # venv + install (Python, apt and npm test needs), then the whole test suite

Both build the JupyterLab extension (labextension/, with jlpm) when its
sources are newer than its build, and link the build into .venv, where
JupyterLab loads it from.

`test` installs Debian's postgresql and chromium with apt-get when missing:
tests/support/databases.py starts a throwaway cluster from PostgreSQL's server
binaries, and the browser tests (tests/ui) drive chromium with Playwright.

Idempotent: a second run reuses .venv and only installs what changed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import venv
from glob import glob
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def sh(*argv: str | os.PathLike, **kwargs) -> int:
    print("+", " ".join(str(a) for a in argv), flush=True)
    return subprocess.call([str(a) for a in argv], **kwargs)


def ensure_venv(extras: str) -> None:
    if not PY.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    stamp = VENV / f".installed-{extras or 'base'}"
    pyproject = ROOT / "pyproject.toml"
    if stamp.exists() and stamp.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    if sh(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip") != 0:
        sys.exit("could not upgrade pip in .venv")
    if sh(PY, "-m", "pip", "install", "--quiet", "-e", target) != 0:
        sys.exit("could not install argo-scheduler into .venv")
    # Built-in plugins register through entry points; an editable install
    # must be redone for new ones to appear, which the stamp takes care of.
    stamp.touch()


def ensure_outside_plugin() -> None:
    """Install tests/outside_plugin as a third party would: a plain pip install."""
    source = ROOT / "tests" / "outside_plugin"
    stamp = VENV / ".installed-outside-plugin"
    newest = max(p.stat().st_mtime for p in source.rglob("*") if p.is_file())
    if stamp.exists() and stamp.stat().st_mtime >= newest:
        return
    if sh(PY, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", source) != 0:
        sys.exit("could not install the example plugin in tests/outside_plugin")
    stamp.touch()


LABEXTENSION = ROOT / "labextension"
LABEXTENSION_BUILT = ROOT / "src" / "argo_scheduler" / "labextension"
# jlpm (JupyterLab's yarn) and `jupyter labextension build` come with JupyterLab.
LAB_BUILD_TOOLS = "jupyterlab>=4.6,<5"


def newest_mtime(paths) -> float:
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def ensure_labextension() -> None:
    """Build the JupyterLab extension when its sources are newer than the build; link it into .venv.

    The build output (src/argo_scheduler/labextension, git-ignored) is what
    a wheel carries as share/jupyter/labextensions/argo-scheduler
    (hatch_build.py); here that folder in .venv is a link to it, as
    `jupyter labextension develop` makes, so a rebuild needs no reinstall.
    """
    jlpm = BIN / "jlpm"
    if not jlpm.exists() and sh(PY, "-m", "pip", "install", "--quiet", LAB_BUILD_TOOLS) != 0:
        sys.exit(f"could not install {LAB_BUILD_TOOLS} (jlpm builds the JupyterLab extension)")
    # jlpm's scripts call `jupyter labextension build`: the venv's.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    installed = LABEXTENSION / "node_modules" / ".installed-by-dev-py"
    manifests = [LABEXTENSION / "package.json", LABEXTENSION / "yarn.lock"]
    if not installed.exists() or installed.stat().st_mtime < newest_mtime(manifests):
        if sh(jlpm, "install", cwd=LABEXTENSION, env=env) != 0:
            sys.exit(f"`jlpm install` failed in {LABEXTENSION}")
        installed.touch()
    sources = [*manifests, LABEXTENSION / "tsconfig.json", *(LABEXTENSION / "src").rglob("*"),
               *(LABEXTENSION / "style").rglob("*")]
    built = LABEXTENSION_BUILT / "package.json"
    # Dated when the last good build started: a source saved while it ran is newer.
    stamp = LABEXTENSION / "lib" / ".built-by-dev-py"
    if not built.exists() or not stamp.exists() or stamp.stat().st_mtime < newest_mtime(sources):
        started = time.time()
        # Not build:prod, which cleans first: tsc stays incremental.
        for script in ("build:lib:prod", "build:labextension"):
            if sh(jlpm, "run", script, cwd=LABEXTENSION, env=env) != 0:
                sys.exit(f"`jlpm run {script}` failed in {LABEXTENSION}")
        stamp.touch()
        os.utime(stamp, (started, started))
    name = json.loads(built.read_text())["name"]
    link = VENV / "share" / "jupyter" / "labextensions" / name
    if link.is_symlink() and link.resolve() == LABEXTENSION_BUILT.resolve():
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.exists():
        shutil.rmtree(link)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(LABEXTENSION_BUILT, target_is_directory=True)


def demo() -> int:
    ensure_venv("")
    ensure_labextension()
    out = ROOT / "demo-output"
    notebook = ROOT / "examples" / "hello.ipynb"
    return sh(
        BIN / "argo-scheduler", "run", notebook,
        "-p", "n=5", "-p", "greeting=hello from the demo",
        "--output-format", "ipynb", "--output-format", "html",
        "--db-url", f"sqlite:///{out / 'scheduler.sqlite'}",
        "--staging-path", out / "staging",
    )


NEBARI_CONTROLLER = "nebari-workflow-controller==2023.7.1"


def ensure_nebari_controller() -> None:
    """The Nebari workflow controller whose own code tests/nebari runs our manifests through.

    Its release pins fastapi 0.95, pydantic 1 and kubernetes 26, which cannot
    share a venv with hera; its modules work with the versions the test
    extra installs, so it goes in without its pins.
    """
    stamp = VENV / ".installed-nebari-controller"
    if stamp.exists() and stamp.read_text() == NEBARI_CONTROLLER:
        return
    if sh(PY, "-m", "pip", "install", "--quiet", "--no-deps", NEBARI_CONTROLLER) != 0:
        sys.exit(f"could not install {NEBARI_CONTROLLER} (tests/nebari run its code)")
    stamp.write_text(NEBARI_CONTROLLER)


PRISM = "@stoplight/prism-cli@5.14.2"  # runs on Node 20; 5.16 wants Node 24
NODE_DIR = ROOT / ".ci" / "node"


def ensure_prism() -> None:
    """Prism checks every request of the Argo engine's tests against Argo's swagger (tests/engines/cluster/argo)."""
    if (NODE_DIR / "node_modules" / ".bin" / "prism").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm (Node 20 or later) is needed to install Prism for tests/engines/cluster/argo")
    if sh(npm, "install", "--no-audit", "--no-fund", "--prefix", NODE_DIR, PRISM) != 0:
        sys.exit(f"could not install {PRISM} into {NODE_DIR}")


POSTGRES_BINARIES = "/usr/lib/postgresql/*/bin/pg_ctl"
CHROMIUM = "/usr/bin/chromium"


def ensure_debian_package(package: str, present: str, why: str) -> None:
    """Install a Debian package with apt-get unless `present` (a glob) already exists."""
    if glob(present):
        return
    missing = f"{present} is missing ({why})"
    apt = shutil.which("apt-get")
    if apt is None:
        sys.exit(f"{missing} and there is no apt-get to install Debian's {package} package: install it by hand")
    if os.geteuid() != 0:
        sys.exit(f"{missing}: run `apt-get install {package}` as root, or run this command as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if sh(apt, "update", env=env) != 0:
        sys.exit(f"apt-get update failed, so Debian's {package} package cannot be installed")
    if sh(apt, "install", "--yes", "--no-install-recommends", package, env=env) != 0:
        sys.exit(f"apt-get could not install Debian's {package} package")
    if not glob(present):
        sys.exit(f"Debian's {package} package is installed but no {present} exists")


def ensure_postgresql() -> None:
    """The server binaries the database tests start a throwaway cluster from (tests/support/databases.py)."""
    ensure_debian_package("postgresql", POSTGRES_BINARIES, "PostgreSQL's server, for the database tests")


def ensure_chromium() -> None:
    """The browser the UI tests drive (tests/ui): Playwright cannot download its own here."""
    ensure_debian_package("chromium", CHROMIUM, "the browser of the UI tests")


def test(pytest_args: list[str]) -> int:
    ensure_venv("test")
    ensure_labextension()
    ensure_outside_plugin()
    ensure_nebari_controller()
    ensure_prism()
    ensure_postgresql()
    ensure_chromium()
    code = sh(PY, "-m", "pytest", *pytest_args, cwd=ROOT)
    if code == 5:
        print("pytest collected no tests: that is a failure, not a pass", file=sys.stderr)
        return 1
    return code


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test"}:
        print(__doc__, file=sys.stderr)
        return 2
    return demo() if argv[0] == "demo" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
