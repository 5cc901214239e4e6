// jobs.h — many training runs at once: the experiment runner (app/experiment.h) hands a
// list of runs to run_jobs, which trains them on a pool of J workers, each run
// single-threaded when J ≥ the thread budget (the toy models are too small for threads
// to pay; independent runs side by side use every core). Each run writes its own
// directory as `symkl train` would, so every run can be repeated alone from its config.json.
#pragma once
#include <string>
#include <vector>

#include "app/run.h"

// The training interface the runs go through (read_training_options and run_training of
// app/run.h), handed in by the caller; a test
// can hand in a stand-in.
struct Training {
    void (*read_options)(const Args&, RunSettings&);
    RunResult (*train)(RunSettings);
};

struct Job {
    std::string label;  // what the run is, for progress lines: "jeffreys-ebm seed 3"
    RunSettings s;
    RunResult r;
    double seconds = 0;  // wall time of the run
    double cost = 1;     // relative cost: the pool starts the dearest runs first
};

// Trains every job with `train` on min(jobs_n, jobs.size()) workers; `threads` is the
// total thread budget (0 = the cores), shared among the workers. Prints one line per
// finished run on stderr ("[12/40] label: test NLL 3.21, Jeffreys 0.95 (14 s)") unless
// quiet, and every failure in any case; between them an overall line (runs done, ETA:
// app/progress.h), and at the end "done: 40 runs in 5m12s". A run that throws symkl::Error gets exit code 2
// and the message. Returns the number of failed runs.
int run_jobs(std::vector<Job>& jobs, long jobs_n, long threads, bool quiet, RunResult (*train)(RunSettings));

// Sets the method (and proxy) of s from a name: mle, wgan, or jeffreys-ebm, jeffreys-flow,
// penalty-ebm, penalty-flow (jeffreys and penalty alone mean the EBM proxy). False if unknown.
bool set_method(const std::string& name, RunSettings& s);

// Median, min and max of the values, NaNs left out (all NaN when none is left).
struct Stats {
    double med = 0, lo = 0, hi = 0;
};
Stats stats_of(std::vector<double> v);
// "3.263 [3.209, 3.748]" with the given decimals.
std::string stats_text(const Stats& st, int decimals = 3);
