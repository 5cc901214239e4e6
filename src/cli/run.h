// run.h — one training run as the CLI performs it: data, models, the step loop,
// logging, checkpoints and progress. `train`, `demo` and `compare` all call it.
#pragma once
#include <string>
#include <vector>

#include "cli/args.h"
#include "io/dataset.h"
#include "train/metrics.h"
#include "train/train.h"

struct RunSettings {
    DataSpec data;
    TrainerConfig trainer;            // method, batch, samples, optimisers, clip, dual settings
    FlowConfig flow;                  // main model
    ProxyKind proxy_kind = ProxyKind::ebm;
    FlowConfig proxy_flow;            // the flow proxy's architecture
    EBMConfig ebm;                    // the EBM proxy's architecture (sigma0 ≤ 0: automatic)
    CriticConfig critic;              // the WGAN critic's architecture
    bool eps_auto = true;             // ε = Ĥ_kNN(training data) + eps_margin
    double eps_margin = 0;
    bool skip_nonfinite = false;      // skip a step with a non-finite term instead of stopping
    long steps = 2000, log_every = 100, n_eval = 10000, threads = 0;
    uint64_t seed = 0;
    std::string out;
    bool quiet = false;
    bool figures = true;              // draw density.png, samples.svg (2-D) and the learning curves
    std::string label;                // prefix of progress lines ("" for a single run)
};

struct RunResult {
    Metrics last, best;               // best = lowest test NLL among logged rows
    long best_step = 0;
    double eps = NAN, sigma0 = NAN;   // the ε and σ₀ actually used
    double lambda = NAN, u = NAN;     // at the end
    long skipped = 0;
    int exit_code = 0;                // 0, or 3 when a non-finite term stopped the run
    std::string error;                // that message
};

// The training options shared by `train` and `compare` (without --method, --seed, --out).
std::vector<OptSpec> training_options();
// Reads them (validated) into s; `cmd` names the command in messages.
void read_training_options(const Args& a, RunSettings& s);

RunResult run_training(RunSettings s);

// Reads a run's config.json and sets every option it records that the command line did
// not give (the command line wins), so `symkl train --config DIR/config.json` repeats
// the run. ε and σ₀ that were automatic stay automatic (they are recomputed from the
// same data, to the same values). Throws symkl::Error naming the file and the key for a
// file that is not such a config.
void apply_config(Args& a, const std::string& path);

// "final (step N):  train NLL ...  test NLL ..." on stdout
void print_metrics(const char* label, const Metrics& m);
