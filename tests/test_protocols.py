"""Python's protocols and shared state at the edges: threads, function transforms, conversions,
copying and pickling. The rule everywhere: nothing silently drops a gradient."""

from __future__ import annotations

import copy
import math
import pickle
import threading

import pytest

import autograd
import nn
from autograd import Value, grad, no_grad, value_and_grad

# ---- no_grad is per thread ---------------------------------------------------------------------


def _in_lockstep(script: dict[str, list[str]]):
    """Start one thread per script entry; each runs its actions ("enter", "exit") one per turn,
    and after each notes (thread, action, whether an operation recorded its parents)."""
    seen: list[tuple[str, str, bool]] = []
    turns = {name: threading.Semaphore(0) for name in script}
    done = threading.Semaphore(0)

    def run(name: str) -> None:
        block = no_grad()
        for action in script[name]:
            turns[name].acquire()
            if action == "enter":
                block.__enter__()
            elif action == "exit":
                block.__exit__(None, None, None)
            a = Value(2.0)
            seen.append((name, action, bool((a * a).parents)))
            done.release()

    threads = [threading.Thread(target=run, args=(name,)) for name in script]
    for t in threads:
        t.start()
    return seen, turns, done, threads


def _interleave(order: list[str]) -> list[tuple[str, str, bool]]:
    """A enters/leaves no_grad and B enters/leaves no_grad, in exactly the `order` of turns given."""
    script = {"A": ["enter", "exit"], "B": ["enter", "exit"]}
    seen, turns, done, threads = _in_lockstep(script)
    for name in order:
        turns[name].release()
        done.acquire()
    for t in threads:
        t.join()
    return seen


@pytest.mark.parametrize("order", [["A", "B", "A", "B"], ["A", "B", "B", "A"], ["B", "A", "A", "B"]])
def test_no_grad_is_per_thread_in_every_interleaving(order):
    # The case is A in, B in, A out, B out: a process-wide flag is left off for good.
    seen = _interleave(order)
    for name, action, records in seen:
        assert records == (action == "exit"), (name, action)  # inside its own block only
    assert autograd.is_grad_enabled()
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_no_grad_in_one_thread_does_not_switch_off_another():
    inside, outside_recorded = threading.Event(), []
    leave = threading.Event()

    def holder() -> None:
        with no_grad():
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    inside.wait(10)
    try:
        a = Value(2.0)
        outside_recorded.append(bool((a * a).parents) and autograd.is_grad_enabled())
    finally:
        leave.set()
        t.join()
    assert outside_recorded == [True]


def test_no_grad_nests_and_enable_grad_switches_recording_back_on():
    with no_grad():
        with no_grad():
            pass
        assert not autograd.is_grad_enabled()
        with autograd.enable_grad():
            assert autograd.is_grad_enabled()
            assert (Value(1.0) * 2).parents
        assert not (Value(1.0) * 2).parents
    assert autograd.is_grad_enabled()


def test_many_threads_entering_and_leaving_no_grad_leave_recording_on():
    def churn() -> None:
        for _ in range(2000):
            with no_grad():
                Value(1.0) * 2

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert autograd.is_grad_enabled() and (Value(1.0) * 2).parents


# ---- grad and value_and_grad are function transforms -------------------------------------------


def test_grad_works_inside_no_grad():
    with no_grad():
        assert grad(lambda x: x * x)(3.0) == 6.0
        assert value_and_grad(lambda x: x.tanh())(0.5) == (math.tanh(0.5), 1 - math.tanh(0.5) ** 2)
        assert not autograd.is_grad_enabled()  # and the block is still a no_grad block afterwards


def test_arguments_not_differentiated_reach_f_as_constant_values():
    # d/dy (x*y + tanh x) = x
    assert grad(lambda x, y: x * y + x.tanh(), argnums=1)(1.0, 2.0) == 1.0
    assert grad(lambda x, y, z: (x * y).exp() + z.sin(), argnums=0)(0.5, 2.0, 1.0) == 2.0 * math.exp(1.0)
    seen = []
    grad(lambda x, y: seen.append(y) or x * y)(1.0, 4)
    assert isinstance(seen[0], Value) and seen[0].kind == autograd.CONSTANT and seen[0].data == 4.0


def test_arguments_that_are_not_numbers_pass_through_unchanged():
    config = {"scale": 3.0}
    assert grad(lambda x, c: x * c["scale"])(1.0, config) == 3.0


# ---- conversions: nothing may silently drop a gradient ------------------------------------------


@pytest.mark.parametrize("call", [math.exp, math.log, math.sqrt, math.tanh, math.sin, math.isfinite, float])
def test_math_functions_and_float_refuse_a_value_and_name_its_method(call):
    v = Value(0.5)
    with pytest.raises(TypeError, match=r"v\.exp\(\).*v\.item\(\)"):
        call(v)


def test_item_and_data_give_the_number():
    v = Value(0.25) * 2
    assert v.item() == 0.5 and v.data == 0.5 and type(v.item()) is float


def test_bool_is_the_truth_of_the_number_like_pytorch(torch):
    for x in (0.0, -0.0, 1.0, -2.5, math.inf, math.nan, 5e-324):
        assert bool(Value(x)) == bool(torch.tensor(x)) == bool(x), x
    taken = False
    if Value(0.0):
        taken = True
    assert not taken


@pytest.mark.parametrize("x", [2.7, -2.7, 2.5, 3.5, -0.5, 1e20])
def test_step_functions_give_plain_numbers_like_on_a_float(x, torch):
    # Their derivative is 0 wherever it exists (PyTorch's round/floor/trunc backward is 0), so a
    # plain number, a constant, loses no gradient.
    v = Value(x)
    assert int(v) == int(x) == int(torch.tensor(x).item())
    assert round(v) == round(x) and type(round(v)) is int
    assert round(v, 1) == round(x, 1)
    assert math.floor(v) == math.floor(x) and math.ceil(v) == math.ceil(x) and math.trunc(v) == math.trunc(x)
    t = torch.tensor(x, requires_grad=True)
    torch.round(t).backward()
    assert t.grad.item() == 0.0


def test_int_of_a_non_finite_value_raises_like_a_float():
    with pytest.raises(ValueError):
        int(Value(math.nan))
    with pytest.raises(OverflowError):
        int(Value(math.inf))


@pytest.mark.parametrize("spec", [".3f", ".4g", "e", "10.2f", "+.1%", ""])
def test_format_formats_the_number_like_a_float(spec, torch):
    v = Value(math.pi) * 1
    expected = format(math.pi, spec) if spec else repr(v)
    assert format(v, spec) == expected
    assert f"{v:{spec}}" == expected
    if spec:
        assert format(torch.tensor(math.pi), spec) == expected  # PyTorch formats the number too


def test_format_with_a_bad_spec_raises_like_a_float():
    with pytest.raises(ValueError):
        format(Value(1.0), "d")


def test_a_value_is_not_an_index():
    with pytest.raises(TypeError):
        [1, 2, 3][Value(1.0)]
    with pytest.raises(TypeError):
        range(Value(3.0))


# ---- copying and pickling ------------------------------------------------------------------------


def _chain(depth: int) -> tuple[Value, Value]:
    x = Value(0.5, label="x")
    v = x
    for i in range(depth):
        v = v * 1.0 if i % 2 else v.tanh()
    return x, v


def _same_graph(a: Value, b: Value) -> None:
    order_a, order_b = autograd.topological_order(a), autograd.topological_order(b)
    assert len(order_a) == len(order_b)
    assert not set(order_a) & set(order_b)  # a copy: no node shared
    for m, n in zip(order_a, order_b):
        assert (m.data, m.grad, m.label, m.kind, m.op, m.local_grads) == (n.data, n.grad, n.label, n.kind, n.op,
                                                                          n.local_grads)  # fmt: skip
        assert [order_a.index(p) for p in m.parents] == [order_b.index(p) for p in n.parents]


def test_deepcopy_and_pickle_keep_the_graph_and_its_shared_nodes():
    a = Value(2.0, label="a")
    b = a * a  # a reaches b twice
    c = (b + a).tanh()
    c.backward()
    for clone in (copy.deepcopy(c), pickle.loads(pickle.dumps(c)), pickle.loads(pickle.dumps(c, protocol=0))):
        _same_graph(c, clone)
        b2 = clone.parents[0].parents[0]
        assert b2.parents[0] is b2.parents[1]  # still one node a, used twice
    a2, b2, c2 = pickle.loads(pickle.dumps([a, b, c]))
    assert b2.parents == (a2, a2) and c2.parents[0].parents == (b2, a2)


def test_copying_works_at_any_graph_depth():
    x, root = _chain(100_000)  # a recursive copy would stop near Python's recursion limit (1,000)
    root.backward()
    for clone in (copy.deepcopy(root), pickle.loads(pickle.dumps(root))):
        x2 = autograd.topological_order(clone)[0]
        assert x2 is not x and x2.label == "x" and x2.grad == x.grad != 0.0 and clone.data == root.data


def test_copy_copy_makes_one_new_node_on_the_same_parents():
    a = Value(1.0)
    b = a * 3
    b2 = copy.copy(b)
    assert b2 is not b and b2.parents == b.parents and b2.parents[0] is a and b2.data == 3.0 and b2.op == "*"


def test_pickled_values_in_other_containers_and_threads_stay_independent():
    _, root = _chain(3000)
    payload = {"loss": root, "again": root}
    out = pickle.loads(pickle.dumps(payload))
    assert out["loss"] is out["again"]
    results = []

    def worker() -> None:
        results.append(pickle.loads(pickle.dumps(root)).data)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [root.data] * 3


def test_a_model_deepcopies_and_pickles_and_the_copy_is_independent():
    model = nn.MLP(2, [4, 1], seed=0)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert clone.state_dict() == model.state_dict()
        assert repr(clone) == repr(model)
        clone.parameters()[0].data += 1.0
        assert clone.state_dict() != model.state_dict()
        out = clone([0.5, -0.5])
        out.backward()
        assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize("digits", [320, 5000])
def test_a_huge_integer_is_refused_with_its_size_not_its_digits(digits):
    with pytest.raises(ValueError, match=rf"too large for a float \(about {digits} digits\)") as caught:
        autograd.Value(10 ** (digits - 1))
    assert len(str(caught.value)) < 120


@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "hessian", "hvp"])
def test_a_transform_given_something_that_is_not_a_function_says_so_at_once(transform):
    with pytest.raises(TypeError, match=rf"{transform} needs a function f\(\*values\) -> Value, got int: 3"):
        getattr(autograd, transform)(3)
