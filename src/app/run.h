// run.h — one training run on disk: the loop of train/fit.h with evaluation, metrics.csv,
// checkpoints, config.json, progress and figures. `train`, `demo`, `compare` and
// `experiment` all call run_training.
#pragma once
#include <string>
#include <vector>

#include "app/options.h"
#include "train/metrics.h"

struct RunResult {
    Metrics last, best;               // best = lowest test NLL among logged rows
    long best_step = 0;
    Resolved resolved;                // the defaults the run took (ε, σ₀, lr, β; which were automatic)
    double eps = NAN, sigma0 = NAN;   // the ε and σ₀ actually used (NaN when the method has none)
    double lambda = NAN, u = NAN;     // at the end
    long skipped = 0;
    int exit_code = 0;                // 0, or 3 when a non-finite term stopped the run
    std::string error;                // that message
    bool has_test = true;             // false with --test-frac 0: no test rows, every test NLL NaN
    int dim = 0;                      // the data's dimension
    int dequantized = 0;              // columns dequantised (app/data_prep.h); all D: bits/dim is printed
    bool standardized = false;        // trained on standardised data (NLLs are in the data's units all the same)
    // Model selection (train/select.h): the model in model.safetensors. With validation rows,
    // the step with the lowest validation NLL; without, the last logged step (selected = last).
    Metrics selected;
    long selected_step = 0;
    double selected_val_nll = NAN;    // NaN without validation rows
    long n_val = 0;                   // validation rows held out of the training rows
    long steps_done = 0;              // steps taken (fewer than --steps when stopped early)
    bool early_stopped = false;       // --patience validations without improvement
    // The baselines (gaussian, kde): the hyperparameter's name ("alpha", "h"), the value
    // chosen and whether by K-fold cross-validation on the training rows (no validation rows).
    std::string param;
    double param_value = NAN;
    bool cross_validated = false;
};

// Trains, writing into s.out (see check_out_dir). Throws symkl::Error for bad input
// (data, settings, an --out that holds another run) before anything is written.
RunResult run_training(RunSettings s);

// "runs/<data>-<method>-seed<S>": <data> is the name of a generated data set ("moons"),
// or a CSV file's name with its extension ("moons.csv"), so the two never share a directory.
std::string default_out(const RunSettings& s);

// The data set and method as figure titles name them: "moons · jeffreys-ebm",
// "digits.csv · mle".
std::string figure_subject(const RunSettings& s);

// The files a run writes into its directory (model-last.safetensors and proxy-last.safetensors
// beside the selected model when the run has validation rows).
bool is_run_file(const std::string& name);

// An --out may be used when it holds no run files, or holds the run of the same settings
// (the same config.json but for `threads`: a rerun), or with force. Otherwise throws
// symkl::Error saying what differs and to pass --force or choose another --out.
// `cfg` is the config.json the new run will write.
void check_out_dir(const std::string& dir, const Json& cfg, bool force);
// Removes the run files of a directory (the stale outputs of an earlier run).
void remove_run_files(const std::string& dir);

// "final (step N):  train NLL ...  test NLL ..." on stdout (without the test NLL when
// `test` is false: a run without test rows)
void print_metrics(const char* label, const Metrics& m, bool test = true);
