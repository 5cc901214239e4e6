// npe.cpp — neural posterior estimation: z-scoring, the epoch loop with validation and
// early stopping (train/select.h), and sampling with rejection outside the prior.
#include "sbi/npe.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <string>

#include "tensor/error.h"
#include "train/select.h"

NpeConfig npe_default_config() {
    NpeConfig c;
    FitConfig& f = c.fit;
    f.trainer.method = Method::mle;
    f.trainer.batch = 200;      // sbi's training_batch_size
    f.trainer.clip = 5;         // sbi's clip_max_norm
    f.trainer.contexts = 16;    // the adaptive methods: context blocks per step ...
    f.trainer.samples = 8;      // ... and samples of p_φ(θ | x) for each
    f.trainer.proxy_adam.lr = 1.5e-3; // 3 x the flow's: the proxy must keep up (docs/method.md §10)
    f.lr = 5e-4;                // sbi's learning_rate
    f.flow.layers = 5, f.flow.hidden = 50, f.flow.depth = 2, f.flow.act = Act::relu, f.flow.embed = 0;
    f.proxy_flow = f.flow;
    f.ebm.hidden = 64, f.ebm.depth = 2;
    c.val_frac = 0.1;           // sbi's validation_fraction
    c.patience = 20;            // sbi's stop_after_epochs
    c.max_epochs = 500;
    return c;
}

// Column means and standard deviations (1/N) of columns [first, first + n) of rows; a
// constant column keeps scale 1 (it carries no information, and z-scoring must not fail).
static Standardizer fit_columns(const Tensor& rows, int first, int n) {
    Standardizer s;
    s.shift.assign((size_t)n, 0.0), s.scale.assign((size_t)n, 1.0);
    for (int j = 0; j < n; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < rows.rows; i++) m += rows.at(i, first + j);
        m /= rows.rows;
        for (int i = 0; i < rows.rows; i++) {
            const double d = rows.at(i, first + j) - m;
            v += d * d;
        }
        const double sd = std::sqrt(v / rows.rows);
        s.shift[(size_t)j] = m;
        if (sd > 0 && std::isfinite(sd)) s.scale[(size_t)j] = sd;
    }
    return s;
}

// Rows [θ, x] in place: θ ← (θ − shift) / scale with theta_z, x likewise with x_z.
static void standardize_joined(Tensor& rows, const Posterior& p) {
    const int K = (int)p.theta_z.shift.size();
    for (int i = 0; i < rows.rows; i++) {
        if (!p.theta_z.empty()) standardize_row(rows.row(i), p.theta_z);
        if (!p.x_z.empty()) standardize_row(rows.row(i) + K, p.x_z);
    }
}

static void check_simulations(const Tensor& theta, const Tensor& x) {
    if (theta.rows != x.rows)
        throw symkl::Error("npe: " + std::to_string(theta.rows) + " parameter rows but " + std::to_string(x.rows) +
                           " data rows (one simulation a row in both)");
    if (theta.cols < 2)
        throw symkl::Error("npe: theta has " + std::to_string(theta.cols) +
                           " column(s); the posterior flow needs at least 2 parameters");
    if (x.cols < 1) throw symkl::Error("npe: the data x has no columns");
    if (theta.rows < 10)
        throw symkl::Error("npe: " + std::to_string(theta.rows) + " simulations are too few (at least 10)");
    for (const Tensor* t : {&theta, &x})
        for (int i = 0; i < t->rows; i++)
            for (int j = 0; j < t->cols; j++)
                if (!std::isfinite((double)t->at(i, j)))
                    throw symkl::Error("npe: simulation " + std::to_string(i + 1) + " has a non-finite " +
                                       (t == &theta ? "theta_" : "x_") + std::to_string(j + 1) +
                                       " (drop failed simulations first)");
}

ValSplit npe_validation_split(const Tensor& theta, const Tensor& x, double val_frac, uint64_t seed) {
    check_simulations(theta, x);
    const int K = theta.cols, C = x.cols, n = theta.rows;
    Tensor rows(n, K + C);
    for (int i = 0; i < n; i++) {
        std::memcpy(rows.row(i), theta.row(i), sizeof(Real) * (size_t)K);
        std::memcpy(rows.row(i) + K, x.row(i), sizeof(Real) * (size_t)C);
    }
    // Streams of their own (a stream's draws do not move another's): the flow's start,
    // the proxy's start, the minibatches, then the validation split.
    Rng master(seed ^ kNpeSeedSalt);
    for (int i = 0; i < 3; i++) master.split();
    Rng split_rng = master.split();
    return validation_split(rows, val_frac, split_rng);
}

NpeReport npe_train(Posterior& post, const Tensor& theta, const Tensor& x, const NpeConfig& cfg, uint64_t seed,
                    const std::function<bool(long epoch, double val_nll)>& on_epoch) {
    return npe_train_log(post, theta, x, cfg, seed, [&](const NpeEpoch& e) {
        return e.epoch == 0 || !on_epoch || on_epoch(e.epoch, e.val_nll);
    });
}

NpeReport npe_train_log(Posterior& post, const Tensor& theta, const Tensor& x, const NpeConfig& cfg, uint64_t seed,
                        const std::function<bool(const NpeEpoch&)>& on_epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    check_simulations(theta, x);
    if (!(cfg.val_frac > 0 && cfg.val_frac < 1))
        throw symkl::Error("npe: the validation fraction must be in (0, 1), got " + std::to_string(cfg.val_frac));
    if (cfg.patience < 1 || cfg.max_epochs < 1)
        throw symkl::Error("npe: patience and max_epochs must be at least 1, got " + std::to_string(cfg.patience) +
                           " and " + std::to_string(cfg.max_epochs));
    if (cfg.fit.trainer.batch < 1) throw symkl::Error("npe: the batch must be at least 1");
    const int K = theta.cols, C = x.cols;
    ValSplit v = npe_validation_split(theta, x, cfg.val_frac, seed);
    Rng master(seed ^ kNpeSeedSalt);
    Rng init_rng = master.split(), proxy_rng = master.split(), batch_rng = master.split();

    Posterior p;
    if (cfg.z_score) p.theta_z = fit_columns(v.fit, 0, K), p.x_z = fit_columns(v.fit, K, C);
    standardize_joined(v.fit, p);
    standardize_joined(v.val, p);
    const double log_det = standardizer_log_det(p.theta_z);

    FitConfig fc = cfg.fit;
    fc.flow.context = C;
    if (fc.eps) fc.eps = *fc.eps - log_det;  // given in θ's units; the flow works in z-scored ones
    FitModels m;
    fit_init(m, fc, v.fit, init_rng, proxy_rng);

    NpeReport rep;
    rep.n_fit = v.fit.rows, rep.n_val = v.val.rows;
    const long B = fc.trainer.batch, spe = (v.fit.rows + B - 1) / B;
    rep.steps_per_epoch = spe;
    Selection sel;
    select_init(sel, SelectConfig{spe, cfg.patience}, m, v.val);
    FitSchedule sched;
    sched.steps = cfg.max_epochs * spe;
    sched.log_every = spe;
    sched.val_every = spe;
    const bool dual = uses_proxy(fc.trainer.method);
    double lambda_sum = 0;
    long lambda_n = 0;
    const FitEnd end = fit_select(
        m, v.fit, sel, batch_rng, sched,
        [&](const FitLog& log) {
            if (!log.validated) return true;
            NpeEpoch e;
            e.epoch = log.step / spe;
            e.val_nll = log.val_nll + log_det;
            e.F = log.loss + log_det, e.R = log.R, e.G = log.G + log_det;
            e.lambda = dual && lambda_n > 0 ? lambda_sum / lambda_n : NAN;
            e.improved = sel.improved;
            lambda_sum = 0, lambda_n = 0;
            rep.epochs = e.epoch;
            rep.val_nll.push_back(e.val_nll);
            return on_epoch ? on_epoch(e) : true;
        },
        [&](long, const StepResult&) { lambda_sum += m.trainer.lambda, lambda_n++; });
    select_restore(m, sel);
    rep.steps = end.steps;
    rep.early_stopped = end.early_stopped;
    rep.bad = end.bad, rep.bad_step = end.bad_step;
    rep.best_epoch = sel.best_step < 0 ? 0 : sel.best_step / spe;
    rep.best_val_nll = sel.best_nll + log_det;
    if (uses_proxy(fc.trainer.method)) rep.eps = m.resolved.eps + log_det, rep.eps_auto = m.resolved.eps_auto;
    p.flow = std::move(m.flow);
    post = std::move(p);
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rep;
}

Tensor posterior_sample(const Posterior& post, const Real* x_obs, int n, Rng& rng,
                        const std::function<bool(const Real*)>& in_support, double* acceptance) {
    const int K = post.flow.cfg.dim, C = post.flow.cfg.context;
    if (C < 1) throw symkl::Error("posterior_sample: the flow is not conditional (it has no context)");
    if (n < 0) throw symkl::Error("posterior_sample: the number of samples must be at least 0");
    std::vector<Real> xz(x_obs, x_obs + C);
    if (!post.x_z.empty()) standardize_row(xz.data(), post.x_z);
    const int chunk = n < 1024 ? (n < 64 ? 64 : n) : 1024;
    FlowCache cache;
    flow_cache_init(cache, post.flow, chunk);
    Tensor z(chunk, K), th(chunk, K), ctx(chunk, C);
    std::vector<Real> logp((size_t)chunk);
    for (int i = 0; i < chunk; i++) std::memcpy(ctx.row(i), xz.data(), sizeof(Real) * (size_t)C);
    Tensor out(n, K);
    long accepted = 0, drawn = 0;
    while (accepted < n) {
        for (Real& v : z.data) v = (Real)rng.normal();
        flow_sample(th.ptr(), logp.data(), z.ptr(), post.flow, cache, chunk, ctx.ptr());
        for (int i = 0; i < chunk && accepted < n; i++) {
            Real* t = th.row(i);
            if (!post.theta_z.empty()) unstandardize_row(t, post.theta_z);
            drawn++;
            bool ok = true;
            for (int j = 0; j < K; j++) ok = ok && std::isfinite((double)t[j]);
            if (ok && in_support) ok = in_support(t);
            if (ok) std::memcpy(out.row((int)accepted++), t, sizeof(Real) * (size_t)K);
        }
        if (drawn >= 10000 && (double)accepted < 1e-4 * (double)drawn)
            throw symkl::Error("posterior_sample: " + std::to_string(accepted) + " of " + std::to_string(drawn) +
                               " draws fell inside the prior's support (fewer than 1 in 10^4): the posterior "
                               "estimate puts its mass outside the prior (train longer, or check x_obs)");
    }
    if (acceptance) *acceptance = drawn > 0 ? (double)accepted / (double)drawn : 1.0;
    return out;
}

std::vector<double> posterior_log_prob(const Posterior& post, const Tensor& theta, const Tensor& x) {
    const int K = post.flow.cfg.dim, C = post.flow.cfg.context;
    if (theta.cols != K || x.cols != C || theta.rows != x.rows)
        throw symkl::Error("posterior_log_prob: expected rows of " + std::to_string(K) + " parameters and " +
                           std::to_string(C) + " data, got (" + std::to_string(theta.rows) + ", " +
                           std::to_string(theta.cols) + ") and (" + std::to_string(x.rows) + ", " +
                           std::to_string(x.cols) + ")");
    const int n = theta.rows, chunk = 1024;
    FlowCache cache;
    flow_cache_init(cache, post.flow, chunk);
    Tensor th(chunk, K), ctx(chunk, C);
    std::vector<Real> lp((size_t)chunk);
    std::vector<double> out((size_t)n);
    const double log_det = standardizer_log_det(post.theta_z);
    for (int start = 0; start < n; start += chunk) {
        const int b = n - start < chunk ? n - start : chunk;
        for (int i = 0; i < b; i++) {
            std::memcpy(th.row(i), theta.row(start + i), sizeof(Real) * (size_t)K);
            std::memcpy(ctx.row(i), x.row(start + i), sizeof(Real) * (size_t)C);
            if (!post.theta_z.empty()) standardize_row(th.row(i), post.theta_z);
            if (!post.x_z.empty()) standardize_row(ctx.row(i), post.x_z);
        }
        flow_log_prob(lp.data(), th.ptr(), post.flow, cache, b, ctx.ptr());
        for (int i = 0; i < b; i++) out[(size_t)(start + i)] = (double)lp[(size_t)i] - log_det;
    }
    return out;
}
