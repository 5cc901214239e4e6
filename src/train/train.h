// train.h — maximum-likelihood training of a flow, and the metrics that judge it.
//
// One MLE step on a minibatch x_1..x_B drawn (with replacement) from the fixed
// training set minimises
//
//   F̂(θ) = −(1/B) Σ_i log p_θ(x_i)       (the forward KL up to the data's entropy)
//
// with Adam. The step computes the gradient, optionally clips it, checks it is
// finite, and only then updates the parameters.
#pragma once
#include <string>
#include <vector>

#include "flow/flow.h"
#include "nn/adam.h"
#include "tensor/rng.h"

// Everything one training step needs, allocated once.
struct MLETrainer {
    Flow* flow = nullptr;
    FlowCache cache;           // capacity = batch size
    Adam opt;
    Tensor batch;              // (B, D) the current minibatch
    std::vector<Real> logp;    // (B)
    std::vector<Real> dlogp;   // (B)
    int B = 0;
    double clip = 0;           // max gradient norm, 0 = no clipping
};

void mle_trainer_init(MLETrainer& t, Flow& flow, int batch, const AdamConfig& adam, double clip);

// What one step saw, before the update.
struct StepResult {
    double loss = 0;       // F̂ on the minibatch (nats per point)
    double grad_norm = 0;  // before clipping
    bool finite = true;    // false: the loss or a gradient was NaN/Inf and no update was made
};

// One step: minibatch from `train` (rows drawn with `rng`), gradient, Adam update.
StepResult mle_step(MLETrainer& t, const Tensor& train, Rng& rng);

// Mean negative log-likelihood of p over the rows of x, in nats per point,
// evaluated in chunks through `cache` (any capacity ≥ 1). Per-point values are
// summed serially, so the result does not depend on the thread count.
double mean_nll(const Flow& f, FlowCache& cache, const Tensor& x, std::vector<Real>& scratch);
