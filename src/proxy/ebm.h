// ebm.h — an energy-based proxy q_ψ(x) = exp(−E_ψ(x)) / Z_ψ.
//
//   E_ψ(x) = f_ψ(x) + ‖x‖² / (2 σ₀²)
//
// f_ψ is an MLP R^D → R whose last layer starts at zero, so a new EBM is exactly
// the Gaussian N(0, σ₀² I). The quadratic term keeps q integrable whatever f_ψ
// learns (an MLP with relu/silu grows at most linearly). Z_ψ is not known: the
// estimators in objectives/ estimate log Z_ψ by importance sampling.
//
// With a Gaussian base (base_mean and base_whiten set) the quadratic term is instead
//
//   ‖W (x − μ)‖² / (2 σ₀²),   W = L⁻¹ for Σ = L Lᵀ (so WᵀW = Σ⁻¹)
//
// so a new EBM is exactly N(μ, σ₀² Σ): with Σ the training data's (shrunk) covariance
// and σ₀ = 1 it starts at the data's own Gaussian (ebm_gaussian_base).
//
// A conditional EBM (cfg.context = C > 0) models q_ψ(x | y) = exp(−E_ψ(x, y)) / Z_ψ(y) for a
// context y of C numbers per row: f_ψ reads the row [x, y] (D + C inputs) and the quadratic
// term is on x alone, so every context has its own normaliser Z_ψ(y) (estimated per context,
// objectives/jeffreys.h). A new conditional EBM is N(0, σ₀² I) whatever the context.
#pragma once
#include <vector>

#include "nn/mlp.h"

struct EBMConfig {
    int dim = 2;
    int hidden = 64;      // width of f_ψ
    int depth = 2;        // hidden layers of f_ψ
    Act act = Act::silu;  // smooth: ∇ₓE feeds the flow's reverse-KL gradient
    double sigma0 = 3.0;  // σ₀ of the quadratic term
    // Gaussian base: both empty = the isotropic N(0, σ₀² I); else μ (D) and W (D × D,
    // row-major, lower triangular, positive diagonal) of ‖W (x − μ)‖² / (2σ₀²)
    std::vector<double> base_mean, base_whiten;
    int context = 0;      // C, context numbers per row (0: an unconditional EBM; no Gaussian base)
};

struct EBM {
    EBMConfig cfg;
    std::vector<double> base_chol;  // Gaussian base: L = W⁻¹ (D × D, lower triangular), set by ebm_build
    Params params;
    MLP net;  // f_ψ: D (+ C) → 1, names "net.{2i}.weight|bias"
};

// What the backward needs, for batches of up to cap rows.
struct EBMCache {
    int cap = 0;
    MLPCache net;
    Tensor f;    // (cap, 1) f_ψ(x)
    Tensor df;   // (cap, 1) scratch: gradient on f
    Tensor dxf;  // (cap, D) scratch: ∇ₓ f
    Tensor y;    // (cap, D) Gaussian base: W (x − μ) of the last ebm_energy
    Tensor in;   // (cap, D + C) conditional: the rows [x, y] of the last ebm_energy
    Tensor din;  // (cap, D + C) conditional: ∇ of f on them
};

// The Gaussian base of the rows of x (N ≥ 2): μ their mean and W = L⁻¹ for the
// shrinkage covariance Σ = (1 − a) S + a (tr S / D) I = L Lᵀ, S the sample covariance and
// a the value of {0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1} with the best 5-fold
// cross-validated NLL (folds: row index mod 5). Returns a. Throws symkl::Error when every
// point is identical (Σ = 0). cv_nll (when not null): that cross-validated NLL, nats per point
// (+inf when no shrinkage could be cross-validated, N < 5 points).
double ebm_gaussian_base(const Tensor& x, std::vector<double>& mean, std::vector<double>& whiten,
                         double* cv_nll = nullptr);

// Mean negative log-likelihood of N(μ, Σ), Σ⁻¹ = WᵀW, over the rows of x, in nats per point.
double gaussian_base_nll(const Tensor& x, const std::vector<double>& mean, const std::vector<double>& whiten);

// Throws symkl::Error for an invalid configuration.
void ebm_build(EBM& e, const EBMConfig& cfg);
void ebm_init(EBM& e, Rng& rng);  // PyTorch-style init, zero last layer
void ebm_cache_init(EBMCache& c, const EBM& e, int cap);
// A gradient view of e (nn/params.h): the same network and weights, gradients of its own.
EBM ebm_view(const EBM& e);

// Gaussian base only: x (B, D) = μ + σ₀ L z for z (B, D), draws from the base N(μ, σ₀² Σ),
// and log b (B), the base's log-density at each.
void ebm_base_sample(Real* x, Real* log_b, const Real* z, const EBM& e, int B);

// E (B) = E_ψ(x) for each row of x (B, D); a conditional EBM reads the context y (B, C) too.
void ebm_energy(Real* E, const Real* x, const EBM& e, EBMCache& c, int B, const Real* y = nullptr);

// Given dE (B), the loss's gradient on each energy, and the x of the last ebm_energy:
// ψ-gradients accumulate into e.params.grad; dx (B, D) = dE_i · ∇ₓE(x_i) is written
// when not null (a conditional EBM's inputs [x, y] are kept in the cache; ∂/∂y is not taken).
// params = false: dx alone, e.params.grad untouched (the θ-step needs no ψ-gradient).
void ebm_energy_backward(Real* dx, const Real* dE, const Real* x, EBM& e, EBMCache& c, int B,
                         bool params = true);
