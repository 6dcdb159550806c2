"""Per-step cost of ``shrinkage.nn.Proximal`` against the bare optimizer, on MLPs.

A training step is ``zero_grad(); loss = f(model(x)); loss.backward(); optimizer.step()``.
The overhead of ``Proximal`` is its proximal map after ``step()``: soft-thresholding (L1),
block soft-thresholding (group L1) or a division (L2), plus, for Adam, the per-coordinate
step ``lr / (sqrt(v̂) + eps)`` read from the optimizer's state. Timings interleave bare and
wrapped blocks (same model, same data): each block of ``Proximal`` steps runs right after a
block of bare steps, the ratio is taken per pair of blocks and the table reports the median
ratio (and the median times), so drift and other processes hit both sides alike.

    python benchmarks/nn_overhead.py                      # prints a markdown table
    python benchmarks/nn_overhead.py --out benchmarks/NN_RESULTS.md

Target: the full training step under 10% slower with ``Proximal`` on a LeNet-300-100-sized
MLP (784-300-100-10, batch 128). The optimizer step alone is reported too: there the prox
is a sizeable fraction, since it touches every weight once more, as the step itself does.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from statistics import median

import torch
from report import markdown_row, markdown_table, write_markdown
from torch import nn

from shrinkage.nn import L1, L2, GroupL1, Proximal

CASES = {
    # name: (layer sizes, batch size)
    "LeNet-300-100 (784-300-100-10), batch 128": ((784, 300, 100, 10), 128),
    "wide MLP (784-1024-1024-10), batch 256": ((784, 1024, 1024, 10), 256),
    "tiny MLP (64-100-10), batch 10": ((64, 100, 10), 10),
}
OPTIMIZERS = {
    "SGD": lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9),
    "Adam": lambda params: torch.optim.Adam(params, lr=1e-3),
}
PENALTIES = {
    "L1": lambda model: L1(model, alpha=1e-5),
    "GroupL1": lambda model: GroupL1(model, alpha=1e-5, groups="input"),
    "L2": lambda model: L2(model, alpha=1e-4),
}


def mlp(sizes: tuple[int, ...]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def block_time(model, optimizer, x, y, n_steps: int, step_only: bool) -> float:
    """Mean CPU seconds per step over ``n_steps``.

    CPU time of this process (``time.process_time``), not wall-clock time: other processes
    on a shared machine then slow neither side of the comparison.
    """
    loss_fn = nn.functional.cross_entropy
    if step_only:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        start = time.process_time()
        for _ in range(n_steps):
            optimizer.step()
        return (time.process_time() - start) / n_steps
    start = time.process_time()
    for _ in range(n_steps):
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    return (time.process_time() - start) / n_steps


def measure(case: str, opt_name: str, pen_name: str, repeats: int, seconds: float) -> dict:
    sizes, batch = CASES[case]
    torch.manual_seed(0)
    x = torch.randn(batch, sizes[0])
    y = torch.randint(0, sizes[-1], (batch,))
    model = mlp(sizes)
    bare = OPTIMIZERS[opt_name](model.parameters())
    wrapped = Proximal(OPTIMIZERS[opt_name](model.parameters()), PENALTIES[pen_name](model))
    # Warm up both (allocates the optimizer states), then size blocks to ~seconds/repeats.
    probe = block_time(model, bare, x, y, 5, False) + block_time(model, wrapped, x, y, 5, False)
    n_steps = max(5, int(seconds / repeats / probe))
    out = {}
    for step_only in (False, True):
        times: dict[str, list[float]] = {"bare": [], "prox": []}
        for k in range(repeats):  # alternate which side goes first
            for name in ("bare", "prox") if k % 2 == 0 else ("prox", "bare"):
                opt = bare if name == "bare" else wrapped
                times[name].append(block_time(model, opt, x, y, n_steps, step_only))
        ratios = [p / b for b, p in zip(times["bare"], times["prox"], strict=True)]
        key = "step" if step_only else "iteration"
        out[key] = (median(times["bare"]), median(times["prox"]), median(ratios))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=9, help="interleaved pairs of blocks (median)"
    )
    parser.add_argument("--seconds", type=float, default=4.0, help="budget per measurement")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (default 1: stable timings on a shared machine)",
    )
    parser.add_argument("--quick", action="store_true", help="LeNet case, L1 only")
    parser.add_argument("--out", help="also write the markdown report here")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cases = [next(iter(CASES))] if args.quick else list(CASES)
    penalties = ["L1"] if args.quick else list(PENALTIES)
    lines = [
        "# `Proximal` overhead per training step",
        "",
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} thread(s), CPU, float32; process CPU time, median of "
        f"{args.repeats} interleaved pairs of blocks (times: medians; ratio: median of the "
        "per-pair ratios). *Iteration* = zero_grad + forward + backward + step; *step* = "
        "`optimizer.step()` alone. Ratio = with `Proximal` / bare.",
        "",
        "Command: `python benchmarks/nn_overhead.py"
        + (f" --threads {args.threads}" if args.threads != 1 else "")
        + (" --quick" if args.quick else "")
        + "`",
        "",
        *markdown_table(
            [
                "MLP",
                "optimizer",
                "penalty",
                "iteration bare (ms)",
                "iteration prox (ms)",
                "iteration ratio",
                "step bare (ms)",
                "step prox (ms)",
                "step ratio",
            ],
            [],
            right=range(3, 9),
        ),
    ]
    print("\n".join(lines), flush=True)
    for case in cases:
        for opt_name in OPTIMIZERS:
            for pen_name in penalties:
                r = measure(case, opt_name, pen_name, args.repeats, args.seconds)
                (ib, ip, ir), (sb, sp, sr) = r["iteration"], r["step"]
                line = markdown_row(
                    [
                        case,
                        opt_name,
                        pen_name,
                        f"{ib * 1e3:.3f}",
                        f"{ip * 1e3:.3f}",
                        f"**{ir:.3f}**",
                        f"{sb * 1e3:.3f}",
                        f"{sp * 1e3:.3f}",
                        f"{sr:.2f}",
                    ]
                )
                lines.append(line)
                print(line, flush=True)
    if args.out:
        write_markdown(args.out, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
