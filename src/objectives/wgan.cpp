// wgan.cpp — the WGAN-GP critic and generator gradients, and weight clipping.
//
// Per-row values (D, norms) are computed row by row and summed serially in row order,
// so every result is the same for any thread count.
#include "objectives/wgan.h"

#include <cmath>

#include "tensor/check.h"
#include "tensor/error.h"

void critic_build(Critic& c, const CriticConfig& cfg) {
    if (cfg.dim < 1) throw symkl::Error("critic: the data dimension must be at least 1");
    if (cfg.hidden < 1) throw symkl::Error("critic: the width (hidden) must be at least 1");
    if (cfg.depth < 1) throw symkl::Error("critic: the depth must be at least 1");
    c.cfg = cfg;
    c.params = Params{};
    mlp_declare(c.net, c.params, "net", cfg.dim, cfg.hidden, 1, cfg.depth, cfg.act);
    c.params.allocate();
}

void critic_init(Critic& c, Rng& rng) { mlp_init(c.net, c.params, rng, LastLayer::random); }

static void adam_check(const AdamConfig& a, const char* who) {
    const std::string w = who;
    if (!(a.lr > 0)) throw symkl::Error("wgan: the " + w + " learning rate must be positive");
    if (!(a.beta1 >= 0 && a.beta1 < 1)) throw symkl::Error("wgan: the " + w + " β₁ must be in [0, 1)");
    if (!(a.beta2 >= 0 && a.beta2 < 1)) throw symkl::Error("wgan: the " + w + " β₂ must be in [0, 1)");
    if (!(a.eps > 0)) throw symkl::Error("wgan: the " + w + " Adam eps must be positive");
}

void wgan_config_check(const WganConfig& cfg) {
    if (cfg.n_critic < 1) throw symkl::Error("wgan: --n-critic must be at least 1");
    if (!(cfg.gp >= 0 && std::isfinite(cfg.gp))) throw symkl::Error("wgan: --gp must be a finite number ≥ 0");
    if (!(cfg.clip >= 0 && std::isfinite(cfg.clip)))
        throw symkl::Error("wgan: the weight clip must be a finite number ≥ 0 (0 = off)");
    adam_check(cfg.critic_adam, "critic");
}

void wgan_cache_init(WganCache& wc, const Critic& c, int cap) {
    const int D = c.cfg.dim;
    wc.cap = cap;
    mlp_cache_init(wc.net, c.net, cap);
    mlp_grad_cache_init(wc.grad, c.net, cap);
    wc.out.resize(cap, 1);
    wc.dout.resize(cap, 1);
    wc.xhat.resize(cap, D);
    wc.g.resize(cap, D);
    wc.dg.resize(cap, D);
    wc.xfake.resize(cap, D);
    wc.dxfake.resize(cap, D);
    wc.logp.resize(cap, 1);
    wc.dlogp.resize(cap, 1);  // stays zero: L_G does not depend on log p(x̃)
}

// (1/n) Σ_i D(x_i) for the n rows of x, and ∂/∂w of weight · that mean accumulated.
static double mean_critic_backward(const Real* x, int n, double weight, Critic& critic, WganCache& wc) {
    Real* out = wc.out.ptr();
    mlp_forward(out, x, critic.net, critic.params, wc.net, n);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += (double)out[i];
    // weight · (1/n) Σ_i D(x_i)  →  ∂/∂D(x_i) = weight / n
    for (int i = 0; i < n; i++) wc.dout.ptr()[i] = (Real)(weight / n);
    mlp_backward(nullptr, wc.dout.ptr(), x, critic.net, critic.params, wc.net, n);
    return sum / n;
}

CriticLoss wgan_critic_grad(const Real* x, const Real* xfake, const Real* eps, double gamma,
                            Critic& critic, WganCache& wc, int B, int M) {
    SYMKL_CHECK(B <= wc.cap && M <= wc.cap, "wgan_critic_grad: batch larger than the cache");
    const int D = critic.cfg.dim, K = B < M ? B : M;
    CriticLoss res;
    // the two means: L_D contains −(1/B) Σ D(x_i) and +(1/M) Σ D(x̃_j)
    const double mean_real = mean_critic_backward(x, B, -1.0, critic, wc);
    const double mean_fake = mean_critic_backward(xfake, M, 1.0, critic, wc);
    res.wasserstein = mean_real - mean_fake;

    // the penalty at the interpolates x̂_k = ε_k x_k + (1 − ε_k) x̃_k
    for (int k = 0; k < K; k++) {
        const Real e = eps[k];
        for (int j = 0; j < D; j++) {
            const size_t at = (size_t)k * D + j;
            wc.xhat.ptr()[at] = e * x[at] + (Real(1) - e) * xfake[at];
        }
    }
    mlp_forward(wc.out.ptr(), wc.xhat.ptr(), critic.net, critic.params, wc.net, K);
    mlp_input_grad(wc.g.ptr(), wc.xhat.ptr(), critic.net, critic.params, wc.net, wc.grad, K);
    // P = γ (1/K) Σ_k (n_k − 1)²,  n_k = √(‖g_k‖² + δ²)  →  ∂P/∂g_k = (2γ/K)(n_k − 1) g_k / n_k
    const Real delta2 = (Real)(GP_NORM_DELTA * GP_NORM_DELTA);
    double gp = 0;
    for (int k = 0; k < K; k++) {
        const Real* gk = wc.g.row(k);
        Real sq = 0;
        for (int j = 0; j < D; j++) sq += gk[j] * gk[j];
        const Real norm = std::sqrt(sq + delta2);  // ≥ δ > 0, so the division below is safe
        gp += (double)((norm - 1) * (norm - 1));
        const Real scale = (Real)(2 * gamma / K) * (norm - 1) / norm;
        Real* dgk = wc.dg.row(k);
        for (int j = 0; j < D; j++) dgk[j] = scale * gk[j];
    }
    res.gp = gp / K;
    if (gamma != 0) mlp_input_grad_backward(nullptr, wc.dg.ptr(), wc.xhat.ptr(), critic.net, critic.params,
                                            wc.net, wc.grad, K);
    res.critic_loss = -res.wasserstein + gamma * res.gp;
    return res;
}

double wgan_generator_grad(const Real* z, Flow& f, FlowCache& fc, const Critic& critic, WganCache& wc,
                           int M) {
    SYMKL_CHECK(M <= wc.cap && M <= fc.cap, "wgan_generator_grad: batch larger than the cache");
    const int D = critic.cfg.dim;
    // x̃ = T(z); log p(x̃) comes for free but L_G does not use it
    flow_sample(wc.xfake.ptr(), wc.logp.ptr(), z, f, fc, M);
    mlp_forward(wc.out.ptr(), wc.xfake.ptr(), critic.net, critic.params, wc.net, M);
    double sum = 0;
    for (int j = 0; j < M; j++) sum += (double)wc.out.ptr()[j];
    // L_G = −(1/M) Σ_j D(x̃_j)  →  dx̃_j = −(1/M) ∇ₓ D(x̃_j)
    mlp_input_grad(wc.g.ptr(), wc.xfake.ptr(), critic.net, critic.params, wc.net, wc.grad, M);
    const Real scale = Real(-1) / (Real)M;
    for (size_t i = 0; i < (size_t)M * D; i++) wc.dxfake.ptr()[i] = scale * wc.g.ptr()[i];
    // the loss sees the sample only through x̃: dlogp = 0, z is fixed noise (dz not needed)
    flow_sample_backward(nullptr, wc.dxfake.ptr(), wc.dlogp.ptr(), f, fc, M);
    return -sum / M;
}

size_t clip_weights(Params& p, double c) {
    if (!(c > 0)) return 0;
    const Real hi = (Real)c, lo = -hi;
    size_t changed = 0;
    for (Real& v : p.value) {
        if (v > hi) { v = hi; changed++; }
        else if (v < lo) { v = lo; changed++; }
    }
    return changed;
}
