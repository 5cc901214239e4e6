// train.cpp — the MLE step and the NLL evaluation.
#include "train/train.h"

#include <cmath>
#include <cstring>

void mle_trainer_init(MLETrainer& t, Flow& flow, int batch, const AdamConfig& adam, double clip) {
    t.flow = &flow;
    t.B = batch;
    t.clip = clip;
    flow_cache_init(t.cache, flow, batch);
    adam_init(t.opt, adam, flow.params.size());
    t.batch.resize(batch, flow.cfg.dim);
    t.logp.assign(batch, Real(0));
    t.dlogp.assign(batch, Real(0));
}

StepResult mle_step(MLETrainer& t, const Tensor& train, Rng& rng) {
    Flow& f = *t.flow;
    const int B = t.B, D = f.cfg.dim;
    for (int i = 0; i < B; i++) {  // minibatch with replacement: works for any n_train, even < B
        const int r = (int)rng.below((uint64_t)train.rows);
        std::memcpy(t.batch.row(i), train.row(r), sizeof(Real) * D);
    }
    flow_log_prob(t.logp.data(), t.batch.ptr(), f, t.cache, B);
    StepResult res;
    double sum = 0;
    for (int i = 0; i < B; i++) sum += (double)t.logp[i];
    res.loss = -sum / B;
    // F̂ = −(1/B) Σ log p(x_i)  →  dF̂/d log p(x_i) = −1/B
    for (int i = 0; i < B; i++) t.dlogp[i] = Real(-1) / (Real)B;
    f.params.zero_grad();
    flow_log_prob_backward(nullptr, t.dlogp.data(), f, t.cache, B);
    res.grad_norm = clip_grad_norm(f.params, t.clip);
    res.finite = std::isfinite(res.loss) && std::isfinite(res.grad_norm);
    if (res.finite) adam_step(t.opt, f.params);
    return res;
}

double mean_nll(const Flow& f, FlowCache& cache, const Tensor& x, std::vector<Real>& scratch) {
    const int n = x.rows, chunk = cache.cap;
    scratch.resize((size_t)n);
    for (int start = 0; start < n; start += chunk) {
        const int b = n - start < chunk ? n - start : chunk;
        flow_log_prob(scratch.data() + start, x.row(start), f, cache, b);
    }
    double sum = 0;
    for (int i = 0; i < n; i++) sum += (double)scratch[i];
    return -sum / n;
}
