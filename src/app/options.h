// options.h — the settings of a training run and the one table that describes them.
//
// Each row of the table (options.cpp) is one option: its flag, metavar, default, help
// text, config.json key, the rule its value must follow (integer or number range,
// choices, the words auto / inf), and how it sets and reads a RunSettings. The table
// alone drives command-line parsing and validation, --help, writing config.json and
// reading it back (`symkl train --config`), so none of them can drift from the others.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "app/args.h"
#include "io/dataset.h"
#include "io/json.h"
#include "train/fit.h"

// Everything one run is asked to do: the method (FitConfig: automatic settings are empty),
// the data, the loop, and where its files go.
struct RunSettings : FitConfig {
    DataSpec data;                    // data.n_train 0: automatic
    std::string standardize = "auto"; // on, off, auto (on for a CSV file): app/data_prep.h
    std::string dequantize = "auto";  // on, off, auto (a CSV's discrete integer columns)
    bool skip_nonfinite = false;      // skip a step with a non-finite term instead of stopping
    long steps = 2000, log_every = 100, n_eval = 10000, threads = 0;
    uint64_t seed = 0;
    std::string out;
    bool quiet = false;
    bool figures = true;              // draw density.png, samples.svg (2-D) and the learning curves
    bool force = false;               // --out may hold another run: replace its files
    bool resume = false;              // continue the run in out from its state.safetensors (app/resume.h)
    std::string label;                // prefix of progress lines ("" for a single run)
    // validation and model selection (train/select.h)
    std::optional<double> val_frac;   // of the training rows; automatic: resolved_val_frac
    long val_every = 0;               // steps between validations; 0: automatic (= log_every)
    long patience = 20;               // validations without improvement before stopping; 0 = never
};

// --val-frac auto: 0.1 for a CSV file, 0 for generated data (whose documented runs use every
// training point). --val-every auto: --log-every.
double resolved_val_frac(const RunSettings& s);
long resolved_val_every(const RunSettings& s);

// What a run computed from its automatic settings, recorded in config.json beside them.
struct RunFacts {
    Resolved resolved;
    long n_train = 0, n_test = 0, dim = 0;  // n_train: before the validation rows are held out
    double val_frac = 0;                    // resolved_val_frac
    long val_every = 0;                     // resolved_val_every
};

// The training options shared by `train`, `compare` and `experiment` (without --method
// and --seed), in --help order.
std::vector<OptSpec> training_options();
// Every option of the table, --method and --seed included, in --help order (`train`).
std::vector<OptSpec> train_options();

// Reads the shared training options (validated) into s.
void read_training_options(const Args& a, RunSettings& s);
// Reads --method and --seed.
void read_run_options(const Args& a, RunSettings& s);

// config.json of a run: every recorded setting, each automatic one with the value it took
// and "<key>_auto": true.
Json settings_json(const RunSettings& s, const RunFacts& f);

// Reads a run's config.json and sets every option it records that the command line did
// not give (the command line wins), so `symkl train --config DIR/config.json` repeats
// the run. Settings recorded as automatic stay automatic (recomputed from the data).
// Throws symkl::Error naming the file, the key and the rule for a bad value or key.
void apply_config(Args& a, const std::string& path);

// config.json as key → value text (nested keys dotted, numbers exact), the seed decimal;
// for comparing the settings of two runs.
std::vector<std::pair<std::string, std::string>> config_items(const Json& cfg);

// The seed in config.json: written as an integer token (Json::make_uint64: exact for
// every 64-bit seed, where a double would round 2^53 + 1); read from an integer token,
// a string of decimal digits, or another number that is an exact integer ≤ 2^53 (files
// of older versions). False for anything else.
Json seed_to_json(uint64_t seed);
bool seed_from_json(const Json& v, uint64_t* out);

// The shortest of %.15g / %.17g that reads back to the same double.
std::string exact_text(double v);
