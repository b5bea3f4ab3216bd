"""The course's worked example: one small network used everywhere (notebooks, demo, tests).

Three inputs, two ReLU hidden nodes, one sigmoid output, with numbers chosen so a learner can
follow them by hand: hidden node 1's weighted sum is 0.5*1 + (-0.25)*2 + 0.5*3 = 1.5; hidden node
2's is negative, so ReLU switches it off until the bias switches it back on.
"""

from __future__ import annotations

from autograd import Value
from nn.layers import MLP, Layer

INPUTS = [1.0, 2.0, 3.0]
HIDDEN_WEIGHTS_FLAT = [0.5, -0.25, 0.5, -0.5, 0.25, -0.1]  # as listed, before reshaping to 2 x 3
HIDDEN_WEIGHTS = [HIDDEN_WEIGHTS_FLAT[0:3], HIDDEN_WEIGHTS_FLAT[3:6]]  # one row per hidden node
OUTPUT_WEIGHTS = [[0.8, -0.6]]
HIDDEN_BIAS = [0.1, 0.4]
OUTPUT_BIAS = [-0.3]
TARGET = 1.0


def three_layer_network(bias: bool = True) -> MLP:
    """3 inputs -> 2 ReLU hidden nodes -> 1 sigmoid output, with the worked example's numbers."""
    hidden_bias = HIDDEN_BIAS if bias else [0.0, 0.0]
    output_bias = OUTPUT_BIAS if bias else [0.0]
    return MLP.from_layers(
        [
            Layer.from_weights(HIDDEN_WEIGHTS, hidden_bias, activation="relu"),
            Layer.from_weights(OUTPUT_WEIGHTS, output_bias, activation="sigmoid"),
        ]
    )


def labelled_inputs() -> list[Value]:
    """The inputs as Values named x1, x2, x3, so graphs and steps can name them."""
    return [Value(x, label=f"x{i + 1}") for i, x in enumerate(INPUTS)]


def named_forward(model: MLP, x: list[Value]) -> Value:
    """The model's output for `x`, with each neuron's nodes named as a hand calculation would:
    weighted sum s1, plus bias z1, activation h1 in the hidden layer; s, z, o at the output."""
    h: list[Value] = x
    last = len(model.layers) - 1
    for i, layer in enumerate(model.layers):
        h = layer(h)
        for j, out in enumerate(h):
            suffix = "" if i == last else str(j + 1)
            weighted_sum_plus_bias = out.parents[0]
            out.label = "o" if i == last else f"h{suffix}"
            weighted_sum_plus_bias.label = f"z{suffix}"
            weighted_sum_plus_bias.parents[0].label = f"s{suffix}"
    return h[0]
