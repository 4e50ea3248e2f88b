"""Reader of the pattern files `render_stream fixed` and `render_stream patterns` write (tools/gpu/render_stream.c):
int32 n, int32 points, int32 labels[n], float16 patterns[n][points]. numpy only, so that tools without PyTorch
(tools/index_lattice.py) read them as the trainer does."""
import numpy as np

POINTS = 8500  # the paper's grid, 2theta 5.00..89.99 step 0.01


def read_bin(path):
    """(labels, patterns) of a render_stream file; ValueError when its patterns are not on the paper's grid"""
    b = open(path, "rb").read()
    n, m = np.frombuffer(b[:8], np.int32)
    if m != POINTS:
        raise ValueError(f"{path}: {m} points a pattern, the paper's grid has {POINTS}")
    labels = np.frombuffer(b[8:8 + 4 * n], np.int32)
    return labels, np.frombuffer(b[8 + 4 * n:], np.float16).reshape(n, m)
