"""autograd.trace and autograd.compile: the listing of backprop, and running it.

The compiled program must do exactly what the interactive engine does: every test compares it
with a fresh interactive run (forward, then ``backward()``) on the same numbers.
"""

from __future__ import annotations

import ast
import builtins
import math
import random
import warnings

import pytest

import autograd
import nn
from autograd import Value
from autograd import program as program_module
from nn import data, examples

# ---- helpers -----------------------------------------------------------------------------------


def same(a: float, b: float) -> bool:
    """Bit for bit, where nan equals nan (IEEE says nan != nan; the engine and program agree on it)."""
    return a == b or (math.isnan(a) and math.isnan(b))


def interactive(f, *numbers):
    """The engine's value and the gradient of each input, from fresh leaves."""
    leaves = [Value(x) for x in numbers]
    out = f(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


# ---- random graphs ------------------------------------------------------------------------------

# Operations whose domain is all real numbers as written here, so the same graph is valid for any inputs.
UNARY = [
    lambda a: a.tanh(),
    lambda a: a.sigmoid(),
    lambda a: a.relu(),
    lambda a: abs(a),
    lambda a: a.leaky_relu(0.1),
    lambda a: a.clamp(-0.5, 0.75),
    lambda a: a.clamp(min=0.0),
    lambda a: a.sin(),
    lambda a: a.cos(),
    lambda a: -a,
    lambda a: a.exp(),
    lambda a: (abs(a) + 0.5).log(),
    lambda a: abs(a).sqrt(),
    lambda a: a**2,
    lambda a: a**3,
    lambda a: (abs(a) + 0.25) ** -1.5,
    lambda a: a * 2.5,
    lambda a: 1.0 - a,
]
BINARY = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / (1.0 + b * b),
    lambda a, b: a.sigmoid() ** b,  # a Value exponent: d/db a**b = a**b ln a
    lambda a, b: (abs(a) + 0.1) ** b.tanh(),
]


def random_graph(rng: random.Random, n_inputs: int, n_ops: int):
    """A function of `n_inputs` Values built from `n_ops` random operations (a DAG: nodes are reused)."""
    plan = []
    for _ in range(n_ops):
        kind = rng.random()
        if kind < 0.4:
            plan.append(("unary", rng.randrange(len(UNARY)), rng.random()))
        elif kind < 0.85:
            plan.append(("binary", rng.randrange(len(BINARY)), rng.random(), rng.random()))
        else:
            plan.append(("nary", rng.choice(["sum", "dot"]), rng.randrange(1, 5), rng.random()))

    def f(*xs):
        nodes = list(xs)
        for step in plan:
            pick = lambda u: nodes[int(u * len(nodes))]  # noqa: E731 - a node chosen by a stored number
            if step[0] == "unary":
                nodes.append(UNARY[step[1]](pick(step[2])))
            elif step[0] == "binary":
                nodes.append(BINARY[step[1]](pick(step[2]), pick(step[3])))
            else:
                chosen = [nodes[(int(step[3] * len(nodes)) + 7 * k) % len(nodes)] for k in range(step[2])]
                if step[1] == "sum":
                    nodes.append(autograd.sum(chosen))
                else:
                    nodes.append(autograd.dot(chosen, list(reversed(chosen))))
        return autograd.sum(nodes[-3:]) if len(nodes) >= 3 else nodes[-1]

    return f


def test_compiled_equals_the_engine_bit_for_bit_on_1000_random_graphs():
    rng = random.Random(2026)
    checked = 0
    for _ in range(1000):
        n = rng.randrange(1, 5)
        f = random_graph(rng, n, rng.randrange(1, 14))
        example = [rng.uniform(-2, 2) for _ in range(n)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", autograd.SpecialisationWarning)
            compiled = autograd.compile(f, *example)
        for numbers in (example, [rng.uniform(-3, 3) for _ in range(n)], [0.0] * n):
            try:
                expected_value, expected_grads = interactive(f, *numbers)
            except (ArithmeticError, ValueError) as error:  # outside the domain: both must refuse
                with pytest.raises(type(error)):
                    compiled(*numbers)
                continue
            value, grads = compiled(*numbers)
            assert same(value, expected_value), (compiled.source, numbers)
            assert all(same(g, e) for g, e in zip(grads, expected_grads)), (compiled.source, numbers, grads)
            checked += 1
    assert checked > 2500  # nearly every graph is checked at three points


def test_fast_sums_agree_with_the_engine_to_1e12_relative_on_random_graphs():
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randrange(1, 5)
        f = random_graph(rng, n, rng.randrange(1, 14))
        numbers = [rng.uniform(-2, 2) for _ in range(n)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", autograd.SpecialisationWarning)
            compiled = autograd.compile(f, *numbers, exact=False)
        value, grads = compiled(*numbers)
        expected_value, expected_grads = interactive(f, *numbers)
        for got, want in zip([value, *grads], [expected_value, *expected_grads]):
            if math.isfinite(want):
                assert got == pytest.approx(want, rel=1e-12, abs=1e-12), compiled.source
            else:
                assert same(got, want) or not math.isfinite(got)


# ---- the MLP demo step --------------------------------------------------------------------------


def demo_loss(model, params):
    def loss(X, y):
        return nn.hinge_loss([model(x) for x in X], y) + 1e-4 * autograd.dot(params, params)

    return loss


@pytest.fixture(scope="module")
def moons():
    X, labels = data.make_moons(100, noise=0.1, seed=1)
    return X, [float(t) for t in data.signed_labels(labels)]


def test_compiled_demo_step_equals_the_engine_loss_and_every_parameter_gradient(moons):
    X, y = moons
    model = nn.MLP(2, [16, 16, 1], seed=1)
    params = model.parameters()
    loss = demo_loss(model, params)
    compiled = autograd.compile(loss, X, y, argnums=())
    value, grads = compiled(X, y)  # the parameters are captured: their gradients land in .grad
    assert grads == ()
    compiled_grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    out = loss(X, y)
    out.backward()
    assert value == out.data
    assert compiled_grads == [p.grad for p in params]
    assert any(g != 0.0 for g in compiled_grads)

    fast = autograd.compile(loss, X, y, argnums=(), exact=False)
    fast_value, _ = fast.function(fast.flat_inputs(X, y))[0], None
    assert fast_value == pytest.approx(out.data, rel=1e-12)
    _, fast_grads = fast.function(fast.flat_inputs(X, y))
    by_leaf = dict(zip(fast.wrt, fast_grads))
    for p in params:
        assert by_leaf[p] == pytest.approx(p.grad, rel=1e-12, abs=1e-15)


def test_training_with_the_compiled_step_follows_the_interactive_losses_exactly(moons):
    X, y = moons[0][:20], moons[1][:20]
    models = [nn.MLP(2, [8, 1], seed=3) for _ in range(2)]
    optimizers = [nn.SGD(m.parameters(), lr=0.1) for m in models]
    compiled = autograd.compile(demo_loss(models[1], optimizers[1].params), X, y, argnums=())
    for _ in range(5):
        out = demo_loss(models[0], optimizers[0].params)(X, y)
        optimizers[0].zero_grad()
        out.backward()
        optimizers[0].step()
        optimizers[1].zero_grad()
        value, _ = compiled(X, y)
        optimizers[1].step()
        assert value == out.data
    assert [p.data for p in models[0].parameters()] == [p.data for p in models[1].parameters()]


# ---- derivatives that depend on the data, and Python branches on data --------------------------


@pytest.mark.parametrize(
    "f",
    [
        lambda x: x.relu() * 3.0,
        lambda x: abs(x) * x,
        lambda x: x.clamp(-1.0, 0.5) + x,
        lambda x: x.leaky_relu(0.2),
        lambda x: (x * x + 0.5) ** x,  # Value exponent
        lambda x: abs(x) ** Value(2.5),
    ],
    ids=["relu", "abs", "clamp", "leaky_relu", "pow-value-exponent", "pow-of-abs"],
)
def test_data_dependent_local_derivatives_are_right_on_both_sides_of_the_kink(f):
    compiled = autograd.compile(f, 0.75)
    for x in (0.75, -0.75, 0.0, 0.5, -1.0, -2.0, 3.0):
        value, (grad,) = compiled(x)
        expected_value, (expected_grad,) = interactive(f, x)
        assert same(value, expected_value) and same(grad, expected_grad), x


def test_a_python_if_on_data_is_frozen_to_the_traced_branch_and_check_says_so():
    def f(x):
        return x * 2.0 if x.data > 0 else x * x  # specialised, like jax.jit

    with pytest.warns(autograd.SpecialisationWarning, match="branch|different graph"):
        compiled = autograd.compile(f, 1.5)  # its second probe (the argument negated) takes the other branch
    assert compiled.specialised
    assert compiled(-3.0) == (-6.0, (2.0,))  # the traced branch, not f's answer (9, -6)
    compiled.check(4.0)  # same branch: fine
    with pytest.raises(autograd.TraceMismatch, match="branch|different graph"):
        compiled.check(-3.0)


def test_a_loss_that_branches_on_the_sign_of_its_logit_is_caught_when_compiling():
    with pytest.warns(autograd.SpecialisationWarning):
        compiled = autograd.compile(lambda z: nn.bce_with_logits(z, 1.0), 0.5)
    assert "a Python `if` on .data" in compiled.specialised  # bce_with_logits picks its stable form by sign
    assert autograd.compile(lambda z: nn.hinge_loss(z, 1.0), 0.5).specialised is None


def test_a_number_read_from_data_is_caught_when_compiling():
    def f(x):
        return (x - x.data).exp()  # x.data becomes a constant of the program

    with pytest.warns(autograd.SpecialisationWarning, match="constant"):
        autograd.compile(f, 1.0)


def test_the_seed_network_compiles_without_a_specialisation_warning():
    model = examples.three_layer_network()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = autograd.compile(
            lambda *x: nn.mse_loss(examples.named_forward(model, list(x)), examples.TARGET),
            *examples.labelled_inputs(),
        )
    assert len(compiled.wrt) == 3 + 11  # three inputs, eleven parameters


# ---- arguments, shapes and gradients -------------------------------------------------------------


def test_arguments_may_be_nested_lists_and_gradients_come_back_in_their_shape():
    def f(pair, xs, c):
        return pair[0] * pair[1] + autograd.sum([x * x for x in xs]) * c

    compiled = autograd.compile(f, (2.0, 3.0), [1.0, 2.0, 3.0], 0.5)
    value, (g_pair, g_xs, g_c) = compiled((1.0, -1.0), [0.5, 1.5, -2.0], 2.0)
    assert value == 1.0 * -1.0 + (0.25 + 2.25 + 4.0) * 2.0
    assert g_pair == (-1.0, 1.0) and g_xs == [2.0, 6.0, -8.0] and g_c == 0.25 + 2.25 + 4.0
    value, g_c = autograd.compile(f, (2.0, 3.0), [1.0], 0.5, argnums=2)((2.0, 3.0), [4.0], 1.0)
    assert (value, g_c) == (22.0, 16.0)
    with pytest.raises(ValueError, match="shape"):
        compiled((1.0, 2.0), [1.0], 1.0)
    with pytest.raises(TypeError, match="3 argument"):
        compiled((1.0, 2.0), [1.0, 2.0, 3.0])


def test_values_the_function_closes_over_are_read_live_and_get_their_gradients_added():
    w = Value(3.0, label="w", kind=autograd.PARAMETER)
    compiled = autograd.compile(lambda x: w * x * x, 2.0)
    assert compiled.captured == [w]
    value, g_x = compiled(2.0)
    assert (value, g_x, w.grad) == (12.0, (12.0,), 4.0)
    w.data = -1.0  # an optimizer's step: the program sees the new value
    w.grad = 0.0
    assert compiled(3.0) == (-9.0, (-6.0,)) and w.grad == 9.0


def test_an_argument_the_function_ignores_has_gradient_zero():
    assert autograd.compile(lambda x, y: x * 2.0, 1.0, 5.0)(3.0, 4.0) == (6.0, (2.0, 0.0))


def test_a_constant_output_has_zero_gradients():
    assert autograd.compile(lambda x: Value(2.0, kind=autograd.CONSTANT) * 3.0, 1.0)(5.0) == (6.0, (0.0,))


def test_clear_errors_for_functions_that_cannot_be_traced():
    with pytest.raises(TypeError, match="must return a Value"):
        autograd.trace(lambda x: 1.0, 2.0)
    x = Value(1.0)
    with pytest.raises(ValueError, match="twice"):
        autograd.trace(lambda a, b: a * b, x, x)
    with pytest.raises(ValueError, match="leaves"):
        autograd.trace(lambda a: a * 2.0, x * 3.0)
    with pytest.raises(TypeError, match="argument 0"):
        autograd.trace(lambda a: a, "1.0")


# ---- safety: labels are comments, nothing the user writes is ever code --------------------------

HOSTILE = [
    "x\nraise SystemExit('the label ran')",
    "y\r    inputs.append('ran')",
    "z\u2028inputs.append('ran')",
    "w\u2029inputs.append(1)\x85inputs.append(2)",
    'q"""; inputs.append(3); """',
    "p'''\ninputs.append(4)\n'''",
    "# -*- coding: rot13 -*-",
    "back\\slash\\\ninputs.append(5)",
    "nul\x00inputs.append(6)",
    "ff\x0c\x0b\x1c\x1d\x1e inputs.append(7)",
    "bidi \u202e)7(dneppa.stupni\u202c",
    "<script>alert('html')</script>",
    "<img src=x onerror=\"document.title='pwned'\">",
]


@pytest.fixture
def hostile_program():
    xs = [Value(0.5 + i, label=label) for i, label in enumerate(HOSTILE)]
    w = Value(-0.25, label="__import__('os').system('echo ran')\n", kind=autograd.PARAMETER)

    def f(*xs):
        total = autograd.dot(list(xs), list(reversed(xs))) * w
        total.label = "\n".join(HOSTILE)
        return total.tanh()

    return f, xs, w


def test_hostile_labels_stay_in_comments_and_nothing_they_say_runs(hostile_program):
    f, xs, w = hostile_program
    compiled = autograd.compile(f, *xs)
    inputs = compiled.flat_inputs(*[x.data for x in xs])
    before = list(inputs)
    value, grads = compiled.function(inputs)
    assert inputs == before  # nothing appended: no label ran
    expected = f(*xs)
    expected.backward()
    assert value == expected.data and grads[: len(xs)] == [x.grad for x in xs]

    source = compiled.source
    assert len(source.splitlines()) == source.count("\n")  # no line break hides inside a line
    assert "\x00" not in source and "\u2028" not in source and "\r" not in source and "\u202e" not in source
    tree = ast.parse(source)
    strings = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and not isinstance(n.value, (int, float))]
    assert strings == []  # no string literal anywhere: no user text is code
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    bound = set(compiled.function.__globals__)  # inf, nan and the FLOAT functions the program calls
    assert all(name in ("inputs", "finite") or name in bound or is_generated(name) for name in names)
    first, second = source.splitlines()[:2]  # where a coding cookie would count: fixed text only
    assert first == "def forward_backward(inputs):" and second == f"    # {program_module.INPUTS_HEADING}"
    for label in HOSTILE:  # each label is visible to a reader, escaped, after a '#'
        shown = autograd.program.comment_text(label)
        assert any("#" in line and shown[:10] in line.split("#", 1)[1] for line in source.splitlines())


def is_generated(name: str) -> bool:
    return program_module._GENERATED.match(name) is not None


def test_hostile_labels_are_escaped_in_the_html_listing(hostile_program):
    f, xs, _ = hostile_program
    page = autograd.trace(f, *xs)._repr_html_()
    assert "<script" not in page.lower() and "&lt;script&gt;" in page


@pytest.mark.parametrize("separator", ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_comment_text_escapes_every_line_separator(separator):
    text = program_module.comment_text(f"a{separator}b")
    assert text.isprintable() and len(f"# {text}".splitlines()) == 1 and text.startswith("a\\")


def test_the_checker_refuses_a_string_or_an_unknown_name_in_code():
    listing = autograd.trace(lambda a, b: a * b, 2.0, 3.0)
    program_module._check_source(listing)  # the real one passes
    for bad in ("v9 = 'text'", "v9 = open", "v9 = v1 # sneaky", "v9 = v1.__class__"):
        listing.lines.append(program_module.Line(bad))
        with pytest.raises(AssertionError):
            program_module._check_source(listing)
        listing.lines.pop()


def test_exec_appears_once_in_chainrule_and_eval_never():
    import pathlib

    root = pathlib.Path(autograd.__file__).resolve().parents[1]
    calls = []
    for path in [*root.joinpath("autograd").rglob("*.py"), *root.joinpath("nn").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("exec", "eval"):
                calls.append((path.name, node.func.id))
    assert calls == [("symbols.py", "exec")]  # run_checked_source: compiled programs and the float steps below
    for step, names in [
        (autograd.rules.dot_step_for(3), {"fsum", "sum", "OverflowError", "ValueError"}),
        (autograd.rules.RULES["dot"].float_step, {"dot", "tuple"}),
        (autograd.rules.RULES["relu"].float_step, {"cut_alone"}),
        (autograd.rules.RULES["tanh"].float_step, {"tanh"}),
    ]:
        assert step.__globals__["__builtins__"] == {}
        assert set(step.__code__.co_names) == names
        assert all(callable(step.__globals__[name]) or name == "cut_alone" for name in names)
    step = autograd.rules.dot_step_for(3)
    assert set(step.__code__.co_varnames) == {"ws", "xs", "w0", "w1", "w2", "x0", "x1", "x2"}


def test_the_program_runs_with_no_builtins():
    compiled = autograd.compile(lambda a: a * 2.0, 1.0)
    assert compiled.function.__globals__["__builtins__"] == {}
    assert builtins.__dict__.get("PWNED") is None


def test_skipping_zero_gradients_never_hides_a_nan():
    # (x * y) * 0: the product node gets gradient 0, and its local derivative for y is x = inf, so the
    # engine passes inf * 0 = nan to y. skip_zeros must not skip it: `finite` sees the inf.
    def f(x, y):
        return autograd.dot([x * y, x], [0.0, 1.0])

    for skip_zeros in (True, False):
        compiled = autograd.compile(f, 1.0, 2.0, skip_zeros=skip_zeros)
        for x in (math.inf, 3.0, math.nan):
            value, grads = compiled(x, 2.0)
            expected_value, expected_grads = interactive(f, x, 2.0)
            assert same(value, expected_value) and all(map(same, grads, expected_grads)), (x, grads, expected_grads)
    assert math.isnan(autograd.compile(f, 1.0, 2.0)(math.inf, 2.0)[1][1])


# ---- golden listings, written from the derivative rules (autograd/rules.py), not from a run ------
#
# Names: v<i> is node i of the topological order (a depth-first walk from the output, parents in
# order), g_v<i> its gradient. Each backward line is  g_parent += local * g_child  with the local
# derivative exactly as the rule writes it; 1.0 * g is written g, -1.0 * g as  -= g, and a cut
# (relu, clamp outside) as a choice that passes 0.0.


def listing_lines(f, *args, **options) -> tuple[list[str], list[str]]:
    listing = autograd.trace(f, *args, **options)
    strip = lambda lines: [line.split("  #")[0] for line in lines]  # noqa: E731 - code without comments
    return strip(listing.forward), strip(listing.backward)


def test_golden_product_and_sum():
    # f = a*b + a: order v0 = a, v1 = b, v2 = a*b, v3 = f. d(a*b)/da = b, d(a*b)/db = a; d(u+v)/du = 1.
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    listing = autograd.trace(lambda a, b: a * b + a, a, b)
    assert listing.forward == ["v2 = v0 * v1", "v3 = v2 + v0"]
    assert listing.backward == [
        "g_v3 = 1.0  # dL/dL = 1",
        "g_v0 = g_v1 = g_v2 = 0.0",
        "g_v2 += g_v3",
        "g_v0 += g_v3  # dL/da += dL/da * dL/dL",
        "g_v0 += v1 * g_v2  # dL/da += dv2/da * dL/dv2",
        "g_v1 += v0 * g_v2  # dL/db += dv2/db * dL/dv2",
    ]
    assert str(listing).splitlines()[2:4] == ["    v0 = inputs[0]  # input a", "    v1 = inputs[1]  # input b"]
    assert str(listing).splitlines()[-1] == "    return v3, [g_v0, g_v1]"


@pytest.mark.parametrize(
    "f, forward, backward",
    [
        # d/dx tanh x = 1 - tanh(x)**2, written with the output: 1.0 - out * out
        (lambda x: x.tanh(), ["v1 = tanh(v0)"], ["g_v0 += (1.0 - v1 * v1) * g_v1"]),
        # d/dx sigmoid x = s (1 - s)
        (lambda x: x.sigmoid(), ["v1 = sigmoid(v0)"], ["g_v0 += v1 * (1.0 - v1) * g_v1"]),
        # d/dx e**x = e**x, the output itself
        (lambda x: x.exp(), ["v1 = exp(v0)"], ["g_v0 += v1 * g_v1"]),
        # d/dx sin x = cos x; d/dx cos x = -sin x
        (lambda x: x.sin(), ["v1 = sin(v0)"], ["g_v0 += cos(v0) * g_v1"]),
        (lambda x: x.cos(), ["v1 = cos(v0)"], ["g_v0 += -sin(v0) * g_v1"]),
        # relu: 0 below 0, else x; its derivative is a cut where the output is <= 0, else 1
        (lambda x: x.relu(), ["v1 = (0.0 if v0 < 0.0 else v0)"], ["g_v0 += (0.0 if v1 <= 0.0 else g_v1)"]),
        # x**k: the domain check, then k x**(k-1)
        (lambda x: x**3, ["check_pow(v0, 3.0)", "v1 = pow(v0, 3.0)"], ["g_v0 += 3.0 * pow(v0, 2.0) * g_v1"]),
        # log: domain check, then 1/x
        (lambda x: x.log(), ["check_log(v0)", "v1 = log(v0)"], ["g_v0 += div(1.0, v0) * g_v1"]),
        # sqrt: 0.5 / sqrt x, from the output
        (lambda x: x.sqrt(), ["check_sqrt(v0)", "v1 = sqrt(v0)"], ["g_v0 += div(0.5, v1) * g_v1"]),
        # neg: -1, written as a subtraction
        (lambda x: -x, ["v1 = -v0"], ["g_v0 -= g_v1"]),
        # a constant is printed inline as its repr: x * 0.1 has the constant 0.1 as node v1
        (lambda x: x * 0.1, ["v2 = v0 * 0.1"], ["g_v0 += 0.1 * g_v2"]),
        (lambda x: x * math.inf, ["v2 = v0 * inf"], ["g_v0 += inf * g_v2"]),
        # clamp: min(max(x, lo), hi); derivative 1 inside [lo, hi], a cut outside
        (
            lambda x: x.clamp(-1.0, 2.0),
            ["v1 = min(max(v0, -1.0), 2.0)"],
            ["g_v0 += ((g_v1 if v0 <= 2.0 else 0.0) if v0 >= -1.0 else 0.0)"],
        ),
        # abs: sign(x), multiplied like any number (0 at 0)
        (
            lambda x: abs(x),
            ["v1 = abs(v0)"],
            ["g_v0 += (1.0 if v0 > 0.0 else (-1.0 if v0 < 0.0 else 0.0)) * g_v1"],
        ),
    ],
    ids=[
        "tanh",
        "sigmoid",
        "exp",
        "sin",
        "cos",
        "relu",
        "cube",
        "log",
        "sqrt",
        "neg",
        "constant",
        "inf",
        "clamp",
        "abs",
    ],
)
def test_golden_one_input_rules(f, forward, backward):
    got_forward, got_backward = listing_lines(f, 0.5)
    root = forward[-1].split(" = ")[0]
    assert got_forward == forward
    assert got_backward[0] == f"g_{root} = 1.0"
    assert got_backward[2:] == backward  # after the seed and the line that sets the other gradients to 0


def test_golden_division_and_power_of_values():
    # a / b: d/da = 1/b, d/db = -(a/b)/b, written from the output: -div(out, b)
    forward, backward = listing_lines(lambda a, b: a / b, 1.0, 4.0)
    assert forward == ["check_div(v0, v1)", "v2 = div(v0, v1)"]
    assert backward[2:] == ["g_v0 += div(1.0, v1) * g_v2", "g_v1 += -div(v2, v1) * g_v2"]
    # a ** b: d/da = b a**(b-1) (a cut where b == 0); d/db = a**b ln a (0 at a == 0 for b >= 0, else nan)
    forward, backward = listing_lines(lambda a, b: a**b, 2.0, 3.0)
    assert forward == ["check_pow(v0, v1)", "v2 = pow(v0, v1)"]
    assert backward[2:] == [
        "g_v0 += (0.0 if v1 == 0.0 else v1 * pow(v0, v1 - 1.0) * g_v2)",
        "g_v1 += ((0.0 if v1 >= 0.0 else nan) if v0 == 0.0 else v2 * log(v0)) * g_v2",
    ]


def test_golden_dot_exact_and_fast():
    # dot(w, x): d/dw_i = x_i, d/dx_i = w_i. Order: v0 = w0, v1 = w1, v2 = x0, v3 = x1, v4 = the dot.
    f = lambda w0, w1, x0, x1: autograd.dot([w0, w1], [x0, x1])  # noqa: E731
    forward, backward = listing_lines(f, 1.0, 2.0, 3.0, 4.0)
    assert forward == ["v4 = dot((v0, v1), (v2, v3))"]
    assert backward[2:] == ["g_v0 += v2 * g_v4", "g_v1 += v3 * g_v4", "g_v2 += v0 * g_v4", "g_v3 += v1 * g_v4"]
    forward, _ = listing_lines(f, 1.0, 2.0, 3.0, 4.0, exact=False)
    assert forward == ["v4 = v0 * v2 + v1 * v3"]
    forward, _ = listing_lines(lambda a, b, c: autograd.sum([a, b, c]), 1.0, 2.0, 3.0)
    assert forward == ["v3 = sum((v0, v1, v2))"]


def test_golden_listing_of_the_seed_network_first_lines():
    # s1 = w . x (a dot of the hidden neuron's three weights and the inputs x1..x3), z1 = s1 + b, h1 = relu(z1)
    model = examples.three_layer_network()
    listing = autograd.trace(
        lambda *x: nn.mse_loss(examples.named_forward(model, list(x)), examples.TARGET), *examples.labelled_inputs()
    )
    forward = listing.forward
    assert forward[0].endswith("  # s1") and forward[0].startswith("v8 = dot((v2, v3, v4), (v5, v6, v7))")
    assert forward[1] == "v10 = v8 + v9  # z1"
    assert forward[2] == "v11 = (0.0 if v10 < 0.0 else v10)  # h1"
    assert "g_v10 += (0.0 if v11 <= 0.0 else g_v11)  # dL/dz1 += dh1/dz1 * dL/dh1" in listing.backward
    # the lines notebook 05 quotes: the sigmoid's s (1 - s), and dL/dw0.0.0 += x1 * dL/ds1
    assert "g_v21 += v22 * (1.0 - v22) * g_v22  # dL/dz += do/dz * dL/do" in listing.backward
    assert "g_v2 += v5 * g_v8  # dL/dw0.0.0 += ds1/dw0.0.0 * dL/ds1" in listing.backward






def test_the_html_listing_shows_the_program_and_runs_nothing_in_chromium(browser, tmp_path, hostile_program):
    f, xs, _ = hostile_program
    listing = autograd.trace(f, *xs)
    path = tmp_path / "listing.html"
    path.write_text(f"<!doctype html><meta charset=utf-8><title>listing</title>{listing._repr_html_()}", "utf-8")
    page = browser.new_page()
    problems, requests = [], []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    shown = page.inner_text("pre")
    assert shown.strip() == str(listing).strip()  # every character of the program, as text
    assert page.title() == "listing" and problems == [] and requests == [path.as_uri()]
    colours = page.eval_on_selector_all("pre span", "spans => new Set(spans.map(s => s.style.color)).size")
    assert colours >= 3  # highlighted: keywords, names, numbers and comments differ


def test_the_readme_shows_the_listing_that_trace_prints():
    import pathlib
    import re

    readme = (pathlib.Path(autograd.__file__).resolve().parents[1] / "README.md").read_text()
    shown = re.search(r"```text\n(def forward_backward.*?)```", readme, flags=re.S).group(1)
    printed = str(autograd.trace(lambda x, w: (x * w).tanh(), Value(0.5, label="x"), Value(-1.2, label="w")))
    assert shown == printed


def test_has_aux_returns_the_predictions_the_loss_was_computed_from(moons):
    X, y = moons[0][:10], moons[1][:10]
    model = nn.MLP(2, [4, 1], seed=2)

    def loss_and_scores(X, y):
        scores = [model(x) for x in X]
        return nn.hinge_loss(scores, y), scores

    compiled = autograd.compile(loss_and_scores, X, y, argnums=0, has_aux=True)
    (value, scores), g_X = compiled(X, y)
    out, expected_scores = loss_and_scores(X, y)
    assert value == out.data and scores == [s.data for s in expected_scores]
    assert len(g_X) == 10 and len(g_X[0]) == 2
    with pytest.raises(ValueError, match="aux output 0"):
        autograd.compile(lambda x: (x * 2.0, x * 3.0), 1.0, has_aux=True)


def test_tracing_inside_no_grad_still_records_the_graph():
    with autograd.no_grad():
        compiled = autograd.compile(lambda x: x * x, 3.0)
    assert compiled(4.0) == (16.0, (8.0,))


def test_one_compiled_step_serves_every_minibatch_of_the_same_size(moons):
    # How nn.fit can use compile: the batch (inputs and targets) are arguments, the parameters are
    # captured; one program per batch size; each step's losses equal the interactive ones exactly.
    X, y = moons
    models = [nn.MLP(2, [8, 8, 1], seed=5) for _ in range(2)]
    optimizers = [nn.SGD(m.parameters(), lr=0.05) for m in models]

    def batch_loss(model, params):
        return lambda Xb, yb: nn.hinge_loss([model(x) for x in Xb], yb) + 1e-4 * autograd.dot(params, params)

    compiled = autograd.compile(batch_loss(models[1], optimizers[1].params), X[:25], y[:25], argnums=())
    assert compiled.specialised is None
    rng = random.Random(0)
    for _ in range(3):
        order = list(range(len(X)))
        rng.shuffle(order)
        for start in range(0, len(order), 25):
            Xb, yb = [X[i] for i in order[start : start + 25]], [y[i] for i in order[start : start + 25]]
            out = batch_loss(models[0], optimizers[0].params)(Xb, yb)
            optimizers[0].zero_grad()
            out.backward()
            optimizers[0].step()
            optimizers[1].zero_grad()
            value, _ = compiled(Xb, yb)
            optimizers[1].step()
            assert value == out.data
    assert [p.data for p in models[0].parameters()] == [p.data for p in models[1].parameters()]


@pytest.mark.parametrize("exact", [True, False])
def test_sums_and_dots_of_thousands_of_terms_compile(exact):
    def f(*xs):
        return autograd.sum([x * x for x in xs]) + autograd.dot(list(xs), list(reversed(xs)))

    numbers = [math.sin(i) for i in range(5000)]
    compiled = autograd.compile(f, *numbers, exact=exact)
    value, grads = compiled(*numbers)
    expected_value, expected_grads = interactive(f, *numbers)
    if exact:
        assert value == expected_value and list(grads) == expected_grads
    else:
        assert value == pytest.approx(expected_value, rel=1e-12) and list(grads) == pytest.approx(expected_grads)


def test_a_chain_two_thousand_nodes_deep_compiles():
    def f(x):
        for _ in range(2000):
            x = (x * 0.999 + 0.001).tanh()
        return x

    value, (grad,) = autograd.compile(f, 0.5)(0.25)
    assert (value, [grad]) == interactive(f, 0.25)
