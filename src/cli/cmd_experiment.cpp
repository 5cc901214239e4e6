// cmd_experiment.cpp — `symkl experiment E1|E2|E3|all`: the experiments that test the
// paper's claims (docs/results.md), each a grid of configurations × seeds trained with
// the same code as `symkl train`, then summarised in a CSV, a Markdown table and figures.
//
//   E1  small data (claim a): data sets × training-set sizes × methods
//   E2  learning-rate sensitivity (claim b): data sets × learning rates × methods
//   E3  what the adaptive method depends on: ε, α, M, hard vs resilient, proxy kind
//
// Layout of DIR/<E>/: runs/<cell>/seed<S>/ (one `symkl train` directory per run, each
// repeatable with `symkl train --config .../config.json`), results.csv (one row per run),
// summary.md (the tables), fig/ (the figures).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/jobs.h"
#include "cli/run.h"
#include "io/checkpoint.h"
#include "io/csv.h"
#include "io/dataset.h"
#include "io/file.h"
#include "io/json.h"
#include "nn/kernels.h"
#include "plot/figures.h"
#include "plot/metrics_file.h"
#include "tensor/error.h"

static CommandSpec experiment_spec() {
    CommandSpec c = {
        "experiment",
        "Run one of the experiments of docs/results.md (or all of them): a grid of configurations x\n"
        "seeds, each run trained as `symkl train` would, then a CSV, a Markdown summary and figures.",
        "symkl experiment E1|E2|E3|all [--quick] [--out DIR] [--jobs J] [training options]",
        "experiments:\n"
        "  E1  small data (claim a): 8gaussians, moons, rings; 100, 300, 1000 training points;\n"
        "      mle, penalty-ebm, jeffreys-ebm, jeffreys-flow; 5 seeds; test NLL and true Jeffreys\n"
        "      against steps, final and best values.\n"
        "  E2  learning-rate sensitivity (claim b): 8gaussians, moons; 1000 training points;\n"
        "      learning rates 1e-4 .. 1e-2 for every model of the run (flow, proxy, critic);\n"
        "      mle, jeffreys-ebm, wgan; 3 seeds.\n"
        "  E3  what the adaptive method depends on: 8gaussians, 300 points, jeffreys-ebm varied one\n"
        "      factor at a time from its defaults: eps margin, alpha (inf = hard constraint), the\n"
        "      number of samples M, the proxy kind; mle for reference; 3 seeds.\n"
        "--quick shrinks each to a smoke test of well under a minute (one data set, fewer\n"
        "values, 1-2 seeds, 200 steps): it checks that everything runs, not what comes out.\n"
        "\n"
        "The experiment sets --data, --method, --proxy and --seed of every run, E1 also --n-train\n"
        "(E2 and E3 take --n-train when given), E2 --lr, --proxy-lr and --critic-lr, E3 the factor\n"
        "it varies; every other training option given here applies to all runs. Runs go J at a time, one thread each: the toy models are\n"
        "too small for threads to pay, independent runs use every core.\n"
        "\n"
        "outputs (in DIR/<E>/):\n"
        "  runs/<cell>/seed<S>/   one run each, as `symkl train` writes it; repeat one with\n"
        "                         symkl train --config runs/<cell>/seed<S>/config.json --out X\n"
        "  results.csv            one row per run: its settings and final and best values\n"
        "  summary.md             the tables: median [min, max] over seeds\n"
        "  fig/                   the figures (SVG charts, PNG densities)\n"
        "\n"
        "example (everything, as `make experiments` does):\n"
        "  symkl experiment all --out runs/experiments\n",
        {
            {"--quick", nullptr, "", "the smoke-test preset (about a minute)"},
            {"--resume", nullptr, "", "keep the runs already finished in DIR (same settings assumed), train the rest"},
            {"--seeds", "N", "", "seeds 0 .. N-1 per configuration [default: 5 for E1, 3 for E2 and E3]"},
            {"--jobs", "J", "0", "runs trained at the same time (0 = the number of cores)"},
            {"--out", "DIR", "runs/experiments", "output directory (one subdirectory per experiment)"},
        }};
    for (const OptSpec& o : training_options()) c.opts.push_back(o);
    return c;
}

// ---------------------------------------------------------------------------------
// A cell is one configuration, trained with seeds 0 .. seeds-1.

struct Cell {
    std::string id;                                       // directory name under runs/
    std::vector<std::pair<std::string, std::string>> keys; // CSV key columns, in order
    std::string method;                                   // "jeffreys-ebm"
    RunSettings s;
    std::vector<size_t> runs;                             // indices into the job list
};

// Per-step cost of each method relative to MLE, measured on the toy model
// (`make bench`): the pool starts the dearest runs first.
static double method_cost(const std::string& m, long samples) {
    const double M = samples / 256.0;
    if (m == "mle") return 1;
    if (m == "wgan") return 5;
    if (m == "jeffreys-flow" || m == "penalty-flow") return 1 + 4.5 * M;
    return 1 + 2.2 * M;
}

static Cell make_cell(const RunSettings& base, const std::string& method,
                      std::vector<std::pair<std::string, std::string>> keys) {
    Cell c;
    c.s = base;
    c.method = method;
    if (!set_method(method, c.s)) throw symkl::Error("symkl experiment: unknown method '" + method + "'");
    keys.push_back({"method", method});
    c.keys = keys;
    // "8gaussians_n100_mle", "moons_lr0.001_wgan", "eps-0.5_alpha1_M256_jeffreys-ebm"
    for (const auto& kv : keys) {
        const std::string& k = kv.first;
        const char* prefix = k == "n_train" ? "n" : k == "lr" ? "lr" : k == "eps_margin" ? "eps"
                           : k == "alpha"   ? "alpha" : k == "samples" ? "M" : "";
        c.id += (c.id.empty() ? "" : "_") + std::string(prefix) + kv.second;
    }
    return c;
}

static std::string num_text(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v);
    return b;
}

static std::string fixed3(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", v);
    return b;
}

// What one experiment needs to know of its runs: final and best values per run.
struct RunOutcome {
    double final_nll = NAN, final_jef = NAN, best_nll = NAN, best_jef = NAN, final_train = NAN, final_rev = NAN;
    long best_step = 0, stopped_at = -1;  // stopped_at: the step a non-finite value stopped it
    MetricsTable table;
};

struct Context {
    std::string name, dir, title;
    long seeds = 1;
    bool quick = false;
    std::vector<Cell> cells;
    std::vector<Job> jobs;
    std::vector<RunOutcome> out;  // per job
    size_t reused = 0;            // runs kept from an earlier invocation (--resume)
    double wall = 0;
};

static std::string cell_dir(const Context& e, const Cell& c) { return e.dir + "/runs/" + c.id; }

// A run already finished in its directory (for --resume): its config.json has the same
// seed, method, data and steps, and metrics.csv reaches the last step. Fills in j.r.
static bool finished_run(Job& j, const std::map<std::string, double>& seconds) {
    try {
        const Json cfg = json_parse(read_file(j.s.out + "/config.json"), j.s.out);
        const Json *seed = cfg.find("seed"), *steps = cfg.find("steps"), *method = cfg.find("method"),
                   *data = cfg.find("data"), *eps = cfg.find("eps");
        uint64_t recorded_seed = 0;
        if (!seed || !steps || !method || !data || !seed_from_json(*seed, &recorded_seed) || recorded_seed != j.s.seed ||
            steps->number != (double)j.s.steps || method->string != method_name(j.s.trainer.method) ||
            data->string != j.s.data.data)
            return false;
        const MetricsTable t = read_metrics(j.s.out + "/metrics.csv");
        if (metrics_column(t, "step")[t.rows - 1] != (double)j.s.steps) return false;
        j.r = RunResult{};
        j.r.lambda = metrics_column(t, "lambda")[t.rows - 1];
        j.r.eps = eps ? eps->number : NAN;
        const auto it = seconds.find(j.s.out);
        j.seconds = it == seconds.end() ? NAN : it->second;  // as timed by the invocation that trained it
        j.r.exit_code = 0;
        return true;
    } catch (const symkl::Error&) {
        return false;
    }
}

static std::vector<std::string> split(const std::string& line, char sep) {
    std::vector<std::string> f;
    for (size_t b = 0;;) {
        const size_t c = line.find(sep, b);
        f.push_back(line.substr(b, c == std::string::npos ? std::string::npos : c - b));
        if (c == std::string::npos) return f;
        b = c + 1;
    }
}

// Run directory → seconds, as an earlier invocation recorded them in DIR/results.csv
// (for --resume); empty when there is no such file.
static std::map<std::string, double> recorded_seconds(const std::string& dir) {
    std::map<std::string, double> seconds;
    std::vector<std::string> lines;
    try {
        lines = split(read_file(dir + "/results.csv"), '\n');
    } catch (const symkl::Error&) {
        return seconds;
    }
    const std::vector<std::string> head = split(lines[0], ',');
    const size_t sc = std::find(head.begin(), head.end(), "seconds") - head.begin();
    const size_t dc = std::find(head.begin(), head.end(), "dir") - head.begin();
    if (sc == head.size() || dc == head.size()) return seconds;
    for (size_t i = 1; i < lines.size(); i++) {
        const std::vector<std::string> f = split(lines[i], ',');
        if (f.size() == head.size()) seconds[dir + "/" + f[dc]] = std::strtod(f[sc].c_str(), nullptr);
    }
    return seconds;
}

// Trains every run of every cell and reads back what the summaries need.
static int run_cells(Context& e, long jobs_n, long threads, bool resume) {
    for (Cell& c : e.cells) {
        for (long seed = 0; seed < e.seeds; seed++) {
            Job j;
            j.label = e.name + " " + c.id + " seed " + std::to_string(seed);
            j.s = c.s;
            j.s.seed = (uint64_t)seed;
            j.s.out = cell_dir(e, c) + "/seed" + std::to_string(seed);
            j.cost = (double)c.s.steps * method_cost(c.method, c.s.trainer.samples);
            c.runs.push_back(e.jobs.size());
            e.jobs.push_back(j);
        }
    }
    make_dirs(e.dir + "/fig");
    std::printf("symkl experiment %s: %s\n  %zu runs (%zu configurations x %ld seeds), %ld at a time\n",
                e.name.c_str(), e.title.c_str(), e.jobs.size(), e.cells.size(), e.seeds, jobs_n);
    std::fflush(stdout);
    const std::map<std::string, double> seconds = resume ? recorded_seconds(e.dir) : std::map<std::string, double>{};
    std::vector<Job> todo;
    std::vector<size_t> where;
    for (size_t i = 0; i < e.jobs.size(); i++)
        if (!(resume && finished_run(e.jobs[i], seconds))) todo.push_back(e.jobs[i]), where.push_back(i);
    e.reused = e.jobs.size() - todo.size();
    if (todo.size() < e.jobs.size())
        std::printf("  --resume: %zu runs already finished, %zu to train\n", e.jobs.size() - todo.size(), todo.size()), std::fflush(stdout);
    const auto t0 = std::chrono::steady_clock::now();
    const int failures = run_jobs(todo, jobs_n, threads, false);
    for (size_t k = 0; k < todo.size(); k++) e.jobs[where[k]] = todo[k];
    e.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    e.out.resize(e.jobs.size());
    int unreadable = 0;
    for (size_t i = 0; i < e.jobs.size(); i++) {
        const Job& j = e.jobs[i];
        RunOutcome& o = e.out[i];
        if (j.r.exit_code == 2) {
            unreadable++;
            continue;
        }
        // a run stopped on a non-finite value keeps its metrics up to the last good step
        o.table = read_metrics(j.s.out + "/metrics.csv");
        const double *step = metrics_column(o.table, "step"), *nll = metrics_column(o.table, "test_nll"),
                     *jef = metrics_column(o.table, "jeffreys"), *tr = metrics_column(o.table, "train_nll"),
                     *rev = metrics_column(o.table, "rev_kl");
        const int n = o.table.rows;
        o.final_nll = nll[n - 1], o.final_jef = jef[n - 1], o.final_train = tr[n - 1], o.final_rev = rev[n - 1];
        o.best_nll = INFINITY, o.best_jef = INFINITY;
        for (int r = 0; r < n; r++) {
            if (nll[r] < o.best_nll) o.best_nll = nll[r], o.best_step = (long)step[r];
            if (jef[r] < o.best_jef) o.best_jef = jef[r];
        }
        if (!std::isfinite(o.best_jef)) o.best_jef = NAN;
        if (j.r.exit_code == 3) o.stopped_at = (long)step[n - 1];
    }
    std::printf("  %s: %zu runs in %.1f min wall (%.1f run-minutes)%s\n", e.name.c_str(), e.jobs.size(), e.wall / 60,
                [&] {
                    double s = 0;
                    for (const Job& j : e.jobs) s += std::isnan(j.seconds) ? 0 : j.seconds;
                    return s / 60;
                }(),
                failures ? " - some runs failed or stopped, see results.csv" : "");
    return unreadable;
}

// The values of one quantity over a cell's seeds (runs that could not start are left out).
static std::vector<double> values(const Context& e, const Cell& c, double RunOutcome::*field) {
    std::vector<double> v;
    for (size_t i : c.runs)
        if (e.jobs[i].r.exit_code != 2) v.push_back(e.out[i].*field);
    return v;
}

// final − best test NLL per run: how far each has come back up from its best.
static std::vector<double> rises(const Context& e, const Cell& c) {
    std::vector<double> v;
    for (size_t i : c.runs)
        if (e.jobs[i].r.exit_code != 2) v.push_back(e.out[i].final_nll - e.out[i].best_nll);
    return v;
}

static int stopped(const Context& e, const Cell& c) {
    int n = 0;
    for (size_t i : c.runs) n += e.out[i].stopped_at >= 0 || e.jobs[i].r.exit_code == 2;
    return n;
}

static void write_results_csv(const Context& e) {
    std::string csv;
    for (const auto& kv : e.cells.front().keys) csv += kv.first + ",";
    csv += "seed,exit_code,stopped_at,final_test_nll,final_jeffreys,best_test_nll,best_step,best_jeffreys,"
           "final_train_nll,final_lambda,eps,seconds,dir\n";
    for (const Cell& c : e.cells) {
        for (size_t i : c.runs) {
            const Job& j = e.jobs[i];
            const RunOutcome& o = e.out[i];
            for (const auto& kv : c.keys) csv += kv.second + ",";
            csv += std::to_string(j.s.seed) + "," + std::to_string(j.r.exit_code) + "," + std::to_string(o.stopped_at);
            for (double v : {o.final_nll, o.final_jef, o.best_nll, (double)o.best_step, o.best_jef, o.final_train,
                             j.r.lambda, j.r.eps, j.seconds})
                csv += "," + csv_format(v);
            csv += ",runs/" + c.id + "/seed" + std::to_string(j.s.seed) + "\n";
        }
    }
    write_file_atomic(e.dir + "/results.csv", csv);
}

// "| 3.263 [3.209, 3.748] |" cells; a cell with stopped runs says how many.
static std::string stat_cell(const Context& e, const Cell& c, double RunOutcome::*field) {
    const Stats st = stats_of(values(e, c, field));
    std::string t = std::isnan(st.med) ? "n/a" : stats_text(st);
    return t;
}

static std::string header_md(const Context& e, const std::string& what) {
    char b[1024];
    double cpu = 0;
    for (const Job& j : e.jobs) cpu += std::isnan(j.seconds) ? 0 : j.seconds;
    std::snprintf(b, sizeof b,
                  "# %s: %s\n\n%s\n\n%zu runs (%zu configurations x %ld seeds), %ld steps each; %.1f min wall on "
                  "%u cores (%.1f run-minutes), Real = %s, kernels: %s. Values are median [min, max] over seeds "
                  "(nats per point). A run stopped by a non-finite value counts with its last logged values and "
                  "is flagged.%s\n\n",
                  e.name.c_str(), e.title.c_str(), what.c_str(), e.jobs.size(), e.cells.size(), e.seeds,
                  e.cells.front().s.steps, e.wall / 60, std::max(1u, std::thread::hardware_concurrency()), cpu / 60,
                  SYMKL_REAL_NAME, matmul_version(), e.quick ? " **Quick preset: a smoke test, not a result.**" : "");
    const size_t reused = e.reused;
    std::string h = b;
    if (reused)  // --resume: the times cover only the runs trained by this invocation
        h.insert(h.find(" wall on "), " wall for this invocation, which reused " + std::to_string(reused) +
                                          " runs trained earlier (their times are in the run-minutes)");
    // "12.0 min wall for this invocation, ... wall on" → drop the second "wall"
    const size_t w = h.find(" wall on ");
    if (reused && w != std::string::npos) h.replace(w, 9, " on ");
    return h;
}

// ---------------------------------------------------------------------------------
// Figures

// One learning curve per cell (median and band over its seeds) of a metrics column.
static void curves_figure(const Context& e, const std::string& file, const std::string& title,
                          const std::vector<std::pair<std::string, const Cell*>>& cells, const std::string& column,
                          bool log_y) {
    std::vector<Series> series;
    for (const auto& lc : cells) {
        RunGroup g{lc.first, {}};
        for (size_t i : lc.second->runs)
            if (e.jobs[i].r.exit_code != 2) g.runs.push_back(e.out[i].table);
        if (g.runs.empty()) continue;
        Series s = group_series(g, column);
        s.label = lc.first;
        series.push_back(s);
    }
    ChartSpec spec;
    spec.title = title;
    spec.xlabel = "step";
    spec.ylabel = column_title(column);
    spec.log_y = log_y;
    try {
        write_line_chart(e.dir + "/fig/" + file, spec, series);
    } catch (const symkl::Error& err) {
        std::fprintf(stderr, "symkl: warning: %s not drawn: %s\n", file.c_str(), err.what());
    }
}

// A final value against a numeric setting: one series per label, x from the cells.
struct VersusLine {
    std::string label;
    std::vector<std::pair<double, const Cell*>> points;
    Dash dash = Dash::solid;
};

static void versus_figure(const Context& e, const std::string& file, const std::string& title,
                          const std::string& xlabel, const std::vector<VersusLine>& lines, double RunOutcome::*field,
                          const std::string& ylabel, bool log_x, bool log_y) {
    std::vector<Series> series;
    for (const VersusLine& l : lines) {
        Series s;
        s.label = l.label;
        s.dash = l.dash;
        s.markers = true;
        for (const auto& p : l.points) {
            const Stats st = stats_of(values(e, *p.second, field));
            s.x.push_back(p.first), s.y_med.push_back(st.med), s.y_lo.push_back(st.lo), s.y_hi.push_back(st.hi);
        }
        series.push_back(s);
    }
    ChartSpec spec;
    spec.title = title;
    spec.xlabel = xlabel;
    spec.ylabel = ylabel;
    spec.log_x = log_x;
    spec.log_y = log_y;
    for (const VersusLine& l : lines)  // label exactly the values that were run
        for (const auto& p : l.points) spec.x_ticks.push_back(p.first);
    try {
        write_line_chart(e.dir + "/fig/" + file, spec, series);
    } catch (const symkl::Error& err) {
        std::fprintf(stderr, "symkl: warning: %s not drawn: %s\n", file.c_str(), err.what());
    }
}

// The true density, then each cell's seed-0 model, side by side (PNG).
static void density_figure(const Context& e, const std::string& file, const std::vector<const Cell*>& cells) {
    try {
        const Cell& first = *cells.front();
        const Dataset d = load_dataset(first.s.data, 0, "symkl experiment");
        if (!d.is_toy || d.train.cols != 2) return;
        const int W = 128;
        const Box b = data_box(d.train, 1.0);
        std::vector<std::vector<double>> panels{toy_density_grid(d.toy, b, W, W)};
        for (const Cell* c : cells) {
            Flow f;
            load_flow(e.dir + "/runs/" + c->id + "/seed0/model.safetensors", f);
            panels.push_back(flow_density_grid(f, b, W, W));
        }
        write_heatmap_row(e.dir + "/fig/" + file, panels, W, W, 4);
    } catch (const symkl::Error& err) {
        std::fprintf(stderr, "symkl: warning: %s not drawn: %s\n", file.c_str(), err.what());
    }
}

// log y when every value to draw is positive (NLLs can be negative on some data).
static bool all_positive(const Context& e, const std::vector<const Cell*>& cells, const std::string& column) {
    for (const Cell* c : cells)
        for (size_t i : c->runs) {
            if (e.jobs[i].r.exit_code == 2) continue;
            const double* v = metrics_column(e.out[i].table, column);
            for (int r = 0; r < e.out[i].table.rows; r++)
                if (!(v[r] > 0) && !std::isnan(v[r])) return false;
        }
    return true;
}

static const Cell* find_cell(const Context& e, const std::vector<std::pair<std::string, std::string>>& keys) {
    for (const Cell& c : e.cells) {
        bool ok = true;
        for (const auto& k : keys) {
            bool found = false;
            for (const auto& ck : c.keys) found = found || (ck.first == k.first && ck.second == k.second);
            ok = ok && found;
        }
        if (ok) return &c;
    }
    return nullptr;
}

// ---------------------------------------------------------------------------------
// E1: small data

static void e1_cells(Context& e, const RunSettings& base) {
    e.title = "small data (claim a)";
    const std::vector<std::string> data = e.quick ? std::vector<std::string>{"8gaussians"}
                                                  : std::vector<std::string>{"8gaussians", "moons", "rings"};
    const std::vector<long> sizes = e.quick ? std::vector<long>{100} : std::vector<long>{100, 300, 1000};
    for (const std::string& dn : data)
        for (long n : sizes)
            for (const char* m : {"mle", "penalty-ebm", "jeffreys-ebm", "jeffreys-flow"}) {
                RunSettings s = base;
                s.data.data = dn;
                s.data.n_train = n;
                e.cells.push_back(make_cell(s, m, {{"data", dn}, {"n_train", std::to_string(n)}}));
            }
}

static const char* const E1_METHODS[] = {"mle", "penalty-ebm", "jeffreys-ebm", "jeffreys-flow"};

static std::string e1_outputs(Context& e) {
    std::vector<std::string> data, sizes;
    for (const Cell& c : e.cells) {
        if (std::find(data.begin(), data.end(), c.keys[0].second) == data.end()) data.push_back(c.keys[0].second);
        if (std::find(sizes.begin(), sizes.end(), c.keys[1].second) == sizes.end()) sizes.push_back(c.keys[1].second);
    }
    std::string md = header_md(e,
                               "Every method trains the same flow (K = 8 couplings, 2 x 64 ReLU conditioners) with the "
                               "same budget on training sets of several sizes; the test set has " +
                                   std::to_string(e.cells.front().s.data.n_test) +
                                   " fresh points and the Jeffreys divergence is computed against the true density "
                                   "(Monte Carlo). 'rise' is the median over seeds of (final - best) test NLL: how far "
                                   "a run has come back up from its best.");
    int wins_nll = 0, wins_rise = 0, cases = 0;
    for (const std::string& dn : data) {
        md += "## " + dn + "\n\n| n | method | final test NLL | best test NLL | rise | final Jeffreys | best Jeffreys | "
              "stopped |\n|---|---|---|---|---|---|---|---|\n";
        std::vector<VersusLine> vs;
        for (const char* m : E1_METHODS) vs.push_back({m, {}});
        for (const std::string& n : sizes) {
            std::vector<std::pair<std::string, const Cell*>> group;
            std::vector<const Cell*> cs;
            for (size_t k = 0; k < sizeof E1_METHODS / sizeof *E1_METHODS; k++) {
                const Cell* c = find_cell(e, {{"data", dn}, {"n_train", n}, {"method", E1_METHODS[k]}});
                if (!c) continue;
                group.push_back({E1_METHODS[k], c});
                cs.push_back(c);
                vs[k].points.push_back({std::stod(n), c});
                md += "| " + n + " | " + E1_METHODS[k] + " | " + stat_cell(e, *c, &RunOutcome::final_nll) + " | " +
                      stat_cell(e, *c, &RunOutcome::best_nll) + " | " + fixed3(stats_of(rises(e, *c)).med) + " | " +
                      stat_cell(e, *c, &RunOutcome::final_jef) + " | " + stat_cell(e, *c, &RunOutcome::best_jef) +
                      " | " + std::to_string(stopped(e, *c)) + " |\n";
            }
            const std::string stem = dn + "-n" + n;
            curves_figure(e, stem + "-test-nll.svg", dn + ", " + n + " training points: test NLL", group, "test_nll",
                          all_positive(e, cs, "test_nll"));
            curves_figure(e, stem + "-jeffreys.svg", dn + ", " + n + " training points: true Jeffreys divergence",
                          group, "jeffreys", all_positive(e, cs, "jeffreys"));
            if (n == sizes.front()) density_figure(e, stem + "-density.png", cs);
            // the verdict lines: does the adaptive method (EBM proxy) beat MLE here?
            const Cell *mle = find_cell(e, {{"data", dn}, {"n_train", n}, {"method", "mle"}}),
                       *adp = find_cell(e, {{"data", dn}, {"n_train", n}, {"method", "jeffreys-ebm"}});
            if (mle && adp) {
                cases++;
                wins_nll += stats_of(values(e, *adp, &RunOutcome::final_nll)).med <
                            stats_of(values(e, *mle, &RunOutcome::final_nll)).med;
                wins_rise += stats_of(rises(e, *adp)).med < stats_of(rises(e, *mle)).med;
            }
        }
        md += "\n";
        versus_figure(e, dn + "-final-test-nll.svg", dn + ": final test NLL against the training-set size",
                      "training points", vs, &RunOutcome::final_nll, "final test NLL (nats)", true, false);
        versus_figure(e, dn + "-final-jeffreys.svg", dn + ": final true Jeffreys against the training-set size",
                      "training points", vs, &RunOutcome::final_jef, "final Jeffreys (nats)", true, true);
    }
    char v[512];
    std::snprintf(v, sizeof v,
                  "**Counted over the %d (data, size) cases:** jeffreys-ebm's median final test NLL is below mle's in "
                  "%d; its median rise is below mle's in %d.\n",
                  cases, wins_nll, wins_rise);
    return md + v;
}

// ---------------------------------------------------------------------------------
// E2: learning rates

static void e2_cells(Context& e, const RunSettings& base, bool n_given) {
    e.title = "learning-rate sensitivity (claim b)";
    const std::vector<std::string> data = e.quick ? std::vector<std::string>{"8gaussians"}
                                                  : std::vector<std::string>{"8gaussians", "moons"};
    const std::vector<double> lrs = e.quick ? std::vector<double>{1e-3, 1e-2}
                                            : std::vector<double>{1e-4, 3e-4, 1e-3, 3e-3, 1e-2};
    for (const std::string& dn : data)
        for (double lr : lrs)
            for (const char* m : {"mle", "jeffreys-ebm", "wgan"}) {
                RunSettings s = base;
                s.data.data = dn;
                if (!n_given) s.data.n_train = 1000;
                s.lr = s.trainer.proxy_adam.lr = s.trainer.wgan.critic_adam.lr = lr;
                e.cells.push_back(make_cell(s, m, {{"data", dn}, {"lr", num_text(lr)}}));
            }
}

static const char* const E2_METHODS[] = {"mle", "jeffreys-ebm", "wgan"};

static std::string e2_outputs(Context& e) {
    std::vector<std::string> data, lrs;
    for (const Cell& c : e.cells) {
        if (std::find(data.begin(), data.end(), c.keys[0].second) == data.end()) data.push_back(c.keys[0].second);
        if (std::find(lrs.begin(), lrs.end(), c.keys[1].second) == lrs.end()) lrs.push_back(c.keys[1].second);
    }
    std::string md = header_md(e,
                               "The learning rate of every model of a run (the flow, the proxy, the critic) is set to "
                               "each value in turn; everything else stays at the method's defaults (Adam betas: "
                               "0.9/0.999, WGAN 0.5/0.9). The reverse KL, KL(p || true density), is what the WGAN's "
                               "samples can be judged by: its test NLL and forward KL measure the flow's density, "
                               "which the WGAN never trains. Training set: " +
                                   std::to_string(e.cells.front().s.data.n_train) + " points.");
    for (const std::string& dn : data) {
        md += "## " + dn + "\n\n| lr | method | final test NLL | best test NLL | final Jeffreys | best Jeffreys | "
              "final reverse KL | stopped |\n|---|---|---|---|---|---|---|---|\n";
        std::vector<VersusLine> vs;
        for (const char* m : E2_METHODS) vs.push_back({m, {}});
        for (size_t k = 0; k < sizeof E2_METHODS / sizeof *E2_METHODS; k++) {
            std::vector<std::pair<std::string, const Cell*>> group;
            std::vector<const Cell*> cs;
            for (const std::string& lr : lrs) {
                const Cell* c = find_cell(e, {{"data", dn}, {"lr", lr}, {"method", E2_METHODS[k]}});
                if (!c) continue;
                group.push_back({"lr " + lr, c});
                cs.push_back(c);
                vs[k].points.push_back({std::stod(lr), c});
            }
            curves_figure(e, dn + "-" + E2_METHODS[k] + "-test-nll.svg",
                          dn + ", " + E2_METHODS[k] + ": test NLL for each learning rate", group, "test_nll",
                          all_positive(e, cs, "test_nll"));
            curves_figure(e, dn + "-" + E2_METHODS[k] + "-jeffreys.svg",
                          dn + ", " + E2_METHODS[k] + ": true Jeffreys for each learning rate", group, "jeffreys",
                          all_positive(e, cs, "jeffreys"));
        }
        for (const std::string& lr : lrs)
            for (const char* m : E2_METHODS) {
                const Cell* c = find_cell(e, {{"data", dn}, {"lr", lr}, {"method", m}});
                if (!c) continue;
                md += "| " + lr + " | " + m + " | " + stat_cell(e, *c, &RunOutcome::final_nll) + " | " +
                      stat_cell(e, *c, &RunOutcome::best_nll) + " | " + stat_cell(e, *c, &RunOutcome::final_jef) +
                      " | " + stat_cell(e, *c, &RunOutcome::best_jef) + " | " + stat_cell(e, *c, &RunOutcome::final_rev) +
                      " | " + std::to_string(stopped(e, *c)) + " |\n";
            }
        md += "\n";
        std::vector<const Cell*> all;
        for (const Cell& c : e.cells)
            if (c.keys[0].second == dn) all.push_back(&c);
        versus_figure(e, dn + "-final-test-nll-vs-lr.svg", dn + ": final test NLL against the learning rate",
                      "learning rate", vs, &RunOutcome::final_nll, "final test NLL (nats)", true,
                      all_positive(e, all, "test_nll"));
        versus_figure(e, dn + "-final-jeffreys-vs-lr.svg", dn + ": final true Jeffreys against the learning rate",
                      "learning rate", vs, &RunOutcome::final_jef, "final Jeffreys (nats)", true, true);
        versus_figure(e, dn + "-final-rev-kl-vs-lr.svg",
                      dn + ": final reverse KL(p || true density) against the learning rate", "learning rate", vs,
                      &RunOutcome::final_rev, "final reverse KL (nats)", true, true);
    }
    return md;
}

// ---------------------------------------------------------------------------------
// E3: the adaptive method's settings, one factor at a time

struct Factor {
    const char* key;     // CSV column and figure name
    const char* title;
    std::vector<std::string> values;
    bool log_x;
};

static std::vector<Factor> e3_factors(bool quick) {
    if (quick)
        return {{"eps_margin", "eps margin (nats above the kNN entropy)", {"-0.5", "0"}, false},
                {"alpha", "alpha (inf = hard constraint)", {"1", "inf"}, true},
                {"samples", "samples M per step", {"64", "256"}, true},
                {"proxy", "proxy", {"ebm", "flow"}, false}};
    return {{"eps_margin", "eps margin (nats above the kNN entropy)", {"-1", "-0.5", "0", "0.5", "1"}, false},
            {"alpha", "alpha (inf = hard constraint)", {"0.1", "1", "10", "inf"}, true},
            {"samples", "samples M per step", {"64", "256", "1024"}, true},
            {"proxy", "proxy", {"ebm", "flow"}, false}};
}

// The base values of the factors (the defaults of `symkl train`).
static const char* const E3_BASE[] = {"0", "1", "256", "ebm"};

static void e3_cells(Context& e, const RunSettings& base, bool n_given) {
    e.title = "what the adaptive method depends on";
    const std::vector<Factor> fs = e3_factors(e.quick);
    RunSettings b = base;
    b.data.data = "8gaussians";
    if (!n_given) b.data.n_train = 300;
    std::vector<std::string> seen;
    for (size_t f = 0; f < fs.size(); f++)
        for (const std::string& v : fs[f].values) {
            std::vector<std::string> vals(E3_BASE, E3_BASE + 4);
            vals[f] = v;
            RunSettings s = b;
            s.eps_margin = std::stod(vals[0]);
            s.trainer.dual.alpha = vals[1] == "inf" ? INFINITY : std::stod(vals[1]);
            s.trainer.samples = std::stoi(vals[2]);
            const std::string method = std::string("jeffreys-") + vals[3];
            Cell c = make_cell(s, method, {{"eps_margin", vals[0]}, {"alpha", vals[1]}, {"samples", vals[2]}});
            if (std::find(seen.begin(), seen.end(), c.id) != seen.end()) continue;  // the base, again
            seen.push_back(c.id);
            e.cells.push_back(c);
        }
    Cell ref = make_cell(b, "mle", {{"eps_margin", "-"}, {"alpha", "-"}, {"samples", "-"}});
    ref.id = "mle";
    e.cells.push_back(ref);
}

static std::string e3_outputs(Context& e) {
    const std::vector<Factor> fs = e3_factors(e.quick);
    const Cell* mle = find_cell(e, {{"method", "mle"}});
    std::string md = header_md(e,
                               "jeffreys with the EBM proxy at its defaults (eps = kNN entropy + 0, alpha = 1, M = "
                               "256) on 8gaussians with " +
                                   std::to_string(e.cells.front().s.data.n_train) +
                                   " training points; one factor varies at a time. mle is the reference.");
    md += "| factor | value | final test NLL | best test NLL | final Jeffreys | final lambda | stopped |\n"
          "|---|---|---|---|---|---|---|\n";
    auto lambdas = [&](const Cell& c) {
        std::vector<double> v;
        for (size_t i : c.runs) v.push_back(e.jobs[i].r.lambda);
        return stats_text(stats_of(v));
    };
    for (size_t f = 0; f < fs.size(); f++) {
        VersusLine line{"jeffreys", {}};
        VersusLine ref{"mle", {}, Dash::dashed};
        std::vector<std::pair<std::string, const Cell*>> group;
        for (const std::string& v : fs[f].values) {
            std::vector<std::pair<std::string, std::string>> keys;
            for (size_t g = 0; g < 3; g++) keys.push_back({fs[g].key, g == f ? v : std::string(E3_BASE[g])});
            keys.push_back({"method", std::string("jeffreys-") + (f == 3 ? v : std::string(E3_BASE[3]))});
            const Cell* c = find_cell(e, keys);
            if (!c) continue;
            md += std::string("| ") + fs[f].key + " | " + v + " | " + stat_cell(e, *c, &RunOutcome::final_nll) + " | " +
                  stat_cell(e, *c, &RunOutcome::best_nll) + " | " + stat_cell(e, *c, &RunOutcome::final_jef) + " | " +
                  lambdas(*c) + " | " + std::to_string(stopped(e, *c)) + " |\n";
            group.push_back({std::string(fs[f].key) + " " + v, c});
            if (f < 3 && v != "inf") {
                line.points.push_back({std::stod(v), c});
                if (mle) ref.points.push_back({std::stod(v), mle});
            }
        }
        const std::string key = fs[f].key;
        if (!line.points.empty()) {
            versus_figure(e, key + "-test-nll.svg", std::string("final test NLL against ") + fs[f].title,
                          fs[f].title, {line, ref}, &RunOutcome::final_nll, "final test NLL (nats)", fs[f].log_x,
                          false);
            versus_figure(e, key + "-jeffreys.svg", std::string("final true Jeffreys against ") + fs[f].title,
                          fs[f].title, {line, ref}, &RunOutcome::final_jef, "final Jeffreys (nats)", fs[f].log_x,
                          true);
        }
        if (mle) group.push_back({"mle", mle});
        curves_figure(e, key + "-curves-test-nll.svg", std::string("test NLL for each ") + fs[f].title, group,
                      "test_nll", false);
        group.pop_back();
        if (key == "alpha" || key == "eps_margin")
            curves_figure(e, key + "-curves-lambda.svg", std::string("lambda for each ") + fs[f].title, group,
                          "lambda", false);
    }
    if (mle)
        md += "| (reference) | mle | " + stat_cell(e, *mle, &RunOutcome::final_nll) + " | " +
              stat_cell(e, *mle, &RunOutcome::best_nll) + " | " + stat_cell(e, *mle, &RunOutcome::final_jef) +
              " | | " + std::to_string(stopped(e, *mle)) + " |\n";
    return md;
}

// ---------------------------------------------------------------------------------

int cmd_experiment(int argc, char** argv) {
    const CommandSpec spec = experiment_spec();
    if (argc >= 3 && (std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h")) {
        std::fputs(command_help(spec).c_str(), stdout);
        return 0;
    }
    if (argc < 3 || argv[2][0] == '-')
        throw symkl::Error("symkl experiment: name the experiment first: E1, E2, E3 or all (see 'symkl experiment --help')");
    std::string which = argv[2];
    for (char& ch : which) ch = (char)std::toupper((unsigned char)ch);
    if (which != "E1" && which != "E2" && which != "E3" && which != "ALL")
        throw symkl::Error("symkl experiment: unknown experiment '" + std::string(argv[2]) +
                           "': use E1, E2, E3 or all (see 'symkl experiment --help')");
    bool help = false;
    const Args a = parse_args(spec, argc, argv, 3, &help);
    if (help) {
        std::fputs(command_help(spec).c_str(), stdout);
        return 0;
    }
    RunSettings base;
    read_training_options(a, base);
    const bool quick = a.on("--quick");
    if (quick) {  // the smoke preset, unless the command line says otherwise
        if (!a.has("--steps")) base.steps = 200;
        if (!a.has("--log-every")) base.log_every = 50;
        if (!a.has("--n-eval")) base.n_eval = 1000;
        if (!a.has("--n-test")) base.data.n_test = 2000;
    }
    const std::string out = a.str("--out");
    if (out.empty()) a.fail("--out", "must not be empty");
    long jobs_n = a.integer("--jobs", 0, 256);
    if (jobs_n == 0) jobs_n = std::max(1u, std::thread::hardware_concurrency());
    const bool n_given = a.has("--n-train");
    int unreadable = 0;
    for (const char* name : {"E1", "E2", "E3"}) {
        if (which != "ALL" && which != name) continue;
        Context e;
        e.name = name;
        e.dir = out + "/" + name;
        e.quick = quick;
        e.seeds = a.has("--seeds") ? a.integer("--seeds", 1, 1000) : quick ? (e.name == "E1" ? 2 : 1)
                                                                            : (e.name == "E1" ? 5 : 3);
        std::string md;
        if (e.name == "E1") {
            e1_cells(e, base);
            unreadable += run_cells(e, jobs_n, base.threads, a.on("--resume"));
            md = e1_outputs(e);
        } else if (e.name == "E2") {
            e2_cells(e, base, n_given);
            unreadable += run_cells(e, jobs_n, base.threads, a.on("--resume"));
            md = e2_outputs(e);
        } else {
            e3_cells(e, base, n_given);
            unreadable += run_cells(e, jobs_n, base.threads, a.on("--resume"));
            md = e3_outputs(e);
        }
        write_results_csv(e);
        write_file_atomic(e.dir + "/summary.md", md);
        std::printf("  wrote %s/summary.md, %s/results.csv and %s/fig/\n\n", e.dir.c_str(), e.dir.c_str(),
                    e.dir.c_str());
        std::fflush(stdout);
    }
    return unreadable ? 2 : 0;
}
