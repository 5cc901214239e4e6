// resume.h — a run's state in DIR/state.safetensors, so that `symkl train --resume DIR`
// continues it exactly: the continued run's metrics.csv and model files are byte for byte
// those of a run that was never interrupted.
//
// The state is taken at a log, before the log is taken (FitSchedule::before_log): the
// models and their Adam moments, the batch stream of random numbers, λ, u and log Ẑ, the
// loop's sums since the previous log (train/fit.h FitCursor), the model selection (best
// step, best validation NLL, validations since, the best parameters) and what the run has
// printed so far (the lowest test NLL, the selected step). metrics.csv is kept up to the
// rows before that log (its length and CRC-32C are in the state, so an edited file is
// caught). A resumed run takes that log again: when the saved step is a regular log step
// it writes the same row; when it was only the last step of a shorter run it is not a log
// step of the longer run, and the row is not written.
//
// Written after every log's files (temporary file and rename), so a run that was killed
// continues from its last log. Doubles are exact: tensors are F64 and numbers in the
// metadata carry 17 significant digits, the generator's state 16 hex digits a word.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "train/metrics.h"
#include "train/select.h"

struct RunState {
    FitCursor cursor;                 // the loop at the log (the step, the sums since the last log)
    Rng batch_rng;                    // the minibatch and base-draw stream
    // the models: values and Adam moments (empty where the method has none)
    std::vector<Real> flow, flow_m, flow_v, proxy, proxy_m, proxy_v, critic, critic_m, critic_v;
    long flow_t = 0, proxy_t = 0, critic_t = 0;
    double lambda = 0, u = 0, log_z = 0;
    // model selection (train/select.h; with validation rows)
    long best_step = -1, since_best = 0, validations = 0;
    double best_nll = INFINITY;
    std::vector<Real> best_flow, best_proxy;
    // what the run reports at its end
    Metrics lowest;                   // the logged row with the lowest test NLL
    long lowest_step = 0;
    Metrics selected;
    long selected_step = 0;
    double selected_val_nll = NAN;
    long last_good = -1;              // the last logged step (-1: none yet)
    // checks
    uint64_t metrics_bytes = 0;       // metrics.csv up to this log: its length and CRC-32C
    uint32_t metrics_crc = 0;
    std::string config;               // the run's config.json, compact
    uint32_t data_crc = 0;            // of the training, validation and test rows as trained on
    std::string status = "running";   // running; early_stopped or nonfinite: the run has ended
    long ended_at = 0;                // the step it ended at (early_stopped, nonfinite)
};

// Copies the models, the stream and the selection (null: no validation rows) into st.
void state_capture(RunState& st, const FitModels& m, const Selection* sel, const Rng& batch_rng, const FitCursor& c);
// Puts them back (the models must have the architecture of the state's run).
void state_restore(const RunState& st, FitModels& m, Selection* sel, Rng& batch_rng);

// Writes atomically (safetensors with checksums, docs/checkpoint.md). Writes nothing and
// returns false when a value of the state is not finite (a diverging run's optimiser): the
// file then stays at the last finite state, from which a resume replays the same steps.
bool save_run_state(const std::string& path, const RunState& st);
// Reads and checks a state against the models it is for (sizes of every tensor); throws
// symkl::Error naming the file and what is wrong.
RunState load_run_state(const std::string& path, const FitModels& m, bool with_selection);

// CRC-32C of a tensor's values as stored (for RunState::data_crc).
uint32_t rows_crc(const Tensor& x, uint32_t crc);
