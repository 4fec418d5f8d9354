"""Helpers for the gradient_lens tests: the package from this repository, logs read back."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(HERE)
PROGRAMS = os.path.join(HERE, "programs")
# The seed article's programs, pasted unchanged: one copy, shared with the static front end's parity suite.
SEED_PROGRAMS = os.path.join(os.path.dirname(PYTHON_DIR), "test", "parity", "python")
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def _numbers(v):
    if isinstance(v, str) and v in NON_FINITE:
        return NON_FINITE[v]
    if isinstance(v, list):
        return [_numbers(x) for x in v]
    if isinstance(v, dict):
        return {k: _numbers(x) for k, x in v.items()}
    return v


def read_log(path):
    """Every record of a log file, non-finite strings turned back into floats."""
    with open(path, encoding="utf-8") as f:
        return [_numbers(json.loads(line)) for line in f if line.strip()]


def records(path, kind):
    return [r for r in read_log(path) if r["kind"] == kind]


def run_module(args, cwd=None, env=None, timeout=600):
    """Runs `python -m gradient_lens ...` with this repository's package first on the path."""
    e = dict(os.environ)
    e["PYTHONPATH"] = PYTHON_DIR + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "gradient_lens", *args], cwd=cwd, env=e, capture_output=True, text=True, timeout=timeout)


def cli_in_process(args):
    """`python -m gradient_lens ...`'s exit code, stdout and stderr for a command that never runs a
    script (usage errors, help): its entry called in this process, which has torch imported already;
    a process of its own would spend its seconds importing torch again."""
    import contextlib
    import io

    from gradient_lens.__main__ import _cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = _cli(list(args))
        except SystemExit as e:  # argparse's errors
            code = e.code
    return code, out.getvalue(), err.getvalue()


def temp_dir(test):
    d = tempfile.TemporaryDirectory(prefix="gl-test-")
    test.addCleanup(d.cleanup)
    return d.name
