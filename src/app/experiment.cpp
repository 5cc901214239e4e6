// experiment.cpp — the runner of experiment tables: cells from the grid, runs on the
// worker pool, results.csv, and the summary's tables and figures.
#include "app/experiment.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include "io/text.h"
#include "io/checkpoint.h"
#include "io/csv.h"
#include "io/dataset.h"
#include "io/file.h"
#include "io/json.h"
#include "nn/kernels.h"
#include "plot/figures.h"
#include "tensor/error.h"

static void make_dir(const std::string& path) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec || !std::filesystem::is_directory(path))
        throw symkl::Error("cannot create directory '" + path + "' (choose another --out)");
}

static std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
    return s;
}

size_t axis_index(const Experiment& x, const std::string& key) {
    for (size_t k = 0; k < x.axes.size(); k++)
        if (x.axes[k].key == key) return k;
    throw symkl::Error("experiment " + x.name + ": no axis '" + key + "'");
}

static const std::string& axis_name(const Axis& a) { return a.name.empty() ? a.key : a.name; }

// ---------------------------------------------------------------------------------
// Cells

RunSettings settings_for(const Args& cmdline, const Overrides& set, const Overrides& defaults,
                         const std::string& method, const Training& t) {
    Args a = cmdline;
    for (const auto& o : defaults)
        if (!cmdline.given.count(o.first)) a.values[o.first] = o.second, a.given[o.first] = true;
    for (const auto& o : set) a.values[o.first] = o.second, a.given[o.first] = true;
    RunSettings s;
    t.read_options(a, s);
    if (!method.empty() && !set_method(method, s))
        throw symkl::Error("symkl experiment: unknown method '" + excerpt(method) + "'");
    return s;
}

// Per-step cost of each method relative to MLE, measured on the toy model
// (`make bench`): the pool starts the dearest runs first.
static double method_cost(const std::string& m, long samples) {
    const double M = samples / 256.0;
    if (m == "mle") return 1;
    if (m == "wgan") return 5;
    if (m == "jeffreys-flow" || m == "penalty-flow") return 1 + 4.5 * M;
    return 1 + 2.2 * M;
}

// The cell of one choice of values (nullptr: the axis has none, "-"), named by its method
// when no value is chosen at all (a reference cell).
static Cell make_cell(const Experiment& x, const std::vector<const Level*>& choice, const std::string& method) {
    Cell c;
    c.set = x.set;
    c.method = method;
    for (size_t k = 0; k < x.axes.size(); k++) {
        const Axis& a = x.axes[k];
        const Level* l = choice[k];
        const std::string none = a.key == "method" && !method.empty() ? method : "-";
        c.levels.push_back(l ? l->value : none);
        c.shown.push_back(l ? l->shown() : none);
        if (!l) continue;
        for (const std::string& f : a.flags) c.set.push_back({f, l->value});
        c.set.insert(c.set.end(), l->also.begin(), l->also.end());
        if (a.key == "method") c.method = l->value;
        c.id += (c.id.empty() ? "" : "_") + a.prefix + l->value;
    }
    if (c.id.empty()) c.id = method;
    return c;
}

Results plan(const Experiment& x, const Args& cmdline, const Overrides& extra, bool quick, long seeds,
             const std::string& dir, const Training& t) {
    Results r;
    r.x = &x, r.dir = dir, r.quick = quick, r.seeds = seeds;
    for (const Axis& a : x.axes) r.levels.push_back(quick && !a.quick.empty() ? a.quick : a.levels);
    const size_t K = x.axes.size();
    std::vector<Cell> cells;
    if (x.grid == Grid::product) {
        std::vector<size_t> at(K, 0);  // an odometer over the axes, the last one fastest
        while (K && at[0] < r.levels[0].size()) {
            std::vector<const Level*> choice;
            for (size_t k = 0; k < K; k++) choice.push_back(&r.levels[k][at[k]]);
            cells.push_back(make_cell(x, choice, ""));
            for (size_t k = K; k-- > 0;) {
                if (++at[k] < r.levels[k].size() || k == 0) break;
                at[k] = 0;
            }
        }
    } else {
        std::vector<Level> base;
        for (size_t k = 0; k < K; k++) {
            const std::vector<Level>& all = x.axes[k].levels;
            auto it = std::find_if(all.begin(), all.end(), [&](const Level& l) { return l.value == x.axes[k].base; });
            base.push_back(it != all.end() ? *it : Level(x.axes[k].base));
        }
        for (size_t f = 0; f < K; f++)
            for (const Level& l : r.levels[f]) {
                std::vector<const Level*> choice;
                for (size_t k = 0; k < K; k++) choice.push_back(k == f ? &l : &base[k]);
                Cell c = make_cell(x, choice, "");
                const bool seen = std::any_of(cells.begin(), cells.end(), [&](const Cell& o) { return o.id == c.id; });
                if (!seen) cells.push_back(c);  // the base, again
            }
    }
    for (const std::string& m : x.references) cells.push_back(make_cell(x, std::vector<const Level*>(K, nullptr), m));
    Overrides defaults = extra;
    defaults.insert(defaults.end(), x.defaults.begin(), x.defaults.end());
    for (Cell& c : cells) {
        c.s = settings_for(cmdline, c.set, defaults, c.method, t);
        for (long seed = 0; seed < seeds; seed++) {
            Job j;
            j.label = (x.name.empty() ? "" : x.name + " ") + c.id + " seed " + std::to_string(seed);
            j.s = c.s;
            j.s.seed = (uint64_t)seed;
            j.s.out = dir + "/" + replace_all(replace_all(x.run_dir, "{cell}", c.id), "{seed}", std::to_string(seed));
            j.s.force = true;  // the experiment owns its run directories: a rerun replaces them
            j.cost = (double)c.s.steps * method_cost(c.method, c.s.trainer.samples);
            c.runs.push_back(r.jobs.size());
            r.jobs.push_back(j);
        }
        r.cells.push_back(c);
    }
    return r;
}

// ---------------------------------------------------------------------------------
// Running

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

// metrics.csv of a run that early stopping ended: its last `patience` validations came
// after the lowest validation NLL (train/select.h).
static bool stopped_early(const MetricsTable& t, long patience) {
    if (patience < 1 || t.column("val_nll") < 0) return false;
    const double* val = metrics_column(t, "val_nll");
    long since = 0;
    double best = INFINITY;
    for (int i = 0; i < t.rows; i++) {
        if (std::isnan(val[i])) continue;
        if (val[i] < best) best = val[i], since = 0;
        else since++;
    }
    return since >= patience;
}

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
        if (metrics_column(t, "step")[t.rows - 1] != (double)j.s.steps && !stopped_early(t, j.s.patience)) return false;
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

// Final and best values of a run from its metrics.csv (a run stopped on a non-finite
// value keeps its metrics up to the last good step).
static Outcome read_outcome(const Job& j) {
    Outcome o;
    o.table = read_metrics(j.s.out + "/metrics.csv");
    const MetricsTable& t = o.table;
    const int n = t.rows;
    if (is_baseline(j.s.trainer.method)) {  // the selected grid value is the run's only model
        o.baseline = true;
        const double *sel = metrics_column(t, "selected"), *nll = metrics_column(t, "test_nll");
        for (int i = 0; i < n; i++)
            if (sel[i] == 1) {
                o.final_nll = o.best_nll = o.selected_nll = nll[i];
                o.final_train = metrics_column(t, "train_nll")[i], o.final_fwd = metrics_column(t, "fwd_kl")[i];
                o.selected_val = metrics_column(t, "val_nll")[i];
            }
        return o;
    }
    const double *step = metrics_column(t, "step"), *nll = metrics_column(t, "test_nll"),
                 *jef = metrics_column(t, "jeffreys");
    o.final_nll = nll[n - 1], o.final_jef = jef[n - 1], o.final_train = metrics_column(t, "train_nll")[n - 1];
    o.final_rev = metrics_column(t, "rev_kl")[n - 1], o.final_fwd = metrics_column(t, "fwd_kl")[n - 1];
    o.best_nll = INFINITY, o.best_jef = INFINITY;
    for (int i = 0; i < n; i++) {
        if (nll[i] < o.best_nll) o.best_nll = nll[i], o.best_step = (long)step[i];
        if (jef[i] < o.best_jef) o.best_jef = jef[i];
    }
    if (!std::isfinite(o.best_jef)) o.best_jef = NAN;
    // the selected model: the first lowest val_nll (as train/select.h chooses); the last row without one
    const double* val = t.column("val_nll") >= 0 ? metrics_column(t, "val_nll") : nullptr;
    o.selected_nll = nll[n - 1], o.selected_step = (long)step[n - 1];
    for (int i = 0; val && i < n; i++)
        if (std::isfinite(val[i]) && !(val[i] >= o.selected_val))
            o.selected_val = val[i], o.selected_nll = nll[i], o.selected_step = (long)step[i];
    if (j.r.exit_code == 3) o.stopped_at = (long)step[n - 1];
    return o;
}

void run(Results& r, long jobs_n, bool resume, bool quiet, const Training& t) {
    make_dir(r.dir);
    const std::map<std::string, double> seconds = resume ? recorded_seconds(r.dir) : std::map<std::string, double>{};
    std::vector<Job> todo;
    std::vector<size_t> where;
    for (size_t i = 0; i < r.jobs.size(); i++)
        if (!(resume && finished_run(r.jobs[i], seconds))) todo.push_back(r.jobs[i]), where.push_back(i);
    r.reused = r.jobs.size() - todo.size();
    if (r.reused)
        std::printf("  --resume: %zu runs already finished, %zu to train\n", r.reused, todo.size()),
            std::fflush(stdout);
    const auto t0 = std::chrono::steady_clock::now();
    r.failures = run_jobs(todo, jobs_n, r.jobs.front().s.threads, quiet, t.train);
    for (size_t k = 0; k < todo.size(); k++) r.jobs[where[k]] = todo[k];
    r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.out.assign(r.jobs.size(), Outcome{});
    for (size_t i = 0; i < r.jobs.size(); i++) {
        if (r.jobs[i].r.exit_code == 2)
            r.unreadable++;
        else
            r.out[i] = read_outcome(r.jobs[i]);
    }
}

// ---------------------------------------------------------------------------------
// results.csv

// The value of a results.csv column for run i.
static std::string run_value(const Results& r, size_t i, const std::string& column) {
    const Job& j = r.jobs[i];
    const Outcome& o = r.out[i];
    if (column == "seed") return std::to_string(j.s.seed);
    if (column == "exit_code") return std::to_string(j.r.exit_code);
    if (column == "stopped_at") return std::to_string(o.stopped_at);
    if (column == "dir") return j.s.out.substr(r.dir.size() + 1);
    const std::pair<const char*, double> numbers[] = {{"final_test_nll", o.final_nll},
                                                      {"final_jeffreys", o.final_jef},
                                                      {"final_fwd_kl", o.final_fwd},
                                                      {"final_rev_kl", o.final_rev},
                                                      {"final_train_nll", o.final_train},
                                                      {"best_test_nll", o.best_nll},
                                                      {"best_step", (double)o.best_step},
                                                      {"best_jeffreys", o.best_jef},
                                                      {"selected_test_nll", o.selected_nll},
                                                      {"selected_val_nll", o.selected_val},
                                                      {"selected_step", (double)o.selected_step},
                                                      {"final_lambda", j.r.lambda},
                                                      {"lambda", j.r.lambda},
                                                      {"eps", j.r.eps},
                                                      {"seconds", j.seconds}};
    for (const auto& n : numbers)
        if (column == n.first) return csv_format(n.second);
    throw symkl::Error("results.csv: no column '" + column + "'");
}

static void write_results_csv(const Results& r) {
    std::string csv;
    for (const Axis& a : r.x->axes) csv += a.key + ",";
    for (const std::string& c : r.x->csv) csv += c + (&c == &r.x->csv.back() ? "\n" : ",");
    for (const Cell& c : r.cells)
        for (size_t i : c.runs) {
            for (const std::string& l : c.levels) csv += l + ",";
            for (const std::string& col : r.x->csv)
                csv += run_value(r, i, col) + (&col == &r.x->csv.back() ? "\n" : ",");
        }
    write_file_atomic(r.dir + "/results.csv", csv);
}

std::string write_outputs(const Results& r) {
    write_results_csv(r);
    const std::string md = (r.x->summary ? r.x->summary : generic_summary)(r);
    write_file_atomic(r.dir + "/summary.md", md);
    return md;
}

// ---------------------------------------------------------------------------------
// Summary tables

std::string md_table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows) {
    auto line = [](const std::vector<std::string>& cells) {
        std::string s = "|";
        for (const std::string& c : cells) s += c.empty() ? " |" : " " + c + " |";
        return s + "\n";
    };
    std::string md = line(head) + "|";
    for (size_t k = 0; k < head.size(); k++) md += "---|";
    md += "\n";
    for (const auto& row : rows) md += line(row);
    return md;
}

std::vector<double> quantity_values(const Results& r, const Cell& c, Quantity q) {
    std::vector<double> v;
    for (size_t i : c.runs) {
        if (r.jobs[i].r.exit_code == 2) continue;
        const Outcome& o = r.out[i];
        switch (q) {
            case Quantity::final_nll:
                v.push_back(o.final_nll);
                break;
            case Quantity::best_nll:
                v.push_back(o.best_nll);
                break;
            case Quantity::rise:
                v.push_back(o.final_nll - o.best_nll);
                break;  // how far it came back up
            case Quantity::final_jef:
                v.push_back(o.final_jef);
                break;
            case Quantity::best_jef:
                v.push_back(o.best_jef);
                break;
            case Quantity::final_rev:
                v.push_back(o.final_rev);
                break;
            case Quantity::lambda:
                v.push_back(r.jobs[i].r.lambda);
                break;
            case Quantity::stopped:
                v.push_back(o.stopped_at >= 0);
                break;
            case Quantity::selected_nll:
                v.push_back(o.selected_nll);
                break;
        }
    }
    return v;
}

std::string quantity_text(const Results& r, const Cell& c, Quantity q) {
    if (q == Quantity::stopped) {
        int n = 0;
        for (size_t i : c.runs) n += r.out[i].stopped_at >= 0 || r.jobs[i].r.exit_code == 2;
        return std::to_string(n);
    }
    const Stats st = stats_of(quantity_values(r, c, q));
    if (q == Quantity::rise) {
        char b[32];
        std::snprintf(b, sizeof b, "%.3f", st.med);
        return b;
    }
    return std::isnan(st.med) ? "n/a" : stats_text(st);
}

const Cell* find_cell(const Results& r, const std::vector<std::pair<std::string, std::string>>& where) {
    for (const Cell& c : r.cells) {
        bool ok = true;
        for (const auto& w : where) {
            const size_t k = axis_index(*r.x, w.first);
            ok = ok && (c.levels[k] == w.second || c.shown[k] == w.second);
        }
        if (ok) return &c;
    }
    return nullptr;
}

std::string header_md(const Results& r) {
    const Cell& first = r.cells.front();
    const std::string what =
        replace_all(replace_all(r.x->description, "{n_train}", std::to_string(first.s.data.n_train)), "{n_test}",
                    std::to_string(first.s.data.n_test));
    char b[1024];
    std::string head = "# " + r.x->name + ": " + r.x->title + "\n\n" + what + "\n\n";
    double cpu = 0;
    for (const Job& j : r.jobs) cpu += std::isnan(j.seconds) ? 0 : j.seconds;
    std::snprintf(b, sizeof b,
                  "%zu runs (%zu configurations x %ld seeds), %ld steps each; %.1f min wall on "
                  "%u cores (%.1f run-minutes), Real = %s, kernels: %s. Values are median [min, max] over seeds "
                  "(nats per point). A run stopped by a non-finite value counts with its last logged values and "
                  "is flagged.%s\n\n",
                  r.jobs.size(), r.cells.size(), r.seeds,
                  first.s.steps, r.wall / 60, std::max(1u, std::thread::hardware_concurrency()), cpu / 60,
                  SYMKL_REAL_NAME, matmul_version(), r.quick ? " **Quick preset: a smoke test, not a result.**" : "");
    std::string h = b;
    if (r.reused)  // --resume: the times cover only the runs trained by this invocation
        h.replace(h.find(" wall on "), 9,
                  " wall for this invocation, which reused " + std::to_string(r.reused) +
                      " runs trained earlier (their times are in the run-minutes) on ");
    return head + h;
}

// ---------------------------------------------------------------------------------
// Figures

static void draw(const Results& r, const std::string& file, const ChartSpec& spec, const std::vector<Series>& series) {
    try {
        make_dir(r.dir + "/fig");
        write_line_chart(r.dir + "/fig/" + file, spec, series);
    } catch (const symkl::Error& err) {
        std::fprintf(stderr, "symkl: warning: %s not drawn: %s\n", file.c_str(), err.what());
    }
}

void curves_figure(const Results& r, const std::string& file, const std::string& title,
                   const std::vector<std::pair<std::string, const Cell*>>& curves, const std::string& column,
                   bool log_y) {
    std::vector<Series> series;
    for (const auto& lc : curves) {
        RunGroup g{lc.first, {}};
        for (size_t i : lc.second->runs)
            if (r.jobs[i].r.exit_code != 2) g.runs.push_back(r.out[i].table);
        if (g.runs.empty()) continue;
        Series s = group_series(g, column);
        s.label = lc.first;
        series.push_back(s);
    }
    ChartSpec spec;
    spec.title = title, spec.xlabel = "step", spec.ylabel = column_title(column), spec.log_y = log_y;
    draw(r, file, spec, series);
}

void versus_figure(const Results& r, const std::string& file, const std::string& title, const std::string& xlabel,
                   const std::vector<VersusLine>& lines, Quantity q, const std::string& ylabel, bool log_x,
                   bool log_y) {
    std::vector<Series> series;
    ChartSpec spec;
    for (const VersusLine& l : lines) {
        Series s;
        s.label = l.label, s.dash = l.dash, s.markers = true;
        for (const auto& p : l.points) {
            const Stats st = stats_of(quantity_values(r, *p.second, q));
            s.x.push_back(p.first), s.y_med.push_back(st.med), s.y_lo.push_back(st.lo), s.y_hi.push_back(st.hi);
            spec.x_ticks.push_back(p.first);  // label exactly the values that were run
        }
        series.push_back(s);
    }
    spec.title = title, spec.xlabel = xlabel, spec.ylabel = ylabel, spec.log_x = log_x, spec.log_y = log_y;
    draw(r, file, spec, series);
}

// The true density, then each cell's seed-0 model, side by side (PNG), each panel
// labelled with its curve's label.
static void density_figure(const Results& r, const std::string& file, const std::string& title,
                           const std::vector<std::pair<std::string, const Cell*>>& cells) {
    if (cells.empty()) return;
    try {
        const Dataset d = load_dataset(cells.front().second->s.data, 0, "symkl experiment");
        if (!d.is_toy || d.train.cols != 2) return;
        const int W = 128;
        const Box b = data_box(d.train, 1.0);
        std::vector<DensityPanel> panels{{"true density", toy_density_grid(d.toy, b, W, W)}};
        for (const auto& c : cells) {
            Flow f;
            load_flow(r.jobs[c.second->runs.front()].s.out + "/model.safetensors", f);
            panels.push_back({c.first, flow_density_grid(f, b, W, W)});
        }
        make_dir(r.dir + "/fig");
        write_density_figure(r.dir + "/fig/" + file, title, b, panels, W, W);
    } catch (const symkl::Error& err) {
        std::fprintf(stderr, "symkl: warning: %s not drawn: %s\n", file.c_str(), err.what());
    }
}

// Every logged value of the column is positive (or NaN) in every run of the cells.
static bool all_positive(const Results& r, const std::vector<const Cell*>& cells, const std::string& column) {
    for (const Cell* c : cells)
        for (size_t i : c->runs) {
            if (r.jobs[i].r.exit_code == 2) continue;
            const double* v = metrics_column(r.out[i].table, column);
            for (int k = 0; k < r.out[i].table.rows; k++)
                if (!(v[k] > 0) && !std::isnan(v[k])) return false;
        }
    return true;
}

// The metrics column behind a quantity (for a log axis decided by the values).
static const char* quantity_column(Quantity q) {
    return q == Quantity::final_jef || q == Quantity::best_jef ? "jeffreys"
           : q == Quantity::final_rev                          ? "rev_kl"
                                                               : "test_nll";
}

// Every combination of values of the named axes that some cell has, the first axis
// outermost: the cells' values on those axes (index per axis, in r.levels order).
static std::vector<std::vector<std::pair<std::string, std::string>>> combinations(const Results& r,
                                                                                  const std::vector<std::string>& keys,
                                                                                  bool first_of_last) {
    std::vector<std::vector<std::pair<std::string, std::string>>> out{{}};
    for (size_t n = 0; n < keys.size(); n++) {
        std::vector<std::vector<std::pair<std::string, std::string>>> next;
        const std::vector<Level>& levels = r.levels[axis_index(*r.x, keys[n])];
        for (const auto& prefix : out)
            for (size_t l = 0; l < levels.size() && !(first_of_last && n + 1 == keys.size() && l > 0); l++) {
                auto w = prefix;
                w.push_back({keys[n], levels[l].value});
                if (find_cell(r, w)) next.push_back(w);
            }
        out = next;
    }
    return out;
}

// "{data}-n{n_train}" with the levels shown for a cell.
static std::string fill(const Results& r, std::string pattern, const Cell& c) {
    for (size_t k = 0; k < r.x->axes.size(); k++)
        pattern = replace_all(pattern, "{" + r.x->axes[k].key + "}", c.shown[k]);
    return pattern;
}

static void draw_figure(const Results& r, const Figure& f) {
    for (auto where : combinations(r, f.per, f.first_only)) {
        const Cell& any = *find_cell(r, where);
        const std::vector<Level>& over = r.levels[axis_index(*r.x, f.over)];
        std::vector<const Cell*> cells;
        std::vector<std::pair<std::string, const Cell*>> curves;
        std::vector<VersusLine> lines;
        for (const Level& l : over) {
            auto w = where;
            w.push_back({f.over, l.value});
            if (f.kind == Figure::Kind::versus) {
                lines.push_back({l.shown(), {}});
                for (const Level& xl : r.levels[axis_index(*r.x, f.x)]) {
                    auto wx = w;
                    wx.push_back({f.x, xl.value});
                    if (const Cell* c = find_cell(r, wx))
                        lines.back().points.push_back({std::stod(xl.value), c}), cells.push_back(c);
                }
            } else if (const Cell* c = find_cell(r, w)) {
                cells.push_back(c);
                curves.push_back({f.label.empty() ? l.shown() : fill(r, f.label, *c), c});
            }
        }
        const std::string column = f.kind == Figure::Kind::versus ? quantity_column(f.quantity) : f.column;
        const bool log_y = f.log_y == LogY::yes || (f.log_y == LogY::if_positive && f.kind != Figure::Kind::density &&
                                                    all_positive(r, cells, column));
        if (f.kind == Figure::Kind::curves)
            curves_figure(r, fill(r, f.file, any), fill(r, f.title, any), curves, f.column, log_y);
        if (f.kind == Figure::Kind::density) density_figure(r, fill(r, f.file, any), fill(r, f.title, any), curves);
        if (f.kind == Figure::Kind::versus) {
            const Axis& xa = r.x->axes[axis_index(*r.x, f.x)];
            versus_figure(r, fill(r, f.file, any), fill(r, f.title, any), xa.title, lines, f.quantity, f.column,
                          xa.log_x, log_y);
        }
    }
}

std::string generic_summary(const Results& r) {
    const Experiment& x = *r.x;
    std::string md = header_md(r);
    std::vector<std::string> head;
    for (const std::string& k : x.table.rows) head.push_back(axis_name(x.axes[axis_index(x, k)]));
    for (const auto& col : x.table.columns) head.push_back(col.first);
    auto rows_of = [&](const std::vector<std::pair<std::string, std::string>>& where) {
        std::vector<std::vector<std::string>> rows;
        for (auto w : combinations(r, x.table.rows, false)) {
            w.insert(w.begin(), where.begin(), where.end());
            const Cell* c = find_cell(r, w);
            if (!c) continue;
            std::vector<std::string> row;
            for (const std::string& k : x.table.rows) row.push_back(c->shown[axis_index(x, k)]);
            for (const auto& col : x.table.columns) row.push_back(quantity_text(r, *c, col.second));
            rows.push_back(row);
        }
        return rows;
    };
    if (x.table.section.empty()) {
        md += md_table(head, rows_of({}));
    } else {
        for (const Level& l : r.levels[axis_index(x, x.table.section)])
            if (find_cell(r, {{x.table.section, l.value}}))
                md += "## " + l.shown() + "\n\n" + md_table(head, rows_of({{x.table.section, l.value}})) + "\n";
    }
    for (const Figure& f : x.figures) draw_figure(r, f);
    return md;
}
