// sbi_study.h — experiment E5: amortised posteriors on the sbibm tasks, scored as sbibm
// scores them (docs/results.md §E5).
//
// For every task × simulation budget × method × seed: simulate the budget from the task's
// prior (the same simulations for every method of a task, budget and seed), train a
// posterior (sbi/npe.h), and for each of sbibm's observations draw posterior samples and
// compute the C2ST against reference posterior samples (sbi/tasks.h, sbi/c2st.h). Writes
//   DIR/results.csv   one row per run and observation: C2ST, acceptance rate, epochs, times
//   DIR/summary.md    mean C2ST over the observations per run, mean [min, max] over seeds,
//                     beside sbibm's published NPE numbers; run times
//   DIR/fig/<task>-<method>-pairs.svg  500 posterior samples of seed 0 for observation 1
//                     against the reference, at the smallest budget
#pragma once
#include <string>
#include <vector>

#include "sbi/tasks.h"

struct E5Options {
    std::vector<SbiTask> tasks{SbiTask::two_moons, SbiTask::gaussian_linear, SbiTask::slcp,
                               SbiTask::gaussian_mixture};
    std::vector<long> budgets{1000, 10000};
    std::vector<std::string> methods{"npe-mle", "jeffreys-ebm", "jeffreys-flow", "penalty-ebm"};
    int seeds = 5;
    int observations = 10;      // sbibm's observations 1 .. this
    int n_samples = 10000;      // posterior and reference samples per observation (sbibm: 10000)
    int c2st_max_epochs = 10000;
    long max_epochs = 500;      // NPE training epochs at most (early stopping usually ends sooner)
    long jobs = 0;              // runs at the same time (0 = the cores), one thread each
    std::string obs_dir = "data/sbi";
    std::string dir = "runs/experiments/E5";
    bool quiet = false;         // no progress lines on stderr, no summary line on stdout
};

// The --quick preset: two_moons, a budget of 500, one seed, two observations, 1000 samples,
// a few epochs: it checks that everything runs, not what comes out.
E5Options e5_quick_options();

// sbibm's published NPE C2ST for a task and budget (10³, 10⁴, 10⁵), NaN for another budget.
double sbibm_npe_c2st(SbiTask t, long budget);

// Runs E5 and writes its outputs; returns the number of failed runs (each is also in
// results.csv with its error). Prints progress on stderr and a summary on stdout.
int run_e5(const E5Options& opt);
