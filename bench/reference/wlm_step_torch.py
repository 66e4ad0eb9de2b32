"""One WLM training step in PyTorch, for a per-step time comparison with bench/wlm.ts (issue 8).

Written from the reference's description (research/peers.md §2: guanton/WLM; the repository itself
could not be downloaded), at the sizes and settings of `bench/wlm.ts --only=step`:

- potential: per-particle Linear(D → H), L pre-LayerNorm blocks x ← x + MHA(LN(x)),
  x ← x + FFN(LN(x)) (FFN = Linear(H → F) → exact GELU → Linear(F → H)), output Linear(H → 1) per
  particle (initialised at zero, as ours), no time embedding, no dropout. Attention written out
  (softmax(QKᵀ/√d_h)V, the "math" kernel: it is differentiated twice).
- accelerations a_i = −∂/∂x_i Σ_j ψ_j (autograd, create_graph=True);
- damped leapfrog, scheme 'reference': m = e^{−γh/2}, c = m·h/2 + (1 − m), learnable γ = e^ρ;
- loss = (1/k) Σ_{m=1..k} S_ε(x̂_{t_m}, μ_m), debiased Sinkhorn divergence, cost ½‖x − y‖², log
  domain, ε-scaling as geomloss / our engine (ε₀ = diameter², blur multiplied by `scaling` per
  step, one iteration per annealing ε), then a fixed number of iterations at the target ε (the
  count our solver used, given by the TypeScript bench), all under no_grad; the gradient by one
  differentiable extrapolation of the four potentials (geomloss's `last_extrapolation`: the
  envelope-theorem gradient, as our engine's);
- AdamW on θ (lr, decoupled weight decay) with the global gradient norm of θ clipped to 10, Adam on
  ρ (own lr, no weight decay), then the EMA of θ (warm-up 3).
Data: x_0 ~ N(0, 0.2·I) and μ_m ~ N(0, s(t_m)·I), s(t) = ½ − 0.3e^{−2t}: the law of the quadratic
GF-SDE our bench samples (t_m = m·0.01), B points each, v_0 = 0, fresh draws every step.

  /usr/bin/python3 bench/reference/wlm_step_torch.py --batches=256,1024,4096 --threads=1 [--arch=32,2,1,64]
      [--marginals=4] [--substeps=1] [--target-iters=N] [--warmup=2] [--repeats=5]

Bench-only dependency: Debian's python3-torch (for /usr/bin/python3; not needed by CI or the app).
Prints one JSON line per batch size (each measured in its own process, so the peak RSS is that
batch size's): ms per step (median over `repeats` after `warmup` steps), the peak RSS, the settings.
"""
import argparse
import json
import math
import resource
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, hidden, heads, ff):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(hidden)
        self.q, self.k, self.v, self.o = (nn.Linear(hidden, hidden) for _ in range(4))
        self.ln2 = nn.LayerNorm(hidden)
        self.ff1 = nn.Linear(hidden, ff)
        self.ff2 = nn.Linear(ff, hidden)

    def attention(self, x):
        n, h = x.shape
        dh = h // self.heads
        split = lambda t: t.view(n, self.heads, dh).transpose(0, 1)  # [heads, N, dh]
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(dh), dim=-1)
        return self.o((att @ v).transpose(0, 1).reshape(n, h))

    def forward(self, x):
        x = x + self.attention(self.ln1(x))
        return x + self.ff2(F.gelu(self.ff1(self.ln2(x))))


class Potential(nn.Module):
    def __init__(self, dim, hidden, heads, layers, ff):
        super().__init__()
        self.embed = nn.Linear(dim, hidden)
        self.blocks = nn.ModuleList(Block(hidden, heads, ff) for _ in range(layers))
        self.out = nn.Linear(hidden, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x):  # [N, D] -> psi [N]
        h = self.embed(x)
        for b in self.blocks:
            h = b(h)
        return self.out(h).squeeze(-1)


def force(net, x):
    psi = net(x)
    (g,) = torch.autograd.grad(psi.sum(), x, create_graph=True)
    return -g


def rollout(net, x, v, gamma, h, steps_per_marginal, k):
    """Damped leapfrog ('reference' kick); positions at the k marginals."""
    m = torch.exp(-gamma * h / 2)
    c = m * h / 2 + (1 - m)
    f = force(net, x)
    out = []
    for _ in range(k):
        for _ in range(steps_per_marginal):
            v_half = m * v + c * f
            x = x + h * v_half
            f = force(net, x)
            v = m * v_half + c * f
        out.append(x)
    return out


def eps_schedule(diameter, blur, scaling, p=2):
    """As engines/ot/sinkhorn/config.ts epsilonSchedule (geomloss's)."""
    target, start = blur**p, diameter**p
    if not start > target:
        return [target]
    out, e, lo, step = [start], p * math.log(diameter), p * math.log(blur), p * math.log(scaling)
    while e > lo:
        out.append(math.exp(e))
        e += step
    out.append(target)
    return out


def softmin(eps, cost, h):
    """−ε log Σ_j exp(h_j − C_ij/ε), h = log b + g/ε."""
    return -eps * torch.logsumexp(h.unsqueeze(0) - cost / eps, dim=1)


def sinkhorn_divergence(x, y, blur, scaling, target_iters):
    """Debiased S_ε(α, β), uniform weights, cost ½‖x − y‖² (p = 2). Returns (value, iterations)."""
    n, m = x.shape[0], y.shape[0]
    loga = torch.full((n,), -math.log(n))
    logb = torch.full((m,), -math.log(m))
    def cost(p, q):  # ½‖p_i − q_j‖², smooth at p_i = q_j (cdist's gradient is not)
        return 0.5 * ((p * p).sum(1, keepdim=True) + (q * q).sum(1) - 2 * p @ q.T)
    with torch.no_grad():
        xd, yd = x.detach(), y.detach()
        both = torch.cat([xd, yd])
        diameter = float((both.max(0).values - both.min(0).values).norm())
        sched = eps_schedule(diameter, blur, scaling)
        cxy, cyx, cxx, cyy = cost(xd, yd), cost(yd, xd), cost(xd, xd), cost(yd, yd)
        e0 = sched[0]
        f = softmin(e0, cxy, logb)
        g = softmin(e0, cyx, loga)
        faa = softmin(e0, cxx, loga)
        gbb = softmin(e0, cyy, logb)
        iters = 0
        for e in sched[:-1] + [sched[-1]] * target_iters:
            g = softmin(e, cyx, loga + f / e)
            f = softmin(e, cxy, logb + g / e)
            faa = 0.5 * (faa + softmin(e, cxx, loga + faa / e))
            gbb = 0.5 * (gbb + softmin(e, cyy, logb + gbb / e))
            iters += 1
    e = sched[-1]
    # one differentiable extrapolation: the envelope-theorem gradient (geomloss last_extrapolation)
    f_ab = softmin(e, cost(x, y), logb + g / e)
    g_ab = softmin(e, cost(y, x), loga + f / e)
    f_aa = softmin(e, cost(x, x), loga + faa / e)
    g_bb = softmin(e, cost(y, y), logb + gbb / e)
    return (loga.exp() * (f_ab - f_aa)).sum() + (logb.exp() * (g_ab - g_bb)).sum(), iters


def child(a):
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    hidden, heads, layers, ff = a.arch
    net = Potential(2, hidden, heads, layers, ff)
    rho = torch.tensor(math.log(a.friction), requires_grad=True)
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=a.wd)
    opt_rho = torch.optim.Adam([rho], lr=a.friction_lr)
    ema = [p.detach().clone() for p in net.parameters()]
    dt, B, k = 0.01, a.batch, a.marginals
    h = dt / a.substeps
    s = lambda t: 0.5 - 0.3 * math.exp(-2 * t)
    times, iters = [], 0
    for step in range(a.warmup + a.repeats):
        t0 = time.perf_counter()
        x0 = (torch.randn(B, 2) * math.sqrt(s(0))).requires_grad_(True)
        targets = [torch.randn(B, 2) * math.sqrt(s(m * dt)) for m in range(1, k + 1)]
        v0 = torch.zeros(B, 2)
        xs = rollout(net, x0, v0, rho.exp(), h, a.substeps, k)
        loss = 0
        for xm, ym in zip(xs, targets):
            sd, iters = sinkhorn_divergence(xm, ym, a.blur, a.scaling, a.target_iters)
            loss = loss + sd
        loss = loss / k
        opt.zero_grad()
        opt_rho.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0)
        opt.step()
        opt_rho.step()
        dec = min(0.999, (1 + step + 1) / (3 + step + 1))
        with torch.no_grad():
            for e_, p in zip(ema, net.parameters()):
                e_.mul_(dec).add_(p, alpha=1 - dec)
        _ = float(loss)
        if step >= a.warmup:
            times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2] if len(times) % 2 else 0.5 * (times[len(times) // 2 - 1] + times[len(times) // 2])
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "batch": B, "threads": a.threads, "arch": a.arch, "marginals": k, "substeps": a.substeps,
        "force_evals": k * a.substeps + 1, "sinkhorn_iters": iters, "blur": a.blur,
        "ms_per_step": round(med * 1000, 1), "ms_all": [round(t * 1000, 1) for t in times],
        "peak_rss_mb": round(rss_mb), "torch": torch.__version__,
    }), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", default="256,1024,4096")
    ap.add_argument("--batch", type=int, default=0, help=argparse.SUPPRESS)  # child process
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--arch", default="32,2,1,64", help="hidden,heads,layers,ff")
    ap.add_argument("--marginals", type=int, default=4)
    ap.add_argument("--substeps", type=int, default=1)
    ap.add_argument("--blur", type=float, default=0.37)
    ap.add_argument("--scaling", type=float, default=0.7)
    ap.add_argument("--target-iters", type=int, default=30, help="Sinkhorn iterations at the target eps")
    ap.add_argument("--friction", type=float, default=1000.0)
    ap.add_argument("--friction-lr", type=float, default=1e-2)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    a.arch = [int(v) for v in a.arch.split(",")]
    if a.batch:
        child(a)
        return
    for b in [int(v) for v in a.batches.split(",")]:
        args = [sys.argv[0]] + [x for x in sys.argv[1:] if not x.startswith("--batches")] + [f"--batch={b}"]
        r = subprocess.run([sys.executable] + args, capture_output=True, text=True)
        sys.stdout.write(r.stdout if r.returncode == 0 else json.dumps({"batch": b, "error": r.stderr.strip().splitlines()[-1:]}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
