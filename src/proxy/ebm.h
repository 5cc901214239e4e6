// ebm.h — an energy-based proxy q_ψ(x) = exp(−E_ψ(x)) / Z_ψ.
//
//   E_ψ(x) = f_ψ(x) + ‖x‖² / (2 σ₀²)
//
// f_ψ is an MLP R^D → R whose last layer starts at zero, so a new EBM is exactly
// the Gaussian N(0, σ₀² I). The quadratic term keeps q integrable whatever f_ψ
// learns (an MLP with relu/silu grows at most linearly). Z_ψ is not known: the
// estimators in objectives/ estimate log Z_ψ by importance sampling.
#pragma once

#include "nn/mlp.h"

struct EBMConfig {
    int dim = 2;
    int hidden = 64;      // width of f_ψ
    int depth = 2;        // hidden layers of f_ψ
    Act act = Act::silu;  // smooth: ∇ₓE feeds the flow's reverse-KL gradient
    double sigma0 = 3.0;  // σ₀ of the quadratic term
};

struct EBM {
    EBMConfig cfg;
    Params params;
    MLP net;  // f_ψ: D → 1, names "net.{2i}.weight|bias"
};

// What the backward needs, for batches of up to cap rows.
struct EBMCache {
    int cap = 0;
    MLPCache net;
    Tensor f;    // (cap, 1) f_ψ(x)
    Tensor df;   // (cap, 1) scratch: gradient on f
    Tensor dxf;  // (cap, D) scratch: ∇ₓ f
};

// Throws symkl::Error for an invalid configuration.
void ebm_build(EBM& e, const EBMConfig& cfg);
void ebm_init(EBM& e, Rng& rng);  // PyTorch-style init, zero last layer
void ebm_cache_init(EBMCache& c, const EBM& e, int cap);

// E (B) = E_ψ(x) for each row of x (B, D).
void ebm_energy(Real* E, const Real* x, const EBM& e, EBMCache& c, int B);

// Given dE (B), the loss's gradient on each energy, and the x of the last ebm_energy:
// ψ-gradients accumulate into e.params.grad; dx (B, D) = dE_i · ∇ₓE(x_i) is written
// when not null.
void ebm_energy_backward(Real* dx, const Real* dE, const Real* x, EBM& e, EBMCache& c, int B);
