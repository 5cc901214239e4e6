// npe.h — neural posterior estimation: an amortised posterior p_φ(θ | x) learned from
// simulations (θ_i, x_i) ~ p(θ) p(x | θ), as a conditional flow over θ with context x.
//
//   NpeConfig cfg;  cfg.fit.trainer.method = Method::mle;          // or jeffreys, penalty
//   Posterior post;
//   NpeReport rep = npe_train(post, theta, x, cfg, seed);          // z-score, validate, stop early
//   double acc;  Tensor s = posterior_sample(post, x_obs, 10000, rng, in_prior, &acc);
//
// As sbi's defaults (docs/sbi.md): θ and x are z-scored with the training rows' mean and
// standard deviation (fixed maps, part of the posterior); 10 % of the simulations are held
// out, the validation NLL is computed after every epoch, and training stops after
// `patience` epochs without improvement, keeping the best epoch's parameters; Adam with
// learning rate 5e-4 and gradient clipping at norm 5. The adaptive methods use the same
// loop with their proxy (train/fit.h); their per-step terms are reported per epoch.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/prep.h"
#include "train/fit.h"
#include "train/select.h"

struct NpeConfig {
    FitConfig fit;              // method, proxy, architectures, batch, samples per context,
                                // contexts (fit.flow.context is set from x); fit.eps, when
                                // given, is in θ's own units (nats, like the validation NLL)
    double val_frac = 0.1;      // held-out fraction of the simulations
    long patience = 20;         // epochs without a better validation NLL before stopping
    long max_epochs = 500;      // at most this many epochs
    bool z_score = true;        // z-score θ and x (constant columns keep scale 1)
};

NpeConfig npe_default_config();  // sbi's defaults above, batch 200, flow 5 layers × 50 hidden

// The trained posterior: the flow over z-scored θ given z-scored x, and the two maps.
struct Posterior {
    Flow flow;
    Standardizer theta_z, x_z;  // empty when z_score is off
};

struct NpeReport {
    long epochs = 0;            // epochs trained
    long best_epoch = 0;        // the epoch whose parameters were kept (0 = before training)
    double best_val_nll = 0;    // its validation NLL, in θ's own units (nats per simulation)
    long steps = 0;
    bool early_stopped = false;
    double seconds = 0;
    std::vector<double> val_nll;  // per epoch (index 0 = before training)
    long steps_per_epoch = 0;   // ⌈fit rows / batch⌉
    long n_fit = 0, n_val = 0;  // simulations that trained, and held out
    const char* bad = nullptr;  // a non-finite term ended the run: which (train/train.h)
    long bad_step = 0;
    double eps = NAN;           // jeffreys, penalty: the constraint's ε in θ's own units (as
    bool eps_auto = false;      //   val_nll; automatic: the kNN estimate of H(θ | x), train/fit.h)
};

// One epoch's record: its validation NLL and the means over its steps of the method's
// terms (NaN where the method has none). val_nll, F and G are in θ's own units (the
// z-scoring's log-det added); R and λ are unchanged by it.
struct NpeEpoch {
    long epoch = 0;             // 1, 2, ... (0: before training, with NaN terms)
    double val_nll = NAN;
    double F = NAN, R = NAN, G = NAN, lambda = NAN;
    bool improved = false;      // a new best validation NLL
};

// Trains a posterior on the simulations (theta (n, K), x (n, C)); throws symkl::Error for
// mismatched rows, too few simulations or non-finite values. on_epoch (optional) is called
// after every epoch with its number and validation NLL; it returns false to stop.
NpeReport npe_train(Posterior& post, const Tensor& theta, const Tensor& x, const NpeConfig& cfg, uint64_t seed,
                    const std::function<bool(long epoch, double val_nll)>& on_epoch = nullptr);

// The same, reporting every epoch's record (epoch 0 included) to on_epoch (optional),
// which returns false to stop. A step with a non-finite term ends the run: the report's
// `bad` names it, and the best epoch so far is kept.
NpeReport npe_train_log(Posterior& post, const Tensor& theta, const Tensor& x, const NpeConfig& cfg, uint64_t seed,
                        const std::function<bool(const NpeEpoch&)>& on_epoch);

// The rows [θ, x] (original units) npe_train fits on and holds out for this seed and
// fraction: the z-scoring maps are the fit rows' means and standard deviations.
// npe_train draws from streams of Rng(seed ^ kNpeSeedSalt), not from Rng(seed) itself,
// which `symkl sbi train` simulates with.
const uint64_t kNpeSeedSalt = 0x6e70655f73656564ULL;
ValSplit npe_validation_split(const Tensor& theta, const Tensor& x, double val_frac, uint64_t seed);

// n samples of p_φ(θ | x_obs) in θ's own units. Draws outside the prior's support
// (in_support false; null: no check) are rejected and redrawn; *acceptance (when not
// null) is the fraction accepted. Throws symkl::Error when fewer than 1 in 10⁴ draws are
// accepted. The draws z ~ N(0, I) come from rng in order: a reference sample drawn from
// the same stream (sbi_reference_posterior with an Rng of the same seed) would be paired
// with these point by point, which biases C2ST's cross-validation below 0.5; give the two
// different seeds.
Tensor posterior_sample(const Posterior& post, const Real* x_obs, int n, Rng& rng,
                        const std::function<bool(const Real*)>& in_support, double* acceptance = nullptr);

// log p_φ(θ_i | x_i) for rows of theta (n, K) and x (n, C), in θ's own units.
std::vector<double> posterior_log_prob(const Posterior& post, const Tensor& theta, const Tensor& x);
