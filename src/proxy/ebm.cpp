// ebm.cpp — energy E(x) = f(x) + ‖x‖²/(2σ₀²) and its gradients in ψ and x.
#include "proxy/ebm.h"

#include <cmath>

#include "tensor/check.h"
#include "tensor/error.h"

void ebm_build(EBM& e, const EBMConfig& cfg) {
    if (cfg.dim < 1) throw symkl::Error("ebm: dimension must be at least 1");
    if (cfg.hidden < 1) throw symkl::Error("ebm: --ebm-hidden must be at least 1");
    if (cfg.depth < 1) throw symkl::Error("ebm: --ebm-depth must be at least 1");
    if (!(cfg.sigma0 > 0) || !std::isfinite(cfg.sigma0)) throw symkl::Error("ebm: --ebm-sigma0 must be positive");
    e.cfg = cfg;
    e.params = Params{};
    mlp_declare(e.net, e.params, "net", cfg.dim, cfg.hidden, 1, cfg.depth, cfg.act);
    e.params.allocate();
}

void ebm_init(EBM& e, Rng& rng) { mlp_init(e.net, e.params, rng, LastLayer::zero); }

void ebm_cache_init(EBMCache& c, const EBM& e, int cap) {
    c.cap = cap;
    mlp_cache_init(c.net, e.net, cap);
    c.f.resize(cap, 1);
    c.df.resize(cap, 1);
    c.dxf.resize(cap, e.cfg.dim);
}

void ebm_energy(Real* E, const Real* x, const EBM& e, EBMCache& c, int B) {
    SYMKL_CHECK(B <= c.cap, "ebm_energy: batch larger than the cache");
    const int D = e.cfg.dim;
    const Real inv2s2 = (Real)(0.5 / (e.cfg.sigma0 * e.cfg.sigma0));
    mlp_forward(c.f.ptr(), x, e.net, e.params, c.net, B);
    for (int i = 0; i < B; i++) {
        const Real* xi = x + (size_t)i * D;
        Real sq = 0;
        for (int j = 0; j < D; j++) sq += xi[j] * xi[j];
        E[i] = c.f.ptr()[i] + sq * inv2s2;  // E = f(x) + ‖x‖²/(2σ₀²)
    }
}

void ebm_energy_backward(Real* dx, const Real* dE, const Real* x, EBM& e, EBMCache& c, int B) {
    SYMKL_CHECK(B <= c.cap, "ebm_energy_backward: batch larger than the cache");
    const int D = e.cfg.dim;
    const Real inv_s2 = (Real)(1.0 / (e.cfg.sigma0 * e.cfg.sigma0));
    // in the forward pass this was: E = f(x) + ‖x‖²/(2σ₀²), so
    //   df = dE (into the MLP),   dx = dE · (∇ₓf + x/σ₀²)
    for (int i = 0; i < B; i++) c.df.ptr()[i] = dE[i];
    mlp_backward(dx ? c.dxf.ptr() : nullptr, c.df.ptr(), x, e.net, e.params, c.net, B);
    if (!dx) return;
    for (int i = 0; i < B; i++)
        for (int j = 0; j < D; j++) {
            const size_t k = (size_t)i * D + j;
            dx[k] = c.dxf.ptr()[k] + dE[i] * x[k] * inv_s2;
        }
}
