"""SYMBOL: the maths namespace whose numbers are pieces of Python source, and the float steps it prints.

A derivative rule (`autograd.rules`) computes with whatever numbers its maths namespace `m` gives it.
Here they are `Sym`s, pieces of Python source text, so running a rule *prints* it: ``m.tanh(x)``
becomes ``tanh(x)`` and ``1.0 - out * out`` stays ``1.0 - out * out``. Two readers use this:

* `autograd.program` (`trace`/`compile`) prints a whole graph, one line per node and per
  chain-rule product, with `SymbolMaths`;
* `float_step` prints one rule as one small Python function, its *float step*: the forward value
  and the local derivatives on floats in a single call, for the operations a training step makes
  thousands of times. The engine makes these when `autograd.rules` is imported, so the formulas of
  the rule table are the only copy of the calculus: nothing is written twice. For relu::

      def float_step(x):
          out = (0.0 if x < 0.0 else x)
          return out, (cut_alone if out <= 0.0 else (1.0,))

  where ``cut_alone`` is ``(cut,)``, made once (``inspect.getsource(RULES["relu"].float_step)``
  shows the step).

Why running the printed steps is safe (`run_checked_source` below is the one `exec` of chainrule;
`autograd.program` runs its compiled programs through it too, after its own checks): the source is
made of a fixed template, argument names taken from the rule's own ``forward`` signature (engine
identifiers: ``a``, ``b``, ``x``, ``ws``...) and names generated from them (``w0``, ``x0``), the
names of the FLOAT namespace's functions (and of their fast paths and the exceptions those raise:
``fsum``, ``OverflowError``), ``tuple``, and numbers printed by `literal`. `_check_step` checks
the result before `exec` (no quote, backslash or ``#``, no attribute access, only those names),
and the code runs with an empty ``__builtins__``.

This module imports nothing from the engine (the engine imports it while it is being defined).
"""

from __future__ import annotations

import keyword
import linecache
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["CUT", "Cut", "Sym", "SymbolMaths", "float_step", "literal", "step_source"]


class Cut(float):
    """The local derivative 0 of a *selection* (relu, clamp, x**0): backward passes exactly 0 along it.

    Defined here, beside the symbols, because every interpretation must know it: FLOAT returns this
    object itself (`autograd.rules.CUT`), SYMBOL prints it (see `Sym.cut`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "0.0"

    def __reduce__(self) -> str:
        return "CUT"  # pickle and copy give back the one CUT (backward recognises it by identity)


CUT = Cut(0.0)


# Python's operator precedence, lowest to highest (the Language Reference, "Operator precedence").
_CONDITIONAL, _OR, _AND, _COMPARE, _SUM, _PRODUCT, _UNARY, _POWER, _ATOM = 1, 2, 3, 5, 10, 11, 12, 13, 15


class Sym:
    """A piece of source text standing for a float: what the SYMBOL interpretation computes with.

    `text` is a Python expression built only from generated names, numbers and operators; `prec`
    is the precedence of its outermost operator (for parentheses); `number` is set when the text
    is a literal number. A local derivative may be the engine's *cut* (`CUT`, "pass exactly
    0 along this edge"): then `cut` is True, or `choice` holds ``(cond, a, b)`` of an ``m.where``
    with a cut in a branch, so the backward line can be written as a choice between products.
    """

    __slots__ = ("text", "prec", "number", "cut", "choice")

    def __init__(self, text: str, prec: int = _ATOM, number: float | None = None) -> None:
        self.text = text
        self.prec = prec
        self.number = number
        self.cut = False
        self.choice: tuple[Sym, Sym, Sym] | None = None

    def __repr__(self) -> str:
        return f"Sym({self.text!r})"

    # Arithmetic: each operator prints itself, parenthesising operands that bind less tightly.
    def __add__(self, other: Any) -> Sym:
        return _binary(self, "+", other, _SUM)

    def __radd__(self, other: Any) -> Sym:
        return _binary(other, "+", self, _SUM)

    def __sub__(self, other: Any) -> Sym:
        return _binary(self, "-", other, _SUM)

    def __rsub__(self, other: Any) -> Sym:
        return _binary(other, "-", self, _SUM)

    def __mul__(self, other: Any) -> Sym:
        return _binary(self, "*", other, _PRODUCT)

    def __rmul__(self, other: Any) -> Sym:
        return _binary(other, "*", self, _PRODUCT)

    def __neg__(self) -> Sym:
        _no_cut(self)
        return Sym("-" + _operand(self, _UNARY + 1), _UNARY)  # -(-x), never --x

    # Comparisons print as comparisons; they are only meant to feed m.where.
    def __lt__(self, other: Any) -> Sym:
        return _binary(self, "<", other, _COMPARE)

    def __le__(self, other: Any) -> Sym:
        return _binary(self, "<=", other, _COMPARE)

    def __gt__(self, other: Any) -> Sym:
        return _binary(self, ">", other, _COMPARE)

    def __ge__(self, other: Any) -> Sym:
        return _binary(self, ">=", other, _COMPARE)

    def __bool__(self) -> bool:
        raise TypeError(
            "a derivative rule branched with a Python `if` on data; rules must use m.where(cond, a, b) "
            "so that trace/compile can print the branch"
        )

    def __float__(self) -> float:
        raise TypeError("a derivative rule converted a symbolic value to float; rules must stay in the namespace m")


def literal(x: Any) -> Sym:
    """A number as source text: ``repr`` of an exact int or float (``inf``/``nan`` are bound names)."""
    if type(x) is int:
        x = float(x)  # every engine number is a float; 2 and 2.0 give the same float results
    if not isinstance(x, float):
        raise TypeError(f"trace: a derivative rule produced {type(x).__name__} {x!r}, which is not a number")
    x = float(x)
    if math.isnan(x):
        return Sym("nan", _ATOM, x)
    if math.isinf(x):
        return Sym("inf" if x > 0 else "-inf", _ATOM if x > 0 else _UNARY, x)
    text = repr(x)
    return Sym(text, _UNARY if text.startswith("-") else _ATOM, x)


def _cut() -> Sym:
    cut = Sym("0.0", _ATOM, 0.0)
    cut.cut = True
    return cut


def _sym(x: Any) -> Sym:
    if isinstance(x, Sym):
        return x
    return _cut() if x is CUT else literal(x)


def _no_cut(x: Sym) -> None:
    if _has_cut(x):
        raise TypeError("a derivative rule did arithmetic with m.cut; a cut may only be a whole local derivative")


def _operand(x: Sym, at_least: int) -> str:
    return x.text if x.prec >= at_least else f"({x.text})"


def _binary(a: Any, op: str, b: Any, prec: int) -> Sym:
    a, b = _sym(a), _sym(b)
    if a.choice is not None or b.choice is not None or a.cut or b.cut:
        _no_cut(a)
        _no_cut(b)
    if prec == _COMPARE:  # never let Python chain comparisons: (a < b) < c
        left, right = _operand(a, _COMPARE + 1), _operand(b, _COMPARE + 1)
    else:  # left-associative: a - (b - c) keeps its brackets, (a - b) - c loses them
        left, right = _operand(a, prec), _operand(b, prec + 1)
    return Sym(f"{left} {op} {right}", prec)


_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*\Z")
_GENERATED = re.compile(r"(g_)?v\d+\Z")
_RESERVED = {"inputs", "inf", "nan", "forward_backward", "e", "finite"}
_RESERVED |= {"samples", "weight", "gradients", "total", "outputs", "finite_leaves"}


class SymbolMaths:
    """The SYMBOL interpretation of the maths namespace `m` (see `autograd.rules`): text, not numbers.

    ``m.where(cond, a, b)`` prints as ``(a if cond else b)`` and ``m.eq(a, b)`` as ``a == b``; any
    other function ``m.name(...)`` prints as a call ``name(...)`` of the FLOAT namespace's function
    of that name, which the compiled program binds, so it computes exactly what the interactive
    engine computes. Arithmetic never becomes a call: rules write it with operators, which `Sym`
    prints. With ``exact=False`` the n-ary ``m.sum``/``m.dot`` print as plain additions.
    """

    def __init__(self, float_maths: Any, exact: bool = True) -> None:
        self._float = float_maths
        self.exact = exact
        self.functions: dict[str, Callable] = {}  # the FLOAT functions the program calls, by name

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        if not isinstance(cond, Sym):  # decided by parameters alone (a slope, a bound), not by data
            return a if cond else b
        a, b = _sym(a), _sym(b)
        chosen, test, other = _operand(a, _CONDITIONAL + 1), _operand(cond, _CONDITIONAL + 1), _operand(b, _CONDITIONAL)
        out = Sym(f"({chosen} if {test} else {other})", _ATOM)
        out.choice = (cond, a, b)
        return out

    def eq(self, a: Any, b: Any) -> Sym:
        return _binary(a, "==", b, _COMPARE)

    @property
    def cut(self) -> Sym:
        return _cut()

    def sum(self, xs: Sequence[Any]) -> Sym:
        if self.exact:
            return self._call("sum", (tuple(xs),))
        terms = [_sym(x) for x in xs]
        if len(terms) == 1:
            return terms[0]
        if len(terms) > _LONGEST_CHAIN:  # Python's compiler recurses once per + of a chain: a loop instead
            self.bind("add_in_order", _add_in_order)
            return Sym(f"add_in_order({_argument(tuple(terms))})", _ATOM)
        # t1 + t2 + ... added left to right; a term that binds less tightly than + is bracketed
        return Sym(" + ".join([_operand(terms[0], _SUM)] + [_operand(t, _SUM + 1) for t in terms[1:]]), _SUM)

    def dot(self, ws: Sequence[Any], xs: Sequence[Any]) -> Sym:
        if self.exact:
            return self._call("dot", (tuple(ws), tuple(xs)))
        if len(ws) > _LONGEST_CHAIN:  # as in sum
            self.bind("dot_in_order", _dot_in_order)
            return Sym(f"dot_in_order({_argument(tuple(ws))}, {_argument(tuple(xs))})", _ATOM)
        products = [f"{_operand(_sym(w), _PRODUCT)} * {_operand(_sym(x), _PRODUCT + 1)}" for w, x in zip(ws, xs)]
        return Sym(" + ".join(products), _SUM if len(products) > 1 else _PRODUCT)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._float, name)  # AttributeError for names FLOAT does not have
        if isinstance(target, float):
            return literal(target)
        if not callable(target):
            raise TypeError(f"trace: m.{name} is neither a number nor a function")
        return lambda *args: self._call(name, args)

    def _call(self, name: str, args: tuple) -> Sym:
        self.bind(name, getattr(self._float, name))
        return Sym(f"{name}({', '.join(_argument(a) for a in args)})", _ATOM)

    def bind(self, name: str, function: Callable) -> None:
        """Let the program call `function` as `name` (an engine identifier, checked here)."""
        if not _IDENTIFIER.match(name) or keyword.iskeyword(name) or _GENERATED.match(name) or name in _RESERVED:
            raise ValueError(f"trace: the function name {name!r} cannot be used in generated code")
        if self.functions.setdefault(name, function) is not function:
            raise ValueError(f"trace: two different functions want the name {name!r}")


_LONGEST_CHAIN = 256  # terms written as one chain of + (CPython's compiler fails near 3,000)


def _add_in_order(terms: tuple[float, ...]) -> float:
    """t1 + t2 + ... + tn, left to right: what a chain of + computes, for chains too long to write."""
    total = terms[0]
    for term in terms[1:]:
        total += term
    return total


def _dot_in_order(ws: tuple[float, ...], xs: tuple[float, ...]) -> float:
    """w1 * x1 + w2 * x2 + ..., left to right (see `_add_in_order`)."""
    total = ws[0] * xs[0]
    for w, x in zip(ws[1:], xs[1:]):
        total += w * x
    return total


def _argument(x: Any) -> str:
    """A function argument: a Sym, a number, or a tuple of them."""
    if isinstance(x, tuple):
        items = [_sym(item).text for item in x]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return _sym(x).text


def _has_cut(x: Sym) -> bool:
    return x.cut or (x.choice is not None and (_has_cut(x.choice[1]) or _has_cut(x.choice[2])))



# ==== float steps: one rule printed as one Python function ==================================


class StepMaths(SymbolMaths):
    """The SYMBOL namespace for printing a float step: like `SymbolMaths` (exact), except that

    * a cut prints as the name ``cut`` (bound to `CUT` itself, which backward tells by identity);
    * a dot of a known width prints its products, ``sum((w0 * x0, w1 * x1))``: FLOAT's `sum` of
      exactly the products FLOAT's `dot` adds, so the same number, bit for bit, with no loop;
    * with ``fast=True``, a FLOAT function that names a *fast path* (``f.fast_path = (g, errors)``:
      ``f(*args)`` is ``g(*args)`` wherever that does not raise one of `errors`) prints as ``g``:
      the step tries the fast version and, where it raises, runs the one printed with ``fast=False``.
    """

    def __init__(self, float_maths: Any, fast: bool = False) -> None:
        super().__init__(float_maths, exact=True)
        self.fast = fast
        self.errors: dict[str, type] = {}  # the exceptions the fast paths may raise, by name

    @property
    def cut(self) -> Sym:
        cut = Sym("cut", _ATOM, 0.0)
        cut.cut = True
        return cut

    def dot(self, ws: Sequence[Any], xs: Sequence[Any]) -> Sym:
        if isinstance(ws, SymSequence) or isinstance(xs, SymSequence):  # any width: FLOAT's dot itself
            return self._call("dot", (ws, xs))
        products = tuple(_binary(w, "*", x, _PRODUCT) for w, x in zip(ws, xs))
        return self._call("sum", (products,))

    def _call(self, name: str, args: tuple) -> Sym:
        fast_path = getattr(getattr(self._float, name), "fast_path", None)
        if not (self.fast and fast_path):
            return super()._call(name, args)
        function, errors = fast_path
        self.bind(function.__name__, function)
        self.errors.update((error.__name__, error) for error in errors)
        return Sym(f"{function.__name__}({', '.join(_argument(a) for a in args)})", _ATOM)


class SymSequence(Sym):
    """An input that is a whole sequence of numbers, of any length (dot's ``ws``): it prints as its
    name, and unpacks as ``*name`` (so the rule's ``(*xs, *ws)`` prints as ``tuple(xs) + tuple(ws)``)."""

    __slots__ = ()

    def __iter__(self) -> Any:
        yield Starred("*" + self.text)


class Starred(Sym):
    """``*name``: all the numbers of a `SymSequence`, unpacked into a tuple display."""

    __slots__ = ()


_STEP_NAMES = {"float_step", "out", "cut", "cut_alone", "inf", "nan"}  # the template's own names


def _argument_names(rule: Any) -> tuple[str, ...]:
    """The input names of the rule's forward formula (``a, b`` for ``+``; ``ws, xs`` for dot)."""
    code = rule.forward.__code__
    names = code.co_varnames[1 : code.co_argcount]  # after m
    for name in names:
        if not _IDENTIFIER.match(name) or keyword.iskeyword(name) or name in _STEP_NAMES or _GENERATED.match(name):
            raise ValueError(f"float_step: the rule {rule.name!r} has an input named {name!r}, which cannot be printed")
    return names


def _tuple_text(items: list[Sym], sequences: dict[str, tuple[Sym, ...]]) -> str:
    """A tuple of local derivatives as source. A run of items that is a whole input sequence, in
    order, is written as that sequence (dot's ``xs + ws``): joining tuples is quicker than listing
    their items again."""
    parts: list[str] = []
    loose: list[str] = []

    def flush() -> None:
        parts.append("(" + ", ".join(loose) + ("," if len(loose) == 1 else "") + ")")
        loose.clear()

    i = 0
    while i < len(items):
        for name, seq in sequences.items():
            if len(items) - i >= len(seq) and all(items[i + j] is s for j, s in enumerate(seq)):
                if loose:
                    flush()
                parts.append(name)
                i += len(seq)
                break
        else:
            if isinstance(items[i], Starred):  # a whole sequence of any length, as a tuple: tuple(xs)
                if loose:
                    flush()
                parts.append(f"tuple({items[i].text[1:]})")  # (copying once, where (*xs, *ws) copies twice)
            else:
                loose.append(_operand(items[i], _CONDITIONAL))
            i += 1
    if loose or not parts:
        flush()
    return " + ".join(parts)


def _printed(rule: Any, maths: StepMaths, arguments: list[Any], sequences: dict[str, tuple[Sym, ...]]) -> tuple:
    """The rule's forward expression and its local derivatives' tuple, as source text."""
    forward = _sym(rule.forward(maths, *arguments))
    _no_cut(forward)
    local = [_sym(d) for d in rule.local(maths, Sym("out"), *arguments)]
    if not any(isinstance(a, SymSequence) for a in arguments):
        expected = sum(len(a) if isinstance(a, tuple) else 1 for a in arguments)
        if len(local) != expected:
            raise AssertionError(f"rule {rule.name!r} gave {len(local)} local derivatives for {expected} inputs")
    if len(local) == 1 and local[0].choice is not None:  # one input and a choice: a choice of tuples
        return forward.text, _choice_of_tuples(local[0])
    return forward.text, _tuple_text(local, sequences)


def _choice_of_tuples(d: Sym) -> str:
    """``(m.where(c, a, b),)`` as ``((a,) if c else (b,))``: a tuple of numbers is a constant, made
    once when the step is compiled, and ``(cut,)`` is the constant `cut_alone`, so the step makes no
    tuple at all (relu's nodes are many, and every tuple made counts towards the next collection)."""
    if d.choice is None:
        if d.cut:
            return "cut_alone"
        return f"({_operand(d, _CONDITIONAL)},)"
    cond, a, b = d.choice
    chosen, other = _choice_of_tuples(a), _choice_of_tuples(b)
    return f"({chosen} if {_operand(cond, _CONDITIONAL + 1)} else {other})"


def step_source(
    rule: Any, float_maths: Any, width: int | None = None, any_width: bool = False
) -> tuple[str, dict[str, Any]]:
    """The float step of `rule`, printed: Python source of ``float_step(*inputs) -> (out, locals)``,
    and the names it uses (the FLOAT functions it calls, the exceptions it catches).

    The source is the rule's forward formula and local derivatives, run in the SYMBOL
    interpretation. An n-ary rule (dot) takes sequences: give `width` to have each unpacked into
    generated names (``ws`` into ``w0, w1, ...``; they must then be tuples), or `any_width`.
    """
    names = _argument_names(rule)
    lines = [f"def float_step({', '.join(names)}):"]
    sequences: dict[str, tuple[Sym, ...]] = {}
    if width is not None:
        if not (isinstance(width, int) and width >= 1):
            raise ValueError(f"float_step: the width of {rule.name!r} must be a positive int, got {width!r}")
        if len({name[0] for name in names}) != len(names):
            raise ValueError(f"float_step: the inputs of {rule.name!r} need different first letters: {names}")
        for name in names:
            sequences[name] = items = tuple(Sym(f"{name[0]}{i}") for i in range(width))
            unpacked = ", ".join(item.text for item in items) + ("," if width == 1 else "")
            lines.append(f"    {unpacked} = {name}")
        arguments: list[Any] = list(sequences.values())
    elif any_width:
        arguments = [SymSequence(name) for name in names]
    else:
        arguments = [Sym(name) for name in names]
    fast, plain = StepMaths(float_maths, fast=True), StepMaths(float_maths)
    forward, local = _printed(rule, fast, arguments, sequences)
    fallback, _ = _printed(rule, plain, arguments, sequences)
    if _USES_OUT.search(local):
        ends = [f"out = {forward}", f"out = {fallback}"]
        after = [f"    return out, {local}"]
    else:  # the local derivatives do not need the value: one line
        ends = [f"return {forward}, {local}", f"return {fallback}, {local}"]
        after = []
    if forward == fallback:
        lines.append(f"    {ends[0]}")
    else:  # a fast path: try it, and where it raises, the full function (the same number)
        errors = sorted(fast.errors)
        caught = errors[0] if len(errors) == 1 else f"({', '.join(errors)})"
        lines += ["    try:", f"        {ends[0]}", f"    except {caught}:", f"        {ends[1]}"]
    lines += after
    return "\n".join(lines) + "\n", {**fast.functions, **plain.functions, **fast.errors}


_USES_OUT = re.compile(r"\bout\b")
_STEP_CODE = re.compile(r"[A-Za-z0-9_ .+\-*/()<>=!,:\n]*\Z")  # no quotes, backslashes or "#"
_STEP_KEYWORDS = {"def", "return", "if", "else", "and", "or", "not", "try", "except"}


def _check_step(source: str, allowed: set[str]) -> None:
    """The printed step is only the template, generated names and numbers (see the module docstring)."""
    if not _STEP_CODE.match(source):
        raise ValueError("float_step: the printed step has a character that is not code")
    if re.search(r"(?<![0-9])\.|\.(?![0-9])", source):
        raise ValueError("float_step: the printed step has a dot outside a number")
    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source):
        if word not in allowed and word not in _STEP_KEYWORDS and word != "e":  # e: in 1e-300
            raise ValueError(f"float_step: the printed step uses the name {word!r}, which was not generated")


def float_step(rule: Any, float_maths: Any, width: int | None = None, any_width: bool = False) -> Callable[..., tuple]:
    """The rule's float step: `step_source` compiled once. ``step(*inputs)`` gives
    ``(out, local derivatives)``, exactly what ``rule.forward`` and ``rule.local`` give with
    ``m = float_maths``, in one call (an interpreted rule costs several)."""
    source, bound = step_source(rule, float_maths, width, any_width)
    names = _argument_names(rule)
    allowed = {*names, *bound, *_STEP_NAMES} | ({"tuple"} if any_width else set())
    if width is not None:
        allowed |= {f"{name[0]}{i}" for name in names for i in range(width)}
    _check_step(source, allowed)
    namespace: dict[str, Any] = {"__builtins__": {}, "cut": CUT, "cut_alone": (CUT,), "inf": math.inf, "nan": math.nan}
    namespace.update(bound)
    if any_width:
        namespace["tuple"] = tuple  # a sequence's numbers as a tuple (see _tuple_text)
    label = f"{rule.name}, width {width}" if width is not None else rule.name
    step = run_checked_source(source, namespace, f"<float step of {label}>")["float_step"]
    step.__qualname__ = f"float_step[{label}]"
    return step


def run_checked_source(source: str, namespace: dict[str, Any], filename: str, keep_source: bool = True) -> dict:
    """Run generated source that its maker has already checked (`_check_step` here, `program`'s
    `_check_source` for a compiled program) in `namespace`, which must hold an empty ``__builtins__``,
    and return the namespace. The one `exec` of chainrule: every generated function comes through here.
    With `keep_source` the source is kept for `inspect.getsource`, so a learner can read what runs."""
    if namespace.get("__builtins__") != {}:
        raise AssertionError("generated code runs with no builtins")
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - checked, generated source (module docstring)
    if keep_source:
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return namespace
