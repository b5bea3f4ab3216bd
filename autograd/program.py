"""The derivative as a program: `trace` prints the program backprop runs, `compile` runs it.

`trace(f, *example_args)` runs `f` once on Values, then reads the graph it built and writes it out
as straight-line Python: the *forward program*, one line per node (``v3 = v1 * v2``), and the
*backward program*, one line per chain-rule product (``g_v1 += v2 * g_v3``). Nothing here knows
any calculus: every line comes from the engine's own table of derivative rules (`autograd.rules`)
run in a third interpretation, SYMBOL (`autograd.symbols`), where the maths namespace `m` builds
source text instead of numbers. So the listing and the compiled code can never disagree with the
engine about a derivative: there is one copy of each rule. `compile(f, *example_args)` executes that listing, so
it computes the value and every gradient for new arguments of the same shape, with exactly the
arithmetic of the interactive engine and none of its graph objects.

`compile_sum(f, *one_sample)` compiles the same program for one sample into a loop over many
(``weight * sum_i f(sample_i)`` and the gradients of the leaves `f` closes over, a model's
parameters): a training step on a mean loss, in a program as long as one sample's, so compiling
costs what one sample costs. Its backward program is *gathered* (each inner gradient assigned
once, as the sum of what its consumers pass it) rather than one ``+=`` per product; the leaves'
gradients are still added product by product in backward()'s order.

Like `jax.jit`, tracing records what *happened* for the example arguments: a Python ``if`` on
``.data`` inside `f` is frozen to the branch that was taken, and a number computed from ``.data``
becomes a constant. Derivatives that depend on data (relu, abs, clamp, ``**`` with a Value
exponent) are not affected: their rules say ``m.where(...)``, which the program keeps as a
conditional expression. `compile` re-runs `f` on nudged arguments to catch the common cases, and
`CompiledFunction.check` re-traces on any arguments you like; see their docstrings.

Why running generated code is safe here (this module runs each compiled program once, in `_load`,
through `autograd.symbols.run_checked_source`, chainrule's one `exec`; the only other code it runs is
the float steps `autograd.symbols.float_step` prints from a few hot rules of the table at import,
from a fixed template, the rules' own argument names, generated names like ``w0`` and ``x0``, FLOAT
function names and numbers, checked the same way before they run):

* Every piece of *code* in the source comes from this module or the engine: the fixed template
  lines below, identifiers generated here (``v12``, ``g_v12``, ``inputs``, ``finite``), the
  operators of the SYMBOL namespace, the names of the FLOAT namespace's functions and of the rules'
  domain checks (engine identifiers, checked to be plain lower-case names), and numbers printed
  with ``repr`` of an exact ``int``/``float`` (``inf`` and ``nan`` are names bound to floats). No
  label, name or other string from the user is ever put into code.
* User text (labels, parameter names) appears only in *comments*, after `comment_text` has escaped
  every character that could end a comment or confuse a reader: line breaks of every kind
  (``\\n``, ``\\r``, ``\\x0b``, ``\\x0c``, ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028``, ``\\u2029``), NUL,
  bidirectional controls and anything else not printable. So a label cannot end its comment.
  The first two lines of the source carry no comments (no ``coding:`` cookie can be planted).
* Before `exec`, `_check_source` checks the result independently of how it was built: outside
  comments, the source contains no quote, backslash or ``#`` (so no string literal can exist), no
  dot except inside a number (so no attribute access), and every identifier is a keyword of the
  template, a generated name or a function this module bound; the comments contain only printable
  characters; the first two lines are the template's; and there are as many lines as generated.
* The code runs with an empty ``__builtins__``: the only callables it can reach are the FLOAT
  namespace's functions bound by this module.
"""

from __future__ import annotations

import builtins
import html
import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

from autograd import graph, rules
from autograd.symbols import (
    _ATOM,
    _CONDITIONAL,
    _GENERATED,
    _LONGEST_CHAIN,
    _PRODUCT,
    _SUM,
    _UNARY,
    Sym,
    SymbolMaths,
    _has_cut,
    _operand,
    _sym,
    literal,
    run_checked_source,
)
from autograd.value import CONSTANT, RESULT, Value, enable_grad

__all__ = [
    "CompiledFunction",
    "CompiledSum",
    "Line",
    "Listing",
    "SpecialisationWarning",
    "TraceMismatch",
    "compile",
    "compile_sum",
    "trace",
]


def _symbolic(node: Value, parents: list[Sym], out: Sym, maths: SymbolMaths) -> tuple[str | None, Sym, list[Sym]]:
    """The node's domain check (or None), forward expression and local derivatives, from its rule."""
    rule = node.rule
    if rule is None:
        raise TypeError(f"trace: node {node.op!r} was not made by a rule of autograd.rules, so it cannot be printed")
    params = node.params
    check = None
    if rule.domain is not None:
        name = rule.domain.__name__.lstrip("_")
        maths.bind(name, rule.domain)
        check = f"{name}({', '.join([*(p.text for p in parents), *(literal(k).text for k in params)])})"
    arguments = _arguments(rule, parents, params)
    try:
        forward = _sym(rule.forward(maths, *arguments))
        local = [_sym(d) for d in rule.local(maths, out, *arguments)]
    except (TypeError, ValueError) as error:
        raise TypeError(f"trace: the rule for {rule.name!r} cannot be printed: {error}") from error
    if len(local) != len(parents):
        raise AssertionError(f"rule {rule.name!r} gave {len(local)} local derivatives for {len(parents)} inputs")
    return check, forward, local


def _values_of(locals_: list[Sym]) -> list[str] | None:
    """The node values these local derivatives are made of, when each is finite as soon as those
    values are: a value itself, a finite number, a cut, or an m.where between such. Else None."""
    names: list[str] = []
    for d in locals_:
        if d.cut or (d.number is not None and math.isfinite(d.number)):
            continue
        if d.choice is not None:
            inner = _values_of(list(d.choice[1:]))
            if inner is None:
                return None
            names += inner
        elif d.number is None and _GENERATED.match(d.text):
            names.append(d.text)
        else:
            return None
    return names


def _all_finite(values: tuple[float, ...]) -> bool:
    """True when every value is finite: an inf or a nan makes the sum inf or nan (an overflow of a sum
    of finite values only makes this say False, which is safe: the program then skips nothing)."""
    return math.isfinite(builtins.sum(values))


def _arguments(rule: Any, parents: list, params: tuple) -> tuple:
    """A rule's arguments after `m`: the inputs then the params; the n-ary rules take sequences,
    sum(xs) and dot(ws, xs), whose node's parents are ws then xs (see `autograd.rules`)."""
    if rule.name == "sum":
        return (tuple(parents),)
    if rule.name == "dot":
        n = len(parents) // 2
        return tuple(parents[:n]), tuple(parents[n:])
    return (*parents, *params)


def _contribution(local: Sym, upstream: str) -> Sym | None:
    """``local * upstream`` as text; None for a cut (the edge passes exactly nothing).

    A choice with a cut in a branch becomes a choice of contributions: ``(0.0 if v5 <= 0.0 else
    g_v5)``. Adding that 0.0 changes no gradient (a sum that starts at 0.0 is never -0.0), so this
    is exactly `backward()`'s "skip a cut edge". Multiplying by exactly 1.0 is left out: x * 1.0 == x.
    """
    if local.cut:
        return None
    if local.choice is not None and _has_cut(local):
        cond, a, b = local.choice
        first, second = _contribution(a, upstream), _contribution(b, upstream)
        chosen = _operand(literal(0.0) if first is None else first, _CONDITIONAL + 1)
        other = _operand(literal(0.0) if second is None else second, _CONDITIONAL)
        return Sym(f"({chosen} if {_operand(cond, _CONDITIONAL + 1)} else {other})", _ATOM)
    if local.number == 1.0:
        return Sym(upstream)
    return Sym(f"{_operand(local, _PRODUCT)} * {upstream}", _PRODUCT)


# ==== capturing the graph ==================================================================


class Line:
    """One line of a listing: `code` (generated, Python) and `comment` (escaped user text, or "")."""

    __slots__ = ("code", "comment", "indent", "section")

    def __init__(self, code: str, comment: str = "", indent: int = 1, section: str = "forward") -> None:
        self.code = code
        self.comment = comment
        self.indent = indent
        self.section = section  # "inputs", "forward", "backward", "return" or "template"

    def __repr__(self) -> str:
        return f"Line({self.text().strip()!r})"

    def text(self) -> str:
        indent = "    " * self.indent
        if not self.code:
            return f"{indent}# {self.comment}"
        return f"{indent}{self.code}  # {self.comment}" if self.comment else indent + self.code


_TREE = Any  # a nested structure of lists/tuples whose leaves are positions into the flat list


def _flatten(arg: Any, leaves: list, where: str) -> _TREE:
    """Put the numbers and Values of `arg` into `leaves`; return its shape with leaf positions."""
    if isinstance(arg, (Value, Real)) and not isinstance(arg, complex):
        leaves.append(arg)
        return len(leaves) - 1
    if isinstance(arg, (list, tuple)):
        return type(arg)(_flatten(item, leaves, f"{where}[{i}]") for i, item in enumerate(arg))
    raise TypeError(f"trace: {where} must be a number, a Value or a list/tuple of them, got {type(arg).__name__}")


def _unflatten(tree: _TREE, flat: Sequence[Any]) -> Any:
    if isinstance(tree, int):
        return flat[tree]
    return type(tree)(_unflatten(t, flat) for t in tree)


@dataclass
class _Trace:
    root: Value
    order: list[Value]  # topological order, root last
    arg_leaves: list[Value]  # one Value per number/Value in the arguments, in order
    arg_trees: list[_TREE]
    captured: list[Value]  # leaves f reached that are not arguments (e.g. a model's parameters)
    aux: list[Value] | None = None  # with has_aux: the Values f returned beside the output
    aux_tree: _TREE = None


def _capture(f: Callable[..., Value], example_args: tuple, has_aux: bool = False) -> _Trace:
    flat: list = []
    trees = [_flatten(arg, flat, f"argument {i}") for i, arg in enumerate(example_args)]
    leaves: list[Value] = []
    seen: set[int] = set()
    for i, x in enumerate(flat):
        if isinstance(x, Value):
            if x.parents:
                raise ValueError(
                    f"trace: argument Values must be leaves (made with Value(...)), but input {i} was made by "
                    f"{x.op!r}; pass its .data or detach() it"
                )
            if id(x) in seen:
                raise ValueError(f"trace: the same Value is passed twice among the arguments (input {i})")
            seen.add(id(x))
            leaves.append(x)
        else:
            leaves.append(Value(x))
    args = [_unflatten(tree, leaves) for tree in trees]
    with enable_grad():  # tracing records the graph even when called inside no_grad()
        root = f(*args)
    aux, aux_tree = None, None
    if has_aux:
        if not (isinstance(root, tuple) and len(root) == 2):
            raise TypeError(f"trace: with has_aux the function must return (output, aux), got {type(root).__name__}")
        root, extra = root
        aux = []
        aux_tree = _flatten(extra, aux, "the aux output")
        aux = [a if isinstance(a, Value) else Value(a, kind=CONSTANT) for a in aux]
    if not isinstance(root, Value):
        raise TypeError(f"trace: the function must return a Value, got {type(root).__name__}")
    order = graph.topological_order(root)
    arg_ids = {id(v) for v in leaves}
    captured = [n for n in order if not n.parents and id(n) not in arg_ids and _is_variable(n)]
    if aux:
        in_graph = set(order)
        missing = [i for i, a in enumerate(aux) if a not in in_graph and a.kind != CONSTANT]
        if missing:
            raise ValueError(
                f"trace: aux output {missing[0]} is not computed on the way to the output, so the program "
                "does not compute it (return Values the output depends on, e.g. the predictions)"
            )
    return _Trace(root, order, leaves, trees, captured, aux, aux_tree)


def _is_variable(leaf: Value) -> bool:
    """A leaf the program reads when it runs (inputs, parameters) rather than a baked-in number.

    Constants (the 2 in ``x * 2``) and results made without a graph (under `no_grad`) are numbers
    frozen at trace time, like a `jax.jit` closure's constants.
    """
    return leaf.kind not in (CONSTANT, RESULT)


# ==== writing the program ==================================================================


_MAX_LABEL = 40


def comment_text(text: str) -> str:
    """`text` made safe for a one-line comment: anything that could end the line is escaped.

    Printable characters stay (quotes and ``#`` included: inside a comment they are just text);
    a backslash, every kind of line break, NUL, bidirectional controls and every other
    non-printable character become ``\\n``-style escapes. Long text is shortened with "...".
    """
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch.isprintable():  # False for all of Cc, Cf, Zl, Zp, Zs-but-space, Cs, Co, Cn
            out.append(ch)
        else:
            escaped = ch.encode("unicode_escape").decode("ascii")
            if escaped == ch or not escaped.startswith("\\"):
                escaped = f"\\u{ord(ch):04x}"
            out.append(escaped)
    safe = "".join(out)
    if len(safe) > _MAX_LABEL:
        safe = safe[: _MAX_LABEL - 3] + "..."
    return safe


INPUTS_HEADING = "inputs: the leaves of the graph, read from the list `inputs`"


class Listing:
    """The program backprop runs for one graph, as readable Python (made by `autograd.trace`).

    `str(listing)` is the whole program; in Jupyter it shows syntax-highlighted. The program is a
    function ``forward_backward(inputs)``: it reads the input leaves from the list `inputs` (in the
    order of `inputs` below), runs the forward program, one line per node, then the backward
    program, one line per chain-rule product, and returns the output and the gradients of the
    leaves listed in `wrt`. Names: ``v<i>`` is node i of `autograd.topological_order` (the drawing's
    numbering), ``g_v<i>`` its gradient dL/dv<i>; labels appear as comments.
    """

    def __init__(
        self,
        lines: list[Line],
        inputs: list[Value],
        wrt: list[Value],
        output: Value,
        functions: dict[str, Callable],
        names: dict[Value, str],
    ) -> None:
        self.lines = lines
        self.inputs = inputs
        self.wrt = wrt
        self.output = output
        self.functions = functions
        self.names = names
        self.source = "\n".join(line.text() for line in lines) + "\n"

    @property
    def forward(self) -> list[str]:
        """The forward program's lines (code and comment), one per node."""
        return [line.text().strip() for line in self.lines if line.section == "forward"]

    @property
    def backward(self) -> list[str]:
        """The backward program's lines: gradient set-up, then one line per chain-rule product."""
        return [line.text().strip() for line in self.lines if line.section == "backward"]

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        """The program itself when it is short (so a plain-text view shows it), else a summary."""
        if len(self.lines) <= 200:
            return self.source.rstrip("\n")
        counts = {s: sum(line.section == s for line in self.lines) for s in ("inputs", "forward", "backward")}
        return (
            f"<Listing: {counts['inputs']} inputs, {counts['forward']} forward lines, "
            f"{counts['backward']} backward lines; print() it to read it>"
        )

    def _repr_html_(self, max_lines: int = 400) -> str:
        """The listing as highlighted HTML (Pygments, inline styles, no scripts); long ones shortened."""
        lines = self.source.splitlines()
        shown = "\n".join(lines[:max_lines]) + "\n"
        note = ""
        if len(lines) > max_lines:
            note = (
                f"<p><em>{len(lines) - max_lines} more lines not shown; "
                f"<code>print(listing)</code> or <code>.source</code> has them all.</em></p>"
            )
        return highlight_python(shown) + note


def highlight_python(source: str) -> str:
    """Python source as HTML: Pygments with inline styles when installed, else a plain <pre>.

    Inline styles (no classes, no <style>, no scripts) so the HTML reads the same in a notebook
    that is not trusted.
    """
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer
    except ImportError:  # the base install has no Pygments; the notebooks extra does
        return f'<pre style="line-height:125%">{html.escape(source)}</pre>'
    return highlight(source, PythonLexer(), HtmlFormatter(noclasses=True, nobackground=True))


def _listing(tr: _Trace, wrt_leaves: list[Value], maths: SymbolMaths, skip_zeros: bool = False) -> Listing:
    """Write the program for a captured graph: inputs, forward lines, backward lines, return."""
    order, root = tr.order, tr.root
    ids = graph.node_ids(order)  # v<i>: the drawing's numbering
    inputs = [*tr.arg_leaves, *tr.captured]
    sym: dict[Value, Sym] = {}  # node -> the expression that stands for its value
    for position, leaf in enumerate(inputs):
        sym[leaf] = Sym(ids.get(leaf) or f"v{len(order) + position}")  # an unused argument gets a fresh id
    for node in order:
        if not node.parents and node not in sym:
            sym[node] = literal(node.data)  # a constant (or a no-grad result): printed inline

    lines: list[Line] = [Line("def forward_backward(inputs):", indent=0, section="template")]
    lines.append(Line("", INPUTS_HEADING, section="template"))
    for position, leaf in enumerate(inputs):
        lines.append(Line(f"{sym[leaf].text} = inputs[{position}]", _leaf_comment(leaf), section="inputs"))

    lines.append(Line("", "forward: one line per node", section="template"))
    locals_of: dict[Value, list[Sym]] = {}
    for node in order:
        if node.parents:
            out = Sym(ids[node])
            check, expression, locals_of[node] = _symbolic(node, [sym[p] for p in node.parents], out, maths)
            sym[node] = out
            if check:  # the engine's domain check (log of x <= 0, 1/0, ...): the same error, raised here
                lines.append(Line(check, section="forward"))
            comment = comment_text(node.label) if node.label else ""
            lines.append(Line(f"{out.text} = {expression.text}", comment, section="forward"))

    # The nodes that need a gradient: the leaves in `wrt` and everything between them and the root.
    needs = set(wrt_leaves)
    for node in order:
        if node.parents and not needs.isdisjoint(node.parents):
            needs.add(node)

    lines.append(Line("", "backward: one line per chain-rule product, children before parents", section="template"))
    names = _CommentNames(root)
    if root in needs:
        lines.append(Line(f"g_{sym[root].text} = 1.0", f"d{names[root]}/d{names[root]} = 1", section="backward"))
        zeros = [sym[n].text for n in order if n in needs and n is not root]
        in_graph = set(order)
        zeros += [sym[v].text for v in wrt_leaves if v not in in_graph]
        for start in range(0, len(zeros), 8):  # every gradient starts at 0, as in backward()
            lines.append(Line(" = ".join(f"g_{n}" for n in zeros[start : start + 8]) + " = 0.0", section="backward"))
        body: list[Line] = []
        checked: dict[str, None] = {}  # the values `finite` checks (an ordered set)
        guarded = False
        for node in reversed(order):
            if not node.parents or node not in needs:
                continue
            upstream = f"g_{sym[node].text}"
            edges = []
            for parent, d in zip(node.parents, locals_of[node]):
                contribution = _contribution(d, upstream) if parent in needs else None
                if contribution is not None:  # None: not needed, or a cut edge (exactly nothing passes)
                    edges.append((parent, d, contribution))
            # skip_zeros: a node whose gradient is 0 passes 0 * local = +-0 to its parents, which changes
            # nothing, provided every local derivative is finite. That holds for locals that are values
            # (x * y, dot) or finite numbers (+, relu) once `finite` says all those values are finite.
            values = _values_of([d for _, d, _ in edges]) if skip_zeros and len(edges) > 1 else None
            indent = 1
            if values is not None:
                guarded = True
                checked.update(dict.fromkeys(values))
                body.append(Line(f"if {upstream} or not finite:", section="backward"))
                indent = 2
            for parent, d, contribution in edges:
                target = f"g_{sym[parent].text}"
                if d.number == -1.0:
                    code = f"{target} -= {upstream}"  # g + (-1.0 * u) == g - u exactly
                else:
                    code = f"{target} += {contribution.text}"
                comment = names.chain(parent, node) if (parent.label or node.label) else ""
                body.append(Line(code, comment, indent=indent, section="backward"))
        if guarded and not checked:
            lines.append(
                Line("finite = True", "skip_zeros: the skipped products use only finite numbers", section="backward")
            )
        elif guarded:
            maths.bind("all_finite", _all_finite)
            values = list(checked)
            note = "skip_zeros: a zero gradient passes only zeros when these values are finite"
            lines.append(Line("finite = all_finite((", note, section="backward"))
            for start in range(0, len(values), 8):
                lines.append(Line(", ".join(values[start : start + 8]) + ",", indent=2, section="backward"))
            lines.append(Line("))", section="backward"))
        lines.extend(body)
    else:  # the output does not depend on any leaf we differentiate: every gradient is 0
        for v in wrt_leaves:
            lines.append(Line(f"g_{sym[v].text} = 0.0", section="backward"))

    grads = [f"g_{sym[v].text}" for v in wrt_leaves]
    lines.append(Line("", "the output, and the gradients of the leaves listed in `wrt`", section="template"))
    returned = [grads]
    if tr.aux is not None:  # has_aux: the values of the aux outputs too
        returned.append([sym[a].text if a in sym else literal(a.data).text for a in tr.aux])
    if sum(map(len, returned)) <= 8:
        lists = ", ".join(f"[{', '.join(names)}]" for names in returned)
        lines.append(Line(f"return {sym[root].text}, {lists}", section="return"))
    else:
        lines.append(Line(f"return {sym[root].text}, [", section="return"))
        for number, names in enumerate(returned):
            for start in range(0, len(names), 8):
                lines.append(Line(", ".join(names[start : start + 8]) + ",", indent=2, section="return"))
            lines.append(Line("], [" if number < len(returned) - 1 else "]", section="return"))
    return Listing(lines, inputs, wrt_leaves, root, dict(maths.functions), {n: s.text for n, s in sym.items()})


_SUMMED_TEMPLATE = "def forward_backward(inputs, samples, weight, gradients):"
SUMMED_HEADING = "inputs: the leaves read once per call (a model's parameters), from the list `inputs`"
_MAX_SKIPS = 4  # nested "skip the rest of this sample" guards at most (each is one more indent)
_MAX_NESTING = 8  # gradients written inside the one product that uses them, at most this deep


def _gathered(terms: list[tuple[bool, Sym]]) -> Sym:
    """``t1 + t2 - t3 ...``: the sum of a node's contributions, added left to right as backward() adds
    them (a term with ``negate`` is subtracted: ``g + (-1.0 * u) == g - u`` exactly)."""
    if len(terms) > _LONGEST_CHAIN:  # as in SymbolMaths.sum: a loop, not a chain the compiler recurses on
        texts = [f"-{_operand(t, _UNARY + 1)}" if negate else t.text for negate, t in terms]
        return Sym(f"add_in_order(({', '.join(texts)},))", _ATOM)
    negate, first = terms[0]
    if len(terms) == 1:
        return Sym(f"-{_operand(first, _UNARY + 1)}", _UNARY) if negate else first
    text = f"-{_operand(first, _UNARY + 1)}" if negate else _operand(first, _SUM)
    for negate, t in terms[1:]:
        text += f" {'-' if negate else '+'} {_operand(t, _SUM + 1)}"
    return Sym(text, _SUM)


def _finite_test(values: list[str], maths: SymbolMaths) -> str:
    """An expression that is True only when every value is finite (see `_all_finite`)."""
    if len(values) > _LONGEST_CHAIN // 2:
        maths.bind("all_finite", _all_finite)
        return f"all_finite(({', '.join(values)},))"
    return f"({' + '.join(values)}) * 0.0 == 0.0"  # an inf or a nan anywhere makes the sum times 0 a nan


def _summed_listing(tr: _Trace, maths: SymbolMaths, skip_zeros: bool = True) -> Listing:
    """The program for ``weight * (f(sample_1) + f(sample_2) + ...)``: one loop over the samples around
    f's forward and backward programs; the captured leaves (a model's parameters) are read once and
    their gradients, started at the list `gradients`, accumulated across the samples. The arguments
    of f are the loop's variables.

    The backward program is written *gathered*, for speed: each inner node's gradient is assigned
    once, as the sum of what its consumers pass it, in the order backward() adds those products
    (``g_v5 = v2 * g_v9 + v3 * g_v12``), instead of a 0.0 and one ``+=`` per product; a node whose
    one consumer passes its gradient on unchanged (the ``+`` of a bias) shares that gradient's name.
    Only the leaves' gradients are accumulated with ``+=``, product by product in backward()'s
    order, so they are the engine's numbers (an inner 0.0 + x written as x differs at most in the
    sign of a zero, which the leaves' sums, started at 0.0, never show).

    With `skip_zeros`, besides `compile`'s skip of a zero gradient's products into the leaves, a
    node every remaining path to the leaves goes through (the margin of a hinge loss, say) whose
    gradient is a choice (``0.0 if ... else g``) skips the rest of the sample's backward program
    when that gradient is 0: every product it skips would be 0, because the values are finite.
    """
    order, root = tr.order, tr.root
    ids = graph.node_ids(order)
    captured = tr.captured
    sym: dict[Value, Sym] = {}
    for position, leaf in enumerate([*tr.arg_leaves, *captured]):
        sym[leaf] = Sym(ids.get(leaf) or f"v{len(order) + position}")
    for node in order:
        if not node.parents and node not in sym:
            sym[node] = literal(node.data)

    lines: list[Line] = [Line(_SUMMED_TEMPLATE, indent=0, section="template")]
    lines.append(Line("", SUMMED_HEADING, section="template"))
    for position, leaf in enumerate(captured):
        lines.append(Line(f"{sym[leaf].text} = inputs[{position}]", _leaf_comment(leaf), section="inputs"))
    grads = [f"g_{sym[v].text}" for v in captured]
    for position, name in enumerate(grads):  # the leaves' gradients start where the caller says
        lines.append(Line(f"{name} = gradients[{position}]", section="backward"))
    head = len(lines)  # `finite_leaves` goes here, once the backward program says what it needs
    lines.append(Line("total = 0.0", section="template"))
    if tr.aux is not None:
        lines.append(Line("outputs = []", "the aux outputs of every sample, one after another", section="template"))
    arguments = ", ".join(sym[leaf].text for leaf in tr.arg_leaves)
    lines.append(Line(f"for ({arguments}{',' if len(tr.arg_leaves) == 1 else ''}) in samples:", section="template"))

    lines.append(Line("", "forward: one line per node", indent=2, section="template"))
    locals_of: dict[Value, list[Sym]] = {}
    for node in order:
        if node.parents:
            out = Sym(ids[node])
            check, expression, locals_of[node] = _symbolic(node, [sym[p] for p in node.parents], out, maths)
            sym[node] = out
            if check:
                lines.append(Line(check, indent=2, section="forward"))
            comment = comment_text(node.label) if node.label else ""
            lines.append(Line(f"{out.text} = {expression.text}", comment, indent=2, section="forward"))
    lines.append(Line(f"total += {sym[root].text}", indent=2, section="template"))
    if tr.aux is not None:
        aux = [sym[a].text if a in sym else literal(a.data).text for a in tr.aux]
        lines.append(Line(f"outputs += ({', '.join(aux)},)", indent=2, section="template"))

    needs = set(captured)
    for node in order:
        if node.parents and not needs.isdisjoint(node.parents):
            needs.add(node)
    inner = [n for n in reversed(order) if n.parents and n in needs]
    # checkable[i]: every local derivative from inner[i] on is finite when its values are (skips are safe)
    checkable, safe = [False] * len(inner), True
    for i in range(len(inner) - 1, -1, -1):
        node = inner[i]
        safe = safe and _values_of([d for p, d in zip(node.parents, locals_of[node]) if p in needs]) is not None
        checkable[i] = safe

    body: list[Line] = []
    checked: dict[str, None] = {}  # the values `finite` must find finite (an ordered set)
    gname: dict[Value, str] = {root: "weight"}  # d(weight * f)/d(root) is the weight: no line for it
    incoming: dict[Value, list[tuple[Value, Sym]]] = {}  # node -> (consumer, local derivative), backward()'s order
    pending: set[Value] = set()  # inner nodes some consumer has passed a gradient to, not yet written
    indent, skips, guarded = 2, 0, False
    names = _CommentNames(root)
    uses = {node: sum(p in needs and not d.cut for p, d in zip(node.parents, locals_of[node])) for node in inner}
    depth: dict[Value, int] = {}  # how deeply a gradient written inside its one use is nested
    if not root.parents and root in needs:  # f returns a captured leaf itself
        body.append(Line(f"g_{sym[root].text} += weight", indent=indent, section="backward"))
    for i, node in enumerate(inner):
        if node is not root:
            terms: list[tuple[bool, Sym]] = []
            chosen = False  # a term is a choice (relu, abs, clamp): where zero gradients come from
            incoming_of = incoming.pop(node, [])
            for consumer, d in incoming_of:
                upstream = gname[consumer]
                if d.number == -1.0:
                    terms.append((True, Sym(upstream)))
                else:
                    contribution = _contribution(d, upstream)
                    if contribution is not None:
                        terms.append((False, contribution))
                        chosen = chosen or d.choice is not None
                        unchanged = contribution.text == upstream
            pending.discard(node)
            nested = max((depth.get(consumer, 0) for consumer, _ in incoming_of), default=0)
            skip_here = (
                skip_zeros and not pending and i < len(inner) - 1 and checkable[i] and skips < _MAX_SKIPS and chosen
            )
            once = uses[node] == 1 and not skip_here and nested < _MAX_NESTING
            if len(terms) == 1 and not terms[0][0] and unchanged and (once or _GENERATED.match(terms[0][1].text)):
                gname[node] = terms[0][1].text  # passed on unchanged: the same number, the same name
                depth[node] = nested
            elif once:  # used by one product only: written inside it (a dead relu then skips the whole sum)
                gname[node] = f"({(_gathered(terms) if terms else literal(0.0)).text})"
                depth[node] = nested + 1
            else:
                gname[node] = f"g_{sym[node].text}"
                total = _gathered(terms) if terms else literal(0.0)
                body.append(Line(f"{gname[node]} = {total.text}", indent=indent, section="backward"))
                if skip_here:
                    # every remaining path to the leaves goes through this node: a zero here is a zero there
                    for later in inner[i:]:
                        values = _values_of([d for p, d in zip(later.parents, locals_of[later]) if p in needs])
                        checked.update(dict.fromkeys(values or ()))
                    body.append(Line(f"if {gname[node]} or not finite:", indent=indent, section="backward"))
                    indent, skips, guarded = indent + 1, skips + 1, True
        upstream = gname[node]
        leaf_edges = []
        for parent, d in zip(node.parents, locals_of[node]):
            if parent not in needs:
                continue
            if parent.parents:
                incoming.setdefault(parent, []).append((node, d))
                pending.add(parent)
            else:
                contribution = _contribution(d, upstream)
                if contribution is not None:
                    leaf_edges.append((parent, d, contribution))
        values = _values_of([d for _, d, _ in leaf_edges]) if skip_zeros and len(leaf_edges) > 1 else None
        at = indent
        if values is not None:
            checked.update(dict.fromkeys(values))
            body.append(Line(f"if {upstream} or not finite:", indent=indent, section="backward"))
            at, guarded = indent + 1, True
        for parent, d, contribution in leaf_edges:
            target = f"g_{sym[parent].text}"
            code = f"{target} -= {upstream}" if d.number == -1.0 else f"{target} += {contribution.text}"
            comment = names.chain(parent, node) if (parent.label or node.label) else ""
            body.append(Line(code, comment, indent=at, section="backward"))

    if body:
        note = "backward: the gradients of this sample, added to the leaves'"
        lines.append(Line("", note, indent=2, section="template"))
    if guarded:
        leaf_names = {sym[v].text for v in captured}
        once = [v for v in checked if v in leaf_names]
        per_sample = [v for v in checked if v not in leaf_names]
        lines.insert(head, Line(f"finite_leaves = {_finite_test(once, maths) if once else 'True'}", section="backward"))
        test = f"finite_leaves and {_finite_test(per_sample, maths)}" if per_sample else "finite_leaves"
        note = "skip_zeros: a zero gradient passes only zeros when these values are finite"
        lines.append(Line(f"finite = {test}", note, indent=2, section="backward"))
    lines.extend(body)
    lines.append(Line("", "the weighted total, the summed gradients of the leaves in `wrt`", section="template"))
    returned = "outputs" if tr.aux is not None else "[]"
    if len(grads) <= 8:
        lines.append(Line(f"return total * weight, [{', '.join(grads)}], {returned}", section="return"))
    else:
        lines.append(Line("return total * weight, [", section="return"))
        for start in range(0, len(grads), 8):
            lines.append(Line(", ".join(grads[start : start + 8]) + ",", indent=2, section="return"))
        lines.append(Line(f"], {returned}", section="return"))
    return Listing(lines, [*captured], list(captured), root, dict(maths.functions), {n: s.text for n, s in sym.items()})


class _CommentNames(dict):
    """Each node's name for comments (its label, escaped, or v<i>), computed once per node."""

    def __init__(self, root: Value) -> None:
        super().__init__()
        self._display = graph.node_names(root)
        self._root = root

    def __missing__(self, node: Value) -> str:
        name = self[node] = comment_text(self._display[node])
        return name

    def chain(self, parent: Value, child: Value) -> str:
        L, p, c = self[self._root], self[parent], self[child]
        return f"d{L}/d{p} += d{c}/d{p} * d{L}/d{c}"


def _leaf_comment(leaf: Value) -> str:
    what = "parameter" if leaf.kind == "parameter" else "input"
    return f"{what} {comment_text(leaf.label)}" if leaf.label else what


# ==== checking and loading the program =============================================================

_NOT_CODE = re.compile(r"[^A-Za-z0-9_ .+\-*/()<>=!,\[\]:\n]")  # no quotes, backslashes or "#" in code
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ATTRIBUTE_DOT = re.compile(r"(?<![0-9])\.|\.(?![0-9])")  # a dot that is not inside a number like 0.5
_TEMPLATE_WORDS = {"def", "return", "if", "else", "and", "or", "not", "inputs", "forward_backward", "inf", "nan"}
_TEMPLATE_WORDS |= {"finite", "True"}
_TEMPLATE_WORDS |= {"True", "False", "e"}  # "e" of 1e-05
_TEMPLATE_WORDS |= {"for", "in", "samples", "weight", "gradients", "total", "outputs", "finite_leaves"}  # compile_sum


def _check_source(listing: Listing) -> None:
    """Check the generated program independently of how it was built (see the module docstring)."""
    code = "\n".join(line.code for line in listing.lines)
    bad = _NOT_CODE.search(code)
    if bad:
        raise AssertionError(f"generated code has an unexpected character {bad.group()!r}")
    allowed = _TEMPLATE_WORDS | set(listing.functions)
    words: set[str] = set()
    for token in set(code.split()):  # each distinct token once: the program repeats itself a lot
        words.update(_WORD.findall(token))
        if "." in token and _ATTRIBUTE_DOT.search(token):
            raise AssertionError(f"generated code has an attribute access: {token!r}")
    for word in words - allowed:
        if not _GENERATED.match(word):
            raise AssertionError(f"generated code has an unexpected name {word!r}")
    if not "".join(line.comment for line in listing.lines).isprintable():
        raise AssertionError("a comment has a non-printable character")
    first, second = listing.source.splitlines()[:2]  # a "coding:" comment only counts on these two lines
    headings = {"def forward_backward(inputs):": INPUTS_HEADING, _SUMMED_TEMPLATE: SUMMED_HEADING}
    if first not in headings or second != f"    # {headings[first]}":
        raise AssertionError("the generated program does not start with the template lines")
    if len(listing.source.splitlines()) != len(listing.lines):
        raise AssertionError("the generated program's lines do not match the lines generated")


def _load(listing: Listing) -> Callable[[Sequence[float]], tuple[float, list[float]]]:
    """Check the listing's source, then run it (through chainrule's one exec, in `autograd.symbols`)."""
    _check_source(listing)
    namespace: dict[str, Any] = {"__builtins__": {}, "inf": math.inf, "nan": math.nan, **listing.functions}
    run_checked_source(listing.source, namespace, "<chainrule program>", keep_source=False)
    return namespace["forward_backward"]


# ==== the public functions ===================================================================


class TraceMismatch(ValueError):
    """The function built a different graph for these arguments than the one it was compiled for."""


class SpecialisationWarning(UserWarning):
    """`compile` saw signs that the function's graph depends on the data (a Python branch or a
    number read from ``.data``), so the compiled program is specialised to the example arguments."""


def trace(
    f: Callable[..., Value],
    *example_args: Any,
    argnums: int | Sequence[int] | None = None,
    exact: bool = True,
    skip_zeros: bool = False,
    has_aux: bool = False,
) -> Listing:
    """Run ``f(*example_args)`` once and return the program backprop runs for it, as a `Listing`.

    The forward program has one line per node of the graph (``v3 = v1 * v2``) and the backward
    program one line per chain-rule product (``g_v1 += v2 * g_v3``); labels appear as comments.
    Arguments may be numbers, Values (used as they are, so Values `f` closes over are recognised)
    or lists/tuples of them. Gradients are listed for the arguments in `argnums` (all by default)
    and for every other leaf `f` reads that is not a constant (e.g. a model's parameters).
    `exact` and `skip_zeros` are `compile`'s options; ``trace(f, *args, skip_zeros=True)`` is the
    listing `compile` runs.
    """
    tr = _capture(f, example_args, has_aux)
    wrt = _wrt_leaves(tr, argnums)
    return _listing(tr, wrt, SymbolMaths(rules.FLOAT, exact), skip_zeros)


def _positions(argnums: int | Sequence[int] | None, count: int) -> list[int]:
    if argnums is None:
        return list(range(count))
    items = [argnums] if isinstance(argnums, int) else list(argnums)
    for i in items:
        if isinstance(i, bool) or not isinstance(i, int) or not -count <= i < count:
            raise ValueError(f"argnums {i!r} is not the position of one of the {count} argument(s)")
    return [i % count for i in items]


def _tree_positions(tree: _TREE) -> list[int]:
    if isinstance(tree, int):
        return [tree]
    return [p for t in tree for p in _tree_positions(t)]


def _wrt_leaves(tr: _Trace, argnums: int | Sequence[int] | None) -> list[Value]:
    wrt: list[Value] = []
    for i in _positions(argnums, len(tr.arg_trees)):
        wrt.extend(tr.arg_leaves[p] for p in _tree_positions(tr.arg_trees[i]))
    return wrt + tr.captured


def _structure(tr: _Trace) -> list[tuple]:
    """What must be equal for two traces to be the same program: ops, wiring and constants."""
    ids = {id(v): i for i, v in enumerate(tr.order)}
    arg_ids = {id(v): i for i, v in enumerate(tr.arg_leaves)}
    captured = {id(v): i for i, v in enumerate(tr.captured)}
    out = []
    for node in tr.order:
        if node.parents:
            rule = node.rule.name if node.rule is not None else node.op
            out.append((rule, node.params, tuple(ids[id(p)] for p in node.parents)))
        elif id(node) in arg_ids:
            out.append(("argument", arg_ids[id(node)]))
        elif id(node) in captured:
            out.append(("captured", captured[id(node)]))
        else:
            out.append(("constant", node.data))
    if tr.aux is not None:  # which nodes the aux outputs are (a constant aux by its value)
        out.append(("aux", tuple(ids.get(id(a), ("constant", a.data)) for a in tr.aux)))
    return out


class CompiledFunction:
    """``f`` compiled to straight-line Python (made by `autograd.compile`).

    ``compiled(*args)`` returns ``(value, grads)`` for new arguments of the same shape: `value`
    is f's output as a float and `grads` the gradients of the arguments in `argnums` (one entry per
    argument, shaped like it: a float for a number or Value, a list for a list). Leaves that `f`
    reads but that are not arguments (a model's parameters, say) are read from their Values when
    the program runs, and their gradients are *added to their .grad*, as ``backward()`` does, so an
    optimizer's ``step()`` works unchanged.

    With ``has_aux=True``, `f` returns ``(output, aux)`` where `aux` is Values (or lists of them) the
    output is computed from, e.g. a batch's predictions; ``compiled(*args)`` then returns
    ``((value, aux_values), grads)``, as `jax.value_and_grad(has_aux=True)` does.

    For the fastest loop use `function` directly: ``function(inputs) -> (value, gradients)`` (and
    a third item, the aux values, with has_aux) with `inputs` the floats of the leaves in `inputs`
    order (arguments flattened, then the `captured` leaves: use `flat_inputs(*args)`) and
    `gradients` the list for the leaves in `wrt` order. `source` is its code. `specialised` is
    None, or what `compile`'s probes saw when `f`'s graph changed with the data.
    """

    def __init__(self, f: Callable[..., Value], listing: Listing, tr: _Trace, argnums: Any) -> None:
        self.f = f
        self.has_aux = tr.aux is not None
        self._aux_tree = tr.aux_tree
        self.source = listing.source
        self.inputs = listing.inputs
        self.wrt = listing.wrt
        self.captured = list(tr.captured)
        self.function = _load(listing)
        self._trees = tr.arg_trees
        self._argnums = argnums
        self._positions = _positions(argnums, len(tr.arg_trees))
        self._structure = _structure(tr)
        count = len(tr.arg_leaves)
        starts, offset = [], 0
        for i in self._positions:
            starts.append(offset)
            offset += len(_tree_positions(tr.arg_trees[i]))
        self._grad_starts = starts
        self._n_arg_grads = offset
        self._n_args = count
        self.specialised: str | None = None  # set by compile: what its probes saw, if f branches on data

    def flat_inputs(self, *args: Any) -> list[float]:
        """The `inputs` list for `function`: the arguments' numbers, then the captured leaves' data."""
        if len(args) != len(self._trees):
            raise TypeError(f"compiled function takes {len(self._trees)} argument(s), got {len(args)}")
        flat: list = []
        for i, (arg, tree) in enumerate(zip(args, self._trees)):
            _flatten_like(arg, tree, flat, f"argument {i}")
        flat.extend(v.data for v in self.captured)
        return flat

    def __call__(self, *args: Any) -> tuple[Any, Any]:
        if self.has_aux:
            value, gradients, aux_values = self.function(self.flat_inputs(*args))
            value = (value, _unflatten(self._aux_tree, aux_values))
        else:
            value, gradients = self.function(self.flat_inputs(*args))
        n = self._n_arg_grads
        for leaf, g in zip(self.captured, gradients[n:]):
            leaf.grad += g
        grads = []
        for i, start in zip(self._positions, self._grad_starts):
            tree = self._trees[i]
            positions = _tree_positions(tree)
            local = dict(zip(positions, gradients[start : start + len(positions)]))
            grads.append(_unflatten(tree, local))
        if isinstance(self._argnums, int):
            return value, grads[0]
        return value, tuple(grads)

    def check(self, *args: Any) -> None:
        """Re-run `f` with the interactive engine on `args`; raise `TraceMismatch` if it builds a
        different graph (another branch of an ``if`` on data, different constants) than the one
        compiled. Use it when `f` might branch on data; it costs one interactive forward pass."""
        tr = _capture(self.f, args, self.has_aux)
        _compare(self._structure, _structure(tr))

    def __repr__(self) -> str:
        name = getattr(self.f, "__name__", "f")
        return f"<CompiledFunction of {name}: {len(self.inputs)} inputs, {len(self.wrt)} gradients; see .source>"


def _flatten_like(arg: Any, tree: _TREE, flat: list, where: str) -> None:
    if isinstance(tree, int):
        if isinstance(arg, Value):
            flat.append(arg.data)
        elif isinstance(arg, Real) and not isinstance(arg, complex):
            flat.append(float(arg))
        else:
            raise TypeError(f"{where} must be a number or a Value, as when compiled; got {type(arg).__name__}")
        return
    if not isinstance(arg, (list, tuple)) or len(arg) != len(tree):
        got = f"{type(arg).__name__} of length {len(arg)}" if isinstance(arg, (list, tuple)) else type(arg).__name__
        raise ValueError(f"{where} must have the shape it had when compiled ({len(tree)} items), got {got}")
    for i, (a, t) in enumerate(zip(arg, tree)):
        _flatten_like(a, t, flat, f"{where}[{i}]")


def _compare(expected: list[tuple], got: list[tuple]) -> None:
    if len(expected) != len(got):
        raise TraceMismatch(
            f"the function built a graph of {len(got)} nodes for these arguments, but was compiled for "
            f"{len(expected)}: it branches on the data (a Python `if` on .data); the compiled program "
            "only knows the traced branch"
        )
    for i, (a, b) in enumerate(zip(expected, got)):
        if a != b and not (a[0] == b[0] == "constant" and math.isnan(a[1]) and math.isnan(b[1])):
            raise TraceMismatch(
                f"the function built a different graph for these arguments: node v{i} is {_describe(b)} now but "
                f"was {_describe(a)} when compiled: it branches on the data (a Python `if` on .data) or uses a "
                "number computed from .data"
            )


def _describe(entry: tuple) -> str:
    kind = entry[0]
    if kind == "constant":
        return f"the constant {entry[1]!r}"
    if kind in ("argument", "captured"):
        return f"{kind} leaf {entry[1]}"
    return f"an {kind!r} node"


def compile(  # noqa: A001 - autograd.compile, as torch.compile
    f: Callable[..., Value],
    *example_args: Any,
    argnums: int | Sequence[int] | None = None,
    exact: bool = True,
    skip_zeros: bool = True,
    has_aux: bool = False,
) -> CompiledFunction:
    """Trace ``f(*example_args)`` and compile the listing into a function of new arguments.

    The result computes f's value and gradients for any arguments of the same shape with the
    interactive engine's arithmetic (bit for bit), as straight-line Python with no graph objects.
    Data-dependent derivatives (relu, abs, clamp, ``**``) stay right for every input. A Python
    ``if`` on ``.data`` inside `f` is frozen to the branch taken for `example_args` (as in
    `jax.jit`); `compile` re-traces on nudged arguments and warns with `SpecialisationWarning`
    when the graph changes, and `CompiledFunction.check(*args)` tests any arguments.

    ``exact=False`` trades the last bits for speed: the engine adds the terms of `sum` and `dot` with
    a correctly rounded sum (`math.fsum`, a function call per node); the program then adds them left
    to right with ``+`` instead, about 4x faster on an MLP's forward pass, equal to within rounding
    (a few units in the last place of each sum), no longer bit for bit. Training uses this.

    ``skip_zeros=True`` (the default) adds one test per node with several inputs: where its gradient
    is exactly 0 (below a dead ReLU, for a sample the hinge loss ignores) its products are skipped.
    That changes no result, because the program first checks that every value those products use is
    finite (0 * inf would be nan, and the engine multiplies). It roughly halves an MLP step.
    """
    tr = _capture(f, example_args, has_aux)
    listing = _listing(tr, _wrt_leaves(tr, argnums), SymbolMaths(rules.FLOAT, exact), skip_zeros)
    compiled = CompiledFunction(f, listing, tr, argnums)
    compiled.specialised = _specialisation(compiled, example_args)
    if compiled.specialised:
        warnings.warn(
            f"compile: {compiled.specialised}. The compiled program is specialised to the example arguments "
            "(see CompiledFunction.check)",
            SpecialisationWarning,
            stacklevel=2,
        )
    return compiled


# Two probes: every number moved by about one part in a million (a number computed from .data
# moves with it), and every number negated (a branch on the sign of the data flips).
_PROBES: tuple[Callable[[float], float], ...] = (lambda x: x * (1 + 2**-20) + 2**-30, lambda x: -x)


def _probed(arg: Any, move: Callable[[float], float], moved_values: list) -> Any:
    """`arg` with its numbers moved; argument Values keep their identity (f may close over them) and
    have their data moved in place, recorded in `moved_values` so that it can be put back."""
    if isinstance(arg, Value):
        moved_values.append((arg, arg.data))
        arg.data = move(arg.data)
        return arg
    if isinstance(arg, (list, tuple)):
        return type(arg)(_probed(a, move, moved_values) for a in arg)
    return move(float(arg))


def _specialisation(compiled: CompiledFunction, example_args: tuple) -> str | None:
    """Trace f again on moved arguments; if the graph differs, say how (else None).

    This catches numbers computed from ``.data`` and many branches on it, never all: a branch whose
    condition neither probe flips goes unseen. No probe can give a false alarm (a function whose
    graph does not depend on the data builds the same graph everywhere); a probe point outside f's
    domain (log of a negative number, say) is simply no evidence.
    """
    for move in _PROBES:
        moved_values: list = []
        try:
            compiled.check(*(_probed(a, move, moved_values) for a in example_args))
        except TraceMismatch as mismatch:
            return str(mismatch)
        except (ArithmeticError, ValueError, TypeError):
            pass
        finally:
            for value, data in moved_values:
                value.data = data
    return None


class CompiledSum:
    """``f`` compiled for one sample and run over many (made by `autograd.compile_sum`).

    ``compiled(samples, weight=1.0)`` computes ``weight * (f(*samples[0]) + f(*samples[1]) + ...)``
    (the total added left to right, then weighted) and adds the gradient of that with respect to
    every leaf `f` reads that is not an argument (a model's parameters, `captured`) to its
    ``.grad``, as ``backward()`` would; it returns the weighted total, and with ``has_aux=True``
    also the aux values of each sample (floats shaped like `f`'s aux output). Each sample is a
    tuple of arguments shaped like `example_args`; its numbers are not differentiated.

    The program is one loop: the parameters are read once, each sample runs f's forward and
    backward program, and the parameters' gradients add up across the samples. Its size does not
    grow with the number of samples, so it compiles in the time one sample takes.

    For the fastest loop use `function` directly: ``function(inputs, samples, weight, start)`` with
    `inputs` the captured leaves' numbers (in `inputs` order), `samples` a list of tuples from
    `flat_sample` and `start` the numbers the gradients start from (zeros, or gradients some other
    term of the loss already gave, in `wrt` order); it returns ``(total, gradients, outputs)`` with
    `gradients` for the leaves in `wrt` order and `outputs` every sample's aux numbers one after another.
    """

    def __init__(self, f: Callable[..., Value], listing: Listing, tr: _Trace) -> None:
        self.f = f
        self.has_aux = tr.aux is not None
        self._aux_tree = tr.aux_tree
        self._aux_size = len(tr.aux) if tr.aux is not None else 0
        self.source = listing.source
        self.inputs = listing.inputs
        self.wrt = listing.wrt
        self.captured = list(tr.captured)
        self.function = _load(listing)
        self._trees = tr.arg_trees
        self._structure = _structure(tr)
        self.specialised: str | None = None

    def flat_sample(self, *args: Any) -> tuple[float, ...]:
        """One sample's arguments as the tuple of numbers the program's loop reads."""
        if len(args) != len(self._trees):
            raise TypeError(f"compiled function takes {len(self._trees)} argument(s), got {len(args)}")
        flat: list = []
        for i, (arg, tree) in enumerate(zip(args, self._trees)):
            _flatten_like(arg, tree, flat, f"argument {i}")
        return tuple(flat)

    def __call__(self, samples: Sequence[Sequence[Any]], weight: float = 1.0) -> Any:
        flat = [self.flat_sample(*sample) for sample in samples]
        start = [0.0] * len(self.wrt)
        total, gradients, outputs = self.function([v.data for v in self.captured], flat, float(weight), start)
        for leaf, g in zip(self.captured, gradients):
            leaf.grad += g
        if not self.has_aux:
            return total
        k = self._aux_size
        return total, [_unflatten(self._aux_tree, outputs[i : i + k]) for i in range(0, len(outputs), k)]

    check = CompiledFunction.check

    def __repr__(self) -> str:
        name = getattr(self.f, "__name__", "f")
        shape = f"{len(self._trees)} arguments per sample, {len(self.wrt)} gradients"
        return f"<CompiledSum of {name}: {shape}; see .source>"


def compile_sum(
    f: Callable[..., Value],
    *example_args: Any,
    exact: bool = True,
    skip_zeros: bool = True,
    has_aux: bool = False,
) -> CompiledSum:
    """Trace ``f(*example_args)`` for one sample and compile a program that sums it over many.

    The result computes ``weight * sum(f(*sample) for sample in samples)`` and the gradients of
    that for the leaves `f` reads besides its arguments (a model's parameters): what a training
    step on a mean loss needs, with ``weight = 1 / len(samples)``. Per sample it runs exactly the
    arithmetic `compile` would (bit for bit with ``exact=True``); the gradients of different
    samples are added one sample after another, so they equal backward()'s on the whole batch
    to within rounding. The program is one loop, as long as one sample's program, so compiling
    costs what one sample costs, whatever the number of samples.

    As with `compile`, a Python ``if`` on ``.data`` inside `f` is frozen to the branch taken for
    `example_args`; `compile_sum` re-traces on nudged arguments and warns with
    `SpecialisationWarning` when the graph changes. `exact`, `skip_zeros` and `has_aux` mean what
    they mean for `compile`.
    """
    tr = _capture(f, example_args, has_aux)
    listing = _summed_listing(tr, SymbolMaths(rules.FLOAT, exact), skip_zeros)
    compiled = CompiledSum(f, listing, tr)
    compiled.specialised = _specialisation(compiled, example_args)
    if compiled.specialised:
        warnings.warn(
            f"compile_sum: {compiled.specialised}. The compiled program is specialised to the example arguments "
            "(see CompiledSum.check)",
            SpecialisationWarning,
            stacklevel=2,
        )
    return compiled
