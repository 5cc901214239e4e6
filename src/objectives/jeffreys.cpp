// jeffreys.cpp — F̂, R̂, Ĝ and log Ẑ, and the gradient each player needs.
#include "objectives/jeffreys.h"

#include <cmath>

#include "tensor/check.h"

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
                          const Real* z, int M, double r, double log_z, JeffreysWork& w, const Contexts& ctx) {
    SYMKL_CHECK(B <= w.B && B <= pc.cap && (r == 0 || (M <= w.M && M <= pc.cap)),
                "theta_gradient: batch larger than the work space or the cache");
    ThetaTerms t;
    // F̂ = −(1/B) Σ log p(x_i)  →  d F̂ / d log p(x_i) = −1/B
    flow_log_prob(w.logp.data(), x, p, pc, B, ctx.data);
    double s = 0;
    for (int i = 0; i < B; i++) s += (double)w.logp[i];
    t.F = -s / B;
    for (int i = 0; i < B; i++) w.dlogp[i] = Real(-1) / (Real)B;
    flow_log_prob_backward(nullptr, w.dlogp.data(), p, pc, B);
    if (r == 0 || !q) return t;

    // R̂ = (1/M) Σ [log p(x̃_j) − log q(x̃_j)] through the reparameterised sampling pass:
    //   d(r·R̂)/d log p(x̃_j) = r/M,   d(r·R̂)/dx̃_j = −(r/M) ∇ₓ log q(x̃_j)
    flow_sample(w.xs.ptr(), w.logp.data(), z, p, pc, M, ctx.samples);
    const Real rm = (Real)(r / M);
    s = 0;
    if (q->kind == ProxyKind::ebm) {
        // log q = −E − log Ẑ, so −∇ₓ log q = ∇ₓE: backprop dE = r/M into x̃
        ebm_energy(w.q.data(), w.xs.ptr(), q->ebm, qc->ebm, M, ctx.samples);
        for (int j = 0; j < M; j++) s += (double)w.logp[j] + (double)w.q[j];
        t.R = s / M + log_z;
        for (int j = 0; j < M; j++) w.dq[j] = rm;
        ebm_energy_backward(w.dx.ptr(), w.dq.data(), w.xs.ptr(), q->ebm, qc->ebm, M);
    } else {
        // exact log q: backprop d/d log q = −r/M into x̃
        flow_log_prob(w.q.data(), w.xs.ptr(), q->flow, qc->flow, M, ctx.samples);
        for (int j = 0; j < M; j++) s += (double)w.logp[j] - (double)w.q[j];
        t.R = s / M;
        for (int j = 0; j < M; j++) w.dq[j] = -rm;
        flow_log_prob_backward(w.dx.ptr(), w.dq.data(), q->flow, qc->flow, M);
    }
    for (int j = 0; j < M; j++) w.dlogp[j] = rm;
    flow_sample_backward(nullptr, w.dx.ptr(), w.dlogp.data(), p, pc, M);
    return t;
}

PsiTerms psi_gradient(Proxy& q, ProxyCache& qc, const Real* xs, const Real* logp_s, int M, const Real* x,
                      int B, double lambda, JeffreysWork& w, const Real* ys, const Real* log_b, int Mb,
                      const Contexts& ctx) {
    SYMKL_CHECK(B <= w.B && M <= w.M && Mb <= w.M, "psi_gradient: batch larger than the work space");
    SYMKL_CHECK(!ctx.data || (!ys && ctx.blocks >= 1 && ctx.blocks <= B && M % ctx.blocks == 0),
                "psi_gradient: contexts need 1 to B blocks that divide M, and no Gaussian base");
    PsiTerms t;
    double s = 0;
    if (q.kind == ProxyKind::ebm) {
        EBM& e = q.ebm;
        const int K = ctx.data ? ctx.blocks : 1;  // context blocks, each with its own log Ẑ
        LogZ lz;
        if (ys && Mb > 0) {
            // base draws: log Ẑ = logsumexp_j (−E(y_j) − log b(y_j)) − log Mb, ∂ log Ẑ/∂E(y_j) = −w_j,
            // and log Ẑ enters R̂ + λĜ with weight 1 + λ
            ebm_energy(w.q.data(), ys, e, qc.ebm, Mb);
            lz = log_partition_is(w.w.data(), w.q.data(), log_b, Mb);
            for (int j = 0; j < Mb; j++) w.dq[j] = (Real)(-(1.0 + lambda) * w.w[j]);
            ebm_energy_backward(nullptr, w.dq.data(), ys, e, qc.ebm, Mb);
            // samples of p: R̂ = (1/M) Σ (log p_j + E_j) + log Ẑ  →  dR̂/dE(x̃_j) = 1/M
            ebm_energy(w.q.data(), xs, e, qc.ebm, M);
            for (int j = 0; j < M; j++) s += (double)logp_s[j] + (double)w.q[j];
            for (int j = 0; j < M; j++) w.dq[j] = Real(1) / (Real)M;
        } else {
            // samples of p as the proposal: R̂ = (1/M) Σ (log p_j + E_j) + (1/K) Σ_c log Ẑ_c, so
            //   d(R̂ + λĜ)/dE(x̃_j) = 1/M − ((1 + λ)/K) w_j      (∂ log Ẑ_c/∂E_j = −w_j in block c)
            ebm_energy(w.q.data(), xs, e, qc.ebm, M, ctx.samples);
            lz = block_log_partition(w, w.q.data(), logp_s, M, K);
            for (int j = 0; j < M; j++) s += (double)logp_s[j] + (double)w.q[j];
            for (int j = 0; j < M; j++) w.dq[j] = (Real)(1.0 / M - (1.0 + lambda) / K * w.w[j]);
        }
        ebm_energy_backward(nullptr, w.dq.data(), xs, e, qc.ebm, M);
        t.log_z = lz.log_z;
        t.ess = lz.ess;
        t.R = s / M + lz.log_z;
        // data: Ĝ = (1/n) Σ_i E(x_i) + log Ẑ (conditional: the K rows whose contexts have a
        // log Ẑ_c, and their mean)  →  d(λĜ)/dE(x_i) = λ/n
        const int n = ctx.data ? K : B;
        ebm_energy(w.q.data(), x, e, qc.ebm, n, ctx.data);
        s = 0;
        for (int i = 0; i < n; i++) s += (double)w.q[i];
        t.G = s / n + lz.log_z;
        for (int i = 0; i < n; i++) w.dq[i] = (Real)(lambda / n);
        ebm_energy_backward(nullptr, w.dq.data(), x, e, qc.ebm, n);
    } else {
        Flow& f = q.flow;
        // samples: R̂ = (1/M) Σ (log p_j − log q(x̃_j))  →  dR̂/d log q(x̃_j) = −1/M
        flow_log_prob(w.q.data(), xs, f, qc.flow, M, ctx.samples);
        for (int j = 0; j < M; j++) s += (double)logp_s[j] - (double)w.q[j];
        t.R = s / M;
        for (int j = 0; j < M; j++) w.dq[j] = Real(-1) / (Real)M;
        flow_log_prob_backward(nullptr, w.dq.data(), f, qc.flow, M);
        // data: Ĝ = −(1/B) Σ log q(x_i)  →  d(λĜ)/d log q(x_i) = −λ/B
        flow_log_prob(w.q.data(), x, f, qc.flow, B, ctx.data);
        s = 0;
        for (int i = 0; i < B; i++) s += (double)w.q[i];
        t.G = -s / B;
        for (int i = 0; i < B; i++) w.dq[i] = (Real)(-lambda / B);
        flow_log_prob_backward(nullptr, w.dq.data(), f, qc.flow, B);
    }
    return t;
}
