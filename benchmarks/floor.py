"""The floor: the demo step as straight-line Python on plain floats, generated for a given MLP.

One training step of micrograd's demo (hidden ReLU layers, linear output, hinge loss averaged over
the samples, + alpha * sum(p**2), plain SGD) written out the way a person would by hand: every
weight, activation and gradient a local float variable, the forward pass, the chain rule and the
update unrolled one line per product. No graph objects, no loops inside a sample. This is what the
chain rule costs in pure Python with nothing else around it, so it is the bar for the engine.

The source is generated here and compiled with `exec` (benchmark code only: the library never
execs anything except `autograd.compile`'s own generated program).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def step_source(sizes: Sequence[int], unroll_samples: int | None = None) -> str:
    """Source of ``step(params, X, y, lr, alpha) -> loss`` for an MLP with layer `sizes` ([2, 16, 16, 1]).

    `params` is the flat list of the model's parameters (each neuron's weights then its bias, in
    `model.parameters()` order) and is updated in place. With `unroll_samples` the loop over the
    samples is unrolled too (that many samples, fixed).
    """
    *hidden, last = sizes[1:]
    if last != 1:
        raise ValueError("the floor is written for one output (a hinge-loss score)")
    layers = list(zip(sizes[:-1], sizes[1:]))
    w = {}  # (layer, neuron, input) -> variable name; input == "b" is the bias
    names = []
    for li, (nin, nout) in enumerate(layers):
        for j in range(nout):
            for i in range(nin):
                w[li, j, i] = f"w{li}_{j}_{i}"
                names.append(w[li, j, i])
            w[li, j, "b"] = f"b{li}_{j}"
            names.append(w[li, j, "b"])
    grads = ["g_" + n for n in names]
    out = ["def step(params, X, y, lr, alpha):"]
    add = out.append
    add(f"    ({', '.join(names)},) = params")
    add(f"    {' = '.join(grads)} = 0.0")
    add("    total = 0.0")
    add("    inv_n = 1.0 / len(X)")

    def sample_body(indent: str, x: str, target: str) -> None:
        def line(text: str) -> None:
            add(indent + text)

        nin0 = sizes[0]
        line(f"{', '.join(f'h_{i}' for i in range(nin0))}, = {x}")
        previous = [f"h_{i}" for i in range(nin0)]
        acts = []  # per layer: (pre-activation names, output names, input names)
        for li, (nin, nout) in enumerate(layers):
            relu = li < len(layers) - 1
            zs, hs = [f"z{li}_{j}" for j in range(nout)], [f"a{li}_{j}" for j in range(nout)]
            for j in range(nout):
                terms = " + ".join(f"{w[li, j, i]} * {previous[i]}" for i in range(nin))
                line(f"{zs[j]} = {terms} + {w[li, j, 'b']}")
                if relu:
                    line(f"{hs[j]} = {zs[j]} if {zs[j]} > 0.0 else 0.0")
            acts.append((zs, hs if relu else zs, previous))
            previous = hs if relu else zs
        score = previous[0]
        line(f"margin = 1.0 - {target} * {score}")
        line("if margin > 0.0:")
        line("    total += margin")
        inner = indent + "    "

        def iline(text: str) -> None:
            add(inner + text)

        iline(f"gz{len(layers) - 1}_0 = -{target}")  # d(margin)/d(score); the 1/n is applied once, at the update
        for li in range(len(layers) - 1, -1, -1):  # gz<l>_<j> is dL/dz for neuron j of layer l
            nin, nout = layers[li]
            inputs = acts[li][2]
            for j in range(nout):
                iline(f"g_{w[li, j, 'b']} += gz{li}_{j}")
                for i in range(nin):
                    iline(f"g_{w[li, j, i]} += gz{li}_{j} * {inputs[i]}")
            if li > 0:  # back through this layer's weights and the previous layer's ReLU
                previous_zs = acts[li - 1][0]
                for i in range(layers[li - 1][1]):
                    terms = " + ".join(f"gz{li}_{j} * {w[li, j, i]}" for j in range(nout))
                    iline(f"gz{li - 1}_{i} = {terms} if {previous_zs[i]} > 0.0 else 0.0")

    if unroll_samples is None:
        add("    for x, target in zip(X, y):")
        sample_body("        ", "x", "target")
    else:
        for s in range(unroll_samples):
            sample_body("    ", f"X[{s}]", f"y[{s}]")
    add("    loss = total * inv_n + alpha * (" + " + ".join(f"{n} * {n}" for n in names) + ")")
    add("    two_alpha = 2.0 * alpha")
    add("    params[:] = [")
    for n in names:
        add(f"        {n} - lr * (g_{n} * inv_n + two_alpha * {n}),")
    add("    ]")
    add("    return loss")
    return "\n".join(out) + "\n"


def make_step(sizes: Sequence[int], unroll_samples: int | None = None) -> Callable[..., float]:
    """The generated step function (see `step_source`)."""
    namespace: dict = {}
    exec(compile(step_source(sizes, unroll_samples), "<floor step>", "exec"), namespace)  # noqa: S102
    return namespace["step"]
