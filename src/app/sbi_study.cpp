// sbi_study.cpp — experiment E5 (sbi_study.h): NPE by MLE and by the adaptive method on
// the sbibm tasks, scored by C2ST against reference posteriors.
#include "app/sbi_study.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <thread>

#include "app/files.h"
#include "io/csv.h"
#include "io/file.h"
#include "plot/svg.h"
#include "sbi/c2st.h"
#include "sbi/npe.h"
#include "tensor/error.h"

E5Options e5_quick_options() {
    E5Options o;
    o.tasks = {SbiTask::two_moons};
    o.budgets = {500};
    o.seeds = 1;
    o.observations = 2;
    o.n_samples = 1000;
    o.c2st_max_epochs = 20;
    o.max_epochs = 5;
    return o;
}

double sbibm_npe_c2st(SbiTask t, long budget) {
    // Lueckmann et al. 2021, NPE (NSF flows), mean C2ST over the ten observations
    static const double table[4][3] = {
        {0.725, 0.606, 0.542},  // two_moons
        {0.694, 0.552, 0.506},  // gaussian_linear
        {0.975, 0.901, 0.831},  // slcp
        {0.716, 0.615, 0.548},  // gaussian_mixture
    };
    const int col = budget == 1000 ? 0 : budget == 10000 ? 1 : budget == 100000 ? 2 : -1;
    return col < 0 ? NAN : table[(int)t][col];
}

namespace {

struct E5Run {
    SbiTask task;
    long budget = 0;
    std::string method;
    int seed = 0;
    // results
    std::vector<double> c2st, acceptance;  // one per observation
    NpeReport report;
    double train_seconds = 0, c2st_seconds = 0;
    std::string error;
    Tensor pairs;  // seed 0, observation 1: samples for the pair plot
    bool finished = false;
};

bool configure(const std::string& method, NpeConfig& c) {
    c = npe_default_config();
    Method& m = c.fit.trainer.method;
    if (method == "npe-mle") m = Method::mle;
    else if (method == "jeffreys-ebm") m = Method::jeffreys, c.fit.proxy_kind = ProxyKind::ebm;
    else if (method == "jeffreys-flow") m = Method::jeffreys, c.fit.proxy_kind = ProxyKind::flow;
    else if (method == "penalty-ebm") m = Method::penalty, c.fit.proxy_kind = ProxyKind::ebm;
    else if (method == "penalty-flow") m = Method::penalty, c.fit.proxy_kind = ProxyKind::flow;
    else return false;
    return true;
}

// A seed for the simulations of (task, budget, seed), the same for every method.
uint64_t sim_seed(SbiTask t, long budget, int seed) {
    return 0x5eed0000ULL + 1000003ULL * (uint64_t)seed + 7919ULL * (uint64_t)budget + 104729ULL * (uint64_t)t;
}

std::string fmt(double v, int decimals = 3) {
    if (std::isnan(v)) return "–";
    char b[48];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    return b;
}

double mean_of(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? NAN : s / v.size();
}

std::string minutes(double s) {
    char b[32];
    if (s < 90) std::snprintf(b, sizeof b, "%.0f s", s);
    else std::snprintf(b, sizeof b, "%.1f min", s / 60);
    return b;
}

}  // namespace

int run_e5(const E5Options& opt) {
    for (const std::string& m : opt.methods) {
        NpeConfig c;
        if (!configure(m, c))
            throw symkl::Error("E5: unknown method '" + m +
                               "': use npe-mle, jeffreys-ebm, jeffreys-flow, penalty-ebm or penalty-flow");
    }
    const auto t_start = std::chrono::steady_clock::now();
    auto elapsed = [&]() { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(); };
    make_dirs(opt.dir + "/fig");

    // sbibm's observations and the reference posteriors, once per task
    struct TaskRefs {
        Tensor obs;                   // (observations, dim x)
        std::vector<Tensor> ref;      // reference samples per observation
    };
    std::vector<TaskRefs> refs(opt.tasks.size());
    for (size_t ti = 0; ti < opt.tasks.size(); ti++) {
        const SbiTask t = opt.tasks[ti];
        const std::string path = opt.obs_dir + "/" + sbi_task_name(t) + "_observations.csv";
        const Tensor all = read_csv_dim(path, 1 + sbi_x_dim(t), std::string("the observations of ") + sbi_task_name(t));
        if (all.rows < opt.observations)
            throw symkl::Error(path + ": " + std::to_string(all.rows) + " observations, E5 uses " +
                               std::to_string(opt.observations));
        refs[ti].obs = Tensor(opt.observations, sbi_x_dim(t));
        for (int k = 0; k < opt.observations; k++)
            for (int j = 0; j < sbi_x_dim(t); j++) refs[ti].obs.at(k, j) = all.at(k, 1 + j);
        for (int k = 0; k < opt.observations; k++) {
            Rng rng(1000 + (uint64_t)k);  // as `symkl sbi reference --seed 1000+k`
            refs[ti].ref.push_back(sbi_reference_posterior(t, refs[ti].obs.row(k), opt.n_samples, rng));
        }
        if (!opt.quiet)
            std::fprintf(stderr, "E5: %s: %d reference posteriors of %d samples (%s)\n", sbi_task_name(t),
                     opt.observations, opt.n_samples, minutes(elapsed()).c_str());
    }

    // the runs: the smaller budgets first, and within a budget npe-mle first, so that the
    // comparisons complete in that order (a stopped experiment's partial tables hold them)
    std::vector<E5Run> runs;
    for (SbiTask t : opt.tasks)
        for (long b : opt.budgets)
            for (const std::string& m : opt.methods)
                for (int s = 0; s < opt.seeds; s++) {
                    E5Run r;
                    r.task = t, r.budget = b, r.method = m, r.seed = s;
                    runs.push_back(r);
                }
    std::vector<size_t> order(runs.size());
    for (size_t i = 0; i < order.size(); i++) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        if (runs[a].budget != runs[b].budget) return runs[a].budget < runs[b].budget;
        return (runs[a].method == "npe-mle") > (runs[b].method == "npe-mle");
    });
    long workers = opt.jobs > 0 ? opt.jobs : (long)std::max(1u, std::thread::hardware_concurrency());
    workers = std::max(1L, std::min<long>(workers, (long)runs.size()));
    // The outputs, from the runs finished so far: rewritten after every run, so that a stopped
    // experiment leaves consistent (partial) tables.
    auto write_outputs = [&](double wall) {

        // results.csv: one row per run and observation
        std::string csv =
            "task,budget,method,seed,observation,c2st,acceptance,epochs,best_epoch,best_val_nll,train_seconds,"
            "c2st_seconds,error\n";
        for (const E5Run& r : runs) {
            if (!r.finished) continue;
            const int n = r.error.empty() ? (int)r.c2st.size() : 1;
            for (int o = 0; o < n; o++) {
                const bool ok = r.error.empty();
                std::string err = r.error;
                for (char& ch : err)
                    if (ch == ',' || ch == '\n' || ch == '"') ch = ' ';
                csv += std::string(sbi_task_name(r.task)) + "," + std::to_string(r.budget) + "," + r.method + "," +
                       std::to_string(r.seed) + "," + (ok ? std::to_string(o + 1) : "") + "," +
                       (ok ? csv_format(r.c2st[o]) : "") + "," + (ok ? csv_format(r.acceptance[o]) : "") + "," +
                       std::to_string(r.report.epochs) + "," + std::to_string(r.report.best_epoch) + "," +
                       csv_format(r.report.best_val_nll) + "," + csv_format(r.train_seconds) + "," +
                       csv_format(r.c2st_seconds) + "," + err + "\n";
            }
        }
        write_file_atomic(opt.dir + "/results.csv", csv);

        // summary.md: per task and budget, each method's mean C2ST over the observations,
        // mean [min, max] over seeds, beside sbibm's NPE
        std::string md = "# E5: neural posterior estimation on the sbibm tasks\n\n";
        md += "C2ST (0.5 = the posterior estimate cannot be told from the reference; 1.0 = fully separated): the mean\n"
              "over " + std::to_string(opt.observations) + " observations for each seed, then the mean [min, max] over " +
              std::to_string(opt.seeds) + " seed(s). " + std::to_string(opt.n_samples) +
              " posterior and reference samples per observation; classifier epochs at most " +
              std::to_string(opt.c2st_max_epochs) + ".\n\n";
        md += "| task | budget | sbibm NPE |";
        for (const std::string& m : opt.methods) md += " " + m + " |";
        md += "\n|---|---|---|";
        for (size_t i = 0; i < opt.methods.size(); i++) md += "---|";
        md += "\n";
        auto cell_runs = [&](SbiTask t, long b, const std::string& m) {
            std::vector<const E5Run*> v;
            for (const E5Run& r : runs)
                if (r.finished && r.task == t && r.budget == b && r.method == m) v.push_back(&r);
            return v;
        };
        auto cell_mean = [&](SbiTask t, long b, const std::string& m, double* lo, double* hi, double* acc) {
            std::vector<double> per_seed, accs;
            for (const E5Run* r : cell_runs(t, b, m))
                if (r->error.empty()) per_seed.push_back(mean_of(r->c2st)), accs.push_back(mean_of(r->acceptance));
            if (per_seed.empty()) return *lo = *hi = *acc = NAN, (double)NAN;
            *lo = *std::min_element(per_seed.begin(), per_seed.end());
            *hi = *std::max_element(per_seed.begin(), per_seed.end());
            *acc = mean_of(accs);
            return mean_of(per_seed);
        };
        for (SbiTask t : opt.tasks)
            for (long b : opt.budgets) {
                md += std::string("| ") + sbi_task_name(t) + " | " + std::to_string(b) + " | " + fmt(sbibm_npe_c2st(t, b)) +
                      " |";
                for (const std::string& m : opt.methods) {
                    double lo, hi, acc;
                    const double mean = cell_mean(t, b, m, &lo, &hi, &acc);
                    md += " " + fmt(mean) + (opt.seeds > 1 ? " [" + fmt(lo) + ", " + fmt(hi) + "]" : "") + " |";
                }
                md += "\n";
            }
        // the acceptance rates and the training epochs and time
        md += "\nMean acceptance rate of the prior-support rejection, and median epochs / training time per run:\n\n";
        md += "| task | budget |";
        for (const std::string& m : opt.methods) md += " " + m + " |";
        md += "\n|---|---|";
        for (size_t i = 0; i < opt.methods.size(); i++) md += "---|";
        md += "\n";
        for (SbiTask t : opt.tasks)
            for (long b : opt.budgets) {
                md += std::string("| ") + sbi_task_name(t) + " | " + std::to_string(b) + " |";
                for (const std::string& m : opt.methods) {
                    double lo, hi, acc;
                    cell_mean(t, b, m, &lo, &hi, &acc);
                    std::vector<double> ep, sec;
                    for (const E5Run* r : cell_runs(t, b, m))
                        if (r->error.empty()) ep.push_back((double)r->report.epochs), sec.push_back(r->train_seconds);
                    std::sort(ep.begin(), ep.end());
                    std::sort(sec.begin(), sec.end());
                    md += " " + fmt(acc, 3) + "; " + (ep.empty() ? "–" : fmt(ep[ep.size() / 2], 0)) + " ep, " +
                          (sec.empty() ? "–" : minutes(sec[sec.size() / 2])) + " |";
                }
                md += "\n";
            }
        // the verdict: each adaptive method against NPE-MLE at the smallest budget
        const long b0 = opt.budgets.front();
        if (std::find(opt.methods.begin(), opt.methods.end(), "npe-mle") != opt.methods.end()) {
            md += "\nAt a budget of " + std::to_string(b0) + ", mean C2ST at or below npe-mle's:\n\n";
            for (const std::string& m : opt.methods) {
                if (m == "npe-mle") continue;
                int wins = 0, n = 0;
                std::string which;
                for (SbiTask t : opt.tasks) {
                    double lo, hi, acc;
                    const double a = cell_mean(t, b0, m, &lo, &hi, &acc), base = cell_mean(t, b0, "npe-mle", &lo, &hi, &acc);
                    if (std::isnan(a) || std::isnan(base)) continue;
                    n++;
                    if (a <= base) wins++, which += std::string(which.empty() ? "" : ", ") + sbi_task_name(t);
                }
                md += "- " + m + ": " + std::to_string(wins) + " of " + std::to_string(n) + " tasks" +
                      (which.empty() ? "" : " (" + which + ")") + "\n";
            }
        }
        double cpu = 0;
        size_t finished = 0;
        for (const E5Run& r : runs) cpu += r.train_seconds + r.c2st_seconds, finished += r.finished;
        if (finished < runs.size())
            md += "\n**Partial: " + std::to_string(finished) + " of " + std::to_string(runs.size()) +
                  " runs finished** (the others are still running, or were stopped).\n";
        md += "\n" + std::to_string(finished) + " runs in " + minutes(wall) + " wall (" + minutes(cpu) +
              " of run time, " + std::to_string(workers) + " at a time).\n";
        write_file_atomic(opt.dir + "/summary.md", md);

        // pair plots: seed 0, observation 1, the smallest budget, every method against the reference
        for (size_t ti = 0; ti < opt.tasks.size(); ti++) {
            const SbiTask t = opt.tasks[ti];
            const int k = std::min(sbi_theta_dim(t), 4), show = std::min(opt.n_samples, 500);
            std::vector<std::string> names;
            for (int j = 1; j <= k; j++) names.push_back("theta_" + std::to_string(j));
            auto set_of = [&](const std::string& label, const Tensor& s, int colour) {
                MatrixSet ms;
                ms.label = label;
                ms.colour = colour;
                ms.columns.assign((size_t)k, {});
                for (int i = 0; i < std::min(show, s.rows); i++)
                    for (int j = 0; j < k; j++) ms.columns[(size_t)j].push_back((double)s.at(i, j));
                return ms;
            };
            for (const std::string& m : opt.methods)
                for (const E5Run& r : runs) {
                    if (!r.finished || r.task != t || r.budget != b0 || r.method != m || r.seed != 0 || !r.error.empty() ||
                        !r.pairs.rows)
                        continue;
                    write_scatter_matrix(opt.dir + "/fig/" + sbi_task_name(t) + "-" + m + "-pairs.svg",
                                         std::string(sbi_task_name(t)) + ", " + m + ", " + std::to_string(b0) +
                                             " simulations, observation 1: posterior samples against the reference",
                                         names, {set_of("reference", refs[ti].ref[0], 0), set_of(m, r.pairs, 1)});
                }
        }
    };
    std::atomic<size_t> next{0};
    std::mutex mu;
    size_t done = 0;
    int failures = 0;
    auto worker = [&]() {
        set_threads(1);
        for (size_t k; (k = next++) < order.size();) {
            E5Run& r = runs[order[k]];
            const size_t ti = (size_t)(std::find(opt.tasks.begin(), opt.tasks.end(), r.task) - opt.tasks.begin());
            try {
                const auto t0 = std::chrono::steady_clock::now();
                Rng sim(sim_seed(r.task, r.budget, r.seed));
                const Tensor theta = sbi_prior_sample(r.task, (int)r.budget, sim);
                const Tensor x = sbi_simulate(r.task, theta, sim);
                NpeConfig cfg;
                configure(r.method, cfg);
                cfg.max_epochs = opt.max_epochs;
                Posterior post;
                r.report = npe_train(post, theta, x, cfg, (uint64_t)r.seed);
                const auto t1 = std::chrono::steady_clock::now();
                r.train_seconds = std::chrono::duration<double>(t1 - t0).count();
                const SbiTask task = r.task;
                auto in_prior = [task](const Real* th) { return std::isfinite(sbi_log_prior(task, th)); };
                for (int o = 0; o < opt.observations; o++) {
                    Rng rng(7777 + 1000ULL * (uint64_t)r.seed + (uint64_t)o);
                    double acc = 0;
                    const Tensor s = posterior_sample(post, refs[ti].obs.row(o), opt.n_samples, rng, in_prior, &acc);
                    C2stOptions co;
                    co.max_epochs = opt.c2st_max_epochs;
                    co.seed = 1 + (uint64_t)o;
                    r.c2st.push_back(c2st(refs[ti].ref[o], s, co).accuracy);
                    r.acceptance.push_back(acc);
                    if (o == 0 && r.seed == 0) r.pairs = s;
                }
                r.c2st_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
            } catch (const symkl::Error& e) {
                r.error = e.what();
            }
            std::lock_guard<std::mutex> lock(mu);
            r.finished = true;
            done++;
            failures += !r.error.empty();
            if (!r.error.empty())  // failures are printed even when quiet
                std::fprintf(stderr, "[%zu/%zu] %s %ld %s seed %d: FAILED: %s\n", done, runs.size(),
                             sbi_task_name(r.task), r.budget, r.method.c_str(), r.seed, r.error.c_str());
            else if (!opt.quiet) {
                const double el = elapsed();
                const double eta = el / done * (runs.size() - done);
                std::fprintf(stderr,
                             "[%zu/%zu] %s %ld %s seed %d: C2ST %.3f, %ld epochs (best %ld), train %s, c2st %s; "
                             "elapsed %s, eta %s\n",
                             done, runs.size(), sbi_task_name(r.task), r.budget, r.method.c_str(), r.seed,
                             mean_of(r.c2st), r.report.epochs, r.report.best_epoch, minutes(r.train_seconds).c_str(),
                             minutes(r.c2st_seconds).c_str(), minutes(el).c_str(), minutes(eta).c_str());
            }
            write_outputs(elapsed());
        }
    };
    std::vector<std::thread> pool;
    for (long w = 0; w < workers; w++) pool.emplace_back(worker);
    for (std::thread& th : pool) th.join();
    const double wall = elapsed();
    write_outputs(wall);
    if (!opt.quiet)
        std::printf("E5: %zu runs in %s wall; wrote %s/summary.md, %s/results.csv and %s/fig/\n", runs.size(),
                minutes(wall).c_str(), opt.dir.c_str(), opt.dir.c_str(), opt.dir.c_str());
    return failures;
}
