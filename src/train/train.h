// train.h — one training step of each method, and the NLL evaluation.
//
// Methods (docs/method.md):
//   mle       θ-step on F̂ only: maximum likelihood.
//   jeffreys  the adaptive method: θ-step on F̂ + R̂; ψ-step on R̂ + λĜ with fresh
//             samples from the updated p_θ; slack u ← max(0, u − η_u (α u − λ));
//             dual λ ← max(0, λ + η_λ (Ĝ − ε − u)). α = ∞ is the hard constraint (u ≡ 0).
//   penalty   the same two steps with λ held at λ₀: a fixed-weight penalty, no u, no dual step.
//   wgan      the flow as the generator of a WGAN-GP (or weight-clipping WGAN): n_critic
//             critic updates, then one generator update through the sampling pass (docs/wgan.md).
//
// A step either applies all of its updates or none. Every term (the losses, log Ẑ, the
// gradient norms, the new u and λ) is checked as soon as it is computed; the first
// non-finite one is reported by name (StepResult::bad) and the step returns with θ, ψ,
// the critic, u, λ, the Adam states and log Ẑ as they were before it (only the random
// draws are consumed). The ψ-step samples from the *updated* p_θ, so θ's update is
// applied first, tentatively: its old values and Adam state are kept in the Trainer and
// restored if a later term of the step is non-finite (docs/method.md §6). In a finite
// run this changes no number.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "nn/adam.h"
#include "objectives/jeffreys.h"
#include "objectives/wgan.h"
#include "tensor/rng.h"

// gaussian and kde are the baselines of src/baseline/ (no flow: train_step does not run them).
enum class Method { mle, penalty, jeffreys, wgan, gaussian, kde };
bool method_from_name(const std::string& name, Method* out);
const char* method_name(Method m);

struct DualConfig {
    double eps = 0;         // ε: the proxy's allowed NLL on the data (nats per point)
    double alpha = 1;       // α: cost of the slack, (α/2) u²; +inf = hard constraint
    double dual_lr = 0.01;  // η_λ
    double slack_lr = 0.01; // η_u
    double lambda0 = 1;     // λ at step 0 (and the fixed weight of `penalty`)
};

struct TrainerConfig {
    Method method = Method::mle;
    int batch = 256;       // B data points per step
    int samples = 256;     // M samples of p_θ per step (a conditional flow: per context)
    int contexts = 16;     // a conditional flow: the first min(contexts, B) rows of each minibatch
                           // whose contexts get `samples` samples each (objectives/jeffreys.h)
    AdamConfig adam;       // main flow
    AdamConfig proxy_adam; // proxy
    double clip = 0;       // max gradient norm for both models, 0 = none
    DualConfig dual;
    WganConfig wgan;       // wgan: n_critic, γ, weight clipping, the critic's Adam
};

// How many threads a step's slices get. Results do not depend on it (objectives/jeffreys.h,
// StepSlices); the time does. On an idle machine all threads are fastest, but while another
// process holds a core, a team that waits for that core at every join of a small step can be
// several times slower than one thread (docs/performance.md, "Threads on a busy machine").
// So every `period` steps the next `probe` steps run on one thread and the `probe` after
// them on the whole team, each timed, and the faster (by each probe's total time: under a
// load that comes and goes, a probe's quickest step says little) runs until the next probe.
// probe = 0: always the whole team.
struct TeamChooser {
    int period = 250, probe = 8;
    long step = 0;                // steps chosen for so far
    double one = 0, all = 0;      // each probe's total time so far (seconds)
    int use = 0;                            // the team outside the probes (0: all threads, 1: one)
    // The team for the coming step (0: all threads, 1: one thread).
    int next() const;
    // The coming step took `seconds`; moves on to the next step.
    void record(double seconds);
};

// A model's parameters and optimiser state as they were before a step's update, so
// that the update can be undone (allocated once, in trainer_init).
struct Undo {
    std::vector<Real> value, m, v;
    long t = 0;
};

// Everything a step needs, allocated once. A conditional flow (flow.cfg.context = C > 0)
// trains on rows [x, y]: D numbers modelled, then C numbers of context.
struct Trainer {
    TrainerConfig cfg;
    Flow* flow = nullptr;
    Proxy* proxy = nullptr;      // null for mle and wgan
    Critic* critic = nullptr;    // wgan only
    FlowCache cache;             // capacity max(B, M)
    ProxyCache proxy_cache;      // capacity max(B, M)
    Adam opt, proxy_opt, critic_opt;
    WganCache wgan_cache;        // capacity max(B, M)
    std::vector<Real> interp;    // (min(B, M)) the WGAN-GP interpolation draws ε_k
    JeffreysWork work;
    StepSlices slices;           // the step's row slices (objectives/jeffreys.h); not for wgan
    TeamChooser team;            // the slices' team of threads (with more than one slice)
    Tensor batch;                // (B, D)
    Tensor z;                    // (M, D)
    int M = 0;                   // samples per step (conditional: K contexts × cfg.samples)
    int K = 1;                   // conditional: context blocks per step
    Tensor ctx;                  // (B, C) conditional: the minibatch's contexts
    Tensor sctx;                 // (M, C) conditional: the samples' contexts (block c: row c of ctx)
    Tensor base_x;               // (M, D) EBM with a Gaussian base: draws of the base for log Ẑ
    std::vector<Real> base_logb; // (M) their log-density under the base
    double lambda = 0, u = 0;    // dual variable and slack
    double log_z = 0;            // last ψ-step's log Ẑ (EBM), used for the θ-step's R̂ value
    Undo undo;                   // penalty, jeffreys: θ before the step; wgan: the critic
};

// `proxy` is used by penalty and jeffreys, `critic` by wgan; pass null for the others.
void trainer_init(Trainer& t, const TrainerConfig& cfg, Flow& flow, Proxy* proxy, Critic* critic = nullptr);

struct StepResult {
    double F = 0;          // F̂: minibatch NLL of p
    double R = NAN;        // R̂ from the ψ-step (reverse KL to the proxy)
    double G = NAN;        // Ĝ: minibatch NLL of the proxy
    double ess = NAN;      // importance-sampling ESS fraction (EBM)
    double grad_norm = 0;  // ‖∇θ‖ before clipping
    double proxy_grad_norm = NAN;
    double critic_loss = NAN, wasserstein = NAN, gp = NAN;  // wgan: means over the critic updates
    const char* bad = nullptr;  // the first non-finite term, or null
};

// One step of the configured method. The minibatch is drawn with `rng` (with
// replacement from `train`), as are the base draws z. A conditional flow's rows of `train`
// are [x, y] (D + C columns).
StepResult train_step(Trainer& t, const Tensor& train, Rng& rng);

// Mean negative log-likelihood of p over the rows of x, in nats per point,
// evaluated in chunks through `cache` (any capacity ≥ 1). Per-point values are
// summed serially, so the result does not depend on the thread count. A conditional
// flow's rows are [x, y], and the result is the mean of −log p(x | y).
double mean_nll(const Flow& f, FlowCache& cache, const Tensor& x, std::vector<Real>& scratch);
