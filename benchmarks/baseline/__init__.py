"""Today's chainrule (commit 14e3a22), frozen: the reference the benchmark measures the engine against.

`value.py` and `graph.py` are verbatim copies of the engine before issue 14 (only the import of
`graph` made relative and `draw` removed); `demo.py` is the demo step written exactly as that
commit's `nn` wrote it (`Neuron.forward`, `Layer.__call__`, `hinge_loss`, `SGD.step`).
"""
