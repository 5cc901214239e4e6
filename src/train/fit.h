// fit.h — the method as a library: its defaults, its models, and the training loop.
//
// A program that trains with symkl needs three calls (examples/fit_8gaussians.cpp):
//
//   FitConfig cfg;  cfg.trainer.method = Method::jeffreys;       // what to train
//   FitModels m;    fit_init(m, cfg, train, init_rng, proxy_rng);  // defaults + models
//   fit(m.trainer, train, batch_rng, FitSchedule{steps, log_every}, on_log);
//
// A conditional flow (cfg.flow.context = C > 0) trains on rows [x, y], D + C columns:
// D numbers modelled, C numbers of context (docs/sbi.md); its proxy is conditional too,
// and the automatic ε is the conditional entropy H(x | y) = H(x, y) − H(y) + margin.
//
// The defaults of the method come from the training data and the method, here and
// nowhere else (docs/method.md): ε = the kNN entropy of the training set + a margin,
// the EBM's σ₀ = 3 × the data's RMS standard deviation, and Adam's learning rate and
// βs = 1e-3, 0.9, 0.999 (1e-4, 0.5, 0.9 for wgan). A setting left empty (std::nullopt)
// is automatic; resolve_defaults says what each became and which were automatic.
#pragma once
#include <functional>
#include <optional>

#include "objectives/wgan.h"
#include "proxy/proxy.h"
#include "train/train.h"

struct FitConfig {
    TrainerConfig trainer;           // method, batch, samples, clip, dual, wgan, proxy_adam.lr, ...;
                                     // adam.lr/β, proxy_adam.β and dual.eps are set from the fields below
    FlowConfig flow;                 // the main flow (dim is set from the data)
    ProxyKind proxy_kind = ProxyKind::ebm;
    FlowConfig proxy_flow;           // the flow proxy's architecture
    EBMConfig ebm;                   // the EBM proxy's architecture (sigma0 is set from the field below)
    CriticConfig critic;             // the WGAN critic's architecture
    // automatic when empty
    std::optional<double> lr;        // Adam learning rate of the main flow
    std::optional<double> beta1;     // Adam β₁ of the main flow and the proxy
    std::optional<double> beta2;     // Adam β₂ of the main flow and the proxy
    std::optional<double> eps;       // ε of the constraint G ≤ ε + u
    double eps_margin = 0;           // added to the kNN entropy when ε is automatic
    std::optional<double> sigma0;    // the EBM proxy's σ₀
    std::optional<bool> ebm_gaussian_base;  // the EBM's base: the data's Gaussian (true) or N(0, σ₀² I);
                                            // automatic: Gaussian for 3 to 16 columns
};

bool uses_proxy(Method m);   // jeffreys and penalty
bool is_baseline(Method m);  // gaussian and kde: no flow, no steps (src/baseline/)

// What every default became, and which were automatic. eps is NaN for methods without a
// proxy, sigma0 NaN unless the method uses the EBM proxy.
struct Resolved {
    double lr = 0, beta1 = 0, beta2 = 0, eps = NAN, sigma0 = NAN;
    bool gaussian_base = false;      // the EBM proxy starts at the training data's Gaussian
    double eps_knn = NAN, eps_gaussian = NAN;  // automatic ε: the kNN entropy, the Gaussian's NLL (D ≥ 3)
    bool lr_auto = false, beta1_auto = false, beta2_auto = false, eps_auto = false, sigma0_auto = false,
         gaussian_base_auto = false;
};

// √(mean over columns of the column variances) of the rows of x.
double rms_std(const Tensor& x);

// Resolves the defaults of cfg's method from the training data. Throws symkl::Error when
// σ₀ is automatic and the data has no spread (every point identical: "the training data
// has no spread ... would be 0"), or when ε is automatic and the data has too few
// distinct points for the kNN entropy.
Resolved resolve_defaults(const FitConfig& cfg, const Tensor& train);

// Writes the resolved values into the trainer's and the EBM's configurations.
void apply_defaults(FitConfig& cfg, const Resolved& r);

// The models of one run and the trainer that steps them. The trainer points into the
// models: a FitModels is built in place and never copied or moved.
struct FitModels {
    FitConfig cfg;                   // with the defaults applied and the dimensions set
    Resolved resolved;
    Flow flow;
    Proxy proxy;                     // jeffreys, penalty
    Critic critic;                   // wgan
    Trainer trainer;
    FitModels() = default;
    FitModels(const FitModels&) = delete;
    FitModels& operator=(const FitModels&) = delete;
};

// Resolves the defaults, builds the models for train's dimension and initialises them:
// the main flow from init_rng, the proxy or the critic from proxy_rng.
void fit_init(FitModels& m, const FitConfig& cfg, const Tensor& train, Rng& init_rng, Rng& proxy_rng);
// The same with defaults already resolved (resolve_defaults(cfg, train)).
void fit_init(FitModels& m, const FitConfig& cfg, const Resolved& r, const Tensor& train, Rng& init_rng,
              Rng& proxy_rng);

// Means of the per-step values since the previous log (NaN where the method has none,
// or when no step was taken since).
struct FitLog {
    long step = 0;                   // steps taken so far (0 at the first call)
    double loss = NAN;               // F̂, the minibatch NLL of p
    double R = NAN, G = NAN, ess = NAN, critic_loss = NAN, wasserstein = NAN, gp = NAN;
    double grad_norm = NAN;          // ‖∇θ‖ of the last step taken
    long skipped = 0;                // steps skipped for a non-finite term so far
    bool validated = false;          // a validation step (FitSchedule::val_every; train/select.h)
    double val_nll = NAN;            // its validation NLL (filled in by fit_select)
};

struct FitEnd {
    long steps = 0;                  // steps taken (or skipped)
    long skipped = 0;
    const char* bad = nullptr;       // set when a non-finite term stopped the run:
    long bad_step = 0;               //   what, and at which step (1-based)
    bool stopped = false;            // the callback asked to stop
    bool early_stopped = false;      // fit_select: the validation NLL stopped improving
};

// Where the loop stands at a log, before the log is taken: the steps taken, the sums of
// the per-step values since the previous log, and the running totals. A run saves it to
// be resumed (app/state.h) and hands it back in FitSchedule::start.
struct FitCursor {
    long step = 0;                   // steps taken (or skipped)
    long skipped = 0;
    double grad_norm = NAN;          // of the last step taken
    double F = 0, R = 0, G = 0, ess = 0, critic = 0, was = 0, gp = 0;  // sums since the last log
    long n = 0;                      // steps in those sums
};

// How long fit() runs and when it reports.
struct FitSchedule {
    long steps = 2000;
    long log_every = 100;         // on_log after every log_every steps (and before step 0, after the last)
    bool skip_nonfinite = false;  // a step with a non-finite term: skip it (true) or end the loop
    long val_every = 0;           // > 0: on_log also after every val_every steps, with FitLog::validated
                                  // set there and after the last step (fit_select, train/select.h)
    const FitCursor* start = nullptr;  // resume: begin where the cursor stands (its log not yet taken)
    std::function<void(const FitCursor&)> before_log = nullptr;  // optional: called at every log, before on_log
};

// The training loop: sched.steps steps of train_step with minibatches from batch_rng.
// on_log is called before step 0, after every log_every steps and after the last one;
// it returns false to stop. With sched.val_every > 0 it is also called at the validation
// steps (the means then cover the steps since the previous call). on_step (optional) is called after each step taken. A step
// with a non-finite term (StepResult::bad) is skipped, or ends the loop without a log.
FitEnd fit(Trainer& t, const Tensor& train, Rng& batch_rng, const FitSchedule& sched,
           const std::function<bool(const FitLog&)>& on_log,
           const std::function<void(long step, const StepResult&)>& on_step = nullptr);
