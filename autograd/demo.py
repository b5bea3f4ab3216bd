"""`make demo`: a short tour of the engine in the terminal."""

from __future__ import annotations

from autograd import Value


def main() -> None:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()
    print(f"o = tanh(x1*w1 + x2*w2 + b) = {o.data:.4f}")
    for v in (x1, x2, w1, w2, b):
        print(f"  do/d{v.label} = {v.grad:+.4f}")


if __name__ == "__main__":
    main()
