"""A real JupyterLab for tests and docs screenshots: started on 127.0.0.1 with a random port and token,
in its own temporary config, data, runtime and settings folders, on a copy of the notebooks; stopped on exit."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# JupyterLab user settings: no news or update checks (nothing leaves the machine), and every cell
# rendered (not only those scrolled into view), so tests can read every output.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(notebooks: list[Path], timeout: float = 90.0, trusted: bool = False) -> Iterator[tuple[str, str]]:
    """Yield (base URL, token) of a JupyterLab serving copies of `notebooks`; stop it afterwards.

    With `trusted`, the copies are signed first (`jupyter trust`), as a notebook is that its reader
    ran and saved: JupyterLab then renders scripts and widgets in its saved outputs.
    """
    with tempfile.TemporaryDirectory(prefix="chainrule-lab-") as tmp:
        tmp = Path(tmp)
        work = tmp / "notebooks"
        work.mkdir()
        for notebook in notebooks:
            shutil.copy(notebook, work / notebook.name)
        for name, values in SETTINGS.items():
            target = tmp / "settings" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        port, token = free_port(), secrets.token_hex(16)
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(tmp / "config"),
            "JUPYTER_DATA_DIR": str(tmp / "data"),
            "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
            "IPYTHONDIR": str(tmp / "ipython"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        if trusted:
            names = [notebook.name for notebook in notebooks]
            subprocess.run([sys.executable, "-m", "jupyter", "trust", *names], env=env, cwd=work, check=True,
                           capture_output=True)  # fmt: skip
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
            "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]  # fmt: skip
        log = (tmp / "server.log").open("w")
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                    break
                except (OSError, http.client.HTTPException):  # not up yet (or a half-open answer)
                    if server.poll() is not None or time.monotonic() > deadline:
                        log.flush()
                        why = (tmp / "server.log").read_text()[-3000:]
                        raise RuntimeError(f"JupyterLab did not start:\n{why}") from None
                    time.sleep(0.3)
            yield base, token
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)
            log.close()


def open_notebook(browser, base: str, token: str, name: str):
    """A 1280x800 page with notebook `name` open and its saved outputs rendered."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{base}/lab/tree/{name}?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-OutputArea-output", timeout=90_000)
    page.wait_for_timeout(1500)  # let the remaining outputs render
    return page


def run_all(page, timeout: float = 180_000) -> None:
    """Run every cell (Run > Run All Cells) and wait until the kernel is idle with every cell numbered."""
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    page.wait_for_function(
        """() => {
          const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')];
          return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=timeout,
    )
