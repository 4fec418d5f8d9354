"""watch() in a training loop, in this process: what it records, and that it never disturbs training."""
import os
import unittest
import warnings

from support import read_log, records, temp_dir

import torch
import torch.nn.functional as F
from torch import nn

import gradient_lens
from gradient_lens import stats


def seed_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(10, 10), nn.Sigmoid(), nn.Linear(10, 1))


def train(model, opt, steps, batch=8, loss_fn=None, x=None, y=None, hook=None):
    loss_fn = loss_fn or nn.MSELoss()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(batch, 10, generator=g) if x is None else x
    y = torch.randn(batch, 1, generator=g) if y is None else y
    for step in range(steps):
        opt.zero_grad()
        xs = hook(step, x) if hook else x
        loss = loss_fn(model(xs), y)
        loss.backward()
        opt.step()


def log_of(test, every=1, model=None, steps=5, **kw):
    model = model or seed_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    d = temp_dir(test)
    w = gradient_lens.watch(model, opt, log_dir=d, every=every)
    train(model, opt, steps, **kw)
    w.close()
    return os.path.join(d, "rank0.gl.jsonl")


class RecordsTest(unittest.TestCase):
    def test_recorded_gradient_norms_equal_p_grad_norm_in_the_same_run(self):
        model = seed_model()
        nn.init.normal_(model[0].weight, std=8.0)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        d = temp_dir(self)
        w = gradient_lens.watch(model, opt, log_dir=d, every=1)
        x, y = torch.randn(8, 10), torch.randn(8, 1)
        seen = []
        for _ in range(20):
            opt.zero_grad()
            nn.MSELoss()(model(x), y).backward()
            seen.append([float(p.grad.norm()) for p in model.parameters()])
            opt.step()
        w.close()
        steps = records(os.path.join(d, "rank0.gl.jsonl"), "step")
        self.assertEqual([s["step"] for s in steps], list(range(20)))
        worst = 0.0
        for s, want in zip(steps, seen):
            for p, v in zip(s["params"], want):
                worst = max(worst, abs(p["gradNorm"] - v) / v)
        print(f"\n    largest relative difference from p.grad.norm() over 20 steps × 4 parameters: {worst:.2e}")
        self.assertLess(worst, 1e-6)

    def test_header_graph_and_step_records(self):
        path = log_of(self)
        log = read_log(path)
        self.assertEqual(log[0]["kind"], "header")
        h = log[0]
        self.assertEqual((h["format"], h["version"], h["rank"], h["worldSize"]), ("gradient-lens-run", 1, 0, 1))
        self.assertEqual([p["name"] for p in h["params"]], ["0.weight", "0.bias", "2.weight", "2.bias"])
        self.assertEqual([m["type"] for m in h["modules"]], ["Sequential", "Linear", "Sigmoid", "Linear"])
        self.assertEqual(h["modules"][1]["args"], {"in_features": 10, "out_features": 10, "bias": True})
        self.assertEqual(h["optimizer"]["type"], "SGD")
        self.assertEqual(h["optimizer"]["lr"], 0.01)
        graph = records(path, "graph")[0]
        self.assertEqual(graph["order"], ["0", "1", "2", ""])
        self.assertEqual(graph["shapes"]["0"], {"in": [10], "out": [10]})
        self.assertEqual(graph["batchSize"], 8)
        self.assertEqual(graph["loss"]["type"], "MSELoss")
        step = records(path, "step")[0]
        self.assertEqual([a["layer"] for a in step["activations"]], ["1"])
        self.assertEqual(step["activations"][0]["op"], "sigmoid")
        self.assertEqual(step["activations"][0]["samples"], 8)
        self.assertEqual([f["layer"] for f in step["flow"]], ["0", "1", "2"])
        self.assertIsNone(step["flow"][0]["inputGradNorm"])  # the batch needs no gradient
        # Sigmoid's input gradient is Linear 0's output gradient: the same tensor.
        self.assertAlmostEqual(step["flow"][1]["inputGradNorm"], step["flow"][0]["outputGradNorm"])
        self.assertEqual(records(path, "end")[0]["reason"], "finished")
        self.assertEqual(records(path, "end")[0]["recordedSteps"], 5)

    def test_update_ratio_is_the_step_taken(self):
        model = seed_model()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        d = temp_dir(self)
        w = gradient_lens.watch(model, opt, log_dir=d, every=1)
        before = [p.detach().clone() for p in model.parameters()]
        train(model, opt, 1)
        after = [p.detach().clone() for p in model.parameters()]
        w.close()
        s = records(os.path.join(d, "rank0.gl.jsonl"), "step")[0]
        for p, b, a in zip(s["params"], before, after):
            self.assertAlmostEqual(p["updateRatio"], float((a - b).double().norm() / b.double().norm()), places=6)
            self.assertAlmostEqual(p["weightNorm"], float(b.double().norm()), places=5)

    def test_fixed_interval(self):
        path = log_of(self, every=3, steps=10)
        self.assertEqual([s["step"] for s in records(path, "step")], [0, 3, 6, 9])

    def test_auto_records_step_zero_and_counts_what_it_recorded(self):
        # Which later steps are recorded depends on timings (test_schedule.py checks the choice itself).
        path = log_of(self, every="auto", steps=200)
        steps = [s["step"] for s in records(path, "step")]
        self.assertEqual(steps[0], 0)
        end = records(path, "end")[0]
        self.assertEqual(end["recordedSteps"], len(steps))
        self.assertEqual(read_log(path)[0]["every"], "auto")

    def test_a_parameter_without_gradient_is_not_reached(self):
        class Partly(nn.Module):
            def __init__(self):
                super().__init__()
                self.used = nn.Linear(10, 1)
                self.unused = nn.Linear(10, 1)

            def forward(self, x):
                return self.used(x)

        torch.manual_seed(0)
        path = log_of(self, model=Partly(), steps=2)
        s = records(path, "step")[0]
        self.assertEqual([p["reached"] for p in s["params"]], [True, True, False, False])

    def test_gradient_accumulation_and_eval_forwards(self):
        model = seed_model()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        d = temp_dir(self)
        w = gradient_lens.watch(model, opt, log_dir=d, every=1)
        x, y = torch.randn(8, 10), torch.randn(8, 1)
        opt.zero_grad()
        losses = []
        for half in (x[:4], x[4:]):
            loss = nn.MSELoss()(model(half), y[:4])
            loss.backward()
            losses.append(float(loss))
        with torch.no_grad():
            model(torch.randn(100, 10))  # evaluation between steps: not training statistics
        opt.step()
        w.close()
        s = records(os.path.join(d, "rank0.gl.jsonl"), "step")[0]
        self.assertAlmostEqual(s["loss"], sum(losses) / 2, places=6)
        self.assertEqual(s["activations"][0]["samples"], 8)


class LossTest(unittest.TestCase):
    def loss_of(self, loss_fn, y, out_features=1):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(10, out_features))
        path = log_of(self, model=model, steps=1, loss_fn=loss_fn, y=y)
        return records(path, "graph")[0]["loss"]

    def test_built_in_losses_are_named(self):
        y = torch.rand(8, 1)
        classes = torch.randint(0, 3, (8,))
        cases = [
            (nn.MSELoss(), y, 1, "MSELoss", "mean"),
            (nn.MSELoss(reduction="sum"), y, 1, "MSELoss", "sum"),
            (nn.L1Loss(), y, 1, "L1Loss", "mean"),
            (nn.HuberLoss(), y, 1, "HuberLoss", "mean"),
            (nn.BCEWithLogitsLoss(), y, 1, "BCEWithLogitsLoss", "mean"),
            (lambda o, t: F.binary_cross_entropy(torch.sigmoid(o), t), y, 1, "BCELoss", "mean"),
            (nn.CrossEntropyLoss(), classes, 3, "CrossEntropyLoss", "mean"),
            (lambda o, t: F.nll_loss(F.log_softmax(o, 1), t) / 2, classes, 3, "CrossEntropyLoss", "mean"),
            (lambda o, t: F.nll_loss(o, t), classes, 3, "NLLLoss", "mean"),
        ]
        for fn, target, out, name, reduction in cases:
            loss = self.loss_of(fn, target, out)
            self.assertEqual((loss["type"], loss["reduction"]), (name, reduction), name)

    def test_a_loss_module_in_scope_gives_its_line(self):
        criterion = nn.MSELoss()  # built after gradient_lens was imported: its site is known
        loss = self.loss_of(criterion, torch.rand(8, 1))
        self.assertEqual(loss["site"]["file"], os.path.abspath(__file__))
        with open(__file__, encoding="utf-8") as f:
            self.assertIn("nn.MSELoss()", f.read().splitlines()[loss["site"]["line"] - 1])

    def test_an_unknown_loss_is_not_guessed(self):
        self.assertIsNone(self.loss_of(lambda o, t: ((o - t) ** 4).mean(), torch.rand(8, 1)))


class NonFiniteTest(unittest.TestCase):
    def test_forward_origin_is_the_module_that_overflowed(self):
        class Explode(nn.Module):
            def forward(self, x):
                return x * 1e38 * 1e38

        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(10, 10), Explode(), nn.Linear(10, 1))
        path = log_of(self, model=model, steps=2)
        ev = records(path, "nonFinite")
        self.assertEqual(len(ev), 1)
        self.assertEqual((ev[0]["layer"], ev[0]["op"], ev[0]["phase"], ev[0]["step"], ev[0]["recorded"]), ("1", "Explode", "forward", 0, True))
        self.assertGreater(ev[0]["inf"], 0)

    def test_backward_origin_is_the_module_whose_backward_broke(self):
        class BadGrad(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.clone()

            @staticmethod
            def backward(ctx, g):
                return g * float("nan")

        class Bad(nn.Module):
            def forward(self, x):
                return BadGrad.apply(x)

        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(10, 10), Bad(), nn.Linear(10, 1))
        path = log_of(self, model=model, steps=1)
        ev = records(path, "nonFinite")[0]
        self.assertEqual((ev["layer"], ev["op"], ev["phase"]), ("1", "Bad", "backward"))

    def test_a_batch_with_nan_is_reported_as_the_input(self):
        x = torch.randn(8, 10)
        x[3, 4] = float("nan")
        path = log_of(self, steps=1, x=x)
        ev = records(path, "nonFinite")[0]
        self.assertEqual((ev["op"], ev["layer"], ev["phase"]), ("input", "0", "forward"))

    def test_nan_on_an_unrecorded_step_is_seen_in_the_loss(self):
        def poison(step, x):
            return x * float("nan") if step == 5 else x

        path = log_of(self, every=100, steps=8, hook=poison)
        ev = records(path, "nonFinite")[0]
        self.assertEqual((ev["step"], ev["op"], ev["recorded"]), (5, "loss", False))
        # The next step is recorded, to show where the NaN now is.
        self.assertIn(6, [s["step"] for s in records(path, "step")])


class NeverInTheWayTest(unittest.TestCase):
    def test_a_failing_summary_does_not_stop_training(self):
        original = stats.tensor_sums

        def broken(t):
            raise RuntimeError("boom")

        stats.tensor_sums = broken
        try:
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                path = log_of(self, steps=3)
        finally:
            stats.tensor_sums = original
        messages = [m["text"] for m in records(path, "message")]
        self.assertTrue(any("boom" in m for m in messages), messages)
        self.assertEqual(len(records(path, "step")), 3)

    def test_lr_schedulers_keep_counting_steps(self):
        for scheduler_first in (False, True):
            model = seed_model()
            opt = torch.optim.SGD(model.parameters(), lr=1.0)
            d = temp_dir(self)
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5) if scheduler_first else None
            w = gradient_lens.watch(model, opt, log_dir=d, every=1)
            sched = sched or torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
            x, y = torch.randn(4, 10), torch.randn(4, 1)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # "lr_scheduler.step() before optimizer.step()" would fail here
                for _ in range(4):
                    opt.zero_grad()
                    nn.MSELoss()(model(x), y).backward()
                    opt.step()
                    sched.step()
            w.close()
            self.assertEqual(opt.param_groups[0]["lr"], 0.25)
            self.assertEqual([s["lr"] for s in records(os.path.join(d, "rank0.gl.jsonl"), "step")], [1.0, 1.0, 0.5, 0.5])

    def test_close_restores_the_optimizer_and_stops_recording(self):
        model = seed_model()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        d = temp_dir(self)
        with gradient_lens.watch(model, opt, log_dir=d, every=1):
            train(model, opt, 2)
        self.assertNotIn("step", opt.__dict__)
        train(model, opt, 2)
        self.assertEqual(len(records(os.path.join(d, "rank0.gl.jsonl"), "step")), 2)
        gradient_lens.watch(model, opt, log_dir=temp_dir(self)).close()  # watchable again

    def test_a_paused_watch_neither_hooks_nor_counts_steps(self):
        # The benchmark trains one model with and without the hook this way.
        model = seed_model()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        d = temp_dir(self)
        w = gradient_lens.watch(model, opt, log_dir=d, every=2)
        train(model, opt, 1)  # step 0 recorded; step 1 not
        w.pause()  # armed for nothing yet; pausing again is harmless
        w.pause()
        train(model, opt, 3)
        self.assertEqual(w.step, 1)
        self.assertEqual(w.loss_sum, None)
        w.resume()
        train(model, opt, 1)  # step 1
        self.assertTrue(w.probe is not None)  # step 2 is armed: paused with its hooks off, then on again
        w.pause()
        train(model, opt, 2)
        self.assertEqual(len(model[1]._forward_pre_hooks), 0)
        w.resume()
        train(model, opt, 1)  # step 2, recorded
        w.close()
        self.assertEqual([s["step"] for s in records(os.path.join(d, "rank0.gl.jsonl"), "step")], [0, 2])
        self.assertEqual(records(os.path.join(d, "rank0.gl.jsonl"), "end")[0]["step"], 2)

    def test_two_watches_on_one_folder_are_refused(self):
        d = temp_dir(self)
        m1, m2 = seed_model(), seed_model()
        w = gradient_lens.watch(m1, torch.optim.SGD(m1.parameters(), lr=0.1), log_dir=d)
        try:
            with self.assertRaisesRegex(RuntimeError, "already written by another watch"):
                gradient_lens.watch(m2, torch.optim.SGD(m2.parameters(), lr=0.1), log_dir=d)
        finally:
            w.close()

    def test_bad_arguments(self):
        m = seed_model()
        with self.assertRaisesRegex(TypeError, "torch.nn.Module"):
            gradient_lens.watch("model", torch.optim.SGD(m.parameters(), lr=1))
        with self.assertRaisesRegex(ValueError, "positive integer"):
            gradient_lens.watch(m, torch.optim.SGD(m.parameters(), lr=1), every=0)


class DistributedWrapperTest(unittest.TestCase):
    def test_a_ddp_model_is_recorded_under_the_users_names(self):
        import torch.distributed as dist

        store = dist.HashStore()
        dist.init_process_group("gloo", store=store, rank=0, world_size=1)
        try:
            model = nn.parallel.DistributedDataParallel(seed_model())
            path = log_of(self, model=model, steps=2)
            h = read_log(path)[0]
            self.assertEqual([p["name"] for p in h["params"]], ["0.weight", "0.bias", "2.weight", "2.bias"])
            self.assertEqual(h["worldSize"], 1)
        finally:
            dist.destroy_process_group()


if __name__ == "__main__":
    unittest.main()
