// jeffreys.h — the estimators of the symmetrized-KL objective and their exact gradients.
//
// With a data minibatch x_1..x_B and base draws z_1..z_M, x̃_j = T_θ(z_j):
//
//   F̂(θ)   = −(1/B) Σ_i log p_θ(x_i)                    NLL of the main flow (forward KL + const)
//   R̂(θ,ψ) =  (1/M) Σ_j [log p_θ(x̃_j) − log q_ψ(x̃_j)]  reverse KL to the proxy
//   Ĝ(ψ)   = −(1/B) Σ_i log q_ψ(x_i)                    NLL of the proxy (its fidelity to the data)
//
// For an energy-based proxy log q = −E − log Z, with log Z estimated by importance
// sampling from p_θ (the proposal):
//
//   ℓ_j = −E(x̃_j) − log p_θ(x̃_j),   log Ẑ = logsumexp_j ℓ_j − log M,   w = softmax(ℓ)
//
// θ sees log Ẑ as a constant (the true log Z does not depend on θ); ψ differentiates
// the estimator exactly, ∇ψ log Ẑ = −Σ_j w_j ∇ψ E(x̃_j), with the samples held fixed.
// docs/method.md derives each gradient.
//
// Conditional models p_θ(x | y), q_ψ(x | y) (a context y per row, Contexts below): the
// samples come in K blocks, block c drawn from p_θ(· | y_c) at the context of data row c;
// every term is the mean over the contexts, and an EBM's log Z(y_c) is estimated per block
// from that block's samples (self-normalised weights within the block):
//
//   R̂ = (1/K) Σ_c [(1/m) Σ_j log p_θ(x̃_cj | y_c) − log q_ψ(x̃_cj | y_c)]     (m = M / K)
//   Ĝ = −(1/K) Σ_c log q_ψ(x_c | y_c)   (EBM: the K rows with a log Ẑ(y_c); flow proxy: all B)
//   F̂ = −(1/B) Σ_i log p_θ(x_i | y_i)
#pragma once
#include <vector>

#include "proxy/proxy.h"

// Scratch for the estimators, sized once for B data points and M samples. The functions
// below take at most w.B data points and w.M samples, and caches of at least as many rows
// (checked in SYMKL_CHECKS builds).
struct JeffreysWork {
    int D = 0, B = 0, M = 0;
    Tensor xs;                // (M, D) samples x̃ = T(z)
    std::vector<Real> logp;   // (max(B, M)) log p of the data or of the samples
    std::vector<Real> dlogp;  // (max(B, M)) the loss's gradient on each log p
    Tensor dx;                // (M, D) the loss's gradient on each x̃
    std::vector<Real> q;      // (max(B, M)) log q (flow proxy) or E (EBM proxy)
    std::vector<Real> dq;     // (max(B, M)) the loss's gradient on each q entry
    std::vector<double> w;    // (M) self-normalised importance weights
    std::vector<double> log_zc;  // (M) conditional EBM: log Ẑ of each context block
};

void jeffreys_work_init(JeffreysWork& w, int D, int B, int M);

// The contexts of a conditional step (both null for unconditional models): `data` (B, C)
// those of the data rows, `samples` (M, C) those of the samples, which come in `blocks`
// blocks of M / blocks rows, block c at the context of data row c (blocks ≤ B).
struct Contexts {
    const Real* data = nullptr;
    const Real* samples = nullptr;
    int blocks = 1;
};

struct LogZ {
    double log_z = 0;  // log Ẑ
    double ess = 0;    // effective sample size 1/Σ w_j², as a fraction of M
};

// Importance-sampling estimate of log Z for energies E (M) with proposal log-densities
// logp (M); writes the normalised weights w (M). Stable for any range of ℓ.
LogZ log_partition_is(double* w, const Real* E, const Real* logp, int M);

struct ThetaTerms {
    double F = 0, R = 0;
};

// θ-step: accumulates ∇θ (F̂ + r·R̂) into p.params.grad and returns F̂ and R̂.
// r = 0 gives maximum likelihood (no samples, no proxy). For an EBM proxy R̂ uses the
// given log_z (held constant). The proxy's own parameter gradients are touched too
// (∇ₓ log q runs its backward): the ψ-step zeroes them before use.
// Conditional models take their contexts in ctx (log_z: then the mean over contexts).
ThetaTerms theta_gradient(Flow& p, FlowCache& pc, Proxy* q, ProxyCache* qc, const Real* x, int B,
                          const Real* z, int M, double r, double log_z, JeffreysWork& w,
                          const Contexts& ctx = Contexts{});

struct PsiTerms {
    double R = 0, G = 0;
    double log_z = 0, ess = 1;  // EBM only (a flow proxy is normalised: log Z = 0, ESS = 1);
                                // conditional: the means over the contexts
};

// ψ-step: with samples xs (M, D) of p and their log p (M) held fixed, accumulates
// ∇ψ (R̂ + λ Ĝ) into q.params().grad and returns R̂, Ĝ (and log Ẑ, ESS for an EBM).
// An EBM with a Gaussian base b estimates log Z from draws ys (Mb, D) of b instead, with
// their log b (Mb) (ebm_base_sample): ℓ_j = −E(y_j) − log b(y_j), the same estimator with b
// as the proposal, exact for a new EBM (docs/method.md §9). Mb ≤ w.M.
// Conditional models take their contexts in ctx (no Gaussian base; the terms above).
PsiTerms psi_gradient(Proxy& q, ProxyCache& qc, const Real* xs, const Real* logp_s, int M, const Real* x,
                      int B, double lambda, JeffreysWork& w, const Real* ys = nullptr, const Real* log_b = nullptr,
                      int Mb = 0, const Contexts& ctx = Contexts{});
