// options.cpp — the option table of a training run, and the code it drives: parsing,
// validation, --help rows, and config.json out and back in.
#include "app/options.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "io/file.h"
#include "io/text.h"
#include "tensor/error.h"

std::string exact_text(double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

Json seed_to_json(uint64_t seed) { return Json::make_uint64(seed); }

bool seed_from_json(const Json& v, uint64_t* out) {
    if (v.get_uint64(out)) return true;  // an integer token, read exactly
    if (v.is_number()) {  // a number written in another form ("7.0", "1e3"): exact only up to 2^53
        if (!(v.number >= 0 && v.number <= 9007199254740992.0 && v.number == std::floor(v.number))) return false;
        *out = (uint64_t)v.number;
        return true;
    }
    if (!v.is_string() || v.string.empty() || v.string.size() > 20) return false;
    for (char c : v.string)
        if (c < '0' || c > '9') return false;
    errno = 0;
    const unsigned long long n = std::strtoull(v.string.c_str(), nullptr, 10);
    if (errno != 0) return false;
    *out = (uint64_t)n;
    return true;
}

namespace {

enum class Kind { integer, real, choice, text, seed, toggle };
enum class Scope { shared, train };  // train: `symkl train` only (--method, --seed)

// A validated option value.
struct Value {
    std::string text;
    double num = 0;
    long integer = 0;
    uint64_t seed = 0;
    bool is_auto = false;
};

struct Option {
    const char* flag;
    const char* metavar;  // nullptr: a switch
    const char* def;      // default ("" = none)
    const char* help;
    const char* key;      // config.json key, dotted for nested objects; nullptr: not recorded
    Kind kind;
    double lo, hi;        // integer, real: the range
    const char* words;    // choice: "relu|tanh|silu"; integer, real: words allowed besides numbers
    void (*set)(RunSettings&, const Value&);
    std::string (*get)(const RunSettings&);   // the setting as the flag's text ("auto" when automatic)
    bool (*when)(const RunSettings&);         // recorded for this run (nullptr: always)
    double (*used)(const RunFacts&);          // automatic settings: the value taken
    Scope scope;
    bool replay;          // false: recorded for the reader, not set by --config (threads)
};

std::string num(double v) { return std::isinf(v) ? "inf" : exact_text(v); }
std::string opt(const std::optional<double>& v) { return v ? num(*v) : "auto"; }
std::optional<double> opt_of(const Value& v) { return v.is_auto ? std::nullopt : std::optional<double>(v.num); }
Act act_of(const Value& v) {
    Act a = Act::relu;
    act_from_name(v.text, &a);
    return a;
}
bool proxy_on(const RunSettings& s) { return uses_proxy(s.trainer.method); }
bool ebm_on(const RunSettings& s) { return proxy_on(s) && s.proxy_kind == ProxyKind::ebm; }
bool flow_proxy_on(const RunSettings& s) { return proxy_on(s) && s.proxy_kind == ProxyKind::flow; }
bool wgan_on(const RunSettings& s) { return s.trainer.method == Method::wgan; }
bool toy_on(const RunSettings& s) { return is_toy_name(s.data.data); }
bool csv_on(const RunSettings& s) { return !is_toy_name(s.data.data); }
bool flow_on(const RunSettings& s) { return !is_baseline(s.trainer.method); }
bool select_on(const RunSettings& s) { return flow_on(s) && resolved_val_frac(s) > 0; }
// The keys a baseline (gaussian, kde) records: it has no flow, steps or optimiser.
bool baseline_key(const char* key) {
    for (const char* k : {"method", "data", "n_train", "n_test", "test_frac", "val_frac", "columns", "dequantize", "seed", "threads"})
        if (std::strcmp(key, k) == 0) return true;
    return false;
}

using S = RunSettings;
using V = Value;
const Kind INT = Kind::integer, REAL = Kind::real, CHOICE = Kind::choice;
const char* const ACTS = "relu|tanh|silu";

// clang-format off
const Option TABLE[] = {
    {"--method", "M", "mle", "mle, jeffreys (the adaptive method), penalty, wgan, or the baselines gaussian and kde", "method", CHOICE, 0, 0,
     "mle|jeffreys|penalty|wgan|gaussian|kde",
     [](S& s, const V& v) { method_from_name(v.text, &s.trainer.method); }, [](const S& s) -> std::string { return method_name(s.trainer.method); },
     nullptr, nullptr, Scope::train, true},
    {"--data", "NAME|FILE", "8gaussians", "data set (8gaussians, moons, circles, rings, checkerboard, pinwheel, swissroll, 2spirals) or a CSV file",
     "data", Kind::text, 0, 0, nullptr,
     [](S& s, const V& v) { s.data.data = v.text; }, [](const S& s) { return s.data.data; }, nullptr, nullptr, Scope::shared, true},
    {"--n-train", "N", "auto", "training points; auto = 200 for generated data, every row not held out for a CSV", "n_train", INT, 2, 1e8, "auto",
     [](S& s, const V& v) { s.data.n_train = v.is_auto ? 0 : v.integer; },
     [](const S& s) { return s.data.n_train > 0 ? std::to_string(s.data.n_train) : std::string("auto"); },
     nullptr, [](const RunFacts& f) { return (double)f.n_train; }, Scope::shared, true},
    {"--n-test", "N", "10000", "test points drawn for generated data", "n_test", INT, 2, 1e8, nullptr,
     [](S& s, const V& v) { s.data.n_test = v.integer; }, [](const S& s) { return std::to_string(s.data.n_test); }, toy_on, nullptr, Scope::shared, true},
    {"--test-frac", "F", "0.2", "fraction of CSV rows held out for testing (0: none, and no test NLL: metrics.csv's test_nll is nan)", "test_frac", REAL, 0, 0.9, nullptr,
     [](S& s, const V& v) { s.data.test_frac = v.num; }, [](const S& s) { return num(s.data.test_frac); }, csv_on, nullptr, Scope::shared, true},
    {"--columns", "LIST", "all", "CSV columns to use: names, numbers from 1 or ranges A-B, comma-separated; '-NAME' leaves one out (-label: all but label)",
     "columns", Kind::text, 0, 0, nullptr,
     [](S& s, const V& v) { s.data.columns = v.text; }, [](const S& s) { return s.data.columns; }, csv_on, nullptr, Scope::shared, true},
    {"--standardize", "MODE", "auto", "standardise each column (mean and std of the training rows) as the model's fixed first map: on, off, or auto (on for a CSV file, off for generated data)",
     "standardize", CHOICE, 0, 0, "auto|on|off",
     [](S& s, const V& v) { s.standardize = v.text; }, [](const S& s) { return s.standardize; }, nullptr, nullptr, Scope::shared, true},
    {"--dequantize", "MODE", "auto", "add U(0,1) noise to integer-valued columns: on (every integer column), off, or auto (a CSV's columns of integers with at most 20 distinct values)",
     "dequantize", CHOICE, 0, 0, "auto|on|off",
     [](S& s, const V& v) { s.dequantize = v.text; }, [](const S& s) { return s.dequantize; }, nullptr, nullptr, Scope::shared, true},
    {"--val-frac", "F", "auto", "fraction of the training rows held out for validation (model selection, early stopping); auto = 0.1 for a CSV, 0 for generated data",
     "val_frac", REAL, 0, 0.9, "auto",
     [](S& s, const V& v) { s.val_frac = opt_of(v); }, [](const S& s) { return opt(s.val_frac); }, nullptr,
     [](const RunFacts& f) { return f.val_frac; }, Scope::shared, true},
    {"--val-every", "N", "auto", "steps between validations; auto = --log-every", "val_every", INT, 1, 1e9, "auto",
     [](S& s, const V& v) { s.val_every = v.is_auto ? 0 : v.integer; },
     [](const S& s) { return s.val_every > 0 ? std::to_string(s.val_every) : std::string("auto"); }, select_on,
     [](const RunFacts& f) { return (double)f.val_every; }, Scope::shared, true},
    {"--patience", "N", "20", "stop after N validations in a row without a new lowest validation NLL (0 = never stop early)",
     "patience", INT, 0, 1e9, nullptr,
     [](S& s, const V& v) { s.patience = v.integer; }, [](const S& s) { return std::to_string(s.patience); }, select_on, nullptr,
     Scope::shared, true},
    {"--steps", "S", "2000", "optimisation steps", "steps", INT, 0, 1e9, nullptr,
     [](S& s, const V& v) { s.steps = v.integer; }, [](const S& s) { return std::to_string(s.steps); }, nullptr, nullptr, Scope::shared, true},
    {"--batch", "B", "256", "data minibatch size (drawn with replacement from the training set)", "batch", INT, 1, 1e6, nullptr,
     [](S& s, const V& v) { s.trainer.batch = (int)v.integer; }, [](const S& s) { return std::to_string(s.trainer.batch); }, nullptr, nullptr, Scope::shared, true},
    {"--samples", "M", "256", "samples of p per step for the reverse KL and log Z (jeffreys, penalty; wgan: fakes per critic update)", "samples", INT, 2, 1e6, nullptr,
     [](S& s, const V& v) { s.trainer.samples = (int)v.integer; }, [](const S& s) { return std::to_string(s.trainer.samples); },
     [](const S& s) { return proxy_on(s) || wgan_on(s); }, nullptr, Scope::shared, true},
    {"--lr", "LR", "auto", "Adam learning rate of the main flow; auto = 1e-3 (1e-4 for wgan)", "lr", REAL, 0, 10, "auto",
     [](S& s, const V& v) { s.lr = opt_of(v); }, [](const S& s) { return opt(s.lr); }, nullptr, [](const RunFacts& f) { return f.resolved.lr; }, Scope::shared, true},
    {"--beta1", "B1", "auto", "Adam β₁ of the main flow and the proxy; auto = 0.9 (0.5 for wgan)", "beta1", REAL, 0, 0.999999, "auto",
     [](S& s, const V& v) { s.beta1 = opt_of(v); }, [](const S& s) { return opt(s.beta1); }, nullptr, [](const RunFacts& f) { return f.resolved.beta1; }, Scope::shared, true},
    {"--beta2", "B2", "auto", "Adam β₂ of the main flow and the proxy; auto = 0.999 (0.9 for wgan)", "beta2", REAL, 0, 0.999999999, "auto",
     [](S& s, const V& v) { s.beta2 = opt_of(v); }, [](const S& s) { return opt(s.beta2); }, nullptr, [](const RunFacts& f) { return f.resolved.beta2; }, Scope::shared, true},
    {"--clip", "C", "0", "clip each model's gradient norm to C (0 = no clipping)", "clip", REAL, 0, 1e12, nullptr,
     [](S& s, const V& v) { s.trainer.clip = v.num; }, [](const S& s) { return num(s.trainer.clip); }, nullptr, nullptr, Scope::shared, true},
    {"--layers", "K", "8", "coupling layers of the main flow", "flow.layers", INT, 1, 1000, nullptr,
     [](S& s, const V& v) { s.flow.layers = (int)v.integer; }, [](const S& s) { return std::to_string(s.flow.layers); }, nullptr, nullptr, Scope::shared, true},
    {"--hidden", "H", "64", "conditioner width", "flow.hidden", INT, 1, 1e5, nullptr,
     [](S& s, const V& v) { s.flow.hidden = (int)v.integer; }, [](const S& s) { return std::to_string(s.flow.hidden); }, nullptr, nullptr, Scope::shared, true},
    {"--depth", "L", "2", "conditioner hidden layers", "flow.depth", INT, 1, 100, nullptr,
     [](S& s, const V& v) { s.flow.depth = (int)v.integer; }, [](const S& s) { return std::to_string(s.flow.depth); }, nullptr, nullptr, Scope::shared, true},
    {"--act", "A", "relu", "conditioner activation: relu, tanh or silu", "flow.act", CHOICE, 0, 0, ACTS,
     [](S& s, const V& v) { s.flow.act = act_of(v); }, [](const S& s) -> std::string { return act_name(s.flow.act); }, nullptr, nullptr, Scope::shared, true},
    {"--scale", "S", "tanh", "scale map of both flows: tanh (s = c·tanh(s̃/c), bounded) or exp (s = s̃)", "flow.scale", CHOICE, 0, 0, "tanh|exp",
     [](S& s, const V& v) { scale_from_name(v.text, &s.flow.scale), s.proxy_flow.scale = s.flow.scale; },
     [](const S& s) -> std::string { return scale_name(s.flow.scale); }, nullptr, nullptr, Scope::shared, true},
    {"--clamp", "C", "2", "c in the tanh scale map (both flows)", "flow.clamp", REAL, 1e-6, 1e6, nullptr,
     [](S& s, const V& v) { s.flow.clamp = s.proxy_flow.clamp = v.num; }, [](const S& s) { return num(s.flow.clamp); }, nullptr, nullptr, Scope::shared, true},
    {"--proxy", "P", "ebm", "proxy q for jeffreys/penalty: ebm (energy-based) or flow", "proxy", CHOICE, 0, 0, "ebm|flow",
     [](S& s, const V& v) { proxy_kind_from_name(v.text, &s.proxy_kind); }, [](const S& s) -> std::string { return proxy_kind_name(s.proxy_kind); },
     proxy_on, nullptr, Scope::shared, true},
    {"--proxy-lr", "LR", "1e-3", "Adam learning rate of the proxy", "proxy_lr", REAL, 0, 10, nullptr,
     [](S& s, const V& v) { s.trainer.proxy_adam.lr = v.num; }, [](const S& s) { return num(s.trainer.proxy_adam.lr); }, proxy_on, nullptr, Scope::shared, true},
    {"--proxy-layers", "K", "8", "flow proxy: coupling layers", "proxy_flow.layers", INT, 1, 1000, nullptr,
     [](S& s, const V& v) { s.proxy_flow.layers = (int)v.integer; }, [](const S& s) { return std::to_string(s.proxy_flow.layers); }, flow_proxy_on, nullptr, Scope::shared, true},
    {"--proxy-hidden", "H", "64", "flow proxy: conditioner width", "proxy_flow.hidden", INT, 1, 1e5, nullptr,
     [](S& s, const V& v) { s.proxy_flow.hidden = (int)v.integer; }, [](const S& s) { return std::to_string(s.proxy_flow.hidden); }, flow_proxy_on, nullptr, Scope::shared, true},
    {"--proxy-depth", "L", "2", "flow proxy: conditioner hidden layers", "proxy_flow.depth", INT, 1, 100, nullptr,
     [](S& s, const V& v) { s.proxy_flow.depth = (int)v.integer; }, [](const S& s) { return std::to_string(s.proxy_flow.depth); }, flow_proxy_on, nullptr, Scope::shared, true},
    {"--proxy-act", "A", "relu", "flow proxy: conditioner activation", "proxy_flow.act", CHOICE, 0, 0, ACTS,
     [](S& s, const V& v) { s.proxy_flow.act = act_of(v); }, [](const S& s) -> std::string { return act_name(s.proxy_flow.act); }, flow_proxy_on, nullptr, Scope::shared, true},
    {"--ebm-hidden", "H", "64", "EBM proxy: width of f_ψ", "ebm.hidden", INT, 1, 1e5, nullptr,
     [](S& s, const V& v) { s.ebm.hidden = (int)v.integer; }, [](const S& s) { return std::to_string(s.ebm.hidden); }, ebm_on, nullptr, Scope::shared, true},
    {"--ebm-depth", "L", "2", "EBM proxy: hidden layers of f_ψ", "ebm.depth", INT, 1, 100, nullptr,
     [](S& s, const V& v) { s.ebm.depth = (int)v.integer; }, [](const S& s) { return std::to_string(s.ebm.depth); }, ebm_on, nullptr, Scope::shared, true},
    {"--ebm-act", "A", "silu", "EBM proxy: activation of f_ψ", "ebm.act", CHOICE, 0, 0, ACTS,
     [](S& s, const V& v) { s.ebm.act = act_of(v); }, [](const S& s) -> std::string { return act_name(s.ebm.act); }, ebm_on, nullptr, Scope::shared, true},
    {"--ebm-sigma0", "S", "auto", "EBM proxy: σ₀ of the base's quadratic term; auto = 3 × the data's RMS std (isotropic base) or 1 (gaussian base)", "ebm.sigma0", REAL, 1e-6, 1e6, "auto",
     [](S& s, const V& v) { s.sigma0 = opt_of(v); }, [](const S& s) { return opt(s.sigma0); }, ebm_on,
     [](const RunFacts& f) { return f.resolved.sigma0; }, Scope::shared, true},
    {"--ebm-base", "B", "auto", "EBM proxy: the base a new EBM is, isotropic N(0, σ₀² I) or gaussian N(μ, σ₀² Σ) (the training data's mean and shrunk covariance); auto = gaussian for 3 to 16 columns", "ebm.base", CHOICE, 0, 0, "auto|isotropic|gaussian",
     [](S& s, const V& v) { s.ebm_gaussian_base = v.text == "auto" ? std::nullopt : std::optional<bool>(v.text == "gaussian"); },
     [](const S& s) -> std::string { return !s.ebm_gaussian_base ? "auto" : *s.ebm_gaussian_base ? "gaussian" : "isotropic"; }, ebm_on, nullptr, Scope::shared, true},
    {"--eps", "E", "auto", "ε, the proxy's allowed NLL on the data; auto = kNN entropy of the training set (at most its Gaussian's NLL for 3 or more columns) + --eps-margin", "eps", REAL, -1e6, 1e6, "auto",
     [](S& s, const V& v) { s.eps = opt_of(v); }, [](const S& s) { return opt(s.eps); }, proxy_on, [](const RunFacts& f) { return f.resolved.eps; }, Scope::shared, true},
    {"--eps-margin", "D", "0", "added to the kNN entropy when --eps auto (nats)", "eps_margin", REAL, -1e3, 1e3, nullptr,
     [](S& s, const V& v) { s.eps_margin = v.num; }, [](const S& s) { return num(s.eps_margin); }, proxy_on, nullptr, Scope::shared, true},
    {"--alpha", "A", "1", "α, cost of the slack (α/2)u²; inf = hard constraint", "alpha", REAL, 0, 1e12, "inf",
     [](S& s, const V& v) { s.trainer.dual.alpha = v.num; }, [](const S& s) { return num(s.trainer.dual.alpha); }, proxy_on, nullptr, Scope::shared, true},
    {"--dual-lr", "ETA", "0.01", "η_λ, step size of the dual ascent on λ", "dual_lr", REAL, 0, 1e6, nullptr,
     [](S& s, const V& v) { s.trainer.dual.dual_lr = v.num; }, [](const S& s) { return num(s.trainer.dual.dual_lr); }, proxy_on, nullptr, Scope::shared, true},
    {"--slack-lr", "ETA", "0.01", "η_u, step size of the slack descent on u", "slack_lr", REAL, 0, 1e6, nullptr,
     [](S& s, const V& v) { s.trainer.dual.slack_lr = v.num; }, [](const S& s) { return num(s.trainer.dual.slack_lr); }, proxy_on, nullptr, Scope::shared, true},
    {"--lambda0", "L", "1", "λ at step 0; the fixed weight of --method penalty", "lambda0", REAL, 0, 1e12, nullptr,
     [](S& s, const V& v) { s.trainer.dual.lambda0 = v.num; }, [](const S& s) { return num(s.trainer.dual.lambda0); }, proxy_on, nullptr, Scope::shared, true},
    {"--n-critic", "N", "5", "wgan: critic updates per generator update", "wgan.n_critic", INT, 1, 1000, nullptr,
     [](S& s, const V& v) { s.trainer.wgan.n_critic = (int)v.integer; }, [](const S& s) { return std::to_string(s.trainer.wgan.n_critic); }, wgan_on, nullptr, Scope::shared, true},
    {"--gp", "G", "1", "wgan: γ, weight of the gradient penalty (0 = off)", "wgan.gp", REAL, 0, 1e9, nullptr,
     [](S& s, const V& v) { s.trainer.wgan.gp = v.num; }, [](const S& s) { return num(s.trainer.wgan.gp); }, wgan_on, nullptr, Scope::shared, true},
    {"--weight-clip", "C", "0", "wgan: clip every critic weight to [-C, C] after each update (0 = off)", "wgan.weight_clip", REAL, 0, 1e9, nullptr,
     [](S& s, const V& v) { s.trainer.wgan.clip = v.num; }, [](const S& s) { return num(s.trainer.wgan.clip); }, wgan_on, nullptr, Scope::shared, true},
    {"--critic-hidden", "H", "64", "wgan: critic width", "wgan.critic_hidden", INT, 1, 1e5, nullptr,
     [](S& s, const V& v) { s.critic.hidden = (int)v.integer; }, [](const S& s) { return std::to_string(s.critic.hidden); }, wgan_on, nullptr, Scope::shared, true},
    {"--critic-depth", "L", "3", "wgan: critic hidden layers", "wgan.critic_depth", INT, 1, 100, nullptr,
     [](S& s, const V& v) { s.critic.depth = (int)v.integer; }, [](const S& s) { return std::to_string(s.critic.depth); }, wgan_on, nullptr, Scope::shared, true},
    {"--critic-act", "A", "relu", "wgan: critic activation", "wgan.critic_act", CHOICE, 0, 0, ACTS,
     [](S& s, const V& v) { s.critic.act = act_of(v); }, [](const S& s) -> std::string { return act_name(s.critic.act); }, wgan_on, nullptr, Scope::shared, true},
    {"--critic-lr", "LR", "1e-4", "wgan: Adam learning rate of the critic", "wgan.critic_lr", REAL, 0, 10, nullptr,
     [](S& s, const V& v) { s.trainer.wgan.critic_adam.lr = v.num; }, [](const S& s) { return num(s.trainer.wgan.critic_adam.lr); }, wgan_on, nullptr, Scope::shared, true},
    {"--critic-beta1", "B1", "0.5", "wgan: Adam β₁ of the critic", "wgan.critic_beta1", REAL, 0, 0.999999, nullptr,
     [](S& s, const V& v) { s.trainer.wgan.critic_adam.beta1 = v.num; }, [](const S& s) { return num(s.trainer.wgan.critic_adam.beta1); }, wgan_on, nullptr, Scope::shared, true},
    {"--critic-beta2", "B2", "0.9", "wgan: Adam β₂ of the critic", "wgan.critic_beta2", REAL, 0, 0.999999999, nullptr,
     [](S& s, const V& v) { s.trainer.wgan.critic_adam.beta2 = v.num; }, [](const S& s) { return num(s.trainer.wgan.critic_adam.beta2); }, wgan_on, nullptr, Scope::shared, true},
    {"--on-nonfinite", "P", "stop", "a NaN/Inf loss, gradient, λ or log-weight: stop (exit 3, keep the last good checkpoint) or skip the step",
     "on_nonfinite", CHOICE, 0, 0, "stop|skip",
     [](S& s, const V& v) { s.skip_nonfinite = v.text == "skip"; }, [](const S& s) { return std::string(s.skip_nonfinite ? "skip" : "stop"); },
     nullptr, nullptr, Scope::shared, true},
    {"--threads", "T", "0", "OpenMP threads (0 = all cores); results do not depend on it", "threads", INT, 0, 4096, nullptr,
     [](S& s, const V& v) { s.threads = v.integer; }, [](const S& s) { return std::to_string(s.threads); }, nullptr, nullptr, Scope::shared, false},
    {"--log-every", "N", "100", "evaluate, log and checkpoint every N steps", "log_every", INT, 1, 1e9, nullptr,
     [](S& s, const V& v) { s.log_every = v.integer; }, [](const S& s) { return std::to_string(s.log_every); }, nullptr, nullptr, Scope::shared, true},
    {"--n-eval", "N", "10000", "model samples for the reverse KL (and the EBM's log Z in checkpoints)", "n_eval", INT, 1, 1e8, nullptr,
     [](S& s, const V& v) { s.n_eval = v.integer; }, [](const S& s) { return std::to_string(s.n_eval); }, nullptr, nullptr, Scope::shared, true},
    {"--seed", "S", "0", "random seed (data, initialisation, minibatches, evaluation), 0 to 2^64-1", "seed", Kind::seed, 0, 0, nullptr,
     [](S& s, const V& v) { s.seed = v.seed; }, [](const S& s) { return std::to_string(s.seed); }, nullptr, nullptr, Scope::train, true},
    {"--no-figures", nullptr, "", "do not draw the run's figures (density.png, samples.svg, nll.svg, ...)", nullptr, Kind::toggle, 0, 0, nullptr,
     [](S& s, const V&) { s.figures = false; }, nullptr, nullptr, nullptr, Scope::shared, false},
    {"--quiet", nullptr, "", "no progress on stderr", nullptr, Kind::toggle, 0, 0, nullptr,
     [](S& s, const V&) { s.quiet = true; }, nullptr, nullptr, nullptr, Scope::shared, false},
    {"--force", nullptr, "", "replace the files of another run in the output directory (see 'output directories' below)", nullptr,
     Kind::toggle, 0, 0, nullptr, [](S& s, const V&) { s.force = true; }, nullptr, nullptr, nullptr, Scope::shared, false},
};
// clang-format on

// Keys of config.json that record what a run was, not what to do; --config skips them.
// (proxy_flow.scale and .clamp: files of older versions; both flows share --scale and --clamp.)
const char* const RECORDS[] = {"command", "dim", "real", "proxy_flow.scale", "proxy_flow.clamp"};

bool has_word(const char* words, const std::string& w) {
    if (!words) return false;
    const std::string list = std::string("|") + words + "|";
    return list.find("|" + w + "|") != std::string::npos;
}

// "relu, tanh or silu"
std::string word_list(const char* words) {
    std::string s = words, out;
    size_t n = 0, b = 0;
    for (char c : s) n += c == '|';
    for (size_t i = 0; i <= n; i++) {
        const size_t e = s.find('|', b);
        out += (i == 0 ? "" : i == n ? " or " : ", ") + s.substr(b, e - b);
        b = e + 1;
    }
    return out;
}

// Validates text against the option's rule; on failure `why` says the rule ("must be ...").
bool parse_value(const Option& o, const std::string& t, Value& v, std::string& why) {
    v = Value{};
    v.text = t;
    if (o.kind == Kind::toggle) return true;
    const std::string or_words = o.words ? " or " + word_list(o.words) : "";
    if ((o.kind == Kind::integer || o.kind == Kind::real) && has_word(o.words, t)) {
        v.is_auto = t == "auto";
        v.num = t == "inf" ? INFINITY : 0;
        return true;
    }
    char* end = nullptr;
    errno = 0;
    switch (o.kind) {
        case Kind::integer: {
            v.integer = std::strtol(t.c_str(), &end, 10);
            if (!t.empty() && *end == '\0' && errno == 0 && v.integer >= o.lo && v.integer <= o.hi) return true;
            why = "must be an integer from " + std::to_string((long)o.lo) + " to " + std::to_string((long)o.hi) + or_words;
            break;
        }
        case Kind::real: {
            v.num = std::strtod(t.c_str(), &end);
            if (!t.empty() && *end == '\0' && std::isfinite(v.num) && v.num >= o.lo && v.num <= o.hi) return true;
            char buf[96];
            std::snprintf(buf, sizeof buf, "must be a number from %g to %g", o.lo, o.hi);
            why = buf + or_words;
            break;
        }
        case Kind::choice:
            if (has_word(o.words, t)) return true;
            why = "must be " + word_list(o.words);
            break;
        case Kind::seed: {
            Json j = Json::make_string(t);
            if (seed_from_json(j, &v.seed)) return true;
            why = "must be an integer from 0 to 18446744073709551615";
            break;
        }
        case Kind::text:
            if (!t.empty()) return true;
            why = "must not be empty";
            break;
        case Kind::toggle: break;
    }
    why += ", got '" + excerpt(t) + "'";
    return false;
}

std::vector<OptSpec> specs(bool train) {
    std::vector<OptSpec> v;
    for (const Option& o : TABLE)
        if (train || o.scope == Scope::shared) v.push_back({o.flag, o.metavar, o.def, o.help});
    return v;
}

void read(const Args& a, RunSettings& s, bool train) {
    for (const Option& o : TABLE) {
        if ((o.scope == Scope::train) != train) continue;
        if (o.kind == Kind::toggle) {
            if (a.on(o.flag)) o.set(s, Value{});
            continue;
        }
        Value v;
        std::string why;
        if (!parse_value(o, a.str(o.flag), v, why)) a.fail(o.flag, why);
        o.set(s, v);
    }
}

// Sets `key` (dotted: "flow.layers") in an object, creating the nested object.
void set_path(Json& j, const std::string& key, const Json& v) {
    const size_t dot = key.find('.');
    if (dot == std::string::npos) return j.set(key, v);
    const std::string head = key.substr(0, dot);
    Json sub = j.find(head) ? *j.find(head) : Json::make_object();
    set_path(sub, key.substr(dot + 1), v);
    j.set(head, sub);
}

void flatten(const Json& j, const std::string& prefix, std::vector<std::pair<std::string, const Json*>>& out) {
    for (size_t i = 0; i < j.keys.size(); i++) {
        const std::string key = prefix + j.keys[i];
        if (j.items[i].is_object()) flatten(j.items[i], key + ".", out);
        else out.push_back({key, &j.items[i]});
    }
}

}  // namespace

double resolved_val_frac(const RunSettings& s) { return s.val_frac ? *s.val_frac : is_toy_name(s.data.data) ? 0.0 : 0.1; }
long resolved_val_every(const RunSettings& s) { return s.val_every > 0 ? s.val_every : s.log_every; }

std::vector<OptSpec> training_options() { return specs(false); }
std::vector<OptSpec> train_options() { return specs(true); }
void read_training_options(const Args& a, RunSettings& s) { read(a, s, false); }
void read_run_options(const Args& a, RunSettings& s) { read(a, s, true); }

Json settings_json(const RunSettings& s, const RunFacts& f) {
    Json j = Json::make_object();
    j.set("command", Json::make_string("train"));
    for (const Option& o : TABLE) {
        if (!o.key || (o.when && !o.when(s))) continue;
        if (is_baseline(s.trainer.method) && !baseline_key(o.key)) continue;  // settings a baseline has not
        const std::string text = o.get(s);
        Json v;
        if (o.kind == Kind::seed) v = seed_to_json(s.seed);
        else if (o.used && text == "auto") v = Json::make_number(o.used(f));
        else if ((o.kind == Kind::integer || o.kind == Kind::real) && !has_word(o.words, text))
            v = Json::make_number(std::strtod(text.c_str(), nullptr));
        else v = Json::make_string(text);
        set_path(j, o.key, v);
        if (o.used) set_path(j, std::string(o.key) + "_auto", Json::make_bool(text == "auto"));
    }
    j.set("dim", Json::make_number((double)f.dim));
    j.set("real", Json::make_string(SYMKL_REAL_NAME));
    return j;
}

std::vector<std::pair<std::string, std::string>> config_items(const Json& cfg) {
    std::vector<std::pair<std::string, const Json*>> flat;
    flatten(cfg, "", flat);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& kv : flat) {
        const Json& v = *kv.second;
        std::string text;
        uint64_t seed = 0;
        if (kv.first == "seed" && seed_from_json(v, &seed)) text = std::to_string(seed);
        else if (v.is_number()) text = exact_text(v.number);
        else if (v.is_string()) text = v.string;
        else if (v.is_bool()) text = v.boolean ? "true" : "false";
        else text = json_type_name(v.type);
        out.push_back({kv.first, text});
    }
    return out;
}

void apply_config(Args& a, const std::string& path) {
    const Json cfg = json_parse(read_file(path), path);
    if (!cfg.is_object()) throw symkl::Error(path + ": expected a JSON object (a run's config.json)");
    std::vector<std::pair<std::string, const Json*>> flat;
    flatten(cfg, "", flat);
    auto find = [&](const std::string& key) -> const Json* {
        for (const auto& kv : flat)
            if (kv.first == key) return kv.second;
        return nullptr;
    };
    auto bad = [&](const std::string& key, const std::string& what) {
        throw symkl::Error(path + ": '" + key + "' " + what + " (is this a config.json written by symkl train?)");
    };
    for (const auto& kv : flat) {
        const std::string& key = kv.first;
        const Json& v = *kv.second;
        bool record = false;
        for (const char* r : RECORDS) record = record || key == r;
        if (record) continue;
        const Option* o = nullptr;
        for (const Option& row : TABLE) {
            if (row.key && key == row.key) o = &row;
            if (row.key && row.used && key == std::string(row.key) + "_auto") {
                if (!v.is_bool()) bad(key, std::string("must be true or false, got a JSON ") + json_type_name(v.type));
                record = true;
            }
        }
        if (record) continue;
        if (!o) bad(key, "is not a training setting");
        std::string text;
        uint64_t seed = 0;
        if (o->kind == Kind::seed) {
            if (!seed_from_json(v, &seed))
                bad(key, "must be an integer from 0 to 18446744073709551615, written as a JSON string of its digits "
                         "(or a number up to 2^53)");
            text = std::to_string(seed);
        } else if (v.is_string()) {
            text = v.string;
        } else if (v.is_number()) {
            text = exact_text(v.number);
        } else {
            bad(key, std::string("is a JSON ") + json_type_name(v.type) + ", expected a number or a string");
        }
        // what the run computed from an automatic setting is recorded, not replayed
        const Json* is_auto = o->used ? find(key + "_auto") : nullptr;
        if (is_auto && is_auto->boolean) text = "auto";
        Value parsed;
        std::string why;
        if (!parse_value(*o, text, parsed, why)) bad(key, why);
        if (!o->replay || a.has(o->flag)) continue;  // the command line wins
        a.values[o->flag] = text;
        a.given[o->flag] = true;
    }
    const Json* real = cfg.find("real");
    if (real && real->is_string() && real->string != SYMKL_REAL_NAME)
        std::fprintf(stderr, "symkl: warning: %s was written by a %s build, this is a %s build: the numbers will differ\n",
                     path.c_str(), real->string.c_str(), SYMKL_REAL_NAME);
}
