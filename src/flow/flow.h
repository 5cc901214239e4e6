// flow.h — a RealNVP normalizing flow: K affine couplings over a standard normal base.
//
// The density direction maps data to latent, z = f_K ∘ … ∘ f_1 (x), and gives
//
//   log p(x) = log N(z; 0, I) + Σ_k log|det ∂f_k|          (exact likelihood)
//
// The sampling direction maps latent to data, x = f_1⁻¹ ∘ … ∘ f_K⁻¹ (z), z ~ N(0, I),
// and gives x together with log p(x) = log N(z) − log|det ∂x/∂z|.
//
// Couplings alternate which half they condition on (even k: the first half,
// odd k: the second), so every coordinate is transformed when K ≥ 2. Every
// conditioner's last layer starts at zero: a new flow is the identity map.
//
// A conditional flow (cfg.context = C > 0) models p(x | y) for a context y of C numbers
// per row: every coupling's conditioner also reads y, or, when cfg.embed = E > 0, the
// embedding e = MLP_embed(y) (C → E, cfg.embed_depth hidden layers of cfg.embed_hidden),
// computed once per pass and shared by all couplings. Every pass then takes y (B, C), and
// every backward can write dy (B, C) = ∂loss/∂y, summed over the couplings (and taken
// through the embedding). With C = 0 (the default) the flow, its parameters and every
// number it computes are exactly the unconditional flow's. docs/sbi.md shows the use.
#pragma once
#include <vector>

#include "flow/coupling.h"

struct FlowConfig {
    int dim = 2;          // D
    int layers = 8;       // K couplings
    int hidden = 64;      // H, conditioner width
    int depth = 2;        // L, conditioner hidden layers
    Act act = Act::relu;
    Scale scale = Scale::tanh;
    double clamp = 2.0;   // c in s = c·tanh(s̃/c)
    int context = 0;      // C, context numbers per row (0: an unconditional flow)
    int embed = 0;        // E, width of the context embedding (0: the couplings read y itself)
    int embed_hidden = 64, embed_depth = 2;  // the embedding MLP's hidden layers (E > 0 only)
};

struct Flow {
    FlowConfig cfg;
    Params params;
    std::vector<Coupling> couplings;
    MLP embed;            // C → E, declared after the couplings (used only when cfg.embed > 0)
};

// The context width the couplings read: E with an embedding, else C.
int flow_coupling_context(const FlowConfig& cfg);

// Activations of every layer, for batches of up to cap rows; built once, reused every step.
struct FlowCache {
    int cap = 0;
    std::vector<CouplingCache> layers;  // K
    std::vector<Tensor> acts;           // K + 1 of (cap, D): acts[0] = x side, acts[K] = z side
    Tensor ld, logdet, dlogdet;         // (cap, 1): one layer's log-det, the sum, its gradient
    Tensor gA, gB;                      // (cap, D) gradients, ping-pong between layers
    // conditional flows with an embedding only (empty otherwise)
    Tensor ctx;                         // (cap, C) the context of the last pass
    Tensor emb, demb;                   // (cap, E) its embedding, and ∂loss/∂embedding
    MLPCache embed;
};

// Builds the architecture and allocates parameters (all zero: the identity flow).
// Throws symkl::Error for an invalid configuration.
void flow_build(Flow& f, const FlowConfig& cfg);
// Random conditioner weights (PyTorch's default init), zero last layers.
void flow_init(Flow& f, Rng& rng);
void flow_cache_init(FlowCache& c, const Flow& f, int cap);
// A gradient view of f (nn/params.h): the same couplings and weights, read from f.params,
// gradients of its own. f must stay where it is while the view is used.
Flow flow_view(const Flow& f);

// log N(z; 0, I) for one D-vector
Real log_normal(const Real* z, int D);

// Density direction: z (B, D) and logdet (B) = log|det ∂z/∂x| from x (B, D).
// z and logdet may be null (they are kept in the cache). Every pass here and its
// backward takes B ≤ c.cap rows (checked in SYMKL_CHECKS builds: tensor/check.h).
// y (B, C) is the context of a conditional flow (unread, and may be null, when C = 0).
void flow_forward(Real* z, Real* logdet, const Real* x, const Flow& f, FlowCache& c, int B,
                  const Real* y = nullptr);
// The backward of the density direction: given dz (B, D) and dlogdet (B), parameter
// gradients accumulate in f.params.grad; dx (B, D) is written when not null, and so is
// dy (B, C) = ∂loss/∂y of a conditional flow.
void flow_density_backward(Real* dx, const Real* dz, const Real* dlogdet, Flow& f, FlowCache& c, int B,
                           Real* dy = nullptr);

// Sampling direction: x (B, D) and logdet (B) = log|det ∂x/∂z| from z (B, D) (and y).
void flow_inverse(Real* x, Real* logdet, const Real* z, const Flow& f, FlowCache& c, int B,
                  const Real* y = nullptr);
// Given dx (B, D) (null: zero) and dlogdet (B): parameter gradients accumulate; dz (B, D)
// and dy (B, C) are written when not null.
void flow_inverse_backward(Real* dz, const Real* dx, const Real* dlogdet, Flow& f, FlowCache& c, int B,
                           Real* dy = nullptr);

// log p(x) (log p(x | y) for a conditional flow) for each row of x (B, D).
void flow_log_prob(Real* logp, const Real* x, const Flow& f, FlowCache& c, int B, const Real* y = nullptr);
// Given dlogp (B) (the loss's gradient on each log p(x_i)): parameter gradients
// accumulate; dx (B, D) = dlogp_i · ∇ₓ log p(x_i) is written when not null, and so is
// dy (B, C) = dlogp_i · ∇_y log p(x_i | y_i).
void flow_log_prob_backward(Real* dx, const Real* dlogp, Flow& f, FlowCache& c, int B, Real* dy = nullptr);

// x = T(z) and log p(x) for each row of z (B, D) (reparameterised sampling); for a
// conditional flow x ~ p(· | y_i) and log p(x | y_i).
void flow_sample(Real* x, Real* logp, const Real* z, const Flow& f, FlowCache& c, int B,
                 const Real* y = nullptr);
// Given dx (B, D) (null: zero) and dlogp (B) on the sampling pass's outputs: parameter
// gradients accumulate; dz (B, D) and dy (B, C) are written when not null.
// A FlowCache holds one pass: call the backward of a pass before running another
// pass through the same cache.
void flow_sample_backward(Real* dz, const Real* dx, const Real* dlogp, Flow& f, FlowCache& c, int B,
                          Real* dy = nullptr);
