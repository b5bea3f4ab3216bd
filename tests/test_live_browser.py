"""The live training view in a real JupyterLab, driven by headless Chromium.

The test starts JupyterLab on 127.0.0.1 (a random free port and token, its own config, data and
runtime directories) and stops it at the end. It checks that the view updates while `fit` runs, that
pause and one-epoch stepping work from the buttons, and that a saved notebook shows the run's final
picture, not dead controls, on its first (untrusted) open.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
JUPYTER = Path(sys.executable).with_name("jupyter")

LIVE_CELLS = [
    "import nn\nfrom nn import data\n"
    "X, labels = data.make_moons(40, noise=0.1, seed=1)\n"
    "model = nn.MLP(2, [6, 1], seed=1)\n"
    "optimizer = nn.SGD(model.parameters(), lr=0.3)",
    "history = nn.fit(model, X, data.signed_labels(labels), loss=nn.hinge_loss, optimizer=optimizer,\n"
    "                 epochs={epochs}, live=True, refresh=0.2)",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server serving a temporary directory: yields (base URL, token, directory)."""
    if not JUPYTER.exists():
        pytest.skip("jupyter is not installed (the notebooks extra)")
    home = tmp_path_factory.mktemp("jupyterlab")
    served = home / "notebooks"
    served.mkdir()
    port, token = free_port(), secrets.token_hex(16)
    settings = home / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text('{"fetchNews": "false", "checkForUpdates": false}')  # no news pop-up over the page
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR"):
        env[name] = str(home / name.lower())
    env["JUPYTER_DATA_DIR"] = str(home / "data")  # its own notary: nothing is trusted in advance
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    command = [
        str(JUPYTER), "lab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}", f"--LabApp.user_settings_dir={settings}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start:\n" + (home / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        yield base, token, served
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def write_notebook(path: Path, sources: list[str]) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


def open_in_lab(browser, jupyterlab, name: str):
    base, token, _ = jupyterlab
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    workspace = secrets.token_hex(4)  # a fresh workspace: no tabs restored from an earlier test
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{name}?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    return page


def run_all(page) -> None:
    """Wait for the kernel, then Run > Run All Cells."""
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    page.wait_for_function("() => /Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent)")
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")


def shutdown_kernels(jupyterlab) -> None:
    base, token, _ = jupyterlab
    with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=10) as answer:
        kernels = json.load(answer)
    for kernel in kernels:
        request = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}?token={token}", method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def epoch_shown(page) -> int:
    text = page.inner_text(".chainrule-live-status")
    match = re.search(r"epoch (\d+)/", text)
    assert match, text
    return int(match.group(1))


def picture(page) -> str:
    return page.get_attribute(".chainrule-live img", "src") or ""


def test_the_live_view_updates_and_pause_and_one_epoch_work_in_jupyterlab(browser, jupyterlab):
    served = jupyterlab[2]
    epochs = 400
    write_notebook(served / "live.ipynb", [LIVE_CELLS[0], LIVE_CELLS[1].format(epochs=epochs)])
    page = open_in_lab(browser, jupyterlab, "live.ipynb")
    try:
        run_all(page)
        page.wait_for_selector(".chainrule-live .chainrule-live-status", timeout=90_000)
        assert page.is_visible(".chainrule-live button:has-text('pause')")

        # it updates while training runs: the epoch count grows, and a picture arrives
        seen = {epoch_shown(page)}
        deadline = time.monotonic() + 60
        while len(seen) < 3 and time.monotonic() < deadline:
            time.sleep(0.3)
            seen.add(epoch_shown(page))
        assert len(seen) >= 3, seen
        page.wait_for_function(
            "() => (document.querySelector('.chainrule-live img')?.src || '').startsWith('blob:')"
            " && document.querySelector('.chainrule-live img').naturalWidth > 600",
            timeout=60_000,
        )

        # pause: training stops after the current epoch, the count stays
        page.click(".chainrule-live button:has-text('pause')")
        page.wait_for_selector(".chainrule-live-status:has-text('paused')", timeout=60_000)
        paused_at = epoch_shown(page)
        assert 0 < paused_at < epochs
        time.sleep(1.5)
        assert epoch_shown(page) == paused_at
        assert "paused" in page.inner_text(".chainrule-live-status")
        paused_picture = picture(page)

        # one epoch: exactly one more, then paused again
        page.click(".chainrule-live button:has-text('one epoch')")
        page.wait_for_function(
            f"() => /epoch {paused_at + 1}\\//.test(document.querySelector('.chainrule-live-status').textContent)"
            " && /paused/.test(document.querySelector('.chainrule-live-status').textContent)",
            timeout=60_000,
        )
        time.sleep(1.0)
        assert epoch_shown(page) == paused_at + 1
        assert picture(page) != paused_picture  # a paused view always shows the epoch it stopped at

        # resume, then stop: the widget gives way to the final picture in the same output
        page.click(".chainrule-live button:has-text('resume')")
        page.wait_for_function(
            f"() => Number(/epoch (\\d+)\\//.exec(document.querySelector('.chainrule-live-status').textContent)[1])"
            f" > {paused_at + 1}",
            timeout=60_000,
        )
        page.click(".chainrule-live button:has-text('stop')")
        page.wait_for_selector(".chainrule-live", state="detached", timeout=60_000)
        output = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(1).locator(".jp-OutputArea-output img")
        output.wait_for(timeout=30_000)
        assert output.evaluate("img => img.naturalWidth") > 600
    finally:
        page.close()
        shutdown_kernels(jupyterlab)


def test_a_saved_notebook_shows_the_final_picture_on_its_untrusted_first_open(browser, jupyterlab, tmp_path):
    from nbclient import NotebookClient

    served = jupyterlab[2]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(LIVE_CELLS[0]),
        nbformat.v4.new_code_cell(LIVE_CELLS[1].format(epochs=6)),
        nbformat.v4.new_code_cell("history.wait();"),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    live_output = notebook.cells[1].outputs
    assert [o.output_type for o in live_output] == ["display_data"]
    assert set(live_output[0].data) == {"image/png", "text/plain"}  # the widget gave way to a picture
    assert live_output[0].data["text/plain"].startswith("epoch 6/6")
    nbformat.write(notebook, served / "saved.ipynb")

    page = open_in_lab(browser, jupyterlab, "saved.ipynb")
    try:
        image = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(1).locator(".jp-OutputArea-output img")
        image.wait_for(timeout=60_000)
        assert image.evaluate("img => img.complete && img.naturalWidth") > 600
        text = page.inner_text(".jp-Notebook")
        assert "Error displaying widget" not in text and "VBox(" not in text
        assert page.locator(".jp-OutputArea button").count() == 0  # no controls without a kernel
    finally:
        page.close()
        shutdown_kernels(jupyterlab)
