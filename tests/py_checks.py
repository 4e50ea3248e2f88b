"""What the Python tests of tools/ share: the source tree, numpy or a skip (exit 77, which ctest reports as
skipped), and checks that count their failures instead of stopping at the first."""
import os
import sys

SRC = os.environ.get("XS_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TOOLS = os.path.join(SRC, "tools")
failures = []


def require_numpy():
    """numpy, or exit 77 (skipped) saying why."""
    try:
        import numpy
    except ImportError as e:  # pragma: no cover
        print(f"SKIPPED: {e} (this test needs Debian's python3-numpy)")
        sys.exit(77)
    return numpy


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def finish():
    """Exit 1 when a check failed, else 0, after a line that says which."""
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failures")
    sys.exit(1 if failures else 0)
