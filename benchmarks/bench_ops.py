"""Time cnnkit's convolution and pooling against TensorFlow on course workloads.

For each workload the script reports the median time of the cnnkit function,
of the TensorFlow op that does the same job (in the same process, on the same
float32 arrays, run in turn so that both see the same machine load), and of
cnnkit's loop version, timed on a strip of one image and scaled to the batch.
It prints a markdown table per operation and writes them to
``benchmarks/REPORT.md``.

Run from the repository root::

    python -m benchmarks.bench_ops            # or: python benchmarks/bench_ops.py
    python -m benchmarks.bench_ops --quick    # one round instead of three

Targets on a 2-core CPU: cnnkit/TF at most 1.5 for conv2d, 2.5 for
conv2d_backward and 2 for pooling; the im2col fast path at least 500 times
faster than the loops.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the repository importable
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import cnnkit  # noqa: E402

SPEED_UP = 500  # the im2col path against the loops


@dataclass
class Conv:
    name: str
    x: tuple[int, int, int, int]  # (N, H, W, C_in)
    kernel: tuple[int, int, int, int]  # (kh, kw, C_in, C_out)
    stride: int = 1
    padding: str = "valid"


@dataclass
class Pool:
    name: str
    x: tuple[int, int, int, int]  # (N, H, W, C)
    pool_size: int
    stride: int | None = None
    padding: str = "valid"
    mode: str = "max"


CONVS = [
    Conv("MNIST batch 64x28x28x1, 32 3x3 filters", (64, 28, 28, 1), (3, 3, 1, 32)),
    Conv("64x13x13x32 to 64 3x3 filters", (64, 13, 13, 32), (3, 3, 32, 64)),
    Conv("32x64x64x3 to 32 3x3, same", (32, 64, 64, 3), (3, 3, 3, 32), 1, "same"),
    Conv("8x32x32x64 to 128 3x3, same", (8, 32, 32, 64), (3, 3, 64, 128), 1, "same"),
    Conv("stride 2: 32x32x32x32 to 64 3x3, same", (32, 32, 32, 32), (3, 3, 32, 64),
         2, "same"),
    Conv("5x5: 64x28x28x1 to 32, same", (64, 28, 28, 1), (5, 5, 1, 32), 1, "same"),
    Conv("5x5: LeNet 64x14x14x6 to 16", (64, 14, 14, 6), (5, 5, 6, 16)),
]  # fmt: skip

POOLS = [
    Pool("max 2x2: 64x26x26x32", (64, 26, 26, 32), 2),
    Pool("max 2x2: 32x64x64x32", (32, 64, 64, 32), 2),
    Pool("max 3x3 stride 2, same: 8x32x32x128", (8, 32, 32, 128), 3, 2, "same"),
    Pool("avg 2x2: 64x28x28x32", (64, 28, 28, 32), 2, mode="avg"),
    Pool("avg 3x3 stride 1, same: 16x32x32x64", (16, 32, 32, 64), 3, 1, "same", "avg"),
    Pool("max 2x2: 64x13x13x64 (odd size)", (64, 13, 13, 64), 2),
]


def time_in_rounds(cases: list[dict], rounds: int, per_round: int) -> None:
    """Time every (cnnkit, TensorFlow) pair of functions in ``cases``.

    Each function runs twice to warm up. Then, ``rounds`` times over, every
    pair runs ``per_round`` times, cnnkit and TensorFlow in turn: each
    workload's runs are spread over the whole benchmark, so that a burst of
    load from another program spoils a few runs of each, not all runs of one.
    The medians (ms) go into each case's ``"ms"`` entry.
    """
    samples = {}
    for case in cases:
        for op, pair in case["pairs"].items():
            for f in pair:
                f()
                f()
            samples[case["name"], op] = ([], [])
    for _ in range(rounds):
        for case in cases:
            for op, pair in case["pairs"].items():
                for _ in range(per_round):
                    for f, record in zip(pair, samples[case["name"], op], strict=True):
                        start = time.perf_counter()
                        f()
                        record.append(1e3 * (time.perf_counter() - start))
    for case in cases:
        case["ms"] = {
            op: [statistics.median(t) for t in samples[case["name"], op]]
            for op in case["pairs"]
        }


def loops_ms(run, x: np.ndarray, rows: int, outputs: int) -> float:
    """Time ``run`` (a loop version) once on the top ``rows`` rows of the first
    image, scaled to ``outputs`` output positions: the loops do the same work
    for every output value, padding or not."""
    start = time.perf_counter()
    out = run(x[:1, :rows])
    seconds = time.perf_counter() - start
    return 1e3 * seconds * outputs / np.prod(out.shape[:3])


def check(name: str, ours, theirs) -> None:
    """Warn (but go on) if cnnkit and TensorFlow disagree on a workload."""
    for a, b in zip(ours, theirs, strict=True):
        b = np.asarray(b)
        error = np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)
        if not error < 1e-4:
            print(f"  warning: {name}: cnnkit and TF differ by {error:.1e}")


def bench_conv(work: Conv, rows: int, rng) -> dict:
    """The timed pairs and the loops' estimates for one convolution."""
    x = rng.standard_normal(work.x).astype(np.float32)
    k = rng.standard_normal(work.kernel).astype(np.float32)
    b = rng.standard_normal(work.kernel[3]).astype(np.float32)
    y = cnnkit.conv2d(x, k, b, stride=work.stride, padding=work.padding)
    dout = rng.standard_normal(y.shape).astype(np.float32)
    opts = dict(stride=work.stride, padding=work.padding)
    xt, kt, bt, dt = map(tf.constant, (x, k, b, dout))
    tf_opts = dict(
        strides=[1, work.stride, work.stride, 1], padding=work.padding.upper()
    )

    def forward():
        return cnnkit.conv2d(x, k, b, **opts)

    def backward():
        return cnnkit.conv2d_backward(dout, x, k, **opts)

    def tf_forward():
        return tf.nn.bias_add(tf.nn.conv2d(xt, kt, **tf_opts), bt).numpy()

    def tf_backward():  # the ops tf.GradientTape runs for conv2d + bias_add
        dx = tf.raw_ops.Conv2DBackpropInput(
            input_sizes=work.x, filter=kt, out_backprop=dt, **tf_opts
        )
        dk = tf.raw_ops.Conv2DBackpropFilter(
            input=xt, filter_sizes=work.kernel, out_backprop=dt, **tf_opts
        )
        return dx.numpy(), dk.numpy(), tf.reduce_sum(dt, axis=[0, 1, 2]).numpy()

    def loops_forward(strip):
        return cnnkit.conv2d_naive(strip, k, b, **opts)

    def loops_backward(strip):
        d = np.ones(cnnkit.conv2d(strip, k, **opts).shape, np.float32)
        cnnkit.conv2d_backward_naive(d, strip, k, **opts)
        return d

    check(work.name, [forward()], [tf_forward()])
    check(work.name, backward(), tf_backward())
    rows = max(rows, work.kernel[0])  # the kernel must fit the strip
    pairs = {"forward": (forward, tf_forward), "backward": (backward, tf_backward)}
    loops = {"forward": loops_forward, "backward": loops_backward}
    return _case(work.name, pairs, loops, x, rows, np.prod(y.shape[:3]))


def bench_pool(work: Pool, rows: int, rng) -> dict:
    """The timed pairs and the loops' estimates for one pooling."""
    x = rng.standard_normal(work.x).astype(np.float32)
    size = work.pool_size
    opts = dict(stride=work.stride, padding=work.padding, mode=work.mode)
    y = cnnkit.pool2d(x, size, **opts)
    dout = rng.standard_normal(y.shape).astype(np.float32)
    xt, dt = tf.constant(x), tf.constant(dout)
    stride = work.stride or size
    tf_opts = dict(
        ksize=[1, size, size, 1],
        strides=[1, stride, stride, 1],
        padding=work.padding.upper(),
    )
    tf_pool = tf.nn.max_pool2d if work.mode == "max" else tf.nn.avg_pool2d
    yt = tf_pool(xt, **tf_opts)

    def forward():
        return cnnkit.pool2d(x, size, **opts)

    def backward():
        return cnnkit.pool2d_backward(dout, x, size, **opts)

    def tf_forward():
        return tf_pool(xt, **tf_opts).numpy()

    def tf_backward():  # the op tf.GradientTape runs for max_pool2d / avg_pool2d
        if work.mode == "max":
            return tf.raw_ops.MaxPoolGrad(
                orig_input=xt, orig_output=yt, grad=dt, **tf_opts
            ).numpy()
        return tf.raw_ops.AvgPoolGrad(
            orig_input_shape=work.x, grad=dt, **tf_opts
        ).numpy()

    def loops_forward(strip):
        return cnnkit.pool2d_naive(strip, size, **opts)

    def loops_backward(strip):
        d = np.ones(cnnkit.pool2d(strip, size, **opts).shape, np.float32)
        cnnkit.pool2d_backward_naive(d, strip, size, **opts)
        return d

    check(work.name, [forward()], [tf_forward()])
    check(work.name, [backward()], [tf_backward()])
    rows = max(rows, size)  # the window must fit the strip
    pairs = {"forward": (forward, tf_forward), "backward": (backward, tf_backward)}
    loops = {"forward": loops_forward, "backward": loops_backward}
    return _case(work.name, pairs, loops, x, rows, np.prod(y.shape[:3]))


def _case(name: str, pairs: dict, loops: dict, x, rows: int, outputs: int) -> dict:
    """One workload's timed pairs (cnnkit, TF) and its loop versions' estimates."""
    return {
        "name": name,
        "pairs": pairs,
        "loops": {op: loops_ms(f, x, rows, outputs) for op, f in loops.items()},
    }


def table(
    title: str, cases: list[dict], op: str, target: float, speed_up: int | None
) -> str:
    """A markdown table of one operation over all its workloads, and a verdict."""
    lines = [
        f"### {title}",
        "",
        "| workload | cnnkit ms | TF ms | cnnkit/TF | loops ms (est.) | speed-up |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    ratios, speed_ups = [], []
    for case in cases:
        (ours, theirs), loops = case["ms"][op], case["loops"][op]
        ratios.append(ours / theirs)
        speed_ups.append(loops / ours)
        lines.append(
            f"| {case['name']} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.2f} | "
            f"{loops:,.0f} | {loops / ours:,.0f}x |"
        )
    worst, slowest = max(ratios), min(speed_ups)
    summary = (
        f"cnnkit/TF: median {statistics.median(ratios):.2f}, worst {worst:.2f} "
        f"(target at most {target}: {'met' if worst <= target else 'NOT met'}). "
        f"Speed-up over the loops: at least {slowest:,.0f}x"
    )
    if speed_up:
        verdict = "met" if slowest >= speed_up else "NOT met"
        summary += f" (target {speed_up}x: {verdict})"
    return "\n".join([*lines, "", summary + ".", ""])


def load() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def environment() -> str:
    try:
        from threadpoolctl import threadpool_info

        blas = "; ".join(
            f"{i['internal_api']} {i.get('version')} ({i.get('architecture')}, "
            f"{i['num_threads']} threads)"
            for i in threadpool_info()
            if i["user_api"] == "blas" and "numpy" in i["filepath"]
        )
    except ImportError:
        blas = "BLAS unknown (threadpoolctl is not installed)"
    return (
        f"Python {platform.python_version()}, NumPy {np.__version__} "
        f"({blas}), TensorFlow {tf.__version__}, {os.cpu_count()} CPUs; "
        "float32 throughout."
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).with_name("REPORT.md"),
        help="where to write the markdown report",
    )
    args = parser.parse_args(argv)
    rounds, per_round = (1, 5) if args.quick else (3, 7)
    rows = 2 if args.quick else 4
    rng = np.random.default_rng(0)
    load_before = load()

    convs, pools = [], []
    for work in CONVS:
        print(f"preparing conv: {work.name}", flush=True)
        convs.append(bench_conv(work, rows, rng))
    for work in POOLS:
        print(f"preparing pool: {work.name}", flush=True)
        pools.append(bench_pool(work, rows, rng))
    print("timing", flush=True)
    time_in_rounds(convs + pools, rounds, per_round)

    report = "\n".join(
        [
            "# Benchmark: cnnkit against TensorFlow",
            "",
            f"Written by `python -m benchmarks.bench_ops{' --quick' * args.quick}`. "
            f"Times are medians of {rounds * per_round} runs after two warm-up "
            f"runs, cnnkit and TensorFlow in turn, in {rounds} round(s) through all "
            "workloads. The loop versions (`conv2d_naive`, ...) ran once on the "
            f"top {rows} rows (at least the kernel's height) of the first image "
            "and are scaled to the batch by the number of outputs.",
            "",
            environment(),
            f"Load average (1, 5, 15 min) before: {load_before}; after: {load()}.",
            "",
            table("conv2d vs tf.nn.conv2d", convs, "forward", 1.5, SPEED_UP),
            table(
                "conv2d_backward vs TensorFlow's gradient (Conv2DBackpropInput, "
                "Conv2DBackpropFilter and the bias sum)",
                convs,
                "backward",
                2.5,
                SPEED_UP,
            ),
            table("pool2d vs tf.nn.max_pool2d / avg_pool2d", pools, "forward", 2, None),
            table(
                "pool2d_backward vs MaxPoolGrad / AvgPoolGrad",
                pools,
                "backward",
                2,
                None,
            ),
        ]
    )
    print("\n" + report)
    args.output.write_text(report)
    print(f"written to {args.output}")
    return report


if __name__ == "__main__":
    main()
