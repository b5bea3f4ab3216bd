"""Predict-then-reveal (the quiz) and "Nudge it" in the saved HTML player, in headless Chromium."""

from __future__ import annotations

import autograd
from autograd.examples import classic_neuron as classic
from autograd.graph import fmt


def test_each_backward_step_asks_for_the_gradient_it_gives():
    o = classic()
    w = autograd.Walkthrough(o)
    steps = w.steps
    questions = [f.question for f in w.frames if f.question]
    assert len(questions) == len(steps)
    for step, q in zip(steps, questions):
        assert q["ask"] == f"∂{step.root_name}/∂{step.parent_name}"
        assert q["answer"] == float(fmt(step.parent_grad))
    assert not [f for f in w.frames if f.phase == "forward" and f.question]


def test_a_gradient_from_two_paths_asks_to_add_this_one():
    a = autograd.Value(3.0, label="a")
    y = a * a  # two edges into a: 3 then 3 + 3 = 6
    w = autograd.Walkthrough(y)
    first, second = [f.question for f in w.frames if f.question]
    assert first == {"ask": "∂L/∂a", "answer": 3.0}
    assert second == {"ask": "∂L/∂a", "answer": 6.0, "before": "3"}


def test_the_page_carries_a_nudge_check_for_every_node():
    o = classic()
    w = autograd.Walkthrough(o)
    nudges = w._data()["nudges"]
    named = {n["name"]: n for n in nudges}
    order = autograd.topological_order(o)
    assert len(nudges) == sum(1 for v in order if v.kind != "constant")
    for v in order:
        if v.label:
            check = autograd.nudge(o, v)
            assert named[v.label]["text"] == check.explain() and named[v.label]["status"] == check.status




def test_quiz_mode_right_and_wrong_answers_and_the_score_in_the_saved_player(browser, tmp_path):
    o = classic()
    walkthrough = autograd.Walkthrough(o)
    path = walkthrough.save(tmp_path / "backprop.html")
    questions = [(i, f.question) for i, f in enumerate(walkthrough.frames) if f.question]
    (k1, q1), (k2, q2) = questions[:2]
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    problems, requests = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.check(".crw-quiz-toggle input")
    page.click('button[data-go="last"]')  # quiz mode stops at the first question on the way
    assert page.is_visible(".crw-quiz-ask")
    assert page.inner_text(".crw-quiz-question").strip() == f"Step {k1 + 1}: {q1['ask']} = ?"
    assert page.get_attribute(".crw", "data-frame") == str(k1 - 1)  # the answer is not shown yet

    page.fill(".crw-quiz-input", repr(q1["answer"]).replace("-", "\u2212"))  # a right answer (with a real minus)
    page.press(".crw-quiz-input", "Enter")
    verdict = page.inner_text(".crw-quiz-verdict")
    step1 = walkthrough.frames[k1].text  # the worked product and the true value
    assert verdict == f"Right! {step1}" and f"= {fmt(walkthrough.steps[0].parent_grad)})" in step1
    assert page.inner_text(".crw-quiz-score") == "score 1 / 1"
    assert page.get_attribute(".crw", "data-frame") == str(k1)  # revealed

    page.click('button[data-go="next"]')
    assert page.inner_text(".crw-quiz-question").strip() == f"Step {k2 + 1}: {q2['ask']} = ?"
    wrong = f"{q2['answer'] + 1.0:g}"
    page.fill(".crw-quiz-input", wrong)
    page.click('button[data-go="check"]')
    verdict = page.inner_text(".crw-quiz-verdict")
    assert verdict == f"Not quite: you said {wrong}. {walkthrough.frames[k2].text}"
    assert page.inner_text(".crw-quiz-score") == "score 1 / 2"
    assert page.get_attribute(".crw", "data-frame") == str(k2)

    # "Nudge it": the check computed in Python, shown for the chosen node
    w_name = next(v.label for v in autograd.topological_order(o) if v.label.startswith("w"))
    page.select_option(".crw-nudge-select", label=w_name)
    page.click('button[data-go="nudge"]')
    w_node = next(v for v in autograd.topological_order(o) if v.label == w_name)
    assert page.inner_text(".crw-nudge-result") == autograd.nudge(o, w_node).explain()
    assert "crw-nudge-agrees" in page.get_attribute(".crw-nudge-result", "class")
    assert problems == [] and requests == [path.as_uri()]
    page.close()


def test_notebook_02_shows_a_player_in_quiz_mode():
    import json
    from pathlib import Path

    notebook = json.loads(
        (Path(__file__).resolve().parents[1] / "notebooks" / "02_backprop_step_through.ipynb").read_text()
    )
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    quiz = [c for c in code if "quiz=True" in "".join(c["source"])]
    assert len(quiz) == 1
    page = "".join(quiz[0]["outputs"][0]["data"]["text/html"])
    assert '"quiz":true' in page and '"question":{"ask":"∂o/∂w1"' in page and '"nudges":[{' in page
