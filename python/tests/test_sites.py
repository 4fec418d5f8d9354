"""Where each module was built: the user's own call, with its exact columns."""
import json
import os
import runpy
import subprocess
import sys
import unittest

from support import PROGRAMS, PYTHON_DIR

from gradient_lens.describe import describe

SITES_MODEL = os.path.join(PROGRAMS, "sites_model.py")


def text_at(site):
    """The source text a site covers (one line)."""
    with open(site["file"], encoding="utf-8") as f:
        line = f.read().splitlines()[site["line"] - 1]
    units = line.encode("utf-16-le")
    return units[(site["column"] - 1) * 2:(site["endColumn"] - 1) * 2].decode("utf-16-le")


class SitesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ns = runpy.run_path(SITES_MODEL)
        cls.modules = {m["path"]: m for m in describe(cls.ns["net"])["modules"]}

    def site(self, path):
        return self.modules[path]["site"]

    def test_the_call_that_built_each_module(self):
        self.assertEqual(text_at(self.site("block.fc1")), "nn.Linear(4, 4)")
        self.assertEqual(text_at(self.site("block.act")), "nn.Sigmoid()")
        self.assertEqual(text_at(self.site("head.0")), "nn.Linear(4, 2)")
        self.assertEqual(text_at(self.site("head.1")), "nn.ReLU()")
        self.assertEqual(text_at(self.site("block")), "Block()")
        self.assertEqual(text_at(self.site("")), "Net()")
        self.assertEqual(self.site("block.fc1")["file"], SITES_MODEL)

    def test_a_helper_function_is_its_return_line(self):
        self.assertEqual(text_at(self.site("block.conv")), "nn.Conv2d(i, o, 3, padding=1)")

    def test_a_copy_inherits_its_containers_site(self):
        s = self.site("clone")
        self.assertTrue(s.get("inherited"))
        self.assertEqual(text_at(s), "Net()")

    def test_columns_count_utf16_units(self):
        tanh = describe(self.ns["café"])["modules"][1]["site"]
        self.assertEqual(text_at(tanh), "nn.Tanh()")

    def test_a_model_built_before_the_import_is_located_from_its_source(self):
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
        r = subprocess.run([sys.executable, os.path.join(PROGRAMS, "late_import.py")], capture_output=True, text=True, env=env, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        net = {m["path"]: m for m in out["net"]}
        self.assertEqual(text_at(net["fc1"]["site"]), "nn.Linear(4, 4)")
        self.assertEqual(text_at(net["act"]["site"]), "nn.Sigmoid()")
        self.assertNotIn("site", net[""])  # nothing says where Net() was called
        seq = {m["path"]: m for m in out["seq"]}
        self.assertNotIn("site", seq[""])
        self.assertNotIn("site", seq["0"])


if __name__ == "__main__":
    unittest.main()
