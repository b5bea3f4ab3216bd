"""The live training view in a real JupyterLab, driven by headless Chromium.

JupyterLab is started by the test on 127.0.0.1 with a random port and token and stopped at the end
(tests/lab.py, shared with the player's JupyterLab test). The test checks that the view updates while
`fit` runs, that pause and one-epoch stepping work from the buttons, and that saved notebooks (one
executed here by nbclient, and the committed notebook 03) show the run's final picture, not dead
controls, on their first (untrusted) open.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request

import chromium
import nbformat
import pytest
from lab import ROOT, jupyter_lab, open_notebook, run_all

NOTEBOOK_03 = ROOT / "notebooks" / "03_training_an_mlp.ipynb"
SETUP = (
    "import nn\nfrom nn import data\n"
    "X, labels = data.make_moons(40, noise=0.1, seed=1)\n"
    "model = nn.MLP(2, [6, 1], seed=1)\n"
    "optimizer = nn.SGD(model.parameters(), lr=0.3)"
)
FIT = (
    "history = nn.fit(model, X, data.signed_labels(labels), loss=nn.hinge_loss, optimizer=optimizer,\n"
    "                 epochs={epochs}, live=True, refresh=0.2)"
)
SHOWN = ".jp-NotebookPanel:visible"  # the notebook on screen (JupyterLab may restore others in hidden tabs)
# So many epochs that training cannot end before the test clicks pause, however fast the engine gets
# (the test stops it); 400 took 1-3 s, so a click could come after the last epoch.
LIVE_EPOCHS = 1_000_000
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def notebook_of(*sources: str):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = KERNEL
    return notebook


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    sync_api = chromium.sync_api()
    from nbclient import NotebookClient

    folder = tmp_path_factory.mktemp("live-notebooks")
    nbformat.write(notebook_of(SETUP, FIT.format(epochs=LIVE_EPOCHS)), folder / "live.ipynb")
    saved = notebook_of(SETUP, FIT.format(epochs=6), "history.wait();")
    NotebookClient(saved, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    nbformat.write(saved, folder / "saved.ipynb")
    with jupyter_lab([folder / "live.ipynb", folder / "saved.ipynb", NOTEBOOK_03]) as (base, token):
        with sync_api.sync_playwright() as p:
            browser = chromium.launch(p)
            yield browser, base, token, saved
            browser.close()


def shutdown_kernels(base: str, token: str) -> None:
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


def test_the_live_view_updates_and_pause_and_one_epoch_work_in_jupyterlab(lab):
    browser, base, token, _ = lab
    epochs = LIVE_EPOCHS
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{base}/lab/tree/live.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        page.wait_for_function("() => /Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent)",
                               timeout=90_000)  # fmt: skip
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
        try:
            page.wait_for_selector(".chainrule-live-status:has-text('paused')", timeout=60_000)
        except Exception as error:  # say what the view showed instead (the state, or a failure)
            shown = page.inner_text(".jp-Notebook") if page.is_visible(".jp-Notebook") else "(no notebook)"
            raise AssertionError(f"the view never said 'paused'; the page shows:\n{shown[-3000:]}") from error
        paused_at = epoch_shown(page)
        assert 0 < paused_at < epochs
        time.sleep(1.5)
        assert epoch_shown(page) == paused_at
        assert "paused" in page.inner_text(".chainrule-live-status")
        paused_picture = picture(page)

        # one epoch: exactly one more, then paused again, with a new picture
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
        output = page.locator(f"{SHOWN} .jp-Cell").nth(1).locator(".jp-OutputArea-output img")
        output.wait_for(timeout=30_000)
        assert output.evaluate("img => img.naturalWidth") > 600
    finally:
        page.close()
        shutdown_kernels(base, token)


def final_picture_is_shown(page, cell) -> None:
    image = page.locator(f"{SHOWN} .jp-Cell").nth(cell).locator(".jp-OutputArea-output img")
    image.wait_for(timeout=60_000)
    assert image.evaluate("img => img.complete && img.naturalWidth") > 600
    text = page.inner_text(SHOWN)
    assert "Error displaying widget" not in text and "VBox(" not in text
    assert page.locator(f"{SHOWN} .jp-OutputArea button").count() == 0  # no controls without a kernel


def test_a_saved_notebook_shows_the_final_picture_on_its_untrusted_first_open(lab):
    browser, base, token, saved = lab
    outputs = saved.cells[1].outputs
    assert [o.output_type for o in outputs] == ["display_data"]
    assert set(outputs[0].data) == {"image/png", "text/plain"}  # the widget gave way to a picture
    assert outputs[0].data["text/plain"].startswith("epoch 6/6")
    page = open_notebook(browser, base, token, "saved.ipynb")
    try:
        final_picture_is_shown(page, 1)
    finally:
        page.close()


def test_notebook_03_uses_the_live_view_and_opens_untrusted_on_its_final_picture(lab):
    browser, base, token, _ = lab
    notebook = nbformat.read(NOTEBOOK_03, as_version=4)
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    live = next(i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and "live=True" in c.source)
    assert any("history.wait()" in c.source for c in cells)
    data = notebook.cells[live].outputs[-1].data
    assert "image/png" in data and data["text/plain"].startswith("epoch 100/100")
    page = open_notebook(browser, base, token, NOTEBOOK_03.name)
    try:
        final_picture_is_shown(page, live)
    finally:
        page.close()
