// wgan.h — the WGAN baselines: the flow as a generator x̃ = T_θ(z), z ~ N(0, I), trained
// against an MLP critic D_w: R^D → R. Only the sampling pass of the flow is used; its
// density plays no part.
//
// WGAN-GP (Gulrajani et al. 2017). Critic step, minimised over w with the draws fixed:
//
//   L_D = (1/M) Σ_j D(x̃_j) − (1/B) Σ_i D(x_i) + γ (1/K) Σ_k (‖∇ₓ D(x̂_k)‖_δ − 1)²
//   x̂_k = ε_k x_k + (1 − ε_k) x̃_k,   ε_k ~ U(0, 1),   k < K = min(B, M)
//
// Generator step, minimised over θ:   L_G = −(1/M) Σ_j D(T_θ(z_j)).
//
// WGAN (Arjovsky et al. 2017): no penalty (γ = 0); after every critic update each critic
// weight is clipped to [−c, c]. ‖g‖_δ = √(‖g‖² + δ²) is the norm made smooth at g = 0.
// The penalty's weight gradient is the double backprop of nn/mlp_grad.h.
// docs/wgan.md derives every gradient and gives the call order of a training step.
#pragma once
#include <cstddef>

#include "flow/flow.h"
#include "nn/adam.h"
#include "nn/mlp_grad.h"

// δ in ‖g‖_δ = √(‖g‖² + δ²): differs from ‖g‖ by at most δ (at g = 0), by δ²/(2‖g‖)
// elsewhere, and has the gradient g/‖g‖_δ, which is 0 at g = 0 instead of undefined.
constexpr double GP_NORM_DELTA = 1e-6;

struct CriticConfig {
    int dim = 2;           // D, the data dimension
    int hidden = 64;       // H
    int depth = 3;         // L hidden layers
    Act act = Act::relu;
};

// The critic: an MLP D → H → … → H → 1, with its own flat parameter buffer.
struct Critic {
    CriticConfig cfg;
    Params params;         // names net.0.weight … net.{2L}.bias, as PyTorch's nn.Sequential
    MLP net;
};

// Builds the architecture, parameters all zero. Throws symkl::Error naming a bad field.
void critic_build(Critic& c, const CriticConfig& cfg);
// PyTorch's default Linear init for every layer, the last one included.
void critic_init(Critic& c, Rng& rng);

// The settings of a WGAN run: the customary WGAN-GP values (docs/wgan.md §7), except γ = 1.
struct WganConfig {
    int n_critic = 5;      // critic updates per generator update
    double gp = 1;         // γ, the penalty weight; 0 turns the penalty off (docs/wgan.md §7: 1, not 10)
    double clip = 0;       // c, weight clipping after each critic update; 0 = off
    AdamConfig critic_adam{1e-4, 0.5, 0.9, 1e-8};
    // The generator (the flow) uses TrainerConfig::adam, like every other method's main
    // model; `symkl train` sets it to 1e-4, β = (0.5, 0.9) for wgan unless --lr/--beta* say otherwise.
};
// Throws symkl::Error naming the first invalid field.
void wgan_config_check(const WganConfig& cfg);

// Workspace of both steps, for batches of up to cap rows (cap ≥ max(B, M)), built once.
struct WganCache {
    int cap = 0;
    MLPCache net;          // the critic's forward pass of one batch (x, x̃ or x̂) at a time
    MLPGradCache grad;     // its input-gradient pass and double backward
    Tensor out, dout;      // (cap, 1): D of the current batch, and ∂loss/∂D
    Tensor xhat;           // (cap, D): the interpolates x̂_k
    Tensor g, dg;          // (cap, D): ∇ₓ D at x̂ (critic step) or at x̃ (generator step); ∂loss/∂g
    Tensor xfake;          // (cap, D): generator step: x̃ = T(z)
    Tensor dxfake;         // (cap, D): generator step: ∂L_G/∂x̃
    Tensor logp, dlogp;    // (cap, 1): generator step: log p(x̃) (unused by L_G), and zeros
};
void wgan_cache_init(WganCache& wc, const Critic& c, int cap);

// What the critic step saw, before any update.
struct CriticLoss {
    double critic_loss = 0;  // L_D = −wasserstein + γ · gp
    double wasserstein = 0;  // (1/B) Σ D(x_i) − (1/M) Σ D(x̃_j): the critic's estimate of W₁
    double gp = 0;           // (1/K) Σ_k (‖∇ₓ D(x̂_k)‖_δ − 1)², before the weight γ
};

// Critic step gradient. x (B, D) data; xfake (M, D) generator samples, held fixed (may be
// wc.xfake); eps (K) the interpolation weights ε_k, K = min(B, M) (the first K rows of x
// and xfake are paired). Accumulates ∂L_D/∂w into critic.params.grad (the caller zeroes
// it) and returns L_D and its parts. 1 ≤ B, M ≤ wc.cap. With gamma = 0 the penalty is
// still reported, but its double backward is skipped.
CriticLoss wgan_critic_grad(const Real* x, const Real* xfake, const Real* eps, double gamma,
                            Critic& critic, WganCache& wc, int B, int M);

// Generator step gradient. For z (M, D): x̃ = T(z) by flow_sample through fc, then
// flow_sample_backward with dx̃_j = −(1/M) ∇ₓ D(x̃_j) and dlogp = 0. Accumulates
// ∂L_G/∂θ into f.params.grad (the caller zeroes it); the critic is only read (its
// gradients are untouched). Leaves x̃ in wc.xfake; returns L_G = −(1/M) Σ_j D(x̃_j).
double wgan_generator_grad(const Real* z, Flow& f, FlowCache& fc, const Critic& critic, WganCache& wc,
                           int M);

// Weight clipping: every value of p (weights and biases) is clamped to [−c, c]; a no-op
// when c ≤ 0. Returns how many values were changed.
size_t clip_weights(Params& p, double c);
