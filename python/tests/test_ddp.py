"""Two processes, gloo on 127.0.0.1: one log file per rank, gradients read after the all-reduce.

torch.multiprocessing with a one-line watch() here; torchrun with `python -m gradient_lens run` (no
edit) in test/parity/run-hook.test.ts, which also merges the ranks and applies the rules."""
import os
import socket
import subprocess
import sys
import unittest

from support import PROGRAMS, PYTHON_DIR, read_log, records, temp_dir

SCRIPT = os.path.join(PROGRAMS, "ddp_train.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_ranks(test, d, nan_op):
    r0, r1 = os.path.join(d, "rank0.gl.jsonl"), os.path.join(d, "rank1.gl.jsonl")
    h0, h1 = read_log(r0)[0], read_log(r1)[0]
    test.assertEqual((h0["rank"], h1["rank"], h0["worldSize"], h1["worldSize"]), (0, 1, 2, 2))
    test.assertEqual(h0["run"], h1["run"])
    test.assertEqual([p["name"] for p in h0["params"]], ["0.weight", "0.bias", "2.weight", "2.bias"])
    s0, s1 = records(r0, "step"), records(r1, "step")
    test.assertEqual([s["step"] for s in s0], list(range(8)))
    # Before the NaN, every rank holds the same averaged gradients; their own activations differ.
    for a, b in zip(s0[:3], s1[:3]):
        test.assertEqual([p["gradNorm"] for p in a["params"]], [p["gradNorm"] for p in b["params"]])
        test.assertNotEqual(a["activations"][0]["inputMean"], b["activations"][0]["inputMean"])
    ev = records(r1, "nonFinite")[0]
    test.assertEqual((ev["step"], ev["layer"], ev["op"], ev["phase"]), (3, "0", nan_op, "forward"))
    # Rank 0's own batch was fine at step 3: its NaN came with the all-reduced gradient, a step later.
    ev0 = records(r0, "nonFinite")[0]
    test.assertGreater(ev0["step"], 3)
    with open(SCRIPT, encoding="utf-8") as f:
        line = f.read().splitlines()[h1["modules"][1]["site"]["line"] - 1]
    test.assertIn("nn.Linear(10, 16)", line)


class DistributedTest(unittest.TestCase):
    def test_torch_multiprocessing_with_one_line(self):
        # The ranks agree on MASTER_PORT before rank 0's store binds it, and another process may take
        # it meanwhile (torch's "errno: 98 - Address already in use"): that run says nothing about
        # the hook, so it runs again on another port; any other failure is the test's.
        for attempt in range(3):
            d = temp_dir(self)
            env = dict(os.environ, PYTHONPATH=PYTHON_DIR, OMP_NUM_THREADS="1", MASTER_PORT=str(free_port()))
            r = subprocess.run([sys.executable, SCRIPT, "spawn", d], capture_output=True, text=True, env=env, timeout=600)
            if r.returncode == 0 or "Address already in use" not in r.stderr:
                break
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        check_ranks(self, d, "Linear")


if __name__ == "__main__":
    unittest.main()
