// fit.cpp — the method's defaults, its models, and the loop that steps them.
#include "train/fit.h"

#include <cmath>
#include <string>

#include "data/entropy.h"
#include "tensor/error.h"

bool uses_proxy(Method m) { return m == Method::jeffreys || m == Method::penalty; }
bool is_baseline(Method m) { return m == Method::gaussian || m == Method::kde; }

double rms_std(const Tensor& x) {
    double total = 0;
    for (int c = 0; c < x.cols; c++) {
        double m = 0, m2 = 0;
        for (int i = 0; i < x.rows; i++) m += x.at(i, c);
        m /= x.rows;
        for (int i = 0; i < x.rows; i++) m2 += (x.at(i, c) - m) * (x.at(i, c) - m);
        total += m2 / x.rows;
    }
    return std::sqrt(total / x.cols);
}

// The columns [first, first + n) of x.
static Tensor columns(const Tensor& x, int first, int n) {
    Tensor out(x.rows, n);
    for (int i = 0; i < x.rows; i++)
        for (int j = 0; j < n; j++) out.at(i, j) = x.at(i, first + j);
    return out;
}

Resolved resolve_defaults(const FitConfig& cfg, const Tensor& train_rows) {
    const int C = cfg.flow.context;
    if (C < 0 || C >= train_rows.cols)
        throw symkl::Error("the context takes " + std::to_string(C) + " of the " + std::to_string(train_rows.cols) +
                           " columns: at least one column must be left to model");
    if (C > 0 && cfg.trainer.method == Method::wgan)
        throw symkl::Error("wgan cannot train a conditional flow (use mle, jeffreys or penalty)");
    // a conditional flow's defaults come from the modelled columns (σ₀) and from both (ε)
    const Tensor modelled = C > 0 ? columns(train_rows, 0, train_rows.cols - C) : Tensor();
    const Tensor& train = C > 0 ? modelled : train_rows;
    Resolved r;
    const Method m = cfg.trainer.method;
    const bool gan = m == Method::wgan;  // the customary WGAN-GP values
    r.lr_auto = !cfg.lr, r.beta1_auto = !cfg.beta1, r.beta2_auto = !cfg.beta2;
    r.lr = cfg.lr ? *cfg.lr : gan ? 1e-4 : 1e-3;
    r.beta1 = cfg.beta1 ? *cfg.beta1 : gan ? 0.5 : 0.9;
    r.beta2 = cfg.beta2 ? *cfg.beta2 : gan ? 0.9 : 0.999;
    if (!uses_proxy(m)) return r;
    if (cfg.proxy_kind == ProxyKind::ebm) {
        r.gaussian_base_auto = !cfg.ebm_gaussian_base;
        r.gaussian_base = cfg.ebm_gaussian_base ? *cfg.ebm_gaussian_base : C == 0 && train.cols >= 3 && train.cols <= 16;
        if (C > 0 && r.gaussian_base)
            throw symkl::Error("a conditional EBM proxy has the isotropic base (--ebm-base isotropic)");
        r.sigma0_auto = !cfg.sigma0;
        r.sigma0 = cfg.sigma0 ? *cfg.sigma0 : r.gaussian_base ? 1.0 : 3.0 * rms_std(train);
        if (r.sigma0_auto && !(r.sigma0 > 0))
            throw symkl::Error("the training data has no spread (all " + std::to_string(train.rows) +
                               " points are identical): the EBM proxy's sigma0 = 3 x RMS std would be 0");
    }
    r.eps_auto = !cfg.eps;
    if (cfg.eps) {
        r.eps = *cfg.eps;
    } else if (C > 0) {  // H(x | y) = H(x, y) − H(y), each by the kNN estimator
        r.eps_knn = knn_entropy(train_rows) - knn_entropy(columns(train_rows, train_rows.cols - C, C));
        r.eps = r.eps_knn + cfg.eps_margin;
    } else {
        r.eps_knn = knn_entropy(train);
        double h = r.eps_knn;
        if (train.cols >= 3) {  // tabular data: the data's Gaussian bounds the entropy from above
            std::vector<double> mean, whiten;
            ebm_gaussian_base(train, mean, whiten);
            r.eps_gaussian = gaussian_base_nll(train, mean, whiten);
            h = std::fmin(h, r.eps_gaussian);
        }
        r.eps = h + cfg.eps_margin;
    }
    return r;
}

void apply_defaults(FitConfig& cfg, const Resolved& r) {
    TrainerConfig& t = cfg.trainer;
    t.adam.lr = r.lr;
    t.adam.beta1 = t.proxy_adam.beta1 = r.beta1;
    t.adam.beta2 = t.proxy_adam.beta2 = r.beta2;
    if (!std::isnan(r.eps)) t.dual.eps = r.eps;
    if (!std::isnan(r.sigma0)) cfg.ebm.sigma0 = r.sigma0;
}

void fit_init(FitModels& m, const FitConfig& cfg, const Tensor& train, Rng& init_rng, Rng& proxy_rng) {
    fit_init(m, cfg, resolve_defaults(cfg, train), train, init_rng, proxy_rng);
}

void fit_init(FitModels& m, const FitConfig& cfg, const Resolved& r, const Tensor& train, Rng& init_rng,
              Rng& proxy_rng) {
    m.cfg = cfg;
    m.resolved = r;
    apply_defaults(m.cfg, m.resolved);
    FitConfig& c = m.cfg;
    const int C = c.flow.context;  // a conditional flow: rows [x, y]
    c.flow.dim = c.proxy_flow.dim = c.ebm.dim = c.critic.dim = train.cols - C;
    c.proxy_flow.context = c.ebm.context = C;
    flow_build(m.flow, c.flow);
    flow_init(m.flow, init_rng);
    m.proxy.kind = c.proxy_kind;
    const bool with_proxy = uses_proxy(c.trainer.method);
    if (with_proxy && c.proxy_kind == ProxyKind::flow) {
        flow_build(m.proxy.flow, c.proxy_flow);
        flow_init(m.proxy.flow, proxy_rng);
    } else if (with_proxy) {
        if (r.gaussian_base) ebm_gaussian_base(train, c.ebm.base_mean, c.ebm.base_whiten);
        ebm_build(m.proxy.ebm, c.ebm);
        ebm_init(m.proxy.ebm, proxy_rng);
    }
    if (c.trainer.method == Method::wgan) {
        wgan_config_check(c.trainer.wgan);
        critic_build(m.critic, c.critic);
        critic_init(m.critic, proxy_rng);
    }
    trainer_init(m.trainer, c.trainer, m.flow, with_proxy ? &m.proxy : nullptr, &m.critic);
}

namespace {
void add(FitCursor& c, const StepResult& r) {
    c.F += r.F, c.R += r.R, c.G += r.G, c.ess += r.ess, c.critic += r.critic_loss, c.was += r.wasserstein,
        c.gp += r.gp, c.n++;
}
double mean(const FitCursor& c, double v) { return c.n ? v / c.n : NAN; }
}  // namespace

FitEnd fit(Trainer& t, const Tensor& train, Rng& batch_rng, const FitSchedule& sched,
           const std::function<bool(const FitLog&)>& on_log,
           const std::function<void(long step, const StepResult&)>& on_step) {
    if (train.cols != t.flow->cfg.dim + t.flow->cfg.context || train.rows < 1)
        throw symkl::Error("fit: the training rows have " + std::to_string(train.cols) + " columns, the flow needs " +
                           std::to_string(t.flow->cfg.dim + t.flow->cfg.context));
    if (sched.steps < 0 || sched.log_every < 1 || sched.val_every < 0)
        throw symkl::Error("fit: steps must be at least 0, log_every at least 1 and val_every at least 0, got " +
                           std::to_string(sched.steps) + ", " + std::to_string(sched.log_every) + " and " +
                           std::to_string(sched.val_every));
    FitEnd end;
    FitCursor c;  // the sums since the last log and the running totals
    if (sched.start) c = *sched.start, end.steps = c.step, end.skipped = c.skipped;
    for (long step = c.step;; step++) {
        c.step = step, c.skipped = end.skipped;
        const bool validate = sched.val_every > 0 && (step % sched.val_every == 0 || step == sched.steps);
        if (step % sched.log_every == 0 || step == sched.steps || validate) {
            if (sched.before_log) sched.before_log(c);
            FitLog log;
            log.step = step;
            log.validated = validate;
            log.loss = mean(c, c.F), log.R = mean(c, c.R), log.G = mean(c, c.G);
            log.ess = mean(c, c.ess), log.critic_loss = mean(c, c.critic);
            log.wasserstein = mean(c, c.was), log.gp = mean(c, c.gp);
            log.grad_norm = c.grad_norm, log.skipped = end.skipped;
            const FitCursor keep = c;
            c = FitCursor{};
            c.step = keep.step, c.skipped = keep.skipped, c.grad_norm = keep.grad_norm;
            if (!on_log(log)) return end.stopped = true, end;
        }
        if (step == sched.steps) return end;
        const StepResult r = train_step(t, train, batch_rng);
        end.steps = step + 1;
        if (r.bad) {
            if (sched.skip_nonfinite) {
                end.skipped++;
                continue;
            }
            end.bad = r.bad, end.bad_step = step + 1;
            return end;
        }
        add(c, r);
        c.grad_norm = r.grad_norm;
        if (on_step) on_step(step + 1, r);
    }
}
