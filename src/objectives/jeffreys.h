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
    // the same for the data rows, kept apart from the samples' so that both can be in use
    // at once when slices of the step run side by side (StepSlices)
    std::vector<Real> data_logp, data_dlogp, data_q, data_dq;  // (B)
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

// A step cut into row slices that threads take through whole passes. Slice s of n rows is
// rows [n·s/S, n·(s+1)/S) of the data and, cut the same way, of the samples; it runs every
// pass of the step on its rows with its own caches, and its backward passes write into
// gradient views of the models (nn/params.h). Between passes that need every row (log Ẑ)
// the slices wait for each other. The views' gradients are then added to the models' in
// slice order, and every row's numbers are the same whoever computes them: the results
// depend on the number of slices, never on the number of threads (or on OpenMP). One slice
// (count = 1, the default) runs the models and caches given to the functions themselves.
struct StepSlices {
    int count = 1;
    int threads = 0;                      // the team the slices get (0: OpenMP's default)
    std::vector<Flow> flow;               // (count) views of the main flow
    std::vector<FlowCache> cache;         // (count) their caches
    std::vector<Proxy> proxy;             // (count) views of the proxy (empty without one)
    std::vector<ProxyCache> proxy_cache;  // (count)
};

// How many slices a step of B data rows and M samples is cut into: 1 when the models' widest
// product is big enough for the matmul kernels' own threads (tensor/parallel.h), else as many
// slices of at least SLICE_MIN_ROWS rows as fit, at most SLICE_AUTO. A function of the sizes
// only, so the same on every machine and for every thread count. (Two slices keep both cores
// of a 2-core machine busy and cost one thread least: docs/performance.md.)
constexpr int SLICE_MIN_ROWS = 64, SLICE_AUTO = 2, SLICE_MAX = 8;
int step_slice_count(const Flow& p, const Proxy* q, int B, int M);
// Views and caches for `count` slices (1 to SLICE_MAX) of B data rows and M samples (count = 1:
// none).
// p and q must stay where they are while the slices are used.
void step_slices_init(StepSlices& s, int count, const Flow& p, const Proxy* q, int B, int M);

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

// θ-step: sets p.params.grad to ∇θ (F̂ + r·R̂) (no need to zero it first) and returns F̂ and R̂.
// r = 0 gives maximum likelihood (no samples, no proxy). For an EBM proxy R̂ uses the
// given log_z (held constant). A flow proxy's own parameter gradients are touched too
// (∇ₓ log q runs its backward): the ψ-step zeroes them before use. An EBM's are not.
// Conditional models take their contexts in ctx (log_z: then the mean over contexts).
// With slices (sl, count > 1) the same terms are computed slice by slice, side by side.
ThetaTerms theta_gradient(Flow& p, FlowCache& pc, Proxy* q, ProxyCache* qc, const Real* x, int B,
                          const Real* z, int M, double r, double log_z, JeffreysWork& w,
                          const Contexts& ctx = Contexts{}, StepSlices* sl = nullptr);

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
// With slices (sl, count > 1) the samples' and the data's passes run slice by slice (the
// Gaussian base's draws, when there are any, on q itself).
PsiTerms psi_gradient(Proxy& q, ProxyCache& qc, const Real* xs, const Real* logp_s, int M, const Real* x,
                      int B, double lambda, JeffreysWork& w, const Real* ys = nullptr, const Real* log_b = nullptr,
                      int Mb = 0, const Contexts& ctx = Contexts{}, StepSlices* sl = nullptr);

// x (M, D) = T(z) and log p (M) of p's sampling pass (no gradient), slice by slice when sl
// has more than one (through its views and caches), else through pc.
void sample_slices(Real* x, Real* logp, const Real* z, const Flow& p, FlowCache& pc, int M,
                   const Real* y = nullptr, StepSlices* sl = nullptr);
