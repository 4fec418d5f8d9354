"""The summaries against a plain-Python reference of Gradient Lens's own definitions
(src/trace/stats.ts paramStep and src/engine/instrument.ts activationStats), value by value."""
import math
import unittest

from support import PYTHON_DIR  # noqa: F401  (puts the package on the path)

import torch
from torch import nn

from gradient_lens import stats

MIN_NORMAL = 1.1754943508222875e-38


def ref_param_step(grad, before, after):
    """paramStep of src/trace/stats.ts, in float64 Python."""
    n = len(after)
    hist = [0] * stats.HISTOGRAM_BINS
    sum_sq = sum_abs = max_abs = 0.0
    zeros = subnormal = nonfinite = 0
    for g in grad:
        if g == 0:
            hist[0] += 1
        elif not math.isfinite(g):
            hist[-1] += 1
        else:
            decade = math.floor(math.log10(abs(g)))
            hist[1 + min(max(decade, stats.HISTOGRAM_FROM), stats.HISTOGRAM_TO) - stats.HISTOGRAM_FROM] += 1
        if not math.isfinite(g):
            nonfinite += 1
            continue
        a = abs(g)
        if a == 0:
            zeros += 1
        elif a < MIN_NORMAL:
            subnormal += 1
        sum_sq += g * g
        sum_abs += a
        max_abs = max(max_abs, a)
    w_sum = sum(before)
    w_sq = sum(w * w for w in before)
    d_sq = sum((a - b) ** 2 for a, b in zip(after, before))
    mean = w_sum / n
    weight_norm = math.sqrt(w_sq)
    nonzero = n - zeros - nonfinite
    return {
        "gradNorm": math.sqrt(sum_sq), "gradMeanAbs": sum_abs / n, "gradMaxAbs": max_abs,
        "zeroFraction": zeros / n, "subnormalFraction": subnormal / nonzero if nonzero else 0.0,
        "nonFinite": nonfinite, "weightNorm": weight_norm, "weightMean": mean,
        "weightStd": math.sqrt(max(0.0, w_sq / n - mean * mean)),
        "updateRatio": math.sqrt(d_sq) / weight_norm if weight_norm > 0 else (math.inf if d_sq > 0 else 0.0),
        "histogram": hist,
    }


def sigmoid_d(x):
    e = math.exp(-abs(x))
    return e / ((1 + e) * (1 + e))


def tanh_d(x):
    e = math.exp(-2 * abs(x))
    return 4 * e / ((1 + e) * (1 + e))


def ref_activation(values, samples, derivative, peak):
    """activationStats + activationSteps of the engine for one call."""
    units = len(values) // samples
    threshold = peak * 0.01
    sat = flat = zero = 0
    active = [0] * units
    for s in range(samples):
        for u in range(units):
            v = values[s * units + u]
            g = derivative(v)
            if g < threshold:
                sat += 1
                if g < 1e-7:
                    flat += 1
                if g == 0:
                    zero += 1
            else:
                active[u] += 1
    n = len(values)
    mean = sum(values) / n
    sq = sum(v * v for v in values) / n
    dead = sum(1 for c in active if c < 0.01 * samples)
    return {
        "samples": samples, "units": units, "saturatedShare": sat / n, "flatShare": flat / n,
        "deadShare": dead / units, "zeroDerivativeShare": zero / n, "inputMean": mean,
        "inputStd": math.sqrt(max(0.0, sq - mean * mean)),
        "inputMaxAbs": max((abs(v) for v in values if v == v), default=0.0),
    }


class ParamStatsTest(unittest.TestCase):
    def check(self, grad, before, after, rel=1e-6):
        g = torch.tensor(grad, dtype=torch.float32)
        b = torch.tensor(before, dtype=torch.float32)
        a = torch.tensor(after, dtype=torch.float32)
        got = stats.param_step(stats.param_sums(g, b, a).tolist(), True)
        # The reference reads the same float32 values.
        want = ref_param_step(g.double().tolist(), b.double().tolist(), a.double().tolist())
        for k, v in want.items():
            if k == "histogram":
                self.assertEqual(got[k], v, k)
            elif isinstance(v, float) and math.isfinite(v):
                self.assertAlmostEqual(got[k], v, delta=rel * max(abs(v), 1e-30), msg=k)
            else:
                self.assertEqual(got[k], v, k)

    def test_ordinary_gradient(self):
        torch.manual_seed(0)
        g = (torch.randn(1000) * 1e-3).tolist()
        w = torch.randn(1000).tolist()
        self.check(g, w, [x - 0.01 * y for x, y in zip(w, g)])

    def test_zeros_decades_subnormals_and_extremes(self):
        g = [0.0, 0.0, 1e-40, 2e-39, 3e-13, 5e-12, 0.5, 1.0, 7.0, 12345.0, 3e5, -2e-7, -0.02]
        self.check(g, [1.0] * len(g), [1.0] * len(g))

    def test_non_finite_entries_are_left_out_of_the_sums(self):
        g = [1.0, float("nan"), float("inf"), -float("inf"), 2.0, 0.0]
        self.check(g, [0.5] * 6, [0.4] * 6)

    def test_no_gradient(self):
        got = stats.param_step(stats.param_sums(None, torch.ones(4), torch.ones(4)).tolist(), False)
        self.assertFalse(got["reached"])
        self.assertEqual(got["zeroFraction"], 1.0)
        self.assertEqual(got["histogram"][0], 4)
        self.assertEqual(got["updateRatio"], 0.0)

    def test_norm_equals_torch_norm_to_float32_precision(self):
        torch.manual_seed(1)
        for scale in (1e-15, 1e-3, 1.0, 1e15):
            g = torch.randn(300, 200) * scale
            got = stats.param_step(stats.param_sums(g, g, g).tolist(), True)["gradNorm"]
            want = float(g.norm())
            self.assertLess(abs(got - want) / want, 1e-6, (scale, got, want))
        # Below 1e-19 float32 squares underflow: torch's float32 norm reads 0, the float64 sum does not.
        g = torch.randn(100) * 1e-30
        got = stats.param_step(stats.param_sums(g, g, g).tolist(), True)["gradNorm"]
        self.assertEqual(float(g.norm()), 0.0)
        self.assertLess(abs(got - float(g.double().norm())) / got, 1e-12)

    def test_a_huge_gradient_has_a_finite_norm(self):
        # float32 squares overflow past 1.8e19; the engine sums in float64, and so does the hook.
        got = stats.param_step(stats.param_sums(torch.tensor([3e20, 4e20]), torch.ones(2), torch.ones(2)).tolist(), True)
        self.assertAlmostEqual(got["gradNorm"] / 5e20, 1.0, places=6)
        self.assertEqual(got["nonFinite"], 0)

    def test_chunked_large_tensor_agrees_with_one_piece(self):
        torch.manual_seed(2)
        g = torch.randn(5000)
        w = torch.randn(5000)
        whole = stats.param_sums(g, w, w * 0.9)
        old = stats.CHUNK
        stats.CHUNK = 1000
        try:
            parts = stats.param_sums(g, w, w * 0.9)
        finally:
            stats.CHUNK = old
        self.assertTrue(torch.allclose(whole, parts, rtol=1e-6, equal_nan=True), (whole, parts))


class ActivationStatsTest(unittest.TestCase):
    VALUES = [0.0, 0.3, -0.3, 5.9, 6.1, -7.0, 16.0, -25.0, 40.0, 800.0, -1e30, 2.0]

    def check(self, module, derivative, peak, values=None, samples=3):
        values = values or self.VALUES
        x = torch.tensor(values, dtype=torch.float32).reshape(samples, -1)
        shape = stats.activation_shape(module)
        sums, active = stats.activation_sums(x, shape)
        got = stats.activation_step("1", shape.op, sums.tolist(), active.tolist(), list(x.shape[1:]), False)
        want = ref_activation(x.double().reshape(-1).tolist(), samples, derivative, peak)
        for k, v in want.items():
            self.assertAlmostEqual(got[k], v, delta=1e-6 * max(abs(v), 1.0), msg=f"{shape.op} {k}")

    def test_sigmoid(self):
        self.check(nn.Sigmoid(), sigmoid_d, 0.25)

    def test_tanh(self):
        self.check(nn.Tanh(), tanh_d, 1.0)

    def test_relu_and_its_dead_units(self):
        self.check(nn.ReLU(), lambda x: 0.0 if x <= 0 else 1.0, 1.0)
        x = torch.tensor([[-1.0, 2.0, -3.0], [-1.0, 5.0, 4.0]])
        sums, active = stats.activation_sums(x, stats.RELU)
        got = stats.activation_step("0", "relu", sums.tolist(), active.tolist(), [3], False)
        self.assertAlmostEqual(got["deadShare"], 1 / 3)  # unit 0 is off on every sample
        self.assertEqual(got["deadUnits"], "units")

    def test_dead_channels_after_a_convolution(self):
        # 2 samples, 3 channels of 2×2: channel 1 is off at every position of every sample; channel 2
        # is on at one position of one sample (1 of its 8 entries: alive).
        x = -torch.ones(2, 3, 2, 2)
        x[:, 0] = 1.0
        x[1, 2, 0, 1] = 1.0
        sums, active = stats.activation_sums(x, stats.RELU)
        got = stats.activation_step("1", "relu", sums.tolist(), active.tolist(), [3, 2, 2], True)
        self.assertEqual(got["deadUnits"], "channels")
        self.assertAlmostEqual(got["deadShare"], 1 / 3)
        # Read as features (the last axis, 2 of them) instead, none is dead.
        self.assertEqual(stats.activation_step("1", "relu", sums.tolist(), active.tolist(), [3, 2, 2], False)["deadShare"], 0.0)

    def test_row_spread_is_zero_for_equal_rows(self):
        same = torch.ones(4, 3) * torch.tensor([0.1, -0.2, 0.3])
        v = stats.param_sums(None, same, same).tolist()
        self.assertEqual(stats.param_step(v, False)["rowSpread"], 0.0)
        w = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
        # sqrt(mean_j var_i w[i, j]) = sqrt((1 + 1) / 2)
        self.assertAlmostEqual(stats.param_step(stats.param_sums(None, w, w).tolist(), False)["rowSpread"], 1.0)
        self.assertTrue(math.isnan(stats.param_step(stats.param_sums(None, torch.ones(3), torch.ones(3)).tolist(), False)["rowSpread"]))

    def test_leaky_relu_elu_gelu_softplus(self):
        self.check(nn.LeakyReLU(0.001), lambda x: 1.0 if x > 0 else 0.001, 1.0)
        self.check(nn.ELU(), lambda x: 1.0 if x > 0 else math.exp(x), 1.0)
        gelu = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2))) + x * math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        self.check(nn.GELU(), gelu, stats.GELU_PEAK, values=[0.0, 0.3, -0.3, 2.0, -2.0, -4.0, -6.0, 8.0, 1.0, -0.75, 3.0, -10.0])
        sp = lambda x: 1.0 if x > 20 else 1 / (1 + math.exp(-x))
        self.check(nn.Softplus(), sp, 1.0, values=[0.0, -3.0, -5.0, -8.0, 25.0, 1.0, -20.0, 4.0, -4.6, -4.7, 2.0, 30.0])

    def test_nan_inputs_count_as_active_as_in_the_engine(self):
        x = torch.tensor([[float("nan"), 100.0], [0.0, -100.0]])
        sums, active = stats.activation_sums(x, stats.SIGMOID)
        got = stats.activation_step("1", "sigmoid", sums.tolist(), active.tolist(), [2], False)
        self.assertEqual(got["saturatedShare"], 0.5)  # the two ±100 entries
        self.assertEqual(got["inputMaxAbs"], 100.0)

    def test_the_thresholds_are_the_engines(self):
        sat, flat, zero = stats.SIGMOID.bounds
        self.assertLess(sigmoid_d(sat * (1 + 1e-12)), 0.0025)
        self.assertGreaterEqual(sigmoid_d(sat * (1 - 1e-12)), 0.0025)
        self.assertLess(sigmoid_d(flat * (1 + 1e-12)), 1e-7)
        self.assertEqual(sigmoid_d(zero * (1 + 1e-9)), 0.0)
        self.assertGreater(sigmoid_d(zero * (1 - 1e-9)), 0.0)


class TensorSumsTest(unittest.TestCase):
    def test_finite_and_non_finite(self):
        t = torch.tensor([1.0, -3.0, float("nan"), float("inf"), 2.0])
        v = stats.tensor_sums(t).tolist()
        self.assertEqual(v[stats.T_COUNT], 5)
        self.assertEqual(v[stats.T_NAN], 1)
        self.assertEqual(v[stats.T_INF], 1)
        self.assertEqual(v[stats.T_SUM], 0.0)
        self.assertEqual(v[stats.T_ABSMAX], 3.0)
        self.assertEqual(v[stats.T_SUMSQ], 14.0)


if __name__ == "__main__":
    unittest.main()
