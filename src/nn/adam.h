// adam.h — the Adam optimiser (Kingma & Ba 2015) with bias correction, and
// gradient-norm clipping. Kept apart from gradient computation: a step reads
// p.grad and writes p.value, nothing else.
//
//   m ← β₁ m + (1 − β₁) g        v ← β₂ v + (1 − β₂) g²
//   θ ← θ − lr · m̂ / (√v̂ + eps),  m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
#pragma once
#include <vector>

#include "nn/params.h"

struct AdamConfig {
    double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

struct Adam {
    AdamConfig cfg;
    std::vector<Real> m, v;  // first and second moments, one per parameter
    long t = 0;              // steps taken
};

void adam_init(Adam& opt, const AdamConfig& cfg, size_t n_params);
// One update of every parameter from p's gradient. team: the threads that share it, as
// the trainer's row slices do (0: OpenMP's default; 1: this thread alone), from
// ADAM_TEAM_MIN parameters on; without it, from PAR_MIN_ELEMS on with OpenMP's default.
// Element-wise: the values never depend on the split.
constexpr long ADAM_TEAM_MIN = 1L << 14;
void adam_step(Adam& opt, Params& p, int team = -1);

// The Euclidean norm of p.grad (summed serially, so it is the same for any thread count).
double grad_norm(const Params& p);
// Scales p.grad so its norm is at most max_norm (no-op when max_norm ≤ 0); returns the norm before.
double clip_grad_norm(Params& p, double max_norm);
