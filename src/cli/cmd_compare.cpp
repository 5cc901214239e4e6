// cmd_compare.cpp — `symkl compare`: several methods × several seeds with the same data,
// architecture and step budget; a table of the median and range of the final test NLL
// and true Jeffreys divergence. Runs go in parallel processes' worth of threads (--jobs).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/jobs.h"
#include "cli/run.h"
#include "io/csv.h"
#include "io/file.h"
#include "plot/figures.h"
#include "plot/metrics_file.h"
#include "tensor/error.h"

static CommandSpec compare_spec() {
    CommandSpec c = {
        "compare",
        "Train several methods with several seeds on the same data, architecture and budget, and\n"
        "summarise the final test NLL and true Jeffreys divergence (median and range over seeds).",
        "symkl compare [--methods LIST] [--seeds N] [--jobs J] [training options]",
        "A method is mle, wgan, or jeffreys-ebm, jeffreys-flow, penalty-ebm, penalty-flow (method-proxy).\n"
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

static void parse_method(const Args& a, const std::string& name, RunSettings& s) {
    if (!set_method(name, s))
        a.fail("--methods", "has '" + name + "': use mle, wgan, jeffreys-ebm, jeffreys-flow, penalty-ebm or penalty-flow");
}

// The method part of a job's label "jeffreys-ebm seed 3".
static std::string method_of(const Job& j) { return j.label.substr(0, j.label.find(' ')); }

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
    const long seeds = a.integer("--seeds", 1, 10000);
    const long jobs_n = a.integer("--jobs", 1, 256);
    const std::string out = a.str("--out");
    if (out.empty()) a.fail("--out", "must not be empty");
    std::vector<std::string> methods;
    {
        std::string list = a.str("--methods") + ",";
        for (size_t b = 0, e; (e = list.find(',', b)) != std::string::npos; b = e + 1)
            if (e > b) methods.push_back(list.substr(b, e - b));
        if (methods.empty()) a.fail("--methods", "is empty");
    }
    std::vector<Job> jobs;
    for (const std::string& m : methods) {
        for (long seed = 0; seed < seeds; seed++) {
            Job j;
            j.label = m + " seed " + std::to_string(seed);
            j.s = base;
            parse_method(a, m, j.s);
            j.s.seed = (uint64_t)seed;
            j.s.out = out + "/" + m + "-seed" + std::to_string(seed);
            jobs.push_back(j);
        }
    }
    make_dirs(out);
    std::printf("symkl compare: %zu runs (%zu methods x %ld seeds) on %s, %ld steps each, %ld at a time\n",
                jobs.size(), methods.size(), seeds, base.data.data.c_str(), base.steps, jobs_n);
    std::fflush(stdout);
    const int failures = run_jobs(jobs, jobs_n, base.threads, base.quiet);

    // one row per run, then the summary over seeds
    std::string csv = "method,seed,exit_code,final_test_nll,final_jeffreys,final_fwd_kl,final_rev_kl,best_test_nll,"
                      "best_step,final_train_nll,lambda,eps,seconds\n";
    for (const Job& j : jobs) {
        csv += method_of(j) + "," + std::to_string(j.s.seed) + "," + std::to_string(j.r.exit_code);
        for (double v : {j.r.last.test_nll, j.r.last.jeffreys, j.r.last.fwd_kl, j.r.last.rev_kl, j.r.best.test_nll,
                         (double)j.r.best_step, j.r.last.train_nll, j.r.lambda, j.r.eps, j.seconds})
            csv += "," + csv_format(v);
        csv += "\n";
    }
    write_file_atomic(out + "/results.csv", csv);

    auto stats = [](const std::vector<double>& v) { return stats_text(stats_of(v)); };
    std::string md = "| method | final test NLL | final Jeffreys | best test NLL | final train NLL |\n|---|---|---|---|---|\n";
    for (const std::string& m : methods) {
        std::vector<double> nll, jef, best, train;
        for (const Job& j : jobs)
            if (method_of(j) == m && j.r.exit_code == 0)
                nll.push_back(j.r.last.test_nll), jef.push_back(j.r.last.jeffreys), best.push_back(j.r.best.test_nll),
                    train.push_back(j.r.last.train_nll);
        if (nll.empty()) {
            md += "| " + m + " | (all runs failed) | | | |\n";
            continue;
        }
        md += "| " + m + " | " + stats(nll) + " | " + stats(jef) + " | " + stats(best) + " | " + stats(train) + " |\n";
    }
    char head[512];
    std::snprintf(head, sizeof head,
                  "%s, %ld training points, %ld steps, seeds 0..%ld: median [min, max] over seeds (nats).\n\n",
                  base.data.data.c_str(), base.data.n_train > 0 ? base.data.n_train : 200L, base.steps, seeds - 1);
    write_file_atomic(out + "/summary.md", std::string(head) + md);
    if (base.figures) {  // median and min-max band over seeds, one curve per method
        std::vector<RunGroup> groups;
        for (const std::string& m : methods) {
            RunGroup g{m, {}};
            for (const Job& j : jobs)
                if (method_of(j) == m && j.r.exit_code == 0) g.runs.push_back(read_metrics(j.s.out + "/metrics.csv"));
            if (!g.runs.empty()) groups.push_back(g);
        }
        try {
            if (!groups.empty()) learning_curves(out, groups);
        } catch (const symkl::Error& e) {
            std::fprintf(stderr, "symkl: warning: figures not drawn: %s\n", e.what());
        }
    }
    std::printf("\n%s%s\nper-run results in %s/results.csv, table in %s/summary.md\n", head, md.c_str(), out.c_str(),
                out.c_str());
    return failures ? 3 : 0;
}
