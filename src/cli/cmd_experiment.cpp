// cmd_experiment.cpp — `symkl experiment E1|E2|E3|all`: the experiments that test the
// paper's claims (docs/results.md). Each is a table in app/experiments.cpp, run by the
// runner of app/experiment.h; this file reads the command line and reports.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>

#include "app/experiment.h"
#include "app/sbi_study.h"
#include "app/args.h"
#include "cli/commands.h"
#include "io/text.h"
#include "app/run.h"
#include "tensor/error.h"

static CommandSpec experiment_spec() {
    CommandSpec c = {
        "experiment",
        "Run one of the experiments of docs/results.md (or all of them): a grid of configurations x\n"
        "seeds, each run trained as `symkl train` would, then a CSV, a Markdown summary and figures.",
        "symkl experiment E1|E2|E3|E4|E5|all [--quick] [--out DIR] [--jobs J] [training options]",
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
        "  E4  real tabular data: diabetes, breast_cancer, digits (data/, read from the directory\n"
        "      symkl runs in); 100, 300 and all training rows; gaussian, kde, mle, penalty-ebm,\n"
        "      jeffreys-ebm, each model chosen on validation rows; 5 seeds; digits samples as images.\n"
        "  E5  simulation-based inference: the sbibm tasks two_moons, gaussian_linear, slcp,\n"
        "      gaussian_mixture; 10^3 and 10^4 simulations; npe-mle, jeffreys-ebm, jeffreys-flow,\n"
        "      penalty-ebm; 5 seeds; C2ST over sbibm's 10 observations against reference\n"
        "      posteriors, beside sbibm's published NPE numbers (hours; not part of 'all').\n"
        "--quick shrinks each to a smoke test of well under a minute (one data set, fewer\n"
        "values, 1-2 seeds, 200 steps): it checks that everything runs, not what comes out.\n"
        "The experiments are tables in src/app/experiments.cpp (see docs/results.md).\n"
        "\n"
        "The experiment sets --data, --method, --proxy and --seed of every run, E1 also --n-train\n"
        "(E2 and E3 take --n-train when given), E4 --data and --n-train, E2 --lr, --proxy-lr and --critic-lr, E3 --eps-margin,\n"
        "--alpha and --samples; every other training option given here applies to all runs. Runs go\n"
        "J at a time, one thread each: the toy models are too small for threads to pay, independent\n"
        "runs use every core.\n"
        "\n"
        "outputs (in DIR/<E>/):\n"
        "  runs/<cell>/seed<S>/   one run each, as `symkl train` writes it; repeat one with\n"
        "                         symkl train --config runs/<cell>/seed<S>/config.json --out X\n"
        "                         (the experiment owns these: running it again replaces them)\n"
        "  results.csv            one row per run: its settings and final and best values\n"
        "  summary.md             the tables: median [min, max] over seeds\n"
        "  fig/                   the figures (SVG charts, PNG densities)\n"
        "\n"
        "example (everything, as `make experiments` does):\n"
        "  symkl experiment all --out runs/experiments\n",
        {
            {"--quick", nullptr, "", "the smoke-test preset (about a minute)"},
            {"--resume", nullptr, "", "keep the runs already finished in DIR (same settings assumed), train the rest"},
            {"--seeds", "N", "", "seeds 0 .. N-1 per configuration [default: 5 for E1 and E4, 3 for E2 and E3]"},
            {"--jobs", "J", "0", "runs trained at the same time (0 = the number of cores)"},
            {"--out", "DIR", "runs/experiments", "output directory (one subdirectory per experiment)"},
            {"--tasks", "LIST", "", "E5: comma-separated sbibm tasks [default: all four]"},
            {"--budgets", "LIST", "", "E5: comma-separated simulation budgets [default: 1000,10000]"},
            {"--methods", "LIST", "", "E5: comma-separated methods [default: npe-mle,jeffreys-ebm,jeffreys-flow,penalty-ebm]"},
            {"--observations", "K", "", "E5: sbibm's observations 1 .. K [default: 10]"},
            {"--c2st-epochs", "N", "", "E5: C2ST classifier epochs at most [default: 10000, as sbibm]"},
            {"--npe-epochs", "N", "", "E5: NPE training epochs at most [default: 500]"},
        }};
    for (const OptSpec& o : training_options()) c.opts.push_back(o);
    return c;
}

static std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> v;
    size_t start = 0;
    for (size_t i = 0; i <= s.size(); i++)
        if (i == s.size() || s[i] == ',') {
            if (i > start) v.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    return v;
}

// E5's settings: the preset (full or --quick), then the flags given.
static E5Options e5_options(const Args& a, bool quick, const std::string& out) {
    E5Options o = quick ? e5_quick_options() : E5Options{};
    o.dir = out + "/E5";
    if (a.has("--tasks")) {
        o.tasks.clear();
        for (const std::string& name : split_list(a.str("--tasks"))) {
            SbiTask t;
            if (!sbi_task_from_name(name, &t))
                a.fail("--tasks", "'" + excerpt(name) + "' is not a task: use " + sbi_task_names());
            o.tasks.push_back(t);
        }
        if (o.tasks.empty()) a.fail("--tasks", std::string("names no task: use ") + sbi_task_names());
    }
    if (a.has("--budgets")) {
        o.budgets.clear();
        for (const std::string& b : split_list(a.str("--budgets"))) {
            char* end = nullptr;
            const long v = std::strtol(b.c_str(), &end, 10);
            if (*end || v < 20 || v > 10000000) a.fail("--budgets", "'" + excerpt(b) + "' is not a budget from 20 to 10000000");
            o.budgets.push_back(v);
        }
        if (o.budgets.empty()) a.fail("--budgets", "names no budget: give e.g. 1000,10000");
    }
    if (a.has("--methods")) o.methods = split_list(a.str("--methods"));
    if (a.has("--observations")) o.observations = (int)a.integer("--observations", 1, 10);
    if (a.has("--c2st-epochs")) o.c2st_max_epochs = (int)a.integer("--c2st-epochs", 1, 100000);
    if (a.has("--npe-epochs")) o.max_epochs = a.integer("--npe-epochs", 1, 100000);
    if (a.has("--seeds")) o.seeds = (int)a.integer("--seeds", 1, 1000);
    o.jobs = a.integer("--jobs", 0, 256);
    return o;
}

int cmd_experiment(int argc, char** argv) {
    const CommandSpec spec = experiment_spec();
    if (argc >= 3 && (std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h")) {
        std::fputs(command_help(spec).c_str(), stdout);
        return 0;
    }
    std::string names;
    for (const Experiment& x : experiments()) names += (names.empty() ? "" : ", ") + x.name;
    names += ", E5 or all (see 'symkl experiment --help')";
    if (argc < 3 || argv[2][0] == '-') throw symkl::Error("symkl experiment: name the experiment first: " + names);
    std::string which = argv[2];
    for (char& ch : which) ch = (char)std::toupper((unsigned char)ch);
    const auto& all = experiments();
    if (which != "ALL" && which != "E5" && std::none_of(all.begin(), all.end(), [&](const Experiment& x) { return x.name == which; }))
        throw symkl::Error("symkl experiment: unknown experiment '" + excerpt(argv[2]) + "': use " + names);
    bool help = false;
    const Args a = parse_args(spec, argc, argv, 3, &help);
    if (help) {
        std::fputs(command_help(spec).c_str(), stdout);
        return 0;
    }
    const bool quick = a.on("--quick");
    const std::string out = a.str("--out");
    if (out.empty()) a.fail("--out", "must not be empty");
    if (which == "E5") {  // NPE runs: sbi's defaults (sbi/npe.h), not the training options of `train`
        for (const OptSpec& o : training_options())
            if (a.has(o.flag))
                a.fail(o.flag, "does not apply to E5, whose runs use NPE's defaults (docs/sbi.md); E5 takes "
                               "--tasks, --budgets, --methods, --seeds, --observations, --c2st-epochs, --npe-epochs");
        return run_e5(e5_options(a, quick, out)) ? 2 : 0;
    }
    for (const char* flag : {"--tasks", "--budgets", "--methods", "--observations", "--c2st-epochs", "--npe-epochs"})
        if (a.has(flag)) a.fail(flag, "is an option of E5 only");
    RunSettings check;
    read_training_options(a, check);  // bad options fail here, before any run
    if (check.data.test_frac == 0) a.fail("--test-frac", "must be above 0 here: the tables compare test NLLs");
    long jobs_n = a.integer("--jobs", 0, 256);
    if (jobs_n == 0) jobs_n = std::max(1u, std::thread::hardware_concurrency());
    const Training training{read_training_options, run_training};
    int unreadable = 0;
    for (const Experiment& x : all) {
        if (which != "ALL" && which != x.name) continue;
        const long seeds = a.has("--seeds") ? a.integer("--seeds", 1, 1000) : quick ? x.quick_seeds : x.seeds;
        Results r = plan(x, a, quick ? QUICK_OPTIONS : Overrides{}, quick, seeds, out + "/" + x.name, training);
        std::printf("symkl experiment %s: %s\n  %zu runs (%zu configurations x %ld seeds), %ld at a time\n",
                    x.name.c_str(), x.title.c_str(), r.jobs.size(), r.cells.size(), seeds, jobs_n);
        std::fflush(stdout);
        run(r, jobs_n, a.on("--resume"), false, training);
        double cpu = 0;
        for (const Job& j : r.jobs) cpu += std::isnan(j.seconds) ? 0 : j.seconds;
        std::printf("  %s: %zu runs in %.1f min wall (%.1f run-minutes)%s\n", x.name.c_str(), r.jobs.size(),
                    r.wall / 60, cpu / 60, r.failures ? " - some runs failed or stopped, see results.csv" : "");
        write_outputs(r);
        std::printf("  wrote %s/summary.md, %s/results.csv and %s/fig/\n\n", r.dir.c_str(), r.dir.c_str(),
                    r.dir.c_str());
        std::fflush(stdout);
        unreadable += r.unreadable;
    }
    return unreadable ? 2 : 0;
}
