"""chainrule's scalar autograd engine: Values that remember their local derivatives."""

# Other PyPI projects also install a package called `autograd` (HIPS autograd); `nn` checks
# this marker so a clash gives a clear message instead of strange errors.
__distribution__ = "chainrule"

from autograd.functional import GradcheckError, grad, gradcheck, gradgradcheck, hessian, hvp, value_and_grad
from autograd.graph import edges, topological_order
from autograd.nudging import Nudge, nudge
from autograd.program import (
    CompiledFunction,
    CompiledSum,
    Listing,
    SpecialisationWarning,
    TraceMismatch,
    compile,
    compile_sum,
    trace,
)
from autograd.value import (
    CONSTANT,
    INPUT,
    PARAMETER,
    RESULT,
    Value,
    collector_paused,
    dot,
    enable_grad,
    is_grad_enabled,
    neuron,
    neurons,
    no_grad,
    sum,
)
from autograd.view.drawing import Graph, GraphTooLarge, draw
from autograd.view.render import GraphvizNotFound, RenderError, render_dot
from autograd.view.steps import ForwardStep, Step, backprop_steps, forward_steps
from autograd.view.walkthrough import Walkthrough

__all__ = [
    "CONSTANT",
    "CompiledFunction",
    "CompiledSum",
    "INPUT",
    "PARAMETER",
    "RESULT",
    "ForwardStep",
    "GradcheckError",
    "Graph",
    "Nudge",
    "GraphTooLarge",
    "GraphvizNotFound",
    "Listing",
    "RenderError",
    "SpecialisationWarning",
    "Step",
    "TraceMismatch",
    "Value",
    "Walkthrough",
    "backprop_steps",
    "collector_paused",
    "compile",
    "compile_sum",
    "dot",
    "neuron",
    "neurons",
    "draw",
    "edges",
    "enable_grad",
    "forward_steps",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hvp",
    "is_grad_enabled",
    "no_grad",
    "nudge",
    "render_dot",
    "sum",
    "topological_order",
    "trace",
    "value_and_grad",
]
