// chainrule's step-through player: one SVG laid out once, frames that repaint it.
//
// chainrulePlayer(root, data) builds the live player inside `root` (replacing the static picture
// and step list that the page carries for places where scripts do not run) and returns
// {show(index), frame(), destroy()}. `data` is what autograd/view/player.py writes: the SVG, the text
// lines each element starts with, and the frames (phase, text, MathML, element ids to paint, the
// ids the text talks about, and the lines to update). Nothing here fetches anything.
//
// Moving between frames applies (or undoes) only the updates of the frames in between, and
// repaints only the elements of the old and new frame, so a graph of thousands of nodes keeps
// up with the slider. Zoom changes the SVG's size (text stays crisp; browser zoom still works),
// pan scrolls the view; "follow" brings whatever the current frame talks about into view, at a
// size where the text is at least MIN_TEXT_PX CSS pixels high.
function chainrulePlayer(root, data, options) {
  "use strict";
  options = options || {};
  var MIN_TEXT_PX = 11;  // text is never scaled below this while following (the requirement is 10)
  var PT = 4 / 3;  // Graphviz draws in points; CSS pixels per point
  var doc = root.ownerDocument;
  var frames = data.frames, count = frames.length;
  var index = 0, scale = 1, timer = null, follow = true;

  function make(tag, cls, text) {
    var e = doc.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function button(label, go, title) {
    var b = make("button", "crw-btn", label);
    b.type = "button";
    b.setAttribute("data-go", go);
    b.title = title;
    b.setAttribute("aria-label", title);
    return b;
  }

  // ---- build the live player (the static picture is removed: it is only for script-less viewers)
  var staticPart = root.querySelector(".crw-static");
  if (staticPart) { staticPart.parentNode.removeChild(staticPart); }
  var style = make("style");
  style.textContent = data.css.replace(/#ID/g, "#" + root.id);
  var live = make("div", "crw-live");
  var bar = make("div", "crw-bar");
  var playButton = button("Play", "play", "play the frames (space)");
  [button("First", "first", "first frame (Home)"), button("Prev", "prev", "previous frame (left arrow)"), playButton,
   button("Next", "next", "next frame (right arrow)"), button("Last", "last", "last frame (End)")].forEach(function (b) {
    bar.appendChild(b);
  });
  var slider = make("input", "crw-slider");
  slider.type = "range"; slider.min = "1"; slider.max = String(count); slider.value = "1";
  slider.setAttribute("aria-label", "frame");
  bar.appendChild(slider);
  var counter = make("span", "crw-count");
  bar.appendChild(counter);
  var zoomBar = make("span", "crw-zoom");
  [button("\u2212", "zoom-out", "zoom out (-)"), button("+", "zoom-in", "zoom in (+)"),
   button("Fit", "fit", "show the whole graph (0)"), button("1:1", "actual", "actual size (1)")].forEach(function (b) {
    zoomBar.appendChild(b);
  });
  var followLabel = make("label", "crw-follow");
  var followBox = make("input");
  followBox.type = "checkbox"; followBox.checked = true;
  followLabel.appendChild(followBox);
  followLabel.appendChild(doc.createTextNode(" follow the step"));
  zoomBar.appendChild(followLabel);
  bar.appendChild(zoomBar);
  var view = make("div", "crw-view");
  view.tabIndex = -1;
  var canvas = make("div", "crw-canvas");
  canvas.innerHTML = data.svg;
  view.appendChild(canvas);
  var legend = make("div", "crw-legend");
  var phaseLine = make("div", "crw-phase");
  var math = make("div", "crw-math");
  var text = make("div", "crw-text");
  [style, bar, view, legend, phaseLine, math, text].forEach(function (e) { live.appendChild(e); });
  if (data.note) { live.appendChild(make("div", "crw-note", data.note)); }
  var hint = make("div", "crw-hint", "Drag to pan; Ctrl + wheel (or pinch) to zoom; arrow keys step.");
  live.appendChild(hint);
  root.appendChild(live);
  if (!root.hasAttribute("tabindex")) { root.tabIndex = 0; }

  var svg = canvas.querySelector("svg");
  var box = svg.viewBox.baseVal;
  var natural = { w: box.width * PT, h: box.height * PT };  // CSS px at scale 1
  svg.removeAttribute("width");
  svg.removeAttribute("height");

  // ---- the SVG's elements, found once
  var byId = {};
  Array.prototype.forEach.call(svg.querySelectorAll("[id]"), function (e) { byId[e.id] = e; });
  var lines = {};  // node id -> {key: <text> element}, e.g. lines.v3.grad
  Object.keys(data.initial).forEach(function (id) {
    var group = byId["n_" + id];
    if (!group) { return; }
    lines[id] = {};
    var keys = Object.keys(data.initial[id]);
    Array.prototype.forEach.call(group.querySelectorAll("text"), function (t) {
      var content = t.textContent.replace(/\u00a0/g, " ");
      keys.forEach(function (key) { if (content.indexOf(key + " ") === 0) { lines[id][key] = t; } });
    });
  });
  var smallestFont = Infinity;
  Array.prototype.forEach.call(svg.querySelectorAll("text"), function (t) {
    var size = parseFloat(t.getAttribute("font-size"));
    if (size > 0 && size < smallestFont) { smallestFont = size; }
  });
  if (!isFinite(smallestFont)) { smallestFont = 10; }
  var readable = MIN_TEXT_PX / (smallestFont * PT);  // the smallest scale at which all text is readable

  // ---- numbers: frame k's updates, and what each replaced (so going back is as cheap as going forward)
  var current = {};
  Object.keys(data.initial).forEach(function (id) {
    current[id] = {};
    Object.keys(data.initial[id]).forEach(function (key) { current[id][key] = data.initial[id][key]; });
  });
  var before = frames.map(function (f) {
    return f.updates.map(function (u) {
      var old = current[u[0]] ? current[u[0]][u[1]] : "";
      if (current[u[0]]) { current[u[0]][u[1]] = u[2]; }
      return old;
    });
  });
  function setLine(id, key, value) {
    var t = lines[id] && lines[id][key];
    if (t && value) { t.textContent = (key + " " + value).replace(/ /g, "\u00a0"); }
  }
  Object.keys(data.initial).forEach(function (id) {
    Object.keys(data.initial[id]).forEach(function (key) { setLine(id, key, data.initial[id][key]); });
  });
  var applied = -1;  // frames 0..applied have their updates shown
  function applyUpTo(k) {
    while (applied < k) {
      applied += 1;
      frames[applied].updates.forEach(function (u) { setLine(u[0], u[1], u[2]); });
    }
    while (applied > k) {
      var f = frames[applied];
      for (var i = f.updates.length - 1; i >= 0; i--) { setLine(f.updates[i][0], f.updates[i][1], before[applied][i]); }
      applied -= 1;
    }
  }

  // ---- highlights: only the elements of the old and the new frame are touched
  var saved = {};  // element id -> [[shape, stroke, stroke-width], ...]
  function shapesOf(id) {
    if (!saved[id]) {
      var el = byId[id];
      saved[id] = el ? Array.prototype.map.call(el.querySelectorAll("polygon, ellipse, path"), function (s) {
        return [s, s.getAttribute("stroke"), s.getAttribute("stroke-width")];
      }) : [];
    }
    return saved[id];
  }
  var painted = [];
  function paint(ids, colour) {
    ids.forEach(function (id) {
      shapesOf(id).forEach(function (s) {
        s[0].setAttribute("stroke", colour);
        s[0].setAttribute("stroke-width", "3");
      });
      painted.push(id);
    });
  }
  function unpaint() {
    painted.forEach(function (id) {
      shapesOf(id).forEach(function (s) {
        if (s[1] === null) { s[0].removeAttribute("stroke"); } else { s[0].setAttribute("stroke", s[1]); }
        if (s[2] === null) { s[0].removeAttribute("stroke-width"); } else { s[0].setAttribute("stroke-width", s[2]); }
      });
    });
    painted = [];
  }

  // ---- zoom and pan
  function setScale(s, cx, cy) {
    s = Math.max(0.02, Math.min(8, s));
    if (cx === undefined) { cx = view.clientWidth / 2; cy = view.clientHeight / 2; }
    var x = (view.scrollLeft + cx) / scale, y = (view.scrollTop + cy) / scale;
    scale = s;
    svg.style.width = (natural.w * s) + "px";
    svg.style.height = (natural.h * s) + "px";
    view.scrollLeft = x * s - cx;
    view.scrollTop = y * s - cy;
    root.setAttribute("data-scale", s.toFixed(4));
  }
  function maxViewHeight() { return parseFloat(getComputedStyle(view).maxHeight) || 0.65 * window.innerHeight; }
  function fitScale() {
    var w = view.clientWidth || 800, h = maxViewHeight();
    return Math.min(w / natural.w, h / natural.h);
  }
  function rectOf(ids) {  // the union of the elements' boxes, in canvas pixels
    var v = canvas.getBoundingClientRect(), r = null;
    ids.forEach(function (id) {
      var el = byId[id];
      if (!el) { return; }
      var b = el.getBoundingClientRect();
      if (b.width === 0 && b.height === 0) { return; }
      var x0 = b.left - v.left, y0 = b.top - v.top, x1 = b.right - v.left, y1 = b.bottom - v.top;
      r = r ? { x0: Math.min(r.x0, x0), y0: Math.min(r.y0, y0), x1: Math.max(r.x1, x1), y1: Math.max(r.y1, y1) }
            : { x0: x0, y0: y0, x1: x1, y1: y1 };
    });
    return r;
  }
  function bringIntoView(ids, fallbackIds) {
    var r = rectOf(ids);
    if (!r) { return; }
    var pad = 16, w = view.clientWidth, h = view.clientHeight || maxViewHeight();
    var need = Math.max((r.x1 - r.x0 + 2 * pad) / w, (r.y1 - r.y0 + 2 * pad) / h);  // > 1: does not fit
    if (scale < readable || need > 1) {
      var target = Math.max(readable, Math.min(scale < readable ? readable : scale, scale / need));
      if (target !== scale) {
        setScale(target);
        r = rectOf(ids);
      }
      if ((r.x1 - r.x0 + 2 * pad) > w || (r.y1 - r.y0 + 2 * pad) > h) {
        r = rectOf(fallbackIds) || r;  // still too big at a readable size: centre on the active element
      }
    }
    var left = view.scrollLeft, top = view.scrollTop;
    if (r.x0 - pad < left || r.x1 + pad > left + w) { left = (r.x0 + r.x1) / 2 - w / 2; }
    if (r.y0 - pad < top || r.y1 + pad > top + h) { top = (r.y0 + r.y1) / 2 - h / 2; }
    view.scrollLeft = left;
    view.scrollTop = top;
  }
  var drag = null;
  view.addEventListener("pointerdown", function (e) {
    if (e.button !== 0) { return; }
    drag = { x: e.clientX, y: e.clientY, left: view.scrollLeft, top: view.scrollTop, id: e.pointerId };
    view.classList.add("crw-dragging");
  });
  view.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    if (!view.hasPointerCapture(e.pointerId) && (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y)) > 3) {
      view.setPointerCapture(e.pointerId);
    }
    view.scrollLeft = drag.left - (e.clientX - drag.x);
    view.scrollTop = drag.top - (e.clientY - drag.y);
  });
  function endDrag() { drag = null; view.classList.remove("crw-dragging"); }
  view.addEventListener("pointerup", endDrag);
  view.addEventListener("pointercancel", endDrag);
  view.addEventListener("wheel", function (e) {
    if (!(e.ctrlKey || e.metaKey)) { return; }  // a plain wheel scrolls; Ctrl + wheel (and pinch) zooms
    e.preventDefault();
    var v = view.getBoundingClientRect();
    setScale(scale * Math.exp(-e.deltaY * 0.0025), e.clientX - v.left, e.clientY - v.top);
  }, { passive: false });

  // ---- frames
  function legendFor(phase) {
    var c = data.colours, forward = phase === "forward";
    var words = (data.legend || {})[forward ? "forward" : "backward"] || (forward
      ? ["being computed", "computed from", "its inputs"]
      : ["gradient flows from", "flows into", "along this edge (its label: the local derivative)"]);
    var items = [[c.active, words[0]], [c.receiving, words[1]], [c.edge, words[2]]];
    legend.textContent = "";
    items.forEach(function (item) {
      var s = make("span", "", item[1]);
      s.style.borderColor = item[0];
      legend.appendChild(s);
    });
  }
  var shownPhase = null;
  function show(k, why) {
    index = Math.max(0, Math.min(count - 1, k));
    var frame = frames[index];
    applyUpTo(index);
    unpaint();
    paint(frame.edges, data.colours.edge);
    paint(frame.receiving, data.colours.receiving);
    paint(frame.active, data.colours.active);
    if (frame.phase !== shownPhase) { legendFor(frame.phase); shownPhase = frame.phase; }
    slider.value = String(index + 1);
    counter.textContent = (index + 1) + " / " + count;
    phaseLine.textContent = frame.title || (frame.phase === "forward" ? "Forward pass" : "Backward pass");
    math.innerHTML = frame.math || "";
    text.textContent = frame.text;
    root.setAttribute("data-frame", String(index));
    if (follow) {
      var focus = frame.focus && frame.focus.length ? frame.focus : frame.active.concat(frame.receiving);
      bringIntoView(focus, frame.active);
    }
    if (options.onFrame && why !== "external") { options.onFrame(index); }
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; playButton.textContent = "Play"; } }
  function play() {
    if (timer) { stop(); return; }
    if (index >= count - 1) { show(0); }
    playButton.textContent = "Pause";
    timer = setInterval(function () { if (index >= count - 1 || !go(index + 1)) { stop(); } }, 900);
  }

  // ---- quiz: predict each gradient before the step shows it; "nudge it": the finite-difference check
  var quiz = make("div", "crw-quiz");
  var quizLabel = make("label", "crw-quiz-toggle");
  var quizBox = make("input");
  quizBox.type = "checkbox";
  quizBox.checked = !!data.quiz;
  quizLabel.appendChild(quizBox);
  quizLabel.appendChild(doc.createTextNode(" quiz: predict each gradient before it is shown"));
  var quizScore = make("span", "crw-quiz-score", "");
  var quizAsk = make("div", "crw-quiz-ask");
  var quizQuestion = make("span", "crw-quiz-question", "");
  var quizInput = make("input", "crw-quiz-input");
  quizInput.type = "text";
  quizInput.setAttribute("aria-label", "your answer");
  quizInput.setAttribute("inputmode", "decimal");
  var quizCheck = button("Check", "check", "check your answer (Enter)");
  var quizReveal = button("Show me", "reveal", "show the answer without scoring");
  [quizQuestion, quizInput, quizCheck, quizReveal].forEach(function (e) { quizAsk.appendChild(e); });
  var quizVerdict = make("div", "crw-quiz-verdict", "");
  [quizLabel, quizScore, quizAsk, quizVerdict].forEach(function (e) { quiz.appendChild(e); });
  quizAsk.style.display = "none";
  var answered = {}, asked = 0, right = 0, pending = -1;
  function hasQuestion(k) { return !!(frames[k] && frames[k].question && frames[k].question.ask); }
  function scoreText() { quizScore.textContent = asked ? "score " + right + " / " + asked : ""; }
  function parseAnswer(s) {
    s = String(s).trim().replace(/\u2212/g, "-").replace(/\s+/g, "");
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) { return NaN; }
    return Number(s);
  }
  function isRight(guess, truth) {  // within 1% (or 0.001 near zero) of the 4 significant digits the page shows
    return Math.abs(guess - truth) <= Math.max(0.01 * Math.abs(truth), 0.001);
  }
  function ask(k) {  // frame k is next: show the state before it and ask for its gradient
    if (pending === k) { quizInput.focus(); return; }
    pending = k;
    show(k - 1, "quiz");
    var q = frames[k].question;
    quizQuestion.textContent = "Step " + (k + 1) + ": " + q.ask + " = ?" +
      (q.before ? " (it already has " + q.before + " from other paths: add this one)" : "") + " ";
    quizVerdict.textContent = "";
    quizVerdict.className = "crw-quiz-verdict";
    quizAsk.style.display = "";
    quizInput.value = "";
    quizInput.focus();
  }
  function settle(guess, typed) {  // answer (or reveal) the pending question, then show its frame
    var k = pending, q = frames[k].question;
    pending = -1;
    quizAsk.style.display = "none";
    var verdict;
    if (guess === null) {
      verdict = "Answer: " + frames[k].text;
      quizVerdict.className = "crw-quiz-verdict crw-quiz-shown";
    } else {
      asked += 1;
      var ok = isRight(guess, q.answer);
      if (ok) { right += 1; }
      verdict = (ok ? "Right! " : "Not quite: you said " + typed + ". ") + frames[k].text;
      quizVerdict.className = "crw-quiz-verdict " + (ok ? "crw-quiz-right" : "crw-quiz-wrong");
    }
    answered[k] = true;
    scoreText();
    quizVerdict.textContent = verdict;
    show(k, "quiz");
  }
  function go(k) {  // move to frame k; in quiz mode stop at the first unanswered question on the way
    k = Math.max(0, Math.min(count - 1, k));
    if (quizBox.checked && k > index) {
      for (var j = index + 1; j <= k; j++) {
        if (hasQuestion(j) && !answered[j]) { ask(j); return false; }
      }
    }
    if (pending >= 0 && k !== pending - 1) { pending = -1; quizAsk.style.display = "none"; }
    show(k);
    return true;
  }
  quizCheck.addEventListener("click", function () {
    if (pending < 0) { return; }
    var guess = parseAnswer(quizInput.value);
    if (isNaN(guess)) { quizVerdict.textContent = "Type a number, e.g. -0.25"; return; }
    settle(guess, quizInput.value.trim());
  });
  quizReveal.addEventListener("click", function () { if (pending >= 0) { settle(null); } });
  quizInput.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { quizCheck.click(); e.preventDefault(); }
    e.stopPropagation();  // typing "-" or "1" must not zoom
  });
  quizBox.addEventListener("change", function () {
    stop();
    if (!quizBox.checked && pending >= 0) { pending = -1; quizAsk.style.display = "none"; }
  });
  if (!frames.some(function (f, k) { return hasQuestion(k); })) { quizLabel.style.display = "none"; }

  var nudgeBar = make("div", "crw-nudge");
  if (data.nudges && data.nudges.length) {
    var nudgeSelect = make("select", "crw-nudge-select");
    nudgeSelect.setAttribute("aria-label", "node to nudge");
    data.nudges.forEach(function (n, i) {
      var o = make("option", "", n.name);
      o.value = String(i);
      nudgeSelect.appendChild(o);
    });
    var nudgeButton = button("Nudge it", "nudge", "move the node by \u00b1h, recompute, compare with backprop");
    var nudgeResult = make("div", "crw-nudge-result", "");
    nudgeBar.appendChild(doc.createTextNode("Nudge a node: "));
    [nudgeSelect, nudgeButton, nudgeResult].forEach(function (e) { nudgeBar.appendChild(e); });
    nudgeButton.addEventListener("click", function () {
      var n = data.nudges[parseInt(nudgeSelect.value, 10)];
      nudgeResult.textContent = n.text;
      nudgeResult.className = "crw-nudge-result crw-nudge-" + n.status;
      bringIntoView(["n_" + n.id], ["n_" + n.id]);
    });
  }

  var actions = {
    first: function () { stop(); go(0); },
    prev: function () { stop(); go(index - 1); },
    next: function () { stop(); go(index + 1); },
    last: function () { stop(); go(count - 1); },
    play: play,
    "zoom-in": function () { setScale(scale * 1.25); },
    "zoom-out": function () { setScale(scale / 1.25); },
    fit: function () { setScale(fitScale()); view.scrollLeft = 0; view.scrollTop = 0; },
    actual: function () { setScale(1); show(index); }
  };
  [quiz, nudgeBar].forEach(function (e) { live.insertBefore(e, hint); });
  Array.prototype.forEach.call(bar.querySelectorAll("button[data-go]"), function (b) {
    b.addEventListener("click", function () { actions[b.getAttribute("data-go")](); });
  });
  slider.addEventListener("input", function () { stop(); go(parseInt(slider.value, 10) - 1); });
  followBox.addEventListener("change", function () { follow = followBox.checked; if (follow) { show(index); } });
  root.addEventListener("keydown", function (e) {
    if (e.target && e.target.tagName === "INPUT" && e.target.type !== "range" && e.target.type !== "checkbox") { return; }
    var key = { ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last", " ": "play",
                "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", "0": "fit", "1": "actual" }[e.key];
    if (key && !(e.ctrlKey || e.metaKey || e.altKey)) { actions[key](); e.preventDefault(); }
  });

  setScale(Math.max(readable, Math.min(1, fitScale())));
  show(0, "external");
  return {
    show: function (k) { stop(); show(k, "external"); },
    frame: function () { return index; },
    scale: function () { return scale; },
    readableScale: function () { return readable; },
    destroy: function () { stop(); }
  };
}
