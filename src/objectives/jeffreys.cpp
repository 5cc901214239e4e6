// jeffreys.cpp — F̂, R̂, Ĝ and log Ẑ, and the gradient each player needs.
#include "objectives/jeffreys.h"

#include <algorithm>
#include <cmath>

#include "tensor/check.h"
#include "tensor/error.h"
#include "tensor/parallel.h"

#ifdef _OPENMP
#include <omp.h>
#endif
void jeffreys_work_init(JeffreysWork& w, int D, int B, int M) {
    const int n = B > M ? B : M;
    w.D = D, w.B = B, w.M = M;
    w.xs.resize(M, D);
    w.logp.assign(n, Real(0));
    w.dlogp.assign(n, Real(0));
    w.dx.resize(M, D);
    w.q.assign(n, Real(0));
    w.dq.assign(n, Real(0));
    w.w.assign(M, 0.0);
    w.log_zc.assign(M, 0.0);
    w.data_logp.assign(B, Real(0));
    w.data_dlogp.assign(B, Real(0));
    w.data_q.assign(B, Real(0));
    w.data_dq.assign(B, Real(0));
}

int step_slice_count(const Flow& p, const Proxy* q, int B, int M) {
    long H = p.cfg.hidden;
    if (q) H = std::max(H, (long)(q->kind == ProxyKind::flow ? q->flow.cfg.hidden : q->ebm.cfg.hidden));
    const long rows = q ? std::max(B, M) : B, fewest = q ? std::min(B, M) : B;
    if (rows * H * H >= PAR_MIN_MACS) return 1;  // the kernels split the products themselves
    return (int)std::max(1L, std::min((long)SLICE_AUTO, fewest / SLICE_MIN_ROWS));
}

void step_slices_init(StepSlices& s, int count, const Flow& p, const Proxy* q, int B, int M) {
    if (count < 1 || count > SLICE_MAX)
        throw symkl::Error("step slices: " + std::to_string(count) + " slices asked for; 1 to " +
                           std::to_string(SLICE_MAX) + " are possible");
    s = StepSlices{};
    s.count = count;
    if (s.count == 1) return;
    const int cap = (std::max(B, M) + s.count - 1) / s.count;  // the largest slice
    s.flow.reserve(s.count), s.cache.resize(s.count);
    if (q) s.proxy.reserve(s.count), s.proxy_cache.resize(s.count);
    for (int k = 0; k < s.count; k++) {
        s.flow.push_back(flow_view(p));
        flow_cache_init(s.cache[k], p, cap);
        if (!q) continue;
        s.proxy.push_back(proxy_view(*q));
        proxy_cache_init(s.proxy_cache[k], *q, cap);
    }
}

// The first row of slice k of n rows cut into S (slice k is [part(n, S, k), part(n, S, k + 1))).
static int part(int n, int S, int k) { return (int)((long)n * k / S); }

// A model's gradient and its slices' views, to be added up after the slices' passes: into
// the model's gradient, or (assign) over it, as if it had been zeroed first.
struct Gather {
    Params* into = nullptr;
    Params* views[SLICE_MAX] = {};
    bool assign = false;
};

// Runs body(k) for every slice k, side by side (one parallel region of sl->threads threads, or
// OpenMP's default team), then adds each view's
// gradient into its model's, in slice order (view 0 first), zeroing the views for the next
// pass. One slice: body(0) on the calling thread, nothing to add. An assigning gather
// writes 0 + view 0 + view 1 + ..., the same bits as zeroing the model's gradient and
// adding, without the pass that zeroes it.
template <class Body>
static void run_slices(const StepSlices* sl, const Body& body, const Gather* gathers = nullptr, int n_gathers = 0) {
    const int S = sl ? sl->count : 1;
    if (S == 1) {
        body(0);
        return;
    }
#ifdef _OPENMP
    const int team = sl->threads > 0 ? sl->threads : omp_get_max_threads();
#endif
    #pragma omp parallel num_threads(team)
    {
        #pragma omp for schedule(static)
        for (int k = 0; k < S; k++) body(k);
        for (int g = 0; g < n_gathers; g++) {  // (each `for` ends in a barrier)
            Real* into = gathers[g].into->grad.data();
            const long n = (long)gathers[g].into->size(), chunk = 1L << 12, chunks = (n + chunk - 1) / chunk;
            #pragma omp for schedule(static)
            for (long c = 0; c < chunks; c++) {
                const long i0 = c * chunk, i1 = std::min(n, i0 + chunk);
                for (int k = 0; k < S; k++) {
                    Real* v = gathers[g].views[k]->grad.data();
                    if (k == 0 && gathers[g].assign)
                        for (long i = i0; i < i1; i++) into[i] = Real(0) + v[i], v[i] = Real(0);
                    else
                        for (long i = i0; i < i1; i++) into[i] += v[i], v[i] = Real(0);
                }
            }
        }
    }
}

// The views to add up: none with one slice (the model itself ran).
static int view_count(const StepSlices* sl) { return sl && sl->count > 1 ? sl->count : 0; }

static Gather gather_flow(Flow& p, StepSlices* sl) {
    Gather g;
    g.into = &p.params;
    for (int k = 0; k < view_count(sl); k++) g.views[k] = &sl->flow[k].params;
    return g;
}

static Gather gather_proxy(Proxy& q, StepSlices* sl) {
    Gather g;
    g.into = &q.params();
    for (int k = 0; k < view_count(sl); k++) g.views[k] = &sl->proxy[k].params();
    return g;
}

void sample_slices(Real* x, Real* logp, const Real* z, const Flow& p, FlowCache& pc, int M, const Real* y,
                   StepSlices* sl) {
    const int S = sl ? sl->count : 1, D = p.cfg.dim, C = p.cfg.context;
    run_slices(sl, [&](int k) {  // no gradient: every slice samples through p itself
        const int m0 = part(M, S, k), m = part(M, S, k + 1) - m0;
        flow_sample(x + (size_t)m0 * D, logp + m0, z + (size_t)m0 * D, p, S > 1 ? sl->cache[k] : pc, m,
                    y ? y + (size_t)m0 * C : nullptr);
    });
}

LogZ log_partition_is(double* w, const Real* E, const Real* logp, int M) {
    // ℓ_j = −E_j − log p_j; shift by the maximum so exp never overflows
    double lmax = -INFINITY;
    for (int j = 0; j < M; j++) lmax = std::fmax(lmax, -(double)E[j] - (double)logp[j]);
    double sum = 0;
    for (int j = 0; j < M; j++) {
        w[j] = std::exp(-(double)E[j] - (double)logp[j] - lmax);
        sum += w[j];
    }
    double sum_w2 = 0;
    for (int j = 0; j < M; j++) {
        w[j] /= sum;
        sum_w2 += w[j] * w[j];
    }
    LogZ r;
    r.log_z = lmax + std::log(sum) - std::log((double)M);  // log (1/M) Σ exp ℓ_j
    r.ess = 1.0 / (sum_w2 * M);
    return r;
}

// log Ẑ of each block of M / blocks samples (into w.log_zc; each block's weights into w.w):
// returns the means over the blocks of log Ẑ and of the ESS fraction. One block is
// log_partition_is itself.
static LogZ block_log_partition(JeffreysWork& w, const Real* E, const Real* logp, int M, int blocks) {
    const int m = M / blocks;
    LogZ mean{0, 0};
    for (int c = 0; c < blocks; c++) {
        const LogZ lz = log_partition_is(w.w.data() + (size_t)c * m, E + (size_t)c * m, logp + (size_t)c * m, m);
        w.log_zc[c] = lz.log_z;
        mean.log_z += lz.log_z;
        mean.ess += lz.ess;
    }
    mean.log_z /= blocks;
    mean.ess /= blocks;
    return mean;
}

ThetaTerms theta_gradient(Flow& p, FlowCache& pc, Proxy* q, ProxyCache* qc, const Real* x, int B,
                          const Real* z, int M, double r, double log_z, JeffreysWork& w, const Contexts& ctx,
                          StepSlices* sl) {
    SYMKL_CHECK(B <= w.B && (r == 0 || M <= w.M), "theta_gradient: batch larger than the work space");
    const int S = sl ? sl->count : 1, D = p.cfg.dim, C = p.cfg.context;
    SYMKL_CHECK(S > 1 || (B <= pc.cap && (r == 0 || M <= pc.cap)), "theta_gradient: batch larger than the cache");
    const bool reverse = r != 0 && q;
    SYMKL_CHECK(!reverse || S == 1 || (int)sl->proxy.size() == S, "theta_gradient: slices without the proxy");
    const Real rm = (Real)(r / M);
    // a flow proxy's backward fills its own gradient too (added up, as the ψ-step zeroes it);
    // the EBM's runs for ∇ₓE alone
    const bool proxy_grads = reverse && q->kind == ProxyKind::flow;
    Gather gathers[2] = {gather_flow(p, sl), proxy_grads ? gather_proxy(*q, sl) : Gather{}};
    gathers[0].assign = true;  // ∇θ is set, not added to
    if (S == 1) p.params.zero_grad();
    run_slices(sl, [&](int k) {
        Flow& pk = S > 1 ? sl->flow[k] : p;
        FlowCache& ck = S > 1 ? sl->cache[k] : pc;
        // F̂ = −(1/B) Σ log p(x_i)  →  d F̂ / d log p(x_i) = −1/B
        const int b0 = part(B, S, k), b = part(B, S, k + 1) - b0;
        flow_log_prob(w.data_logp.data() + b0, x + (size_t)b0 * D, pk, ck, b,
                      ctx.data ? ctx.data + (size_t)b0 * C : nullptr);
        for (int i = b0; i < b0 + b; i++) w.data_dlogp[i] = Real(-1) / (Real)B;
        flow_log_prob_backward(nullptr, w.data_dlogp.data() + b0, pk, ck, b);
        if (!reverse) return;

        // R̂ = (1/M) Σ [log p(x̃_j) − log q(x̃_j)] through the reparameterised sampling pass:
        //   d(r·R̂)/d log p(x̃_j) = r/M,   d(r·R̂)/dx̃_j = −(r/M) ∇ₓ log q(x̃_j)
        const int m0 = part(M, S, k), m = part(M, S, k + 1) - m0;
        const Real* ys = ctx.samples ? ctx.samples + (size_t)m0 * C : nullptr;
        Real* xs = w.xs.row(m0);
        flow_sample(xs, w.logp.data() + m0, z + (size_t)m0 * D, pk, ck, m, ys);
        Proxy& qk = S > 1 ? sl->proxy[k] : *q;
        ProxyCache& qck = S > 1 ? sl->proxy_cache[k] : *qc;
        if (q->kind == ProxyKind::ebm) {
            // log q = −E − log Ẑ, so −∇ₓ log q = ∇ₓE: backprop dE = r/M into x̃
            ebm_energy(w.q.data() + m0, xs, qk.ebm, qck.ebm, m, ys);
            for (int j = m0; j < m0 + m; j++) w.dq[j] = rm;
            ebm_energy_backward(w.dx.row(m0), w.dq.data() + m0, xs, qk.ebm, qck.ebm, m, false);  // ∇ₓ only
        } else {
            // exact log q: backprop d/d log q = −r/M into x̃
            flow_log_prob(w.q.data() + m0, xs, qk.flow, qck.flow, m, ys);
            for (int j = m0; j < m0 + m; j++) w.dq[j] = -rm;
            flow_log_prob_backward(w.dx.row(m0), w.dq.data() + m0, qk.flow, qck.flow, m);
        }
        for (int j = m0; j < m0 + m; j++) w.dlogp[j] = rm;
        flow_sample_backward(nullptr, w.dx.row(m0), w.dlogp.data() + m0, pk, ck, m);
    }, gathers, proxy_grads ? 2 : 1);
    ThetaTerms t;
    double s = 0;
    for (int i = 0; i < B; i++) s += (double)w.data_logp[i];
    t.F = -s / B;
    if (!reverse) return t;
    s = 0;
    if (q->kind == ProxyKind::ebm) {
        for (int j = 0; j < M; j++) s += (double)w.logp[j] + (double)w.q[j];
        t.R = s / M + log_z;
    } else {
        for (int j = 0; j < M; j++) s += (double)w.logp[j] - (double)w.q[j];
        t.R = s / M;
    }
    return t;
}

PsiTerms psi_gradient(Proxy& q, ProxyCache& qc, const Real* xs, const Real* logp_s, int M, const Real* x,
                      int B, double lambda, JeffreysWork& w, const Real* ys, const Real* log_b, int Mb,
                      const Contexts& ctx, StepSlices* sl) {
    SYMKL_CHECK(B <= w.B && M <= w.M && Mb <= w.M, "psi_gradient: batch larger than the work space");
    SYMKL_CHECK(!ctx.data || (!ys && ctx.blocks >= 1 && ctx.blocks <= B && M % ctx.blocks == 0),
                "psi_gradient: contexts need 1 to B blocks that divide M, and no Gaussian base");
    const int S = sl ? sl->count : 1;
    SYMKL_CHECK(S == 1 || (int)sl->proxy.size() == S, "psi_gradient: slices without the proxy");
    const Gather gather = gather_proxy(q, sl);
    PsiTerms t;
    double s = 0;
    if (q.kind == ProxyKind::ebm) {
        EBM& e = q.ebm;
        const int D = e.cfg.dim, C = e.cfg.context;
        const int K = ctx.data ? ctx.blocks : 1;  // context blocks, each with its own log Ẑ
        LogZ lz;
        if (ys && Mb > 0) {
            // base draws (on q itself, not sliced): log Ẑ = logsumexp_j (−E(y_j) − log b(y_j)) − log Mb,
            // ∂ log Ẑ/∂E(y_j) = −w_j, and log Ẑ enters R̂ + λĜ with weight 1 + λ
            ebm_energy(w.q.data(), ys, e, qc.ebm, Mb);
            lz = log_partition_is(w.w.data(), w.q.data(), log_b, Mb);
            for (int j = 0; j < Mb; j++) w.dq[j] = (Real)(-(1.0 + lambda) * w.w[j]);
            ebm_energy_backward(nullptr, w.dq.data(), ys, e, qc.ebm, Mb);
        }
        // the samples' energies, slice by slice
        run_slices(sl, [&](int k) {
            const int m0 = part(M, S, k), m = part(M, S, k + 1) - m0;
            ebm_energy(w.q.data() + m0, xs + (size_t)m0 * D, S > 1 ? sl->proxy[k].ebm : e,
                       S > 1 ? sl->proxy_cache[k].ebm : qc.ebm, m,
                       ctx.samples ? ctx.samples + (size_t)m0 * C : nullptr);
        });
        if (ys && Mb > 0) {
            // R̂ = (1/M) Σ (log p_j + E_j) + log Ẑ  →  dR̂/dE(x̃_j) = 1/M
            for (int j = 0; j < M; j++) w.dq[j] = Real(1) / (Real)M;
        } else {
            // samples of p as the proposal: R̂ = (1/M) Σ (log p_j + E_j) + (1/K) Σ_c log Ẑ_c, so
            //   d(R̂ + λĜ)/dE(x̃_j) = 1/M − ((1 + λ)/K) w_j      (∂ log Ẑ_c/∂E_j = −w_j in block c)
            lz = block_log_partition(w, w.q.data(), logp_s, M, K);
            for (int j = 0; j < M; j++) w.dq[j] = (Real)(1.0 / M - (1.0 + lambda) / K * w.w[j]);
        }
        for (int j = 0; j < M; j++) s += (double)logp_s[j] + (double)w.q[j];
        t.log_z = lz.log_z;
        t.ess = lz.ess;
        t.R = s / M + lz.log_z;
        // data: Ĝ = (1/n) Σ_i E(x_i) + log Ẑ (conditional: the K rows whose contexts have a
        // log Ẑ_c, and their mean)  →  d(λĜ)/dE(x_i) = λ/n
        const int n = ctx.data ? K : B;
        run_slices(sl, [&](int k) {
            EBM& ek = S > 1 ? sl->proxy[k].ebm : e;
            EBMCache& ck = S > 1 ? sl->proxy_cache[k].ebm : qc.ebm;
            const int m0 = part(M, S, k), m = part(M, S, k + 1) - m0;
            ebm_energy_backward(nullptr, w.dq.data() + m0, xs + (size_t)m0 * D, ek, ck, m);
            const int i0 = part(n, S, k), b = part(n, S, k + 1) - i0;
            ebm_energy(w.data_q.data() + i0, x + (size_t)i0 * D, ek, ck, b,
                       ctx.data ? ctx.data + (size_t)i0 * C : nullptr);
            for (int i = i0; i < i0 + b; i++) w.data_dq[i] = (Real)(lambda / n);
            ebm_energy_backward(nullptr, w.data_dq.data() + i0, x + (size_t)i0 * D, ek, ck, b);
        }, &gather, 1);
        s = 0;
        for (int i = 0; i < n; i++) s += (double)w.data_q[i];
        t.G = s / n + lz.log_z;
    } else {
        const int D = q.flow.cfg.dim, C = q.flow.cfg.context;
        run_slices(sl, [&](int k) {
            Flow& fk = S > 1 ? sl->proxy[k].flow : q.flow;
            FlowCache& ck = S > 1 ? sl->proxy_cache[k].flow : qc.flow;
            // samples: R̂ = (1/M) Σ (log p_j − log q(x̃_j))  →  dR̂/d log q(x̃_j) = −1/M
            const int m0 = part(M, S, k), m = part(M, S, k + 1) - m0;
            flow_log_prob(w.q.data() + m0, xs + (size_t)m0 * D, fk, ck, m,
                          ctx.samples ? ctx.samples + (size_t)m0 * C : nullptr);
            for (int j = m0; j < m0 + m; j++) w.dq[j] = Real(-1) / (Real)M;
            flow_log_prob_backward(nullptr, w.dq.data() + m0, fk, ck, m);
            // data: Ĝ = −(1/B) Σ log q(x_i)  →  d(λĜ)/d log q(x_i) = −λ/B
            const int b0 = part(B, S, k), b = part(B, S, k + 1) - b0;
            flow_log_prob(w.data_q.data() + b0, x + (size_t)b0 * D, fk, ck, b,
                          ctx.data ? ctx.data + (size_t)b0 * C : nullptr);
            for (int i = b0; i < b0 + b; i++) w.data_dq[i] = (Real)(-lambda / B);
            flow_log_prob_backward(nullptr, w.data_dq.data() + b0, fk, ck, b);
        }, &gather, 1);
        for (int j = 0; j < M; j++) s += (double)logp_s[j] - (double)w.q[j];
        t.R = s / M;
        s = 0;
        for (int i = 0; i < B; i++) s += (double)w.data_q[i];
        t.G = -s / B;
    }
    return t;
}
