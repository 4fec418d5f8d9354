"""The log file: header first, one flushed line per record, parts past a size, earlier runs kept."""
import json
import os
import unittest

from support import read_log, temp_dir

from gradient_lens.writer import LogWriter, encode

HEADER = {"run": "r1", "startedAt": "2026-01-01T00:00:00+00:00", "worldSize": 1}


class WriterTest(unittest.TestCase):
    def test_non_finite_numbers_are_strings(self):
        line = encode({"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5], "c": {"d": 2}})
        self.assertEqual(json.loads(line), {"a": "NaN", "b": ["Infinity", "-Infinity", 1.5], "c": {"d": 2}})

    def test_each_record_is_readable_as_soon_as_it_is_written(self):
        d = temp_dir(self)
        w = LogWriter(d, 0, HEADER)
        w.write({"kind": "message", "step": 0, "text": "x"})
        log = read_log(os.path.join(d, "rank0.gl.jsonl"))  # before close
        self.assertEqual([r["kind"] for r in log], ["header", "message"])
        self.assertEqual(log[0]["format"], "gradient-lens-run")
        self.assertEqual(list(log[0])[:4], ["kind", "format", "version", "rank"])
        w.close()

    def test_parts_past_the_size_limit_start_with_the_header(self):
        d = temp_dir(self)
        w = LogWriter(d, 2, HEADER, max_bytes=64 * 1024)
        for i in range(100):
            w.write({"kind": "message", "step": i, "text": "x" * 2000})
        w.close()
        names = sorted(os.listdir(d))
        self.assertIn("rank2.gl.jsonl", names)
        self.assertIn("rank2.part1.gl.jsonl", names)
        total = 0
        for name in names:
            path = os.path.join(d, name)
            self.assertLessEqual(os.path.getsize(path), 64 * 1024)
            log = read_log(path)
            self.assertEqual(log[0]["kind"], "header")
            self.assertEqual(log[0].get("part", 0), 0 if name == "rank2.gl.jsonl" else int(name.split(".part")[1].split(".")[0]))
            total += len(log) - 1
        self.assertEqual(total, 100)

    def test_an_earlier_runs_files_are_moved_not_overwritten(self):
        d = temp_dir(self)
        w = LogWriter(d, 0, HEADER)
        w.write({"kind": "message", "step": 0, "text": "first run"})
        w.close()
        w = LogWriter(d, 0, dict(HEADER, run="r2"))
        w.close()
        self.assertEqual(read_log(os.path.join(d, "rank0.gl.jsonl"))[0]["run"], "r2")
        moved = read_log(os.path.join(d, "previous", "r1", "rank0.gl.jsonl"))
        self.assertEqual(moved[1]["text"], "first run")
        # Another rank's files are that rank's business.
        open(os.path.join(d, "rank1.gl.jsonl"), "w").close()
        LogWriter(d, 0, dict(HEADER, run="r3")).close()
        self.assertTrue(os.path.exists(os.path.join(d, "rank1.gl.jsonl")))


if __name__ == "__main__":
    unittest.main()
