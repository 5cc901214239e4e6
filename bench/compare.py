#!/usr/bin/env python3
"""compare.py: `make bench-compare`, symkl against PyTorch on the same model.

PyTorch gets the architecture symkl trains: a RealNVP flow of K affine couplings that
alternate which half of the coordinates they condition on, s = c*tanh(s~/c) with c = 2,
ReLU conditioners of L hidden layers of width H (PyTorch's default nn.Linear init, the last
layer zero), a standard normal base. Both sides time the same training steps, in the
same precision and with the same number of threads, alternating symkl and PyTorch round
by round in one run (--kinds picks them; symkl's are those of its Trainer, as
symkl_bench runs them, M = B samples, proxy and critic as wide and deep as the flow's
conditioners):

  mle           a minibatch of B rows drawn with replacement, log p, the mean NLL's
                backward, one Adam step;
  adaptive-ebm  the adaptive method with the EBM proxy E(x) = f(x) + |x|^2/(2 sigma0^2):
                theta-step on F + R through the sampling pass, psi-step on R + lambda G with
                fresh samples and the importance-sampling log Z-hat, slack and dual updates;
  wgan          WGAN-GP: 5 critic updates (the gradient penalty by double backprop), one
                generator update through the sampling pass.

The matmul at 4096 x 512 x 512 (the large model's hidden layer) is
timed the same way against torch.nn.functional.linear and NumPy (both OpenBLAS here).

Once per run it also checks that the two compute the same log-density: a model trained
by the symkl CLI is loaded from its model.safetensors into the PyTorch flow (a reader of
twenty lines, below), and log p of the same points is compared.

Every PyTorch or NumPy measurement runs in a fresh subprocess with OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS set, so the BLAS really uses the requested thread count, and with
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment, so OpenBLAS picks its
own kernels for the CPU (a core type pinned to an older CPU can halve its SGEMM rate).

At the end a summary puts each step beside PyTorch's at each side's best thread count
(the fastest of the counts measured) and says which of symkl's targets hold:
small MLE >= 10x, small adaptive (EBM) >= 8x, large MLE >= 1.5x PyTorch's best.

  bench/compare.py --bench-float build/float/symkl_bench --bench-double build/symkl_bench \
                   --cli build/symkl [--threads 1,2] [--rounds 3] [--repeats 5] [--kinds mle,adaptive-ebm,wgan]
                   [--scales small,large] [--reals float,double] [--csv PATH]
"""
import argparse
import csv
import io
import json
import math
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time

SCALES = {"small": dict(D=2, K=8, H=64, L=2, B=256), "large": dict(D=16, K=8, H=512, L=2, B=4096)}
MATMUL = (4096, 512, 512)  # B x in x out


# --------------------------------------------------------------------------------------
# The PyTorch side (imported lazily: the orchestrating process needs no torch).

def build_flow(torch, D, K, H, L, clamp=2.0):
    nn = torch.nn

    class Coupling(nn.Module):
        def __init__(self, cond_first):
            super().__init__()
            first = D // 2
            if cond_first:
                self.a0, self.da, self.b0, self.db = 0, first, first, D - first
            else:
                self.a0, self.da, self.b0, self.db = first, D - first, 0, first
            layers, fan_in = [], self.da
            for _ in range(L):
                layers += [nn.Linear(fan_in, H), nn.ReLU()]
                fan_in = H
            layers.append(nn.Linear(fan_in, 2 * self.db))
            self.net = nn.Sequential(*layers)  # Linear layers at 0, 2, ..., 2L as in symkl
            nn.init.zeros_(self.net[-1].weight)
            nn.init.zeros_(self.net[-1].bias)

        def forward(self, x):
            xa = x[:, self.a0:self.a0 + self.da]
            xb = x[:, self.b0:self.b0 + self.db]
            h = self.net(xa)
            s = clamp * torch.tanh(h[:, :self.db] / clamp)
            zb = xb * torch.exp(s) + h[:, self.db:]
            z = torch.cat([xa, zb], 1) if self.a0 == 0 else torch.cat([zb, xa], 1)
            return z, s.sum(1)

        def inverse(self, z):  # sampling direction: x_b = (z_b - t) * exp(-s), log|det dx/dz| = -sum s
            za = z[:, self.a0:self.a0 + self.da]
            zb = z[:, self.b0:self.b0 + self.db]
            h = self.net(za)
            s = clamp * torch.tanh(h[:, :self.db] / clamp)
            xb = (zb - h[:, self.db:]) * torch.exp(-s)
            x = torch.cat([za, xb], 1) if self.a0 == 0 else torch.cat([xb, za], 1)
            return x, -s.sum(1)

    class Flow(nn.Module):
        def __init__(self):
            super().__init__()
            self.couplings = nn.ModuleList(Coupling(k % 2 == 0) for k in range(K))

        def log_prob(self, x):
            logdet = 0
            for c in self.couplings:
                x, ld = c(x)
                logdet = logdet + ld
            return -0.5 * (x * x).sum(1) - 0.5 * D * math.log(2 * math.pi) + logdet

        def sample(self, z):
            """x = T(z) and log p(x) = log N(z) - log|det dx/dz|, differentiable in the weights."""
            x, logdet = z, 0
            for c in reversed(self.couplings):
                x, ld = c.inverse(x)
                logdet = logdet + ld
            return x, -0.5 * (z * z).sum(1) - 0.5 * D * math.log(2 * math.pi) - logdet

    return Flow()


def build_mlp(torch, D, H, L, act, zero_last):
    """D -> H -> ... -> H -> 1 (L hidden layers), PyTorch's default init; zero_last: last layer 0."""
    nn = torch.nn
    layers, fan_in = [], D
    for _ in range(L):
        layers += [nn.Linear(fan_in, H), act()]
        fan_in = H
    layers.append(nn.Linear(fan_in, 1))
    net = nn.Sequential(*layers)
    if zero_last:
        nn.init.zeros_(net[-1].weight)
        nn.init.zeros_(net[-1].bias)
    return net


def build_ebm(torch, D, H, L, sigma0=3.0):
    """symkl's EBM proxy: E(x) = f(x) + |x|^2 / (2 sigma0^2), f a SiLU MLP whose last layer starts at 0."""
    class EBM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = build_mlp(torch, D, H, L, torch.nn.SiLU, zero_last=True)

        def forward(self, x):  # the energy E(x), one per row
            return self.net(x).squeeze(1) + (x * x).sum(1) / (2 * sigma0 ** 2)

    return EBM()


# symkl_bench's rule (bench/bench.cpp, its default --seconds 0.5): warm-up runs filling
# WARM_SECONDS (at least one), then timed runs, at least `repeats` and as many more as
# fill TIMED_SECONDS; the median.
WARM_SECONDS, TIMED_SECONDS, MAX_RUNS = 0.1, 0.5, 100000


def median_time(fn, repeats):
    warm = time.perf_counter()
    runs = 0
    while runs == 0 or (time.perf_counter() - warm < WARM_SECONDS and runs < MAX_RUNS):
        fn()
        runs += 1
    times = []
    while len(times) < repeats or (sum(times) < TIMED_SECONDS and len(times) < MAX_RUNS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# Each step kind, as symkl's Trainer runs it (src/train/train.cpp) with the settings of
# symkl_bench: Adam with lr 1e-3 for the flow and the proxy, M = B samples, proxies and
# critic as wide and deep as the flow's conditioners.

def mle_step(torch, flow, train, s):
    """Maximum likelihood: Adam on the minibatch NLL F."""
    B = s["B"]
    opt = torch.optim.Adam(flow.parameters(), lr=1e-3)

    def step():
        xb = train[torch.randint(0, train.shape[0], (B,))]
        loss = -flow.log_prob(xb).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def adaptive_ebm_step(torch, flow, train, s):
    """The adaptive method (Method::jeffreys) with the EBM proxy q = exp(-E) / Z:
    theta-step on F + R, psi-step on R + lambda G, then the slack u and the dual lambda."""
    D, B, dtype = s["D"], s["B"], train.dtype
    M = B
    ebm = build_ebm(torch, D, s["H"], s["L"]).to(dtype)
    opt = torch.optim.Adam(flow.parameters(), lr=1e-3)
    ebm_opt = torch.optim.Adam(ebm.parameters(), lr=1e-3)
    eps, alpha, dual_lr, slack_lr = 1.0 * D, 1.0, 0.01, 0.01  # symkl_bench's DualConfig
    st = dict(lam=1.0, u=0.0, log_z=0.0)  # lambda_0 = 1; log_z: the last psi-step's log Z-hat

    def step():
        xb = train[torch.randint(0, train.shape[0], (B,))]
        z = torch.randn(M, D, dtype=dtype)
        # 1. theta-step: F = -mean log p(x_i); R = mean [log p(x~_j) + E(x~_j)] + log Z-hat through
        #    the reparameterised sampling pass, log Z-hat held constant. (Like symkl's, this
        #    backward also fills the EBM's gradients; the psi-step clears them.)
        F = -flow.log_prob(xb).mean()
        xs, logp_s = flow.sample(z)
        R = (logp_s + ebm(xs)).mean() + st["log_z"]
        opt.zero_grad(set_to_none=True)
        (F + R).backward()
        opt.step()
        # 2. psi-step: fresh samples of the updated flow, held fixed; log Z-hat by importance
        #    sampling, l_j = -E(x~_j) - log p(x~_j), log Z-hat = logsumexp(l) - log M, differentiated
        #    exactly (the self-normalised weights w = softmax(l) appear in its gradient)
        with torch.no_grad():
            xs, logp_s = flow.sample(torch.randn(M, D, dtype=dtype))
        E_s = ebm(xs)
        ell = -E_s - logp_s
        log_z = torch.logsumexp(ell, 0) - math.log(M)
        R = (logp_s + E_s).mean() + log_z
        G = ebm(xb).mean() + log_z
        ebm_opt.zero_grad(set_to_none=True)
        (R + st["lam"] * G).backward()
        ebm_opt.step()
        with torch.no_grad():  # the ESS fraction symkl reports: 1 / (M sum w_j^2)
            w = torch.softmax(ell, 0)
            st["ess"] = 1.0 / (M * (w * w).sum())
        st["log_z"] = log_z.item()
        # 3.-4. slack: descent on u; dual: projected ascent on lambda with the psi-step's G
        st["u"] = 0.0 if math.isinf(alpha) else max(0.0, st["u"] - slack_lr * (alpha * st["u"] - st["lam"]))
        st["lam"] = max(0.0, st["lam"] + dual_lr * (G.item() - eps - st["u"]))

    return step


def wgan_step(torch, flow, train, s):
    """WGAN-GP: n_critic = 5 critic updates (penalty by double backprop), one generator update."""
    D, B, dtype = s["D"], s["B"], train.dtype
    M, K = B, B  # K = min(B, M) interpolates
    critic = build_mlp(torch, D, s["H"], s["L"], torch.nn.ReLU, zero_last=False).to(dtype)
    critic_opt = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
    opt = torch.optim.Adam(flow.parameters(), lr=1e-3)
    n_critic, gamma, delta = 5, 10.0, 1e-6  # delta: the smoothed norm sqrt(|g|^2 + delta^2)

    def step():
        for _ in range(n_critic):
            xb = train[torch.randint(0, train.shape[0], (B,))]
            z = torch.randn(M, D, dtype=dtype)
            e = torch.rand(K, 1, dtype=dtype)
            with torch.no_grad():
                xf, _ = flow.sample(z)
            xhat = (e * xb[:K] + (1 - e) * xf[:K]).requires_grad_(True)
            (g,) = torch.autograd.grad(critic(xhat).sum(), xhat, create_graph=True)
            gp = ((torch.sqrt((g * g).sum(1) + delta ** 2) - 1) ** 2).mean()
            loss = critic(xf).mean() - critic(xb).mean() + gamma * gp
            critic_opt.zero_grad(set_to_none=True)
            loss.backward()
            critic_opt.step()
        # generator: L_G = -mean D(T(z)) through the sampling pass; the critic is only read
        critic.requires_grad_(False)
        xf, _ = flow.sample(torch.randn(M, D, dtype=dtype))
        loss = -critic(xf).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        critic.requires_grad_(True)

    return step


STEP_KINDS = {"mle": mle_step, "adaptive-ebm": adaptive_ebm_step, "wgan": wgan_step}
KIND_LABELS = {"mle": "MLE step", "adaptive-ebm": "adaptive (EBM)", "wgan": "WGAN-GP step"}


def torch_steps(scale, threads, repeats, real, kinds):
    """Median seconds per step of each kind, each on a fresh flow from the same seed."""
    import torch
    torch.set_num_threads(threads)
    dtype = torch.float32 if real == "float" else torch.float64
    s = SCALES[scale]
    times = {}
    for kind in kinds:
        torch.manual_seed(1)
        flow = build_flow(torch, s["D"], s["K"], s["H"], s["L"]).to(dtype)
        train = torch.randn(4096, s["D"], dtype=dtype)
        times[kind] = median_time(STEP_KINDS[kind](torch, flow, train, s), repeats)
    return times


def torch_matmul(threads, repeats, real):
    import torch
    torch.set_num_threads(threads)
    dtype = torch.float32 if real == "float" else torch.float64
    B, n_in, n_out = MATMUL
    x, W, b = torch.randn(B, n_in, dtype=dtype), torch.randn(n_out, n_in, dtype=dtype), torch.randn(n_out, dtype=dtype)
    with torch.no_grad():
        return median_time(lambda: torch.nn.functional.linear(x, W, b), repeats)


def numpy_matmul(threads, repeats, real):
    import numpy as np
    dtype = np.float32 if real == "float" else np.float64
    B, n_in, n_out = MATMUL
    rng = np.random.default_rng(1)
    x, W = rng.standard_normal((B, n_in)).astype(dtype), rng.standard_normal((n_out, n_in)).astype(dtype)
    return median_time(lambda: x @ W.T, repeats)


# --------------------------------------------------------------------------------------
# safetensors, read with struct and json only (docs/checkpoint.md has the layout).

def load_safetensors(path):
    import numpy as np
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    dtypes = {"F64": "<f8", "F32": "<f4"}
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        buf = raw[8 + n + begin:8 + n + end]
        tensors[name] = np.frombuffer(buf, dtype=dtypes[info["dtype"]]).reshape(info["shape"]).copy()
    return meta, tensors


def logprob_check(model_path, points_path, logp_path):
    """Max |log p_symkl - log p_torch| over the points, the weights loaded from symkl's file."""
    import numpy as np
    import torch
    meta, tensors = load_safetensors(model_path)
    flow = build_flow(torch, int(meta["dim"]), int(meta["layers"]), int(meta["hidden"]), int(meta["depth"]),
                      float(meta["clamp"])).double()
    flow.load_state_dict({k: torch.from_numpy(v.astype(np.float64)) for k, v in tensors.items()}, strict=True)
    x = torch.from_numpy(np.loadtxt(points_path, delimiter=",", skiprows=1, ndmin=2))
    log_det = 0.0
    if "standardize_shift" in meta:  # the model's fixed first map u = (x - mu) / sigma (docs/data.md)
        mu = torch.tensor([float(v) for v in meta["standardize_shift"].split(",")], dtype=torch.float64)
        sigma = torch.tensor([float(v) for v in meta["standardize_scale"].split(",")], dtype=torch.float64)
        x, log_det = (x - mu) / sigma, float(torch.log(sigma).sum())
    with torch.no_grad():
        lp_torch = flow.log_prob(x).numpy() - log_det
    lp_symkl = np.loadtxt(logp_path, delimiter=",", skiprows=1, ndmin=1)
    return float(np.max(np.abs(lp_torch - lp_symkl))), float(np.max(np.abs(lp_symkl))), meta["real"]


# --------------------------------------------------------------------------------------
# The orchestrating side: subprocesses for every measurement, alternating.

def python_measure(what, threads, repeats, real, scale="small", kinds=("mle",)):
    """Seconds (a matmul), or {kind: seconds per step} (what = "steps")."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    for pinned in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # OpenBLAS's own kernels for this CPU
        env.pop(pinned, None)
    out = subprocess.run([sys.executable, __file__, "--worker", what, "--scale", scale, "--threads", str(threads),
                          "--repeats", str(repeats), "--real", real, "--kinds", ",".join(kinds)], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def symkl_measure(bench, only, scale, threads, repeats, kinds=()):
    """{(name, config): value} from symkl_bench's CSV (ms per step, or GFLOP/s)."""
    out = subprocess.run([bench, "--only", only, "--scale", scale, "--threads", str(threads), "--repeats",
                          str(repeats), "--csv", "-"] + (["--kinds", ",".join(kinds)] if kinds else []),
                         check=True, capture_output=True, text=True).stdout
    rows = [r for r in csv.reader(io.StringIO(out)) if len(r) == 7 and r[0] in ("steps", "matmul")]
    return {(r[1], r[2]): float(r[5]) for r in rows}


def run_cli(cli, *args):
    subprocess.run([cli, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-float", help="symkl_bench of the float build")
    ap.add_argument("--bench-double", help="symkl_bench of the double build")
    ap.add_argument("--cli", help="the symkl binary (double build: the log p check compares in float64)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; the median is reported")
    ap.add_argument("--repeats", type=int, default=5, help="timed steps per measurement, at least (median; short steps run more, see median_time)")
    ap.add_argument("--scales", default="small,large")
    ap.add_argument("--reals", default="float,double", help="precisions to compare (each needs its --bench-*)")
    ap.add_argument("--kinds", default="mle,adaptive-ebm,wgan",
                    help="step kinds to compare: " + ",".join(STEP_KINDS))
    ap.add_argument("--csv", default="bench/compare-results.csv")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--scale", default="small", help=argparse.SUPPRESS)
    ap.add_argument("--real", default="float", help=argparse.SUPPRESS)
    a = ap.parse_args()

    kinds = a.kinds.split(",")
    for k in kinds:
        if k not in STEP_KINDS:
            ap.error(f"--kinds: unknown step kind '{k}' (known: {', '.join(STEP_KINDS)})")

    if a.worker:  # one measurement inside a subprocess; prints seconds as JSON
        fn = {"steps": lambda: torch_steps(a.scale, int(a.threads), a.repeats, a.real, kinds),
              "torch_matmul": lambda: torch_matmul(int(a.threads), a.repeats, a.real),
              "numpy_matmul": lambda: numpy_matmul(int(a.threads), a.repeats, a.real)}[a.worker]
        print(json.dumps(fn()))
        return 0

    try:
        import numpy  # noqa: F401
        import torch
    except ImportError:
        print("bench-compare needs PyTorch and NumPy for this python3. On Debian or Ubuntu:\n"
              "    apt-get install python3-torch python3-numpy libopenblas0-pthread")
        return 1
    threads = [int(t) for t in a.threads.split(",")]
    scales = a.scales.split(",")
    benches = [(real, path) for real, path in (("float", a.bench_float), ("double", a.bench_double))
               if path and real in a.reals.split(",")]
    print(f"symkl vs PyTorch {torch.__version__} (NumPy {numpy.__version__}): median of at least {a.repeats} runs "
          f"per measurement (short steps: as many as fill {TIMED_SECONDS} s, after {WARM_SECONDS} s of warm-up), "
          f"median over {a.rounds} alternating rounds")
    rows = []

    # 1. Same weights, same log-density.
    if a.cli:
        import numpy as np
        with tempfile.TemporaryDirectory() as tmp:
            moons, x16 = os.path.join(tmp, "moons.csv"), os.path.join(tmp, "x16.csv")
            run_cli(a.cli, "generate", "--data", "moons", "--n", "1000", "--seed", "9", "--out", moons)
            rng = np.random.default_rng(3)
            np.savetxt(x16, rng.standard_normal((600, 16)) * rng.uniform(0.5, 2.0, 16), delimiter=",",
                       header=",".join(f"x{j}" for j in range(16)), comments="")
            # (the 16-D run is short: 480 training points in 16-D overfit within 200 steps)
            checks = [("moons, D=2 H=64, 200 steps", ["--data", "moons", "--n-train", "200", "--steps", "200"], moons),
                      ("CSV, D=16 H=128, 50 steps", ["--data", x16, "--hidden", "128", "--steps", "50"], x16)]
            for i, (label, data, points) in enumerate(checks):
                out, lp = os.path.join(tmp, f"run{i}"), os.path.join(tmp, f"lp{i}.csv")
                run_cli(a.cli, "train", *data, "--log-every", "50", "--n-eval", "100", "--quiet", "--out", out)
                model = os.path.join(out, "model.safetensors")
                run_cli(a.cli, "logprob", "--model", model, "--in", points, "--out", lp)
                diff, scale, real = logprob_check(model, points, lp)
                print(f"log p check ({label}, symkl {real} weights loaded into PyTorch float64): "
                      f"max |difference| = {diff:.3g} (max |log p| = {scale:.3g})")
                rows.append(dict(what="logprob_check_max_abs_diff", config=label, real=real, value=diff))

    # 2. Steps and the matmul, alternating symkl and PyTorch.
    for real, bench in benches:
        for scale in scales:
            s = SCALES[scale]
            config = f"D={s['D']} K={s['K']} H={s['H']} L={s['L']} B={s['B']}"
            for t in threads:
                # a round: every kind in symkl, then every kind in PyTorch
                sy, to = {k: [] for k in kinds}, {k: [] for k in kinds}
                for _ in range(a.rounds):
                    r = symkl_measure(bench, "steps", scale, t, a.repeats, kinds)
                    for k in kinds:
                        sy[k].append(r[(f"{k} step", config)] / 1e3)
                    r = python_measure("steps", t, a.repeats, real, scale, kinds)
                    for k in kinds:
                        to[k].append(r[k])
                for k in kinds:
                    sk, tk = statistics.median(sy[k]), statistics.median(to[k])
                    rows.append(dict(what=f"{k.replace('-', '_')}_step_ms", config=config, real=real, threads=t,
                                     symkl=sk * 1e3, torch=tk * 1e3, ratio=tk / sk))
                    print(f"{KIND_LABELS[k]:14s} {scale:5s} {real:6s} {t} thr: symkl {sk * 1e3:9.2f} ms   "
                          f"PyTorch {tk * 1e3:9.2f} ms   PyTorch/symkl = {tk / sk:6.2f}", flush=True)
        B, n_in, n_out = MATMUL
        flops = 2.0 * B * n_in * n_out
        key = ("forward y=xW'+b", f"{B}x{n_in}x{n_out} (B x in x out)")
        for t in threads:
            sy, to, npy = [], [], []
            for _ in range(a.rounds):
                sy.append(symkl_measure(bench, "matmul", "large", t, a.repeats)[key])
                to.append(flops / python_measure("torch_matmul", t, a.repeats, real) * 1e-9)
                npy.append(flops / python_measure("numpy_matmul", t, a.repeats, real) * 1e-9)
            sy, to, npy = statistics.median(sy), statistics.median(to), statistics.median(npy)
            best = max(to, npy)
            rows.append(dict(what="matmul_gflops", config=f"{B}x{n_in}x{n_out}", real=real, threads=t, symkl=sy,
                             torch=to, numpy=npy, ratio=sy / best))
            print(f"matmul {B}x{n_in}x{n_out} {real:6s} {t} thr: symkl {sy:7.1f} GFLOP/s   torch {to:7.1f}   "
                  f"numpy {npy:7.1f}   symkl/best = {sy / best:5.2f}", flush=True)

    # 3. Each side at its best thread count, and the targets.
    best = {}
    for r in rows:
        if not r["what"].endswith("_step_ms"):
            continue
        key = (r["what"], r["config"], r["real"])
        b = best.setdefault(key, dict(symkl=math.inf, torch=math.inf, symkl_threads=0, torch_threads=0))
        for side in ("symkl", "torch"):
            if r[side] < b[side]:
                b[side], b[side + "_threads"] = r[side], r["threads"]
    if best:
        print("\neach side at its best thread count:")
        targets = {("mle_step_ms", "small"): 10.0, ("adaptive_ebm_step_ms", "small"): 8.0,
                   ("mle_step_ms", "large"): 1.5}
        for (what, config, real), b in best.items():
            ratio = b["torch"] / b["symkl"]
            scale = next(s for s, v in SCALES.items() if config == f"D={v['D']} K={v['K']} H={v['H']} L={v['L']} B={v['B']}")
            goal = targets.get((what, scale)) if real == "float" else None
            verdict = f"   target >= {goal:g}x: {'met' if ratio >= goal else 'NOT met'}" if goal else ""
            label = KIND_LABELS[what[:-len("_step_ms")].replace("_", "-")]
            print(f"{label:14s} {scale:5s} {real:6s} symkl {b['symkl']:9.2f} ms ({b['symkl_threads']} thr)   "
                  f"PyTorch {b['torch']:9.2f} ms ({b['torch_threads']} thr)   PyTorch/symkl = {ratio:6.2f}{verdict}")
            rows.append(dict(what=what.replace("_step_ms", "_best_ratio"), config=config, real=real,
                             symkl=b["symkl"], torch=b["torch"], ratio=ratio))

    if a.csv:
        fields = ["what", "config", "real", "threads", "symkl", "torch", "numpy", "ratio", "value"]
        with open(a.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            for r in rows:
                w.writerow({k: r.get(k, "") for k in fields})
        print(f"wrote {a.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
