// run.cpp — the training loop with its files: metrics.csv, model.safetensors,
// proxy.safetensors and config.json, rewritten atomically at every logged step.
#include "cli/run.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "cli/commands.h"
#include "cli/progress.h"
#include "data/entropy.h"
#include "data/toy.h"
#include "io/checkpoint.h"
#include "io/csv.h"
#include "io/file.h"
#include "io/json.h"
#include "plot/figures.h"
#include "plot/metrics_file.h"
#include "tensor/error.h"

std::vector<OptSpec> training_options() {
    return {
        {"--data", "NAME|FILE", "8gaussians", "data set (8gaussians, moons, circles, rings, checkerboard, pinwheel, swissroll, 2spirals) or a CSV file"},
        {"--n-train", "N", "", "training points (generated data: default 200; CSV: all rows not held out)"},
        {"--n-test", "N", "10000", "test points drawn for generated data"},
        {"--test-frac", "F", "0.2", "fraction of CSV rows held out for testing"},
        {"--steps", "S", "2000", "optimisation steps"},
        {"--batch", "B", "256", "data minibatch size (drawn with replacement from the training set)"},
        {"--samples", "M", "256", "samples of p per step for the reverse KL and log Z (jeffreys, penalty)"},
        {"--lr", "LR", "auto", "Adam learning rate of the main flow; auto = 1e-3 (1e-4 for wgan)"},
        {"--beta1", "B1", "auto", "Adam β₁ of the main flow and the proxy; auto = 0.9 (0.5 for wgan)"},
        {"--beta2", "B2", "auto", "Adam β₂ of the main flow and the proxy; auto = 0.999 (0.9 for wgan)"},
        {"--clip", "C", "0", "clip each model's gradient norm to C (0 = no clipping)"},
        {"--layers", "K", "8", "coupling layers of the main flow"},
        {"--hidden", "H", "64", "conditioner width"},
        {"--depth", "L", "2", "conditioner hidden layers"},
        {"--act", "A", "relu", "conditioner activation: relu, tanh or silu"},
        {"--scale", "S", "tanh", "scale map: tanh (s = c·tanh(s̃/c), bounded) or exp (s = s̃)"},
        {"--clamp", "C", "2", "c in the tanh scale map"},
        {"--proxy", "P", "ebm", "proxy q for jeffreys/penalty: ebm (energy-based) or flow"},
        {"--proxy-lr", "LR", "1e-3", "Adam learning rate of the proxy"},
        {"--proxy-layers", "K", "8", "flow proxy: coupling layers"},
        {"--proxy-hidden", "H", "64", "flow proxy: conditioner width"},
        {"--proxy-depth", "L", "2", "flow proxy: conditioner hidden layers"},
        {"--proxy-act", "A", "relu", "flow proxy: conditioner activation"},
        {"--ebm-hidden", "H", "64", "EBM proxy: width of f_ψ"},
        {"--ebm-depth", "L", "2", "EBM proxy: hidden layers of f_ψ"},
        {"--ebm-act", "A", "silu", "EBM proxy: activation of f_ψ"},
        {"--ebm-sigma0", "S", "auto", "EBM proxy: σ₀ of the ‖x‖²/(2σ₀²) term; auto = 3 × the data's RMS std"},
        {"--eps", "E", "auto", "ε, the proxy's allowed NLL on the data; auto = kNN entropy of the training set + --eps-margin"},
        {"--eps-margin", "D", "0", "added to the kNN entropy when --eps auto (nats)"},
        {"--alpha", "A", "1", "α, cost of the slack (α/2)u²; inf = hard constraint"},
        {"--dual-lr", "ETA", "0.01", "η_λ, step size of the dual ascent on λ"},
        {"--slack-lr", "ETA", "0.01", "η_u, step size of the slack descent on u"},
        {"--lambda0", "L", "1", "λ at step 0; the fixed weight of --method penalty"},
        {"--n-critic", "N", "5", "wgan: critic updates per generator update"},
        {"--gp", "G", "1", "wgan: γ, weight of the gradient penalty (0 = off)"},
        {"--weight-clip", "C", "0", "wgan: clip every critic weight to [-C, C] after each update (0 = off)"},
        {"--critic-hidden", "H", "64", "wgan: critic width"},
        {"--critic-depth", "L", "3", "wgan: critic hidden layers"},
        {"--critic-act", "A", "relu", "wgan: critic activation"},
        {"--critic-lr", "LR", "1e-4", "wgan: Adam learning rate of the critic"},
        {"--critic-beta1", "B1", "0.5", "wgan: Adam β₁ of the critic"},
        {"--critic-beta2", "B2", "0.9", "wgan: Adam β₂ of the critic"},
        {"--on-nonfinite", "P", "stop", "a NaN/Inf loss, gradient, λ or log-weight: stop (exit 3, keep the last good checkpoint) or skip the step"},
        {"--threads", "T", "0", "OpenMP threads (0 = all cores); results do not depend on it"},
        {"--log-every", "N", "100", "evaluate, log and checkpoint every N steps"},
        {"--n-eval", "N", "10000", "model samples for the reverse KL (and the EBM's log Z in checkpoints)"},
        {"--no-figures", nullptr, "", "do not draw the run's figures (density.png, samples.svg, nll.svg, ...)"},
        {"--quiet", nullptr, "", "no progress on stderr"},
    };
}

static void read_act(const Args& a, const char* flag, Act* out) {
    if (!act_from_name(a.str(flag), out)) a.fail(flag, "must be relu, tanh or silu, got '" + a.str(flag) + "'");
}

void read_training_options(const Args& a, RunSettings& s) {
    s.data.data = a.str("--data");
    if (a.has("--n-train")) s.data.n_train = a.integer("--n-train", 2, 100000000);
    s.data.n_test = a.integer("--n-test", 2, 100000000);
    s.data.test_frac = a.real("--test-frac", 0.0, 0.9);
    s.steps = a.integer("--steps", 0, 1000000000);
    TrainerConfig& t = s.trainer;
    t.batch = (int)a.integer("--batch", 1, 1000000);
    t.samples = (int)a.integer("--samples", 2, 1000000);
    // "auto" is resolved per method in run_training (NaN until then)
    t.adam.lr = a.str("--lr") == "auto" ? NAN : a.real("--lr", 0.0, 10.0);
    t.adam.beta1 = t.proxy_adam.beta1 = a.str("--beta1") == "auto" ? NAN : a.real("--beta1", 0.0, 0.999999);
    t.adam.beta2 = t.proxy_adam.beta2 = a.str("--beta2") == "auto" ? NAN : a.real("--beta2", 0.0, 0.999999999);
    t.proxy_adam.lr = a.real("--proxy-lr", 0.0, 10.0);
    t.clip = a.real("--clip", 0.0, 1e12);
    s.flow.layers = (int)a.integer("--layers", 1, 1000);
    s.flow.hidden = (int)a.integer("--hidden", 1, 100000);
    s.flow.depth = (int)a.integer("--depth", 1, 100);
    read_act(a, "--act", &s.flow.act);
    if (!scale_from_name(a.str("--scale"), &s.flow.scale)) a.fail("--scale", "must be tanh or exp, got '" + a.str("--scale") + "'");
    s.flow.clamp = a.real("--clamp", 1e-6, 1e6);
    if (!proxy_kind_from_name(a.str("--proxy"), &s.proxy_kind)) a.fail("--proxy", "must be ebm or flow, got '" + a.str("--proxy") + "'");
    s.proxy_flow = s.flow;
    s.proxy_flow.layers = (int)a.integer("--proxy-layers", 1, 1000);
    s.proxy_flow.hidden = (int)a.integer("--proxy-hidden", 1, 100000);
    s.proxy_flow.depth = (int)a.integer("--proxy-depth", 1, 100);
    read_act(a, "--proxy-act", &s.proxy_flow.act);
    s.ebm.hidden = (int)a.integer("--ebm-hidden", 1, 100000);
    s.ebm.depth = (int)a.integer("--ebm-depth", 1, 100);
    read_act(a, "--ebm-act", &s.ebm.act);
    s.ebm.sigma0 = a.str("--ebm-sigma0") == "auto" ? 0.0 : a.real("--ebm-sigma0", 1e-6, 1e6);
    s.eps_auto = a.str("--eps") == "auto";
    if (!s.eps_auto) t.dual.eps = a.real("--eps", -1e6, 1e6);
    s.eps_margin = a.real("--eps-margin", -1e3, 1e3);
    t.dual.alpha = a.str("--alpha") == "inf" ? INFINITY : a.real("--alpha", 0.0, 1e12);
    t.dual.dual_lr = a.real("--dual-lr", 0.0, 1e6);
    t.dual.slack_lr = a.real("--slack-lr", 0.0, 1e6);
    t.dual.lambda0 = a.real("--lambda0", 0.0, 1e12);
    WganConfig& w = t.wgan;
    w.n_critic = (int)a.integer("--n-critic", 1, 1000);
    w.gp = a.real("--gp", 0.0, 1e9);
    w.clip = a.real("--weight-clip", 0.0, 1e9);
    w.critic_adam.lr = a.real("--critic-lr", 0.0, 10.0);
    w.critic_adam.beta1 = a.real("--critic-beta1", 0.0, 0.999999);
    w.critic_adam.beta2 = a.real("--critic-beta2", 0.0, 0.999999999);
    s.critic.hidden = (int)a.integer("--critic-hidden", 1, 100000);
    s.critic.depth = (int)a.integer("--critic-depth", 1, 100);
    read_act(a, "--critic-act", &s.critic.act);
    const std::string nf = a.str("--on-nonfinite");
    if (nf != "stop" && nf != "skip") a.fail("--on-nonfinite", "must be stop or skip, got '" + nf + "'");
    s.skip_nonfinite = nf == "skip";
    s.threads = a.integer("--threads", 0, 4096);
    s.log_every = a.integer("--log-every", 1, 1000000000);
    s.n_eval = a.integer("--n-eval", 1, 100000000);
    s.quiet = a.on("--quiet");
    s.figures = !a.on("--no-figures");
}

static bool uses_proxy(const RunSettings& s) {
    return s.trainer.method == Method::jeffreys || s.trainer.method == Method::penalty;
}

// The optimiser defaults that depend on the method: the customary WGAN-GP values for wgan.
static void resolve_auto(TrainerConfig& t) {
    const bool gan = t.method == Method::wgan;
    if (std::isnan(t.adam.lr)) t.adam.lr = gan ? 1e-4 : 1e-3;
    if (std::isnan(t.adam.beta1)) t.adam.beta1 = t.proxy_adam.beta1 = gan ? 0.5 : 0.9;
    if (std::isnan(t.adam.beta2)) t.adam.beta2 = t.proxy_adam.beta2 = gan ? 0.9 : 0.999;
}

static Json flow_json(const FlowConfig& f) {
    Json j = Json::make_object();
    j.set("layers", Json::make_number(f.layers));
    j.set("hidden", Json::make_number(f.hidden));
    j.set("depth", Json::make_number(f.depth));
    j.set("act", Json::make_string(act_name(f.act)));
    j.set("scale", Json::make_string(scale_name(f.scale)));
    j.set("clamp", Json::make_number(f.clamp));
    return j;
}

static Json settings_json(const RunSettings& s, const Dataset& d, const RunResult& r) {
    Json j = Json::make_object();
    auto num = [](double v) { return Json::make_number(v); };
    auto str = [](const std::string& v) { return Json::make_string(v); };
    const TrainerConfig& t = s.trainer;
    j.set("command", str("train"));
    j.set("data", str(s.data.data));
    j.set("method", str(method_name(t.method)));
    j.set("dim", num(d.train.cols));
    j.set("n_train", num(d.train.rows));
    j.set("n_test", num(d.test.rows));
    j.set("test_frac", num(d.is_toy ? 0.0 : s.data.test_frac));
    j.set("steps", num((double)s.steps));
    j.set("batch", num(t.batch));
    j.set("lr", num(t.adam.lr));
    j.set("beta1", num(t.adam.beta1));
    j.set("beta2", num(t.adam.beta2));
    j.set("clip", num(t.clip));
    j.set("flow", flow_json(s.flow));
    if (uses_proxy(s) || t.method == Method::wgan) j.set("samples", num(t.samples));
    if (uses_proxy(s)) {
        j.set("proxy", str(proxy_kind_name(s.proxy_kind)));
        j.set("proxy_lr", num(t.proxy_adam.lr));
        if (s.proxy_kind == ProxyKind::flow) {
            j.set("proxy_flow", flow_json(s.proxy_flow));
        } else {
            Json e = Json::make_object();
            e.set("hidden", num(s.ebm.hidden));
            e.set("depth", num(s.ebm.depth));
            e.set("act", str(act_name(s.ebm.act)));
            e.set("sigma0", num(r.sigma0));
            e.set("sigma0_auto", Json::make_bool(s.ebm.sigma0 <= 0));
            j.set("ebm", e);
        }
        j.set("eps", num(r.eps));
        j.set("eps_auto", Json::make_bool(s.eps_auto));
        j.set("eps_margin", num(s.eps_margin));
        j.set("alpha", std::isinf(t.dual.alpha) ? str("inf") : num(t.dual.alpha));
        j.set("dual_lr", num(t.dual.dual_lr));
        j.set("slack_lr", num(t.dual.slack_lr));
        j.set("lambda0", num(t.dual.lambda0));
    }
    if (t.method == Method::wgan) {
        Json w = Json::make_object();
        w.set("n_critic", num(t.wgan.n_critic));
        w.set("gp", num(t.wgan.gp));
        w.set("weight_clip", num(t.wgan.clip));
        w.set("critic_hidden", num(s.critic.hidden));
        w.set("critic_depth", num(s.critic.depth));
        w.set("critic_act", str(act_name(s.critic.act)));
        w.set("critic_lr", num(t.wgan.critic_adam.lr));
        w.set("critic_beta1", num(t.wgan.critic_adam.beta1));
        w.set("critic_beta2", num(t.wgan.critic_adam.beta2));
        j.set("wgan", w);
    }
    j.set("on_nonfinite", str(s.skip_nonfinite ? "skip" : "stop"));
    j.set("seed", num((double)s.seed));
    j.set("threads", num((double)s.threads));
    j.set("log_every", num((double)s.log_every));
    j.set("n_eval", num((double)s.n_eval));
    j.set("real", str(SYMKL_REAL_NAME));
    return j;
}

// Training settings recorded next to the weights (not the thread count: the file
// must not depend on it).
static Metadata training_metadata(const RunSettings& s, const Dataset& d, long step) {
    return {{"role", "main"},
            {"data", s.data.data},
            {"method", method_name(s.trainer.method)},
            {"n_train", std::to_string(d.train.rows)},
            {"seed", std::to_string(s.seed)},
            {"step", std::to_string(step)}};
}

static const char* METRICS_HEADER =
    "step,loss,train_nll,test_nll,fwd_kl,rev_kl,jeffreys,grad_norm,lambda,u,proxy_nll,rev_kl_proxy,ess,"
    "critic_loss,wasserstein_estimate,gp,skipped\n";

// Means of the per-step values since the last logged row.
struct Running {
    double F = 0, R = 0, G = 0, ess = 0, critic = 0, was = 0, gp = 0;
    long n = 0;
    void add(const StepResult& r) {
        F += r.F, R += r.R, G += r.G, ess += r.ess, critic += r.critic_loss, was += r.wasserstein, gp += r.gp, n++;
    }
    double mean(double v) const { return n ? v / n : NAN; }
};

static std::string metrics_row(long step, const Running& run, const Metrics& m, double gnorm, double lambda,
                               double u, long skipped) {
    std::string r = std::to_string(step);
    for (double v : {run.mean(run.F), m.train_nll, m.test_nll, m.fwd_kl, m.rev_kl, m.jeffreys, gnorm, lambda, u,
                     run.mean(run.G), run.mean(run.R), run.mean(run.ess), run.mean(run.critic), run.mean(run.was),
                     run.mean(run.gp)})
        r += "," + csv_format(v);
    return r + "," + std::to_string(skipped) + "\n";
}

static double rms_std(const Tensor& x) {
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

RunResult run_training(RunSettings s) {
    set_threads(s.threads);
    resolve_auto(s.trainer);
    RunResult res;
    const Dataset d = load_dataset(s.data, s.seed, "symkl train");
    const int D = d.train.cols;
    s.flow.dim = s.proxy_flow.dim = s.ebm.dim = D;
    const bool with_proxy = uses_proxy(s);

    Rng master(s.seed);
    Rng init_rng = master.split(), batch_rng = master.split(), eval_rng = master.split(), proxy_rng = master.split();
    Flow flow;
    flow_build(flow, s.flow);
    flow_init(flow, init_rng);
    Proxy proxy;
    proxy.kind = s.proxy_kind;
    if (with_proxy) {
        if (proxy.kind == ProxyKind::flow) {
            flow_build(proxy.flow, s.proxy_flow);
            flow_init(proxy.flow, proxy_rng);
        } else {
            if (s.ebm.sigma0 <= 0) s.ebm.sigma0 = 3.0 * rms_std(d.train);
            ebm_build(proxy.ebm, s.ebm);
            ebm_init(proxy.ebm, proxy_rng);
        }
        if (s.eps_auto) s.trainer.dual.eps = knn_entropy(d.train) + s.eps_margin;
        res.eps = s.trainer.dual.eps;
        res.sigma0 = s.ebm.sigma0;
    }
    Critic critic;
    if (s.trainer.method == Method::wgan) {
        wgan_config_check(s.trainer.wgan);
        s.critic.dim = D;
        critic_build(critic, s.critic);
        critic_init(critic, proxy_rng);
    }
    Trainer t;
    trainer_init(t, s.trainer, flow, with_proxy ? &proxy : nullptr, &critic);
    FlowCache eval_cache;
    flow_cache_init(eval_cache, flow, 1024);
    EBMCache eval_ebm;
    if (with_proxy && proxy.kind == ProxyKind::ebm) ebm_cache_init(eval_ebm, proxy.ebm, 1024);
    EvalSet ev;
    eval_set_init(ev, d.test, d.is_toy ? &d.toy : nullptr, (int)s.n_eval, eval_rng);
    Tensor z_logz((int)s.n_eval, D);  // base draws for the EBM's log Z in checkpoints
    for (Real& v : z_logz.data) v = (Real)eval_rng.normal();

    make_dirs(s.out);
    const std::string metrics_path = s.out + "/metrics.csv", model_path = s.out + "/model.safetensors",
                      proxy_path = s.out + "/proxy.safetensors";
    write_file_atomic(s.out + "/config.json", json_write(settings_json(s, d, res), JsonStyle::Pretty) + "\n");
    std::string metrics = METRICS_HEADER;

    Progress progress;
    progress.begin(s.steps, s.quiet);
    Running run;
    double gnorm = NAN;
    long last_good = -1;
    res.best.test_nll = INFINITY;
    for (long step = 0;; step++) {
        if (step % s.log_every == 0 || step == s.steps) {
            Metrics m;
            evaluate(m, flow, eval_cache, d.train, ev);
            metrics += metrics_row(step, run, m, gnorm, with_proxy ? t.lambda : NAN,
                                   s.trainer.method == Method::jeffreys ? t.u : NAN, res.skipped);
            run = Running{};
            write_file_atomic(metrics_path, metrics);
            save_flow(model_path, flow, training_metadata(s, d, step));
            if (with_proxy) {
                Metadata meta = training_metadata(s, d, step);
                meta[0].second = "proxy";
                if (proxy.kind == ProxyKind::flow) {
                    save_flow(proxy_path, proxy.flow, meta);
                } else {
                    const LogZ lz = ebm_log_z(proxy.ebm, eval_ebm, flow, eval_cache, z_logz);
                    meta.push_back({"log_z", csv_format(lz.log_z)});
                    meta.push_back({"log_z_ess", csv_format(lz.ess)});
                    meta.push_back({"log_z_samples", std::to_string(z_logz.rows)});
                    if (std::isfinite(lz.log_z)) save_ebm(proxy_path, proxy.ebm, meta);
                }
            }
            last_good = step;
            res.last = m;
            if (m.test_nll < res.best.test_nll) res.best = m, res.best_step = step;
        }
        if (step == s.steps) break;
        const StepResult r = train_step(t, d.train, batch_rng);
        if (r.bad) {
            if (s.skip_nonfinite) {
                res.skipped++;
                continue;
            }
            progress.end();
            char buf[512];
            std::snprintf(buf, sizeof buf,
                          "training stopped at step %ld: %s is not finite; %s holds the last good model (step %ld); "
                          "try a smaller --lr, --clip 10, or --on-nonfinite skip",
                          step + 1, r.bad, model_path.c_str(), last_good);
            res.error = buf;
            res.exit_code = 3;
            break;
        }
        run.add(r);
        gnorm = r.grad_norm;
        char text[96];
        if (s.trainer.method == Method::wgan)
            std::snprintf(text, sizeof text, "critic %.3f  W %.3f  gp %.3f", r.critic_loss, r.wasserstein, r.gp);
        else if (with_proxy) std::snprintf(text, sizeof text, "F %.3f  G %.3f  lambda %.3f", r.F, r.G, t.lambda);
        else std::snprintf(text, sizeof text, "loss %.4f", r.F);
        progress.update(step + 1, s.label + text);
    }
    progress.end();
    res.lambda = with_proxy ? t.lambda : NAN;
    res.u = t.u;
    // Figures (docs/figures.md). Their own stream, split after the others, so drawing
    // them changes no number of the run; a failure to draw is a warning, not an error.
    if (s.figures) {
        Rng plot_rng = master.split();
        try {
            if (D == 2 && res.exit_code == 0) {
                density_heatmap(s.out + "/density.png", flow, d.train, 256, 256);
                samples_scatter(s.out + "/samples.svg", flow, d.train, 2000, plot_rng);
            }
            learning_curves(s.out, {RunGroup{"", {read_metrics(metrics_path)}}});
        } catch (const symkl::Error& e) {
            std::fprintf(stderr, "symkl: warning: figures not drawn: %s\n", e.what());
        }
    }
    return res;
}

void print_metrics(const char* label, const Metrics& m) {
    std::printf("%-18s train NLL %7.4f   test NLL %7.4f", label, m.train_nll, m.test_nll);
    if (std::isfinite(m.fwd_kl)) std::printf("   fwd KL %.4f", m.fwd_kl);
    if (std::isfinite(m.rev_kl)) std::printf("   rev KL %.4f   Jeffreys %.4f", m.rev_kl, m.jeffreys);
    std::printf("\n");
}

// config.json key (dotted for nested objects) → the training option that sets it.
// Keys that record what a run computed rather than what it was asked for are skipped.
static const char* const CONFIG_FLAGS[][2] = {
    {"data", "--data"}, {"method", "--method"}, {"n_train", "--n-train"}, {"n_test", "--n-test"},
    {"test_frac", "--test-frac"}, {"steps", "--steps"}, {"batch", "--batch"}, {"samples", "--samples"},
    {"lr", "--lr"}, {"beta1", "--beta1"}, {"beta2", "--beta2"}, {"clip", "--clip"},
    {"flow.layers", "--layers"}, {"flow.hidden", "--hidden"}, {"flow.depth", "--depth"}, {"flow.act", "--act"},
    {"flow.scale", "--scale"}, {"flow.clamp", "--clamp"}, {"proxy", "--proxy"}, {"proxy_lr", "--proxy-lr"},
    {"proxy_flow.layers", "--proxy-layers"}, {"proxy_flow.hidden", "--proxy-hidden"},
    {"proxy_flow.depth", "--proxy-depth"}, {"proxy_flow.act", "--proxy-act"}, {"ebm.hidden", "--ebm-hidden"},
    {"ebm.depth", "--ebm-depth"}, {"ebm.act", "--ebm-act"}, {"ebm.sigma0", "--ebm-sigma0"}, {"eps", "--eps"},
    {"eps_margin", "--eps-margin"}, {"alpha", "--alpha"}, {"dual_lr", "--dual-lr"}, {"slack_lr", "--slack-lr"},
    {"lambda0", "--lambda0"}, {"wgan.n_critic", "--n-critic"}, {"wgan.gp", "--gp"},
    {"wgan.weight_clip", "--weight-clip"}, {"wgan.critic_hidden", "--critic-hidden"},
    {"wgan.critic_depth", "--critic-depth"}, {"wgan.critic_act", "--critic-act"}, {"wgan.critic_lr", "--critic-lr"},
    {"wgan.critic_beta1", "--critic-beta1"}, {"wgan.critic_beta2", "--critic-beta2"},
    {"on_nonfinite", "--on-nonfinite"}, {"seed", "--seed"}, {"log_every", "--log-every"}, {"n_eval", "--n-eval"},
};
static const char* const CONFIG_RECORDS[] = {"command", "dim", "threads", "real", "eps_auto", "ebm.sigma0_auto",
                                             "proxy_flow.scale", "proxy_flow.clamp"};

// A double as the shortest of %.15g / %.17g that reads back to the same double.
static std::string exact_text(double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

void apply_config(Args& a, const std::string& path) {
    const Json cfg = json_parse(read_file(path), path);
    if (!cfg.is_object()) throw symkl::Error(path + ": expected a JSON object (a run's config.json)");
    auto bad = [&](const std::string& key, const std::string& what) {
        throw symkl::Error(path + ": setting '" + key + "' " + what + " (is this a config.json written by symkl train?)");
    };
    auto flag_of = [](const std::string& key) -> const char* {
        for (const auto& kv : CONFIG_FLAGS)
            if (key == kv[0]) return kv[1];
        return nullptr;
    };
    auto is_record = [](const std::string& key) {
        for (const char* r : CONFIG_RECORDS)
            if (key == r) return true;
        return false;
    };
    const Json* eps_auto = cfg.find("eps_auto");
    const Json* ebm = cfg.find("ebm");
    const Json* sigma_auto = ebm && ebm->is_object() ? ebm->find("sigma0_auto") : nullptr;
    const Json* data = cfg.find("data");
    Toy toy;
    const bool is_toy = data && data->is_string() && toy_from_name(data->string, &toy);
    auto set = [&](const std::string& key, const Json& v) {
        if (is_record(key)) return;
        const char* flag = flag_of(key);
        if (!flag) bad(key, "is not a training setting");
        // what the run computed from an automatic setting is recorded, not replayed
        if (key == "eps" && (!eps_auto || !eps_auto->is_bool() || eps_auto->boolean)) return;
        if (key == "ebm.sigma0" && (!sigma_auto || !sigma_auto->is_bool() || sigma_auto->boolean)) return;
        if ((key == "n_train" && !is_toy) || (key == "test_frac" && is_toy)) return;
        if (a.has(flag)) return;  // the command line wins
        std::string text;
        if (v.is_string()) text = v.string;
        else if (v.is_number()) text = exact_text(v.number);
        else bad(key, std::string("is a JSON ") + json_type_name(v.type) + ", expected a number or a string");
        a.values[flag] = text;
        a.given[flag] = true;
    };
    for (size_t i = 0; i < cfg.keys.size(); i++) {
        const Json& v = cfg.items[i];
        if (v.is_object()) {
            for (size_t k = 0; k < v.keys.size(); k++) set(cfg.keys[i] + "." + v.keys[k], v.items[k]);
        } else {
            set(cfg.keys[i], v);
        }
    }
    const Json* real = cfg.find("real");
    if (real && real->is_string() && real->string != SYMKL_REAL_NAME)
        std::fprintf(stderr, "symkl: warning: %s was written by a %s build, this is a %s build: the numbers will differ\n",
                     path.c_str(), real->string.c_str(), SYMKL_REAL_NAME);
}
