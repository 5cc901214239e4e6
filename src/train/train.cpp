// train.cpp — the alternating primal–dual step (and its MLE and penalty special cases).
#include "train/train.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <string>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "tensor/error.h"

bool method_from_name(const std::string& name, Method* out) {
    if (name == "mle") *out = Method::mle;
    else if (name == "penalty") *out = Method::penalty;
    else if (name == "jeffreys") *out = Method::jeffreys;
    else if (name == "wgan") *out = Method::wgan;
    else if (name == "gaussian") *out = Method::gaussian;
    else if (name == "kde") *out = Method::kde;
    else return false;
    return true;
}

const char* method_name(Method m) {
    switch (m) {
        case Method::mle: return "mle";
        case Method::penalty: return "penalty";
        case Method::jeffreys: return "jeffreys";
        case Method::wgan: return "wgan";
        case Method::gaussian: return "gaussian";
        case Method::kde: return "kde";
    }
    return "?";
}

void trainer_init(Trainer& t, const TrainerConfig& cfg, Flow& flow, Proxy* proxy, Critic* critic) {
    if (cfg.method == Method::gaussian || cfg.method == Method::kde)
        throw symkl::Error(std::string("trainer_init: ") + method_name(cfg.method) +
                           " is a baseline without a flow (src/baseline/), not a training method");
    t.cfg = cfg;
    t.flow = &flow;
    const bool uses_proxy = cfg.method == Method::penalty || cfg.method == Method::jeffreys;
    t.proxy = uses_proxy ? proxy : nullptr;
    t.critic = cfg.method == Method::wgan ? critic : nullptr;
    const int C = flow.cfg.context;
    if (C > 0 && t.critic) throw symkl::Error("trainer_init: a conditional flow cannot be trained as a WGAN generator");
    if (C > 0 && (cfg.contexts < 1 || cfg.samples < 1))
        throw symkl::Error("trainer_init: a conditional flow needs at least 1 context and 1 sample per context");
    t.K = C > 0 ? (cfg.contexts < cfg.batch ? cfg.contexts : cfg.batch) : 1;
    t.M = C > 0 ? t.K * cfg.samples : cfg.samples;
    const int D = flow.cfg.dim, B = cfg.batch, M = t.M, cap = B > M ? B : M;
    flow_cache_init(t.cache, flow, cap);
    adam_init(t.opt, cfg.adam, flow.params.size());
    if (t.proxy) {
        proxy_cache_init(t.proxy_cache, *t.proxy, cap);
        adam_init(t.proxy_opt, cfg.proxy_adam, t.proxy->params().size());
    }
    if (t.critic) {
        wgan_cache_init(t.wgan_cache, *t.critic, cap);
        adam_init(t.critic_opt, cfg.wgan.critic_adam, t.critic->params.size());
        t.interp.assign(B < M ? B : M, Real(0));
    }
    // the undo record of the model whose update may have to be taken back
    const size_t n_undo = t.critic ? t.critic->params.size() : t.proxy ? flow.params.size() : 0;
    t.undo.value.assign(n_undo, Real(0));
    t.undo.m.assign(n_undo, Real(0));
    t.undo.v.assign(n_undo, Real(0));
    t.undo.t = 0;
    jeffreys_work_init(t.work, D, B, M);
    const int slices = t.critic ? 1 : step_slice_count(flow, t.proxy, B, M);
    step_slices_init(t.slices, slices, flow, t.proxy, B, M);
    t.batch.resize(B, D);
    t.z.resize(M, D);
    t.ctx.resize(C > 0 ? B : 0, C);
    t.sctx.resize(C > 0 && t.proxy ? M : 0, C);
    const bool base = t.proxy && t.proxy->kind == ProxyKind::ebm && !t.proxy->ebm.base_chol.empty();
    t.base_x.resize(base ? M : 0, D);
    t.base_logb.assign(base ? M : 0, Real(0));
    t.lambda = cfg.dual.lambda0;
    t.u = 0;
    t.log_z = 0;
}

static void draw_batch(Trainer& t, const Tensor& train, Rng& rng) {
    const int D = t.flow->cfg.dim, C = t.flow->cfg.context;
    for (int i = 0; i < t.cfg.batch; i++) {  // with replacement: works for any n_train, even < B
        const int r = (int)rng.below((uint64_t)train.rows);
        std::memcpy(t.batch.row(i), train.row(r), sizeof(Real) * D);
        if (C > 0) std::memcpy(t.ctx.row(i), train.row(r) + D, sizeof(Real) * C);
    }
    // the samples' contexts: block c (cfg.samples rows) at the context of row c
    for (int j = 0; j < t.sctx.rows; j++)
        std::memcpy(t.sctx.row(j), t.ctx.row(j / t.cfg.samples), sizeof(Real) * C);
}

// The contexts of the step (none for an unconditional flow).
static Contexts step_contexts(const Trainer& t) {
    Contexts c;
    if (t.flow->cfg.context == 0) return c;
    c.data = t.ctx.ptr();
    c.samples = t.sctx.rows ? t.sctx.ptr() : nullptr;
    c.blocks = t.K;
    return c;
}

static void draw_z(Tensor& z, Rng& rng) {
    for (Real& v : z.data) v = (Real)rng.normal();
}

// Keep (save) or put back (restore) a model's values and Adam state; the buffers are
// the same size every time, so no step allocates.
static void save(Undo& u, const Params& p, const Adam& opt) {
    u.value = p.value;
    u.m = opt.m;
    u.v = opt.v;
    u.t = opt.t;
}

static void restore(const Undo& u, Params& p, Adam& opt) {
    p.value = u.value;
    opt.m = u.m;
    opt.v = u.v;
    opt.t = u.t;
}

// WGAN: n_critic critic updates on fresh minibatches and samples, then one generator update.
static StepResult wgan_step(Trainer& t, const Tensor& train, Rng& rng) {
    Flow& p = *t.flow;
    Critic& critic = *t.critic;
    WganCache& wc = t.wgan_cache;
    const WganConfig& w = t.cfg.wgan;
    const int B = t.cfg.batch, M = t.cfg.samples;
    StepResult res;
    res.F = NAN;
    double cl = 0, was = 0, gp = 0;
    // the critic changes n_critic times before the generator's terms are known
    save(t.undo, critic.params, t.critic_opt);
    auto fail = [&](const char* what) {
        restore(t.undo, critic.params, t.critic_opt);
        res.bad = what;
        return res;
    };
    for (int c = 0; c < w.n_critic; c++) {
        draw_batch(t, train, rng);
        draw_z(t.z, rng);
        for (Real& e : t.interp) e = (Real)rng.uniform();
        flow_sample(wc.xfake.ptr(), wc.logp.ptr(), t.z.ptr(), p, t.cache, M);  // no gradient into θ
        critic.params.zero_grad();
        const CriticLoss l = wgan_critic_grad(t.batch.ptr(), wc.xfake.ptr(), t.interp.data(), w.gp, critic, wc, B, M);
        res.proxy_grad_norm = clip_grad_norm(critic.params, t.cfg.clip);
        if (!std::isfinite(l.critic_loss)) return fail("the critic loss");
        if (!std::isfinite(res.proxy_grad_norm)) return fail("the critic's gradient");
        adam_step(t.critic_opt, critic.params);
        clip_weights(critic.params, w.clip);
        cl += l.critic_loss, was += l.wasserstein, gp += l.gp;
    }
    res.critic_loss = cl / w.n_critic, res.wasserstein = was / w.n_critic, res.gp = gp / w.n_critic;
    // generator: L_G = −(1/M) Σ D(T(z_j)) through the sampling pass
    draw_z(t.z, rng);
    p.params.zero_grad();
    const double lg = wgan_generator_grad(t.z.ptr(), p, t.cache, critic, wc, M);
    res.grad_norm = clip_grad_norm(p.params, t.cfg.clip);
    if (!std::isfinite(lg)) return fail("the generator loss");
    if (!std::isfinite(res.grad_norm)) return fail("the main flow's gradient");
    adam_step(t.opt, p.params);
    return res;
}

int TeamChooser::next() const {
    const long k = step % period;
    return k < probe ? 1 : k < 2 * probe ? 0 : use;
}

void TeamChooser::record(double seconds) {
    const long k = step % period;
    if (k < probe) one += seconds;
    else if (k < 2 * probe) all += seconds;
    if (k == 2 * probe - 1) {  // both probes done: keep the faster team until the next
        use = one < all ? 1 : 0;
        one = all = 0;
    }
    step++;
}

static StepResult sliced_step(Trainer& t, const Tensor& train, Rng& rng);

StepResult train_step(Trainer& t, const Tensor& train, Rng& rng) {
    if (t.critic) return wgan_step(t, train, rng);
#ifdef _OPENMP
    if (t.slices.count > 1 && omp_get_max_threads() > 1) {
        t.slices.threads = t.team.next();
        const auto start = std::chrono::steady_clock::now();
        const StepResult r = sliced_step(t, train, rng);
        t.team.record(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        return r;
    }
#endif
    return sliced_step(t, train, rng);
}

// The adaptive method's step (and MLE's and the penalty's), slice by slice where t.slices has
// more than one.
static StepResult sliced_step(Trainer& t, const Tensor& train, Rng& rng) {
    Flow& p = *t.flow;
    const int B = t.cfg.batch, M = t.M;
    const bool with_proxy = t.proxy != nullptr;
    StepResult res;
    draw_batch(t, train, rng);
    if (with_proxy) draw_z(t.z, rng);
    const Contexts ctx = step_contexts(t);

    // 1. θ-step: Adam on F̂ + R̂ (F̂ alone for MLE; theta_gradient sets the gradient)
    const ThetaTerms th = theta_gradient(p, t.cache, t.proxy, with_proxy ? &t.proxy_cache : nullptr, t.batch.ptr(),
                                         B, t.z.ptr(), M, with_proxy ? 1.0 : 0.0, t.log_z, t.work, ctx, &t.slices);
    res.F = th.F;
    res.grad_norm = clip_grad_norm(p.params, t.cfg.clip);
    if (!std::isfinite(th.F)) return res.bad = "F (the main flow's NLL on the minibatch)", res;
    if (with_proxy && !std::isfinite(th.R)) return res.bad = "R (the reverse KL to the proxy, theta-step)", res;
    if (!std::isfinite(res.grad_norm)) return res.bad = "the main flow's gradient", res;
    const int team = t.slices.count > 1 ? t.slices.threads : -1;  // Adam shares the slices' team
    if (!with_proxy) {
        adam_step(t.opt, p.params, team);
        return res;
    }
    // the ψ-step needs the updated p_θ: apply θ's update, keeping what it replaces
    save(t.undo, p.params, t.opt);
    adam_step(t.opt, p.params, team);
    auto fail = [&](const char* what) {
        restore(t.undo, p.params, t.opt);
        res.bad = what;
        return res;
    };

    // 2. ψ-step: fresh samples from the updated p_θ (held fixed), Adam on R̂ + λĜ
    draw_z(t.z, rng);
    sample_slices(t.work.xs.ptr(), t.work.logp.data(), t.z.ptr(), p, t.cache, M, ctx.samples, &t.slices);
    Proxy& q = *t.proxy;
    q.params().zero_grad();
    const int Mb = t.base_x.rows;  // a Gaussian base: log Ẑ from M fresh draws of the base
    if (Mb > 0) {
        draw_z(t.z, rng);
        ebm_base_sample(t.base_x.ptr(), t.base_logb.data(), t.z.ptr(), q.ebm, Mb);
    }
    const PsiTerms ps = psi_gradient(q, t.proxy_cache, t.work.xs.ptr(), t.work.logp.data(), M, t.batch.ptr(), B,
                                     t.lambda, t.work, Mb > 0 ? t.base_x.ptr() : nullptr, t.base_logb.data(), Mb, ctx,
                                     &t.slices);
    res.R = ps.R, res.G = ps.G;
    if (q.kind == ProxyKind::ebm) res.ess = ps.ess;
    res.proxy_grad_norm = clip_grad_norm(q.params(), t.cfg.clip);
    if (!std::isfinite(ps.log_z)) return fail("log Z (the EBM's importance-sampling estimate)");
    if (!std::isfinite(ps.R)) return fail("R (the reverse KL to the proxy, psi-step)");
    if (!std::isfinite(ps.G)) return fail("G (the proxy's NLL on the minibatch)");
    if (!std::isfinite(res.proxy_grad_norm)) return fail("the proxy's gradient");

    // 3.–4. slack and dual: descent on u, projected ascent on λ (with the ψ-step's Ĝ);
    // penalty keeps λ = λ₀ and u = 0
    double u = t.u, lambda = t.lambda;
    if (t.cfg.method == Method::jeffreys) {
        const DualConfig& d = t.cfg.dual;
        if (std::isinf(d.alpha)) u = 0;  // hard constraint
        else u = std::fmax(0.0, t.u - d.slack_lr * (d.alpha * t.u - t.lambda));
        lambda = std::fmax(0.0, t.lambda + d.dual_lr * (ps.G - d.eps - u));
        if (!std::isfinite(u)) return fail("u (the slack)");
        if (!std::isfinite(lambda)) return fail("lambda (the dual variable)");
    }

    // every term is finite: apply the rest of the step
    adam_step(t.proxy_opt, q.params(), team);
    t.log_z = ps.log_z;
    t.u = u;
    t.lambda = lambda;
    return res;
}

double mean_nll(const Flow& f, FlowCache& cache, const Tensor& x, std::vector<Real>& scratch) {
    const int n = x.rows, chunk = cache.cap, D = f.cfg.dim, C = f.cfg.context;
    scratch.resize((size_t)n);
    Tensor xs(C > 0 ? chunk : 0, D), ys(C > 0 ? chunk : 0, C);  // a conditional flow's rows, split
    for (int start = 0; start < n; start += chunk) {
        const int b = n - start < chunk ? n - start : chunk;
        if (C == 0) {
            flow_log_prob(scratch.data() + start, x.row(start), f, cache, b);
            continue;
        }
        for (int i = 0; i < b; i++) {
            std::memcpy(xs.row(i), x.row(start + i), sizeof(Real) * D);
            std::memcpy(ys.row(i), x.row(start + i) + D, sizeof(Real) * C);
        }
        flow_log_prob(scratch.data() + start, xs.ptr(), f, cache, b, ys.ptr());
    }
    double sum = 0;
    for (int i = 0; i < n; i++) sum += (double)scratch[i];
    return -sum / n;
}
