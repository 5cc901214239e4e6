// experiments.cpp — the experiments of docs/results.md (E1, E2, E3) and `symkl compare`
// as tables for the runner of app/experiment.h. To add an experiment, add a table to
// experiments() (and a summary function when its tables are not the generic ones); the
// CLI (`symkl experiment NAME`) picks it up by name.
#include <cmath>
#include <cmath>
#include <cstdio>

#include "app/experiment.h"
#include "app/files.h"
#include "io/checkpoint.h"
#include "io/dataset.h"
#include "io/file.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "plot/figures.h"
#include "tensor/error.h"

// The --quick preset: every experiment, unless the command line says otherwise.
const Overrides QUICK_OPTIONS = {{"--steps", "200"}, {"--log-every", "50"}, {"--n-eval", "1000"}, {"--n-test", "2000"}};

static const std::vector<std::string> RESULTS_CSV = {"seed", "exit_code", "stopped_at", "final_test_nll",
                                                      "final_jeffreys", "best_test_nll", "best_step", "best_jeffreys",
                                                      "final_train_nll", "final_lambda", "eps", "seconds", "dir"};

static Axis data_axis(std::vector<Level> levels) {
    return {"data", "", "", {"--data"}, levels, {"8gaussians"}, "", false, ""};
}
static Axis method_axis(std::vector<Level> levels) { return {"method", "", "", {}, levels, {}, "", false, ""}; }

// E1: does the adaptive method help when data are few? Its verdict lines count the cases.
static std::string e1_summary(const Results& r) {
    std::string md = generic_summary(r);
    int wins_nll = 0, wins_rise = 0, cases = 0;
    for (const Level& dn : r.levels[0])
        for (const Level& n : r.levels[1]) {
            const Cell *mle = find_cell(r, {{"data", dn.value}, {"n_train", n.value}, {"method", "mle"}}),
                       *adp = find_cell(r, {{"data", dn.value}, {"n_train", n.value}, {"method", "jeffreys-ebm"}});
            if (!mle || !adp) continue;
            auto med = [&](const Cell* c, Quantity q) { return stats_of(quantity_values(r, *c, q)).med; };
            cases++;
            wins_nll += med(adp, Quantity::final_nll) < med(mle, Quantity::final_nll);
            wins_rise += med(adp, Quantity::rise) < med(mle, Quantity::rise);
        }
    char v[512];
    std::snprintf(v, sizeof v,
                  "**Counted over the %d (data, size) cases:** jeffreys-ebm's median final test NLL is below mle's in "
                  "%d; its median rise is below mle's in %d.\n",
                  cases, wins_nll, wins_rise);
    return md + v;
}

// E3: one row per factor value, the mle reference last; per factor the final values
// against it and the learning curves of its values.
static std::string e3_summary(const Results& r) {
    const Experiment& x = *r.x;
    const Cell* mle = find_cell(r, {{"method", "mle"}});
    std::vector<std::vector<std::string>> rows;
    for (size_t f = 0; f < x.axes.size(); f++) {
        const Axis& a = x.axes[f];
        VersusLine line{"jeffreys", {}}, ref{"mle", {}, Dash::dashed};
        std::vector<std::pair<std::string, const Cell*>> curves;
        for (const Level& l : r.levels[f]) {
            std::vector<std::pair<std::string, std::string>> where;
            for (const Axis& b : x.axes) where.push_back({b.key, &b == &a ? l.value : b.base});
            const Cell* c = find_cell(r, where);
            if (!c) continue;
            rows.push_back({a.name, l.shown(), quantity_text(r, *c, Quantity::final_nll),
                            quantity_text(r, *c, Quantity::best_nll), quantity_text(r, *c, Quantity::final_jef),
                            quantity_text(r, *c, Quantity::lambda), quantity_text(r, *c, Quantity::stopped)});
            curves.push_back({a.name + " " + l.shown(), c});
            char* end = nullptr;
            const double v = std::strtod(l.value.c_str(), &end);
            if (a.key != "method" && *end == '\0' && std::isfinite(v)) {
                line.points.push_back({v, c});
                if (mle) ref.points.push_back({v, mle});
            }
        }
        if (!line.points.empty()) {
            versus_figure(r, a.name + "-test-nll.svg", "final test NLL against " + a.title, a.title, {line, ref},
                          Quantity::final_nll, "final test NLL (nats)", a.log_x, false);
            versus_figure(r, a.name + "-jeffreys.svg", "final true Jeffreys against " + a.title, a.title, {line, ref},
                          Quantity::final_jef, "final Jeffreys (nats)", a.log_x, true);
        }
        if (mle) curves.push_back({"mle", mle});
        curves_figure(r, a.name + "-curves-test-nll.svg", "test NLL for each " + a.title, curves, "test_nll", false);
        curves.pop_back();
        if (a.name == "alpha" || a.name == "eps_margin")  // the settings of the constraint: how λ answers
            curves_figure(r, a.name + "-curves-lambda.svg", "lambda for each " + a.title, curves, "lambda", false);
    }
    if (mle)
        rows.push_back({"(reference)", "mle", quantity_text(r, *mle, Quantity::final_nll),
                        quantity_text(r, *mle, Quantity::best_nll), quantity_text(r, *mle, Quantity::final_jef), "",
                        quantity_text(r, *mle, Quantity::stopped)});
    return header_md(r) + md_table({"factor", "value", "final test NLL", "best test NLL", "final Jeffreys",
                                    "final lambda", "stopped"},
                                   rows);
}


// E4: real tabular data. The data value names the file; the run reads data/<name>.csv
// (from the directory symkl runs in: the repository's root for `make experiments`).
static Level real_data(const char* name) { return Level(name, {{"--data", std::string("data/") + name + ".csv"}}); }

// The dimension a run trained in (its config.json's "dim"), 0 when unknown.
static int run_dim(const Results& r, const Cell& c) {
    for (size_t i : c.runs) {
        try {
            const Json j = json_parse(read_file(r.jobs[i].s.out + "/config.json"), r.jobs[i].s.out + "/config.json");
            if (const Json* d = j.find("dim")) return (int)d->number;
        } catch (const symkl::Error&) {
        }
    }
    return 0;
}

// 100 draws of a run's model (in the data's units: the checkpoint's map undone) and 100
// training rows, as 8x8 image grids side by side: digits, where the data are images.
static void digits_grids(const Results& r, const std::string& file, const std::vector<const Cell*>& cells) {
    try {
        std::vector<ImagePanel> panels;
        const Dataset d = load_dataset(cells.front()->s.data, 0, "symkl experiment");
        if (d.train.cols != 64) return;
        const int n = 100 <= d.train.rows ? 100 : d.train.rows;
        ImagePanel data{"training images", {}, n};
        for (int i = 0; i < n; i++)
            for (int j = 0; j < 64; j++) data.values.push_back((double)d.train.at(i, j));
        panels.push_back(data);
        for (const Cell* c : cells) {
            const std::string path = r.jobs[c->runs.front()].s.out + "/model.safetensors";
            const SafeTensors st = load_safetensors(path);
            Flow f;
            flow_from_safetensors(f, st, path);
            const Standardizer prep = checkpoint_standardizer(st, f.cfg.dim, path);
            Rng rng(1);
            Tensor z(100, 64), x(100, 64);
            std::vector<Real> lp(100);
            for (Real& v : z.data) v = (Real)rng.normal();
            FlowCache cache;
            flow_cache_init(cache, f, 100);
            flow_sample(x.data.data(), lp.data(), z.data.data(), f, cache, 100);
            if (!prep.empty()) unstandardize(x, prep);
            ImagePanel p{c->shown.back() + " (seed 0)", {}, 100};
            for (Real v : x.data) p.values.push_back((double)v);
            panels.push_back(p);
        }
        ImageGridSpec spec;
        spec.vmin = 0, spec.vmax = 17;  // dequantised pixels: 0 to 16 plus U(0, 1) noise
        make_dirs(r.dir + "/fig");
        write_image_grids(r.dir + "/fig/" + file, panels, spec);
    } catch (const symkl::Error& err) {
        std::fprintf(stderr, "symkl: warning: %s not drawn: %s\n", file.c_str(), err.what());
    }
}

// E4: per data set, sizes x methods; then, per (data, size), whether the adaptive method's
// median selected test NLL is at or below both mle's (best validation) and the Gaussian's.
static std::string e4_summary(const Results& r) {
    std::string md = generic_summary(r);
    const size_t ai = axis_index(*r.x, "data"), ni = axis_index(*r.x, "n_train");
    std::vector<std::vector<std::string>> rows;
    int cases = 0, wins = 0;
    for (const Level& dn : r.levels[ai]) {
        for (const Level& n : r.levels[ni]) {
            auto cell = [&](const char* m) {
                return find_cell(r, {{"data", dn.value}, {"n_train", n.value}, {"method", m}});
            };
            const Cell *adp = cell("jeffreys-ebm"), *mle = cell("mle"), *gau = cell("gaussian");
            if (!adp || !mle || !gau) continue;
            auto med = [&](const Cell* c) { return stats_of(quantity_values(r, *c, Quantity::selected_nll)).med; };
            const double a = med(adp), m = med(mle), g = med(gau);
            const bool ok = a <= m && a <= g;
            cases++, wins += ok;
            char buf[3][32];
            std::snprintf(buf[0], sizeof buf[0], "%.4g", a);
            std::snprintf(buf[1], sizeof buf[1], "%+.4g", a - m);
            std::snprintf(buf[2], sizeof buf[2], "%+.4g", a - g);
            std::string bits;
            const int D = run_dim(r, *adp);
            if (dn.value == "digits" && D > 0) {
                char b[32];
                std::snprintf(b, sizeof b, "%.4f", a / (D * std::log(2.0)));
                bits = b;
            }
            rows.push_back({dn.shown(), n.shown(), buf[0], buf[1], buf[2], bits, ok ? "yes" : "no"});
        }
    }
    char v[256];
    std::snprintf(v, sizeof v,
                  "\n## The adaptive method against mle (best validation) and the Gaussian\n\n"
                  "Medians over seeds of the selected model's test NLL; a negative difference favours "
                  "jeffreys-ebm. It is at or below both in %d of %d cases.\n\n",
                  wins, cases);
    md += v;
    md += md_table({"data", "n", "jeffreys-ebm", "minus mle", "minus gaussian", "bits/dim", "at or below both"}, rows);
    // the flows' validation curves, per (data, size)
    for (const Level& dn : r.levels[ai])
        for (const Level& n : r.levels[ni]) {
            std::vector<std::pair<std::string, const Cell*>> curves;
            for (const char* m : {"mle", "penalty-ebm", "jeffreys-ebm"})
                if (const Cell* c = find_cell(r, {{"data", dn.value}, {"n_train", n.value}, {"method", m}}))
                    curves.push_back({m, c});
            if (curves.empty()) continue;
            const std::string file = dn.value + "-n" + n.shown() + "-val-nll.svg";
            curves_figure(r, file, dn.shown() + ", " + n.shown() + " training rows: validation NLL (median, band over seeds)",
                          curves, "val_nll", false);
            md += "\n![" + dn.shown() + ", " + n.shown() + " training rows: validation NLL](fig/" + file + ")\n";
        }
    // digits: samples of mle and the adaptive method as images, at each size
    for (const Level& dn : r.levels[ai]) {
        if (dn.value != "digits") continue;
        for (const Level& n : r.levels[ni]) {
            std::vector<const Cell*> cells;
            for (const char* m : {"mle", "jeffreys-ebm"})
                if (const Cell* c = find_cell(r, {{"data", dn.value}, {"n_train", n.value}, {"method", m}})) cells.push_back(c);
            if (cells.empty()) continue;
            const std::string file = "digits-n" + n.shown() + "-samples.png";
            digits_grids(r, file, cells);
            md += "\n![digits, " + n.shown() + " training rows: training images, then 100 samples of mle and of "
                  "jeffreys-ebm (seed 0)](fig/" + file + ")\n";
        }
    }
    return md;
}

static std::vector<Experiment> make_experiments() {
    using K = Figure::Kind;
    using Q = Quantity;
    Experiment e1;
    e1.name = "E1";
    e1.title = "small data (claim a)";
    e1.description =
        "Every method trains the same flow (K = 8 couplings, 2 x 64 ReLU conditioners) with the same budget on "
        "training sets of several sizes; the test set has {n_test} fresh points and the Jeffreys divergence is "
        "computed against the true density (Monte Carlo). 'rise' is the median over seeds of (final - best) test "
        "NLL: how far a run has come back up from its best.";
    e1.axes = {data_axis({"8gaussians", "moons", "rings"}),
               {"n_train", "n", "n", {"--n-train"}, {"100", "300", "1000"}, {"100"}, "training points", true, ""},
               method_axis({"mle", "penalty-ebm", "jeffreys-ebm", "jeffreys-flow"})};
    e1.seeds = 5, e1.quick_seeds = 2;
    e1.csv = RESULTS_CSV;
    e1.table = {"data", {"n_train", "method"},
                {{"final test NLL", Q::final_nll}, {"best test NLL", Q::best_nll}, {"rise", Q::rise},
                 {"final Jeffreys", Q::final_jef}, {"best Jeffreys", Q::best_jef}, {"stopped", Q::stopped}}};
    e1.figures = {
        {K::curves, {"data", "n_train"}, "method", "{data}-n{n_train}-test-nll.svg",
         "{data}, {n_train} training points: test NLL", "test_nll"},
        {K::curves, {"data", "n_train"}, "method", "{data}-n{n_train}-jeffreys.svg",
         "{data}, {n_train} training points: true Jeffreys divergence", "jeffreys"},
        {K::density, {"data", "n_train"}, "method", "{data}-n{n_train}-density.png",
         "{data}, {n_train} training points: true and learnt densities (seed 0)", ""},
        {K::versus, {"data"}, "method", "{data}-final-test-nll.svg",
         "{data}: final test NLL against the training-set size",
         "final test NLL (nats)", Q::final_nll, "n_train", LogY::no},
        {K::versus, {"data"}, "method", "{data}-final-jeffreys.svg",
         "{data}: final true Jeffreys against the training-set size",
         "final Jeffreys (nats)", Q::final_jef, "n_train", LogY::yes}};
    e1.figures[2].first_only = true;  // the densities at the smallest size
    e1.summary = e1_summary;

    Experiment e2;
    e2.name = "E2";
    e2.title = "learning-rate sensitivity (claim b)";
    e2.description =
        "The learning rate of every model of a run (the flow, the proxy, the critic) is set to each value in turn; "
        "everything else stays at the method's defaults (Adam betas: 0.9/0.999, WGAN 0.5/0.9). The reverse KL, "
        "KL(p || true density), is what the WGAN's samples can be judged by: its test NLL and forward KL measure the "
        "flow's density, which the WGAN never trains. Training set: {n_train} points.";
    e2.defaults = {{"--n-train", "1000"}};
    e2.axes = {data_axis({"8gaussians", "moons"}),
               {"lr", "lr", "", {"--lr", "--proxy-lr", "--critic-lr"}, {"0.0001", "0.0003", "0.001", "0.003", "0.01"},
                {"0.001", "0.01"}, "learning rate", true, ""},
               method_axis({"mle", "jeffreys-ebm", "wgan"})};
    e2.csv = RESULTS_CSV;
    e2.table = {"data", {"lr", "method"},
                {{"final test NLL", Q::final_nll}, {"best test NLL", Q::best_nll}, {"final Jeffreys", Q::final_jef},
                 {"best Jeffreys", Q::best_jef}, {"final reverse KL", Q::final_rev}, {"stopped", Q::stopped}}};
    e2.figures = {
        {K::curves, {"data", "method"}, "lr", "{data}-{method}-test-nll.svg",
         "{data}, {method}: test NLL for each learning rate", "test_nll"},
        {K::curves, {"data", "method"}, "lr", "{data}-{method}-jeffreys.svg",
         "{data}, {method}: true Jeffreys for each learning rate", "jeffreys"},
        {K::versus, {"data"}, "method", "{data}-final-test-nll-vs-lr.svg",
         "{data}: final test NLL against the learning rate",
         "final test NLL (nats)", Q::final_nll, "lr", LogY::if_positive},
        {K::versus, {"data"}, "method", "{data}-final-jeffreys-vs-lr.svg",
         "{data}: final true Jeffreys against the learning rate",
         "final Jeffreys (nats)", Q::final_jef, "lr", LogY::yes},
        {K::versus, {"data"}, "method", "{data}-final-rev-kl-vs-lr.svg",
         "{data}: final reverse KL(p || true density) against the learning rate", "final reverse KL (nats)",
         Q::final_rev, "lr", LogY::yes}};
    for (int k : {0, 1}) e2.figures[k].label = "lr {lr}";

    Experiment e3;
    e3.name = "E3";
    e3.title = "what the adaptive method depends on";
    e3.description =
        "jeffreys with the EBM proxy at its defaults (eps = kNN entropy + 0, alpha = 1, M = 256) on 8gaussians with "
        "{n_train} training points; one factor varies at a time. mle is the reference.";
    e3.set = {{"--data", "8gaussians"}};
    e3.defaults = {{"--n-train", "300"}};
    e3.grid = Grid::one_at_a_time;  // the base values are the defaults of `symkl train`
    e3.axes = {{"eps_margin", "eps", "eps_margin", {"--eps-margin"}, {"-1", "-0.5", "0", "0.5", "1"}, {"-0.5", "0"},
                "eps margin (nats above the kNN entropy)", false, "0"},
               {"alpha", "alpha", "alpha", {"--alpha"}, {"0.1", "1", "10", "inf"}, {"1", "inf"},
                "alpha (inf = hard constraint)", true, "1"},
               {"samples", "M", "samples", {"--samples"}, {"64", "256", "1024"}, {"64", "256"}, "samples M per step",
                true, "256"},
               {"method", "", "proxy", {}, {{"jeffreys-ebm", {}, "ebm"}, {"jeffreys-flow", {}, "flow"}}, {}, "proxy",
                false, "jeffreys-ebm"}};
    e3.references = {"mle"};
    e3.csv = RESULTS_CSV;
    e3.summary = e3_summary;

    Experiment e4;
    e4.name = "E4";
    e4.title = "real tabular data";
    e4.description =
        "Three real data sets from data/ (diabetes 442x10, breast_cancer 569x30, digits 1797x64; docs/data.md): "
        "20% of the rows are held out for testing, 10% of the training rows for validation, integer columns with "
        "few values are dequantised, and the flows train on standardised columns. Every model is the one its "
        "validation rows selected (the flows: the step with the lowest validation NLL; gaussian: the shrinkage; kde: "
        "the bandwidth). NLLs are in nats per point in the data's own units. 'last-step' is the flow's last step, "
        "what a run without validation would keep. Training sizes count the rows before the validation rows are "
        "held out; 'all' is every row not held out for testing. Flows: at most 1000 steps, a validation every "
        "20, stopped after 10 validations without a lower validation NLL.";
    e4.axes = {{"data", "", "", {}, {real_data("diabetes"), real_data("breast_cancer"), real_data("digits")},
                {real_data("diabetes")}, "", false, ""},
               {"n_train", "n", "n", {"--n-train"}, {"100", "300", Level("auto", {}, "all")}, {"100"}, "training rows",
                false, ""},
               method_axis({"gaussian", "kde", "mle", "penalty-ebm", "jeffreys-ebm"})};
    // a validation every 20 steps; a run stops after 10 validations without a lower one
    e4.defaults = {{"--steps", "1000"}, {"--log-every", "20"}, {"--patience", "10"}};
    e4.seeds = 5, e4.quick_seeds = 1;
    e4.csv = {"seed", "exit_code", "stopped_at", "selected_test_nll", "selected_step", "selected_val_nll",
              "final_test_nll", "best_test_nll", "final_train_nll", "final_lambda", "eps", "seconds", "dir"};
    e4.table = {"data", {"n_train", "method"},
                {{"selected test NLL", Q::selected_nll}, {"last-step test NLL", Q::final_nll},
                 {"best test NLL (not a model anyone could pick)", Q::best_nll}, {"stopped", Q::stopped}}};
    e4.summary = e4_summary;
    return {e1, e2, e3, e4};
}

const std::vector<Experiment>& experiments() {
    static const std::vector<Experiment> all = make_experiments();
    return all;
}

// compare: methods × seeds on one configuration; summary.md is the table it prints.
static std::string compare_summary(const Results& r) {
    const RunSettings& s = r.cells.front().s;
    char head[512];
    std::snprintf(head, sizeof head,
                  "%s, %ld training points, %ld steps, seeds 0..%ld: median [min, max] over seeds (nats).\n\n",
                  s.data.data.c_str(), s.data.n_train > 0 ? (long)s.data.n_train : 200L, s.steps, r.seeds - 1);
    // runs with validation rows (or baselines) also report the selected model's test NLL
    bool selected = false;
    for (size_t i = 0; i < r.jobs.size(); i++)
        selected = selected || r.out[i].baseline || std::isfinite(r.out[i].selected_val);
    std::vector<std::vector<std::string>> rows;
    std::vector<RunGroup> groups;  // the learning curves of the runs that finished, one group per method
    for (const Cell& c : r.cells) {
        std::vector<double> nll, jef, best, train, sel;
        RunGroup g{c.id, {}};
        for (size_t i : c.runs)
            if (r.jobs[i].r.exit_code == 0) {
                const Outcome& o = r.out[i];
                nll.push_back(o.final_nll), jef.push_back(o.final_jef), best.push_back(o.best_nll);
                train.push_back(o.final_train), sel.push_back(o.selected_nll);
                if (!o.baseline) g.runs.push_back(o.table);
            }
        auto st = [](const std::vector<double>& v) { return stats_text(stats_of(v)); };
        if (nll.empty()) rows.push_back({c.id, "(all runs failed)", "", "", ""});
        else rows.push_back({c.id, st(nll), st(jef), st(best), st(train)});
        if (selected) rows.back().push_back(nll.empty() ? "" : st(sel));
        if (!g.runs.empty()) groups.push_back(g);
    }
    if (s.figures) {
        try {
            std::string subject = s.data.data.substr(s.data.data.find_last_of('/') + 1) + " · ";
            for (size_t g = 0; g < groups.size(); g++) subject += (g ? ", " : "") + groups[g].label;
            if (!groups.empty()) learning_curves(r.dir, groups, subject);
        } catch (const symkl::Error& e) {
            std::fprintf(stderr, "symkl: warning: figures not drawn: %s\n", e.what());
        }
    }
    std::vector<std::string> cols = {"method", "final test NLL", "final Jeffreys", "best test NLL", "final train NLL"};
    if (selected) cols.push_back("selected test NLL");
    std::string md = head + md_table(cols, rows);
    if (selected)
        md += "\n'selected' is the test NLL of the model each run keeps in model.safetensors: the step with the "
              "lowest validation NLL (a baseline: its chosen grid value). 'best' is the lowest test NLL seen, "
              "which no run can choose by.\n";
    return md;
}

Experiment compare_experiment(const std::vector<std::string>& methods, long seeds) {
    Experiment c;
    c.axes = {method_axis(std::vector<Level>(methods.begin(), methods.end()))};
    c.seeds = c.quick_seeds = seeds;
    c.run_dir = "{cell}-seed{seed}";
    c.csv = {"seed", "exit_code", "final_test_nll", "final_jeffreys", "final_fwd_kl", "final_rev_kl", "best_test_nll",
             "best_step", "final_train_nll", "selected_step", "selected_test_nll", "selected_val_nll", "lambda", "eps",
             "seconds"};
    c.summary = compare_summary;
    return c;
}
