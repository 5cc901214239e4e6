// metrics.h — how far the learnt p is from the data distribution π.
//
//   train / test NLL = −mean log p(x) over the training / held-out points
//
// and, where π has a known log-density (docs/data.md), by Monte Carlo:
//
//   forward KL(π‖p) = E_π[log π − log p]   over the held-out points (fresh draws from π)
//   reverse KL(p‖π) = E_p[log p − log π]   over x = T(z) for a fixed set of base draws z
//   Jeffreys        = forward + reverse
//
// The evaluation points and draws are fixed once, so curves over training are smooth
// and runs with the same seed see exactly the same points.
#pragma once
#include <vector>

#include "data/prep.h"
#include "data/toy.h"
#include "flow/flow.h"
#include "objectives/jeffreys.h"

struct EvalSet {
    Tensor test;                      // (n_test, D) held-out points
    bool has_fwd = false;             // the true log-density is known
    bool has_rev = false;             // ... and finite everywhere p puts mass (not checkerboard)
    Toy toy = Toy::gaussians8;
    std::vector<double> test_logpi;   // log π at each held-out point
    Tensor z;                         // (n_rev, D) base draws for the reverse KL
    // scratch, sized once
    Tensor xs;                        // (n_rev, D) samples T(z)
    std::vector<Real> lp;             // log p
    std::vector<double> logpi;        // log π at the samples
    std::vector<Real> nll_scratch;    // per-point log p for the NLLs
    // The model's fixed first bijector (data/prep.h; empty: none). The flow sees standardised
    // points (test above, and the train set given to evaluate); the NLLs and KLs are in the
    // data's own units: log p(x) = log p_flow(u) − Σ log σ_j, and samples are mapped back to x
    // before log π is taken.
    Standardizer prep;
};

struct Metrics {
    double train_nll = 0, test_nll = 0;
    double fwd_kl = 0, rev_kl = 0, jeffreys = 0;  // NaN where unavailable
};

// Fixes the evaluation material. With `toy` null (CSV data) only NLLs are reported.
// With `prep` (a standardised model), `test` holds the standardised test points; log π
// is taken at the points mapped back to the data's units.
void eval_set_init(EvalSet& e, const Tensor& test, const Toy* toy, int n_rev, Rng& rng,
                   const Standardizer* prep = nullptr);

void evaluate(Metrics& m, const Flow& f, FlowCache& cache, const Tensor& train, EvalSet& e);

// log Z of an energy-based proxy by importance sampling with the flow p as proposal,
// over the base draws z (n, D), in chunks through the two caches. For checkpoints
// and evaluation, with many more draws than a training step uses.
LogZ ebm_log_z(const EBM& e, EBMCache& ec, const Flow& p, FlowCache& pc, const Tensor& z);
