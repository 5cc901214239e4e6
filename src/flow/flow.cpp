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
    if (cfg.context < 0) throw symkl::Error("flow: the context dimension must be 0 (none) or positive");
    if (cfg.embed < 0) throw symkl::Error("flow: the context embedding width must be 0 (none) or positive");
    if (cfg.embed > 0 && cfg.context == 0)
        throw symkl::Error("flow: a context embedding needs a context (context dimension > 0)");
    if (cfg.embed > 0 && (cfg.embed_hidden < 1 || cfg.embed_depth < 1))
        throw symkl::Error("flow: the context embedding needs hidden width and depth of at least 1");
    f.cfg = cfg;
    f.params = Params{};
    f.couplings.assign(cfg.layers, Coupling{});
    f.embed = MLP{};
    const int dc = flow_coupling_context(cfg);
    for (int k = 0; k < cfg.layers; k++) {
        const Half cond = k % 2 == 0 ? Half::first : Half::second;
        coupling_declare(f.couplings[k], f.params, "couplings." + std::to_string(k), cfg.dim, cond,
                         cfg.hidden, cfg.depth, cfg.act, cfg.scale, (Real)cfg.clamp, dc);
    }
    if (cfg.embed > 0)
        mlp_declare(f.embed, f.params, "embed", cfg.context, cfg.embed_hidden, cfg.embed, cfg.embed_depth, cfg.act);
    f.params.allocate();
}

int flow_coupling_context(const FlowConfig& cfg) { return cfg.embed > 0 ? cfg.embed : cfg.context; }

void flow_init(Flow& f, Rng& rng) {
    for (const Coupling& c : f.couplings) mlp_init(c.net, f.params, rng, LastLayer::zero);
    // after the couplings, so an unconditional flow draws the same numbers as ever
    if (f.cfg.embed > 0) mlp_init(f.embed, f.params, rng, LastLayer::random);
}

Flow flow_view(const Flow& f) {
    Flow v;
    v.cfg = f.cfg;
    v.couplings = f.couplings;
    v.embed = f.embed;
    v.params = params_view(f.params);
    return v;
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
    if (f.cfg.embed > 0) {
        c.ctx.resize(cap, f.cfg.context);
        c.emb.resize(cap, f.cfg.embed);
        c.demb.resize(cap, f.cfg.embed);
        mlp_cache_init(c.embed, f.embed, cap);
    }
}

// The context the couplings read: none, y itself, or its embedding (computed here).
static const Real* coupling_context(const Real* y, const Flow& f, FlowCache& c, int B) {
    if (f.cfg.context == 0) return nullptr;
    SYMKL_CHECK(y != nullptr, "flow: a conditional flow's pass needs its context");
    if (f.cfg.embed == 0) return y;
    std::memcpy(c.ctx.ptr(), y, sizeof(Real) * (size_t)B * f.cfg.context);
    mlp_forward(c.emb.ptr(), c.ctx.ptr(), f.embed, f.params, c.embed, B);
    return c.emb.ptr();
}

// Where the couplings add ∂loss/∂(their context), zeroed: dy itself (may be null) or the
// embedding's gradient.
static Real* coupling_context_grad(Real* dy, const Flow& f, FlowCache& c, int B) {
    if (f.cfg.context == 0) return nullptr;
    Real* g = f.cfg.embed > 0 ? c.demb.ptr() : dy;
    if (g) std::memset(g, 0, sizeof(Real) * (size_t)B * flow_coupling_context(f.cfg));
    return g;
}

// After the couplings' backward: through the embedding to its parameters and to dy.
static void embed_backward(Real* dy, Flow& f, FlowCache& c, int B) {
    if (f.cfg.context == 0 || f.cfg.embed == 0) return;
    mlp_backward(dy, c.demb.ptr(), c.ctx.ptr(), f.embed, f.params, c.embed, B);
}

Real log_normal(const Real* z, int D) {
    Real sq = 0;
    for (int j = 0; j < D; j++) sq += z[j] * z[j];
    return Real(-0.5) * sq - Real(0.5 * D * LOG_2PI);
}

void flow_forward(Real* z, Real* logdet, const Real* x, const Flow& f, FlowCache& c, int B, const Real* y) {
    SYMKL_CHECK(B <= c.cap, "flow_forward: batch larger than the cache");
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    const Real* ctx = coupling_context(y, f, c, B);
    std::memcpy(c.acts[0].ptr(), x, sizeof(Real) * (size_t)B * D);
    Real* total = c.logdet.ptr();
    for (int i = 0; i < B; i++) total[i] = 0;
    for (int k = 0; k < K; k++) {
        coupling_forward(c.acts[k + 1].ptr(), c.ld.ptr(), c.acts[k].ptr(), f.couplings[k], f.params,
                         c.layers[k], B, ctx);
        for (int i = 0; i < B; i++) total[i] += c.ld.ptr()[i];  // layers summed in a fixed order
    }
    if (z) std::memcpy(z, c.acts[K].ptr(), sizeof(Real) * (size_t)B * D);
    if (logdet) std::memcpy(logdet, total, sizeof(Real) * (size_t)B);
}

void flow_density_backward(Real* dx, const Real* dz, const Real* dlogdet, Flow& f, FlowCache& c, int B,
                           Real* dy) {
    SYMKL_CHECK(B <= c.cap, "flow_density_backward: batch larger than the cache");
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    Real* dctx = coupling_context_grad(dy, f, c, B);  // every coupling adds its part
    // logdet = Σ_k ld_k, so every layer receives the same dlogdet.
    Real* g = c.gA.ptr();
    Real* g_next = c.gB.ptr();
    std::memcpy(g, dz, sizeof(Real) * (size_t)B * D);
    for (int k = K - 1; k >= 0; k--) {
        coupling_density_backward(g_next, g, dlogdet, f.couplings[k], f.params, c.layers[k], B, dctx);
        std::swap(g, g_next);
    }
    embed_backward(dy, f, c, B);
    if (dx) std::memcpy(dx, g, sizeof(Real) * (size_t)B * D);
}

void flow_inverse(Real* x, Real* logdet, const Real* z, const Flow& f, FlowCache& c, int B, const Real* y) {
    SYMKL_CHECK(B <= c.cap, "flow_inverse: batch larger than the cache");
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    const Real* ctx = coupling_context(y, f, c, B);
    std::memcpy(c.acts[K].ptr(), z, sizeof(Real) * (size_t)B * D);
    Real* total = c.logdet.ptr();
    for (int i = 0; i < B; i++) total[i] = 0;
    for (int k = K - 1; k >= 0; k--) {
        coupling_inverse(c.acts[k].ptr(), c.ld.ptr(), c.acts[k + 1].ptr(), f.couplings[k], f.params,
                         c.layers[k], B, ctx);
        for (int i = 0; i < B; i++) total[i] += c.ld.ptr()[i];
    }
    if (x) std::memcpy(x, c.acts[0].ptr(), sizeof(Real) * (size_t)B * D);
    if (logdet) std::memcpy(logdet, total, sizeof(Real) * (size_t)B);
}

void flow_inverse_backward(Real* dz, const Real* dx, const Real* dlogdet, Flow& f, FlowCache& c, int B,
                           Real* dy) {
    SYMKL_CHECK(B <= c.cap, "flow_inverse_backward: batch larger than the cache");
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    Real* dctx = coupling_context_grad(dy, f, c, B);
    Real* g = c.gA.ptr();
    Real* g_next = c.gB.ptr();
    if (dx) std::memcpy(g, dx, sizeof(Real) * (size_t)B * D);
    else std::memset(g, 0, sizeof(Real) * (size_t)B * D);  // a loss on log p only
    for (int k = 0; k < K; k++) {  // the sampling pass ran k = K−1 … 0, so backward runs 0 … K−1
        coupling_inverse_backward(g_next, g, dlogdet, f.couplings[k], f.params, c.layers[k], B, dctx);
        std::swap(g, g_next);
    }
    embed_backward(dy, f, c, B);
    if (dz) std::memcpy(dz, g, sizeof(Real) * (size_t)B * D);
}

void flow_log_prob(Real* logp, const Real* x, const Flow& f, FlowCache& c, int B, const Real* y) {
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    flow_forward(nullptr, nullptr, x, f, c, B, y);
    // log p(x) = log N(z) + log|det ∂z/∂x|
    for (int i = 0; i < B; i++) logp[i] = log_normal(c.acts[K].row(i), D) + c.logdet.ptr()[i];
}

void flow_log_prob_backward(Real* dx, const Real* dlogp, Flow& f, FlowCache& c, int B, Real* dy) {
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    // in the forward pass this was: log p = −½‖z‖² − (D/2) log 2π + logdet, so
    //   dz = dlogp · (−z),   dlogdet = dlogp
    Real* dz = c.gB.ptr();  // flow_density_backward copies it into gA before using gB
    for (int i = 0; i < B; i++) {
        const Real* zi = c.acts[K].row(i);
        for (int j = 0; j < D; j++) dz[(size_t)i * D + j] = -dlogp[i] * zi[j];
        c.dlogdet.ptr()[i] = dlogp[i];
    }
    flow_density_backward(dx, dz, c.dlogdet.ptr(), f, c, B, dy);
}

void flow_sample(Real* x, Real* logp, const Real* z, const Flow& f, FlowCache& c, int B, const Real* y) {
    const int D = f.cfg.dim;
    flow_inverse(x, nullptr, z, f, c, B, y);
    // log p(x) = log N(z) − log|det ∂x/∂z|
    for (int i = 0; i < B; i++) logp[i] = log_normal(z + (size_t)i * D, D) - c.logdet.ptr()[i];
}

void flow_sample_backward(Real* dz, const Real* dx, const Real* dlogp, Flow& f, FlowCache& c, int B,
                          Real* dy) {
    const int K = (int)f.couplings.size(), D = f.cfg.dim;
    // in the sampling pass this was: log p = log N(z) − logdet, so dlogdet = −dlogp,
    // and z also enters log N(z) directly: dz += dlogp · (−z)
    for (int i = 0; i < B; i++) c.dlogdet.ptr()[i] = -dlogp[i];
    flow_inverse_backward(dz, dx, c.dlogdet.ptr(), f, c, B, dy);
    if (dz) {
        for (int i = 0; i < B; i++) {
            const Real* zi = c.acts[K].row(i);
            for (int j = 0; j < D; j++) dz[(size_t)i * D + j] -= dlogp[i] * zi[j];
        }
    }
}
