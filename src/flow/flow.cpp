// flow.cpp — composing couplings: both directions, their backward passes,
// and the base density that turns them into log p(x).
#include "flow/flow.h"

#include <cmath>
#include <cstring>

#include "tensor/check.h"
#include "tensor/error.h"
#include "tensor/rng.h"

static const double LOG_2PI = 1.8378770664093454836;

void flow_build(Flow& f, const FlowConfig& cfg) {
    if (cfg.dim < 2) throw symkl::Error("flow: dimension must be at least 2 (a coupling needs two halves)");
    if (cfg.layers < 1) throw symkl::Error("flow: --layers must be at least 1");
    if (cfg.hidden < 1) throw symkl::Error("flow: --hidden must be at least 1");
    if (cfg.depth < 1) throw symkl::Error("flow: --depth must be at least 1");
    if (!(cfg.clamp > 0)) throw symkl::Error("flow: --clamp must be positive");
    f.cfg = cfg;
    f.params = Params{};
    f.couplings.assign(cfg.layers, Coupling{});
    for (int k = 0; k < cfg.layers; k++) {
        const Half cond = k % 2 == 0 ? Half::first : Half::second;
        coupling_declare(f.couplings[k], f.params, "couplings." + std::to_string(k), cfg.dim, cond,
                         cfg.hidden, cfg.depth, cfg.act, cfg.scale, (Real)cfg.clamp);
    }
    f.params.allocate();
}

void flow_init(Flow& f, Rng& rng) {
    for (const Coupling& c : f.couplings) mlp_init(c.net, f.params, rng, LastLayer::zero);
}

void flow_cache_init(FlowCache& c, const Flow& f, int cap) {
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    c.cap = cap;
    c.layers.assign(K, CouplingCache{});
    for (int k = 0; k < K; k++) coupling_cache_init(c.layers[k], f.couplings[k], cap);
    c.acts.assign(K + 1, Tensor(cap, D));
    c.ld.resize(cap, 1);
    c.logdet.resize(cap, 1);
    c.dlogdet.resize(cap, 1);
    c.gA.resize(cap, D);
    c.gB.resize(cap, D);
}

Real log_normal(const Real* z, int D) {
    Real sq = 0;
    for (int j = 0; j < D; j++) sq += z[j] * z[j];
    return Real(-0.5) * sq - Real(0.5 * D * LOG_2PI);
}

void flow_forward(Real* z, Real* logdet, const Real* x, const Flow& f, FlowCache& c, int B) {
    SYMKL_CHECK(B <= c.cap, "flow_forward: batch larger than the cache");
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    std::memcpy(c.acts[0].ptr(), x, sizeof(Real) * (size_t)B * D);
    Real* total = c.logdet.ptr();
    for (int i = 0; i < B; i++) total[i] = 0;
    for (int k = 0; k < K; k++) {
        coupling_forward(c.acts[k + 1].ptr(), c.ld.ptr(), c.acts[k].ptr(), f.couplings[k], f.params,
                         c.layers[k], B);
        for (int i = 0; i < B; i++) total[i] += c.ld.ptr()[i];  // layers summed in a fixed order
    }
    if (z) std::memcpy(z, c.acts[K].ptr(), sizeof(Real) * (size_t)B * D);
    if (logdet) std::memcpy(logdet, total, sizeof(Real) * (size_t)B);
}

void flow_density_backward(Real* dx, const Real* dz, const Real* dlogdet, Flow& f, FlowCache& c, int B) {
    SYMKL_CHECK(B <= c.cap, "flow_density_backward: batch larger than the cache");
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    // logdet = Σ_k ld_k, so every layer receives the same dlogdet.
    Real* g = c.gA.ptr();
    Real* g_next = c.gB.ptr();
    std::memcpy(g, dz, sizeof(Real) * (size_t)B * D);
    for (int k = K - 1; k >= 0; k--) {
        coupling_density_backward(g_next, g, dlogdet, f.couplings[k], f.params, c.layers[k], B);
        std::swap(g, g_next);
    }
    if (dx) std::memcpy(dx, g, sizeof(Real) * (size_t)B * D);
}

void flow_inverse(Real* x, Real* logdet, const Real* z, const Flow& f, FlowCache& c, int B) {
    SYMKL_CHECK(B <= c.cap, "flow_inverse: batch larger than the cache");
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    std::memcpy(c.acts[K].ptr(), z, sizeof(Real) * (size_t)B * D);
    Real* total = c.logdet.ptr();
    for (int i = 0; i < B; i++) total[i] = 0;
    for (int k = K - 1; k >= 0; k--) {
        coupling_inverse(c.acts[k].ptr(), c.ld.ptr(), c.acts[k + 1].ptr(), f.couplings[k], f.params,
                         c.layers[k], B);
        for (int i = 0; i < B; i++) total[i] += c.ld.ptr()[i];
    }
    if (x) std::memcpy(x, c.acts[0].ptr(), sizeof(Real) * (size_t)B * D);
    if (logdet) std::memcpy(logdet, total, sizeof(Real) * (size_t)B);
}

void flow_inverse_backward(Real* dz, const Real* dx, const Real* dlogdet, Flow& f, FlowCache& c, int B) {
    SYMKL_CHECK(B <= c.cap, "flow_inverse_backward: batch larger than the cache");
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    Real* g = c.gA.ptr();
    Real* g_next = c.gB.ptr();
    if (dx) std::memcpy(g, dx, sizeof(Real) * (size_t)B * D);
    else std::memset(g, 0, sizeof(Real) * (size_t)B * D);  // a loss on log p only
    for (int k = 0; k < K; k++) {  // the sampling pass ran k = K−1 … 0, so backward runs 0 … K−1
        coupling_inverse_backward(g_next, g, dlogdet, f.couplings[k], f.params, c.layers[k], B);
        std::swap(g, g_next);
    }
    if (dz) std::memcpy(dz, g, sizeof(Real) * (size_t)B * D);
}

void flow_log_prob(Real* logp, const Real* x, const Flow& f, FlowCache& c, int B) {
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    flow_forward(nullptr, nullptr, x, f, c, B);
    // log p(x) = log N(z) + log|det ∂z/∂x|
    for (int i = 0; i < B; i++) logp[i] = log_normal(c.acts[K].row(i), D) + c.logdet.ptr()[i];
}

void flow_log_prob_backward(Real* dx, const Real* dlogp, Flow& f, FlowCache& c, int B) {
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    // in the forward pass this was: log p = −½‖z‖² − (D/2) log 2π + logdet, so
    //   dz = dlogp · (−z),   dlogdet = dlogp
    Real* dz = c.gB.ptr();  // flow_density_backward copies it into gA before using gB
    for (int i = 0; i < B; i++) {
        const Real* zi = c.acts[K].row(i);
        for (int j = 0; j < D; j++) dz[(size_t)i * D + j] = -dlogp[i] * zi[j];
        c.dlogdet.ptr()[i] = dlogp[i];
    }
    flow_density_backward(dx, dz, c.dlogdet.ptr(), f, c, B);
}

void flow_sample(Real* x, Real* logp, const Real* z, const Flow& f, FlowCache& c, int B) {
    const int D = f.cfg.dim;
    flow_inverse(x, nullptr, z, f, c, B);
    // log p(x) = log N(z) − log|det ∂x/∂z|
    for (int i = 0; i < B; i++) logp[i] = log_normal(z + (size_t)i * D, D) - c.logdet.ptr()[i];
}

void flow_sample_backward(Real* dz, const Real* dx, const Real* dlogp, Flow& f, FlowCache& c, int B) {
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    // in the sampling pass this was: log p = log N(z) − logdet, so dlogdet = −dlogp,
    // and z also enters log N(z) directly: dz += dlogp · (−z)
    for (int i = 0; i < B; i++) c.dlogdet.ptr()[i] = -dlogp[i];
    flow_inverse_backward(dz, dx, c.dlogdet.ptr(), f, c, B);
    if (dz) {
        for (int i = 0; i < B; i++) {
            const Real* zi = c.acts[K].row(i);
            for (int j = 0; j < D; j++) dz[(size_t)i * D + j] -= dlogp[i] * zi[j];
        }
    }
}
