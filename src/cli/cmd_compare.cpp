// cmd_compare.cpp — `symkl compare`: several methods × several seeds with the same data,
// architecture and step budget; a table of the median and range of the final test NLL
// and true Jeffreys divergence. A one-axis experiment table (app/experiments.cpp) run by
// the experiment runner.
#include <cstdio>
#include <string>
#include <vector>

#include "app/experiment.h"
#include "app/args.h"
#include "cli/commands.h"
#include "io/text.h"
#include "app/run.h"

static CommandSpec compare_spec() {
    CommandSpec c = {
        "compare",
        "Train several methods with several seeds on the same data, architecture and budget, and\n"
        "summarise the final test NLL and true Jeffreys divergence (median and range over seeds).",
        "symkl compare [--methods LIST] [--seeds N] [--jobs J] [training options]",
        "A method is mle, wgan, or jeffreys-ebm, jeffreys-flow, penalty-ebm, penalty-flow (method-proxy),\n"
        "or a baseline, gaussian or kde. With validation rows (--val-frac; 0.1 for a CSV) the table adds the\n"
        "test NLL of each run's selected model (the lowest validation NLL).\n"
        "Each run writes its own directory DIR/<method>-seed<S>/ as `symkl train` would, so any of\n"
        "them can be rerun alone from its config.json. DIR/results.csv has one row per run and\n"
        "DIR/summary.md the table printed at the end.\n"
        "\n"
        "example (the comparison in docs/method.md):\n"
        "  symkl compare --data 8gaussians --n-train 200 --seeds 5 --steps 2000 --out runs/compare\n",
        {
            {"--methods", "LIST", "mle,jeffreys-ebm,jeffreys-flow,penalty-ebm", "comma-separated methods"},
            {"--seeds", "N", "5", "seeds 0 .. N-1 for every method"},
            {"--jobs", "J", "2", "runs trained at the same time (each with --threads / J threads)"},
            {"--out", "DIR", "runs/compare", "output directory"},
        }};
    for (const OptSpec& o : training_options()) c.opts.push_back(o);
    return c;
}

int cmd_compare(int argc, char** argv) {
    const CommandSpec spec = compare_spec();
    bool help = false;
    const Args a = parse_args(spec, argc, argv, 2, &help);
    if (help) {
        std::fputs(command_help(spec).c_str(), stdout);
        return 0;
    }
    RunSettings base;
    read_training_options(a, base);
    if (base.data.test_frac == 0) a.fail("--test-frac", "must be above 0 here: the table compares test NLLs");
    const long seeds = a.integer("--seeds", 1, 10000);
    const long jobs_n = a.integer("--jobs", 1, 256);
    const std::string out = a.str("--out");
    if (out.empty()) a.fail("--out", "must not be empty");
    std::vector<std::string> methods;
    const std::string list = a.str("--methods") + ",";
    for (size_t b = 0, e; (e = list.find(',', b)) != std::string::npos; b = e + 1)
        if (e > b) methods.push_back(list.substr(b, e - b));
    if (methods.empty()) a.fail("--methods", "is empty");
    for (const std::string& m : methods)
        if (RunSettings s; !set_method(m, s))
            a.fail("--methods",
                   "has '" + excerpt(m) + "': use mle, wgan, jeffreys-ebm, jeffreys-flow, penalty-ebm, penalty-flow, gaussian or kde");

    const Training training{read_training_options, run_training};
    const Experiment x = compare_experiment(methods, seeds);
    Results r = plan(x, a, {}, false, seeds, out, training);
    std::printf("symkl compare: %zu runs (%zu methods x %ld seeds) on %s, %ld steps each, %ld at a time\n",
                r.jobs.size(), methods.size(), seeds, base.data.data.c_str(), base.steps, jobs_n);
    std::fflush(stdout);
    run(r, jobs_n, false, base.quiet, training);
    const std::string md = write_outputs(r);
    std::printf("\n%s\nper-run results in %s/results.csv, table in %s/summary.md\n", md.c_str(), out.c_str(),
                out.c_str());
    return r.failures ? 3 : 0;
}
