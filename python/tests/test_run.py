"""python -m gradient_lens run: unchanged scripts, watched."""
import os
import unittest

from support import SEED_PROGRAMS, cli_in_process, read_log, records, run_module, temp_dir

# The other seed programs are run, and checked by the rules, in test/parity/run-hook.test.ts.
SEEDS = {"seed_relu.py": "nn.ReLU()"}


def line_of(path, line):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()[line - 1]


class RunTest(unittest.TestCase):
    def script(self, name, body):
        path = os.path.join(temp_dir(self), name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(body)
        return path

    def test_the_seed_programs_run_unchanged(self):
        for name, activation in SEEDS.items():
            d = temp_dir(self)
            script = os.path.join(SEED_PROGRAMS, name)
            r = run_module(["run", "--log-dir", d, script])
            self.assertEqual(r.returncode, 0, r.stderr)
            log = read_log(os.path.join(d, "rank0.gl.jsonl"))
            h = log[0]
            modules = {m["path"]: m for m in h["modules"]}
            self.assertEqual([modules[p]["type"] for p in ("0", "1", "2")], ["Linear", activation[3:-2], "Linear"])
            self.assertIn(activation, line_of(script, modules["1"]["site"]["line"]))
            self.assertEqual(modules["1"]["site"]["file"], script)
            self.assertEqual(h["argv"], [script])
            self.assertIn("optim.SGD(", line_of(script, h["optimizer"]["site"]["line"]))
            self.assertEqual(log[-1]["kind"], "end")
            self.assertEqual(log[-1]["step"], 999)
            self.assertEqual(records(os.path.join(d, "rank0.gl.jsonl"), "step")[0]["step"], 0)

    def test_every_and_the_scripts_own_arguments(self):
        d = temp_dir(self)
        script = self.script(
            "train.py",
            "import sys, torch\n"
            "from torch import nn\n"
            "steps = int(sys.argv[1])\n"
            "model = nn.Linear(3, 1)\n"
            "opt = torch.optim.Adam(model.parameters(), lr=1e-3)\n"
            "for _ in range(steps):\n"
            "    opt.zero_grad(); model(torch.randn(4, 3)).pow(2).mean().backward(); opt.step()\n",
        )
        r = run_module(["run", "--every", "5", "--log-dir", d, script, "12"])
        self.assertEqual(r.returncode, 0, r.stderr)
        path = os.path.join(d, "rank0.gl.jsonl")
        self.assertEqual([s["step"] for s in records(path, "step")], [0, 5, 10])
        self.assertEqual(read_log(path)[0]["every"], 5)
        self.assertEqual(read_log(path)[0]["optimizer"]["type"], "Adam")

    def test_a_crash_ends_the_log_with_its_reason_and_keeps_the_exit_code(self):
        d = temp_dir(self)
        script = self.script(
            "crash.py",
            "import torch\nfrom torch import nn\n"
            "model = nn.Linear(3, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
            "for i in range(3):\n"
            "    opt.zero_grad(); model(torch.randn(4, 3)).sum().backward(); opt.step()\n"
            "raise ValueError('out of data')\n",
        )
        r = run_module(["run", "--log-dir", d, script])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ValueError: out of data", r.stderr)
        end = read_log(os.path.join(d, "rank0.gl.jsonl"))[-1]
        self.assertEqual(end["kind"], "end")
        self.assertEqual(end["reason"], "error: ValueError: out of data")

    def test_usage_errors(self):
        # One through a process of its own (the exit code of `python -m gradient_lens`), the others
        # through the same entry in this process.
        r = run_module(["run", os.path.join(temp_dir(self), "missing.py")])
        self.assertEqual(r.returncode, 2)
        self.assertIn("no such file", r.stderr)
        code, _, err = cli_in_process(["run", "--every", "often", "x.py"])
        self.assertEqual(code, 2)
        self.assertIn("--every", err)
        code, _, err = cli_in_process(["fly"])
        self.assertEqual(code, 2)
        self.assertIn("unknown command 'fly'", err)
        code, out, _ = cli_in_process(["--help"])
        self.assertEqual(code, 0)
        self.assertIn("usage:", out)

    def test_a_script_without_an_optimizer_says_so(self):
        script = self.script("noop.py", "print('hello')\n")
        r = run_module(["run", "--log-dir", temp_dir(self), script])
        self.assertEqual(r.returncode, 0)
        self.assertIn("created no optimizer", r.stderr)


if __name__ == "__main__":
    unittest.main()
