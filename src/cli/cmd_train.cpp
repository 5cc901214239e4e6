// cmd_train.cpp — `symkl train` and `symkl demo`: settings in, runs out. The options are
// the table of app/options.cpp, the run with its files app/run.cpp, the loop train/fit.cpp.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "app/args.h"
#include "app/run.h"
#include "cli/commands.h"
#include "io/csv.h"
#include "io/file.h"
#include "tensor/error.h"

static CommandSpec train_spec() {
    CommandSpec c = {
        "train",
        "Train a RealNVP flow on a generated data set or a CSV file: by maximum likelihood (mle),\n"
        "by the adaptive symmetrized KL with a proxy (jeffreys), or with a fixed-weight penalty (penalty).",
        "symkl train [--data NAME|FILE.csv] [--method mle|jeffreys|penalty|wgan] [options]",
        "methods (docs/method.md):\n"
        "  mle       minimise F = -E_data log p (the forward KL up to a constant)\n"
        "  jeffreys  minimise F + R, R = KL(p || q) with a proxy q kept close to the data by the\n"
        "            resilient constraint G = -E_data log q <= eps + u; lambda adapts by dual ascent\n"
        "  penalty   the same with lambda fixed at --lambda0 (no slack, no dual step)\n"
        "  wgan      the flow as the generator of a WGAN-GP against an MLP critic (docs/wgan.md)\n"
        "\n"
        "outputs (in --out):\n"
        "  metrics.csv        one row every --log-every steps: step, loss (mean minibatch NLL since\n"
        "                     the last row), train_nll, test_nll, fwd_kl, rev_kl, jeffreys (true-density\n"
        "                     Monte Carlo; 'nan' where the density is unknown), grad_norm, lambda, u,\n"
        "                     proxy_nll (G), rev_kl_proxy (R), ess (EBM), critic_loss, wasserstein_estimate,\n"
        "                     gp (wgan), skipped\n"
        "  model.safetensors  the main flow (rewritten at every logged step: the last good state is kept)\n"
        "  proxy.safetensors  the proxy (jeffreys, penalty); an EBM's carries its log Z estimate\n"
        "  config.json        every setting of the run; an automatic one (lr, beta1, beta2, eps, sigma0,\n"
        "                     n_train) with the value it took and \"<key>_auto\": true\n"
        "  density.png        the learnt density on a grid over the data (2-D data)\n"
        "  samples.svg        2000 samples of the flow over the training points (2-D data)\n"
        "  nll.svg, kl.svg, lambda.svg   learning curves (docs/figures.md)\n"
        "\n"
        "output directories:\n"
        "  --out defaults to runs/<data>-<method>-seed<S>, <data> being the generated set's name\n"
        "  (moons) or the CSV file's name (moons.csv). A directory that holds another run's files\n"
        "  (a config.json with other settings, or run files without one) is refused: pass --force\n"
        "  to delete that run's files first, or choose another --out. The same settings again\n"
        "  (any --threads) rerun in place. The models are written before metrics.csv and\n"
        "  config.json, so an interrupted run never leaves a config without its model.\n"
        "\n"
        "Same command and seed give byte-identical metrics.csv and model files for any --threads.\n"
        "To repeat a run: symkl train --config DIR/config.json --out DIR2 (same numbers, same bytes).\n"
        "Exit codes: 0 done, 2 bad input, 3 stopped on a non-finite value (see --on-nonfinite).\n",
        train_options()};
    c.opts.push_back({"--out", "DIR", "", "output directory [default: runs/<data>-<method>-seed<S>]"});
    c.opts.push_back({"--config", "FILE", "", "repeat a run: take every setting from its config.json (options given here win)"});
    return c;
}

static int report(const RunSettings& s, const RunResult& r) {
    if (r.exit_code) {
        std::fprintf(stderr, "symkl: error: %s\n", r.error.c_str());
        return r.exit_code;
    }
    char label[64];
    std::snprintf(label, sizeof label, "final (step %ld):", s.steps);
    print_metrics(label, r.last);
    std::snprintf(label, sizeof label, "best (step %ld):", r.best_step);
    print_metrics(label, r.best);
    if (s.trainer.method == Method::jeffreys || s.trainer.method == Method::penalty)
        std::printf("eps %.4f%s, final lambda %.4f%s%s\n", r.eps,
                    !r.resolved.eps_auto                        ? ""
                    : r.resolved.eps_gaussian < r.resolved.eps_knn ? " (the training data's Gaussian NLL, below its kNN entropy)"
                                                                   : " (kNN entropy of the training set)",
                    r.lambda, s.trainer.method == Method::jeffreys ? ", u " : "",
                    s.trainer.method == Method::jeffreys ? csv_format(r.u).c_str() : "");
    if (r.skipped) std::printf("%ld steps skipped for non-finite values\n", r.skipped);
    std::printf("outputs in %s/ (metrics.csv, model.safetensors%s, config.json)\n", s.out.c_str(),
                s.trainer.method == Method::jeffreys || s.trainer.method == Method::penalty ? ", proxy.safetensors" : "");
    return 0;
}

int cmd_train(int argc, char** argv) {
    const CommandSpec spec = train_spec();
    bool help = false;
    Args a = parse_args(spec, argc, argv, 2, &help);
    if (help) {
        std::fputs(command_help(spec).c_str(), stdout);
        return 0;
    }
    if (a.has("--config")) apply_config(a, a.str("--config"));
    RunSettings s;
    read_run_options(a, s);
    read_training_options(a, s);
    s.out = a.has("--out") ? a.str("--out") : default_out(s);
    if (s.out.empty()) a.fail("--out", "must not be empty");
    return report(s, run_training(s));
}

static const CommandSpec DEMO = {
    "demo",
    "The `make run` demo: maximum likelihood and the adaptive method on 8gaussians with 200\n"
    "training points, same architecture, seed and step budget, side by side.",
    "symkl demo [--steps S] [--out DIR] [--threads T]",
    "With 200 points the MLE flow learns the empirical distribution: its training NLL keeps\n"
    "falling while its test NLL and the true Jeffreys divergence rise. The adaptive method\n"
    "(jeffreys, EBM proxy with sigma0 = 3) is trained with the same budget.\n",
    {
        {"--steps", "S", "1000", "optimisation steps of each run"},
        {"--out", "DIR", "runs/demo", "output directory (one subdirectory per method)"},
        {"--threads", "T", "0", "OpenMP threads (0 = all cores)"},
        {"--quiet", nullptr, "", "no progress on stderr"},
        {"--force", nullptr, "", "replace other runs' files in the subdirectories (a demo with the same --steps reruns in place)"},
    }};

int cmd_demo(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(DEMO, argc, argv, 2, &help);
    if (help) {
        std::fputs(command_help(DEMO).c_str(), stdout);
        return 0;
    }
    RunSettings base;
    base.data.data = "8gaussians";
    base.data.n_train = 200;
    base.sigma0 = 3.0;  // the demo's EBM keeps σ₀ = 3, as README's table was made (not 3 × RMS std)
    base.steps = a.integer("--steps", 1, 1000000000);
    base.threads = a.integer("--threads", 0, 4096);
    base.quiet = a.on("--quiet");
    base.force = a.on("--force");
    const std::string out = a.str("--out");
    std::printf("symkl demo: RealNVP (K=%d couplings, %dx%d %s conditioners) on 8gaussians, %ld training points,\n"
                "%ld steps of Adam (lr %g, batch %d) for each method, seed 0\n\n",
                base.flow.layers, base.flow.depth, base.flow.hidden, act_name(base.flow.act), base.data.n_train,
                base.steps, base.trainer.adam.lr, base.trainer.batch);
    struct Row { const char* name; Method method; RunResult r; };
    Row rows[] = {{"mle", Method::mle, {}}, {"jeffreys (ebm)", Method::jeffreys, {}}};
    for (Row& row : rows) {
        RunSettings s = base;
        s.trainer.method = row.method;
        s.out = out + "/" + method_name(row.method);
        s.label = std::string(row.name) + ": ";
        row.r = run_training(s);
        if (row.r.exit_code) {
            std::fprintf(stderr, "symkl: error: %s\n", row.r.error.c_str());
            return row.r.exit_code;
        }
    }
    std::printf("%-16s %10s %10s %10s %10s %10s %10s\n", "final values", "train NLL", "test NLL", "fwd KL",
                "rev KL", "Jeffreys", "best test");
    for (const Row& row : rows)
        std::printf("%-16s %10.4f %10.4f %10.4f %10.4f %10.4f %10.4f\n", row.name, row.r.last.train_nll,
                    row.r.last.test_nll, row.r.last.fwd_kl, row.r.last.rev_kl, row.r.last.jeffreys,
                    row.r.best.test_nll);
    std::printf("(nats per point; KLs by Monte Carlo against the true density, 10000 points each;\n"
                " 'best test' is the lowest test NLL seen at a logged step)\n");
    std::printf("outputs in %s/mle/ and %s/jeffreys/ (metrics.csv, model.safetensors, config.json)\n", out.c_str(),
                out.c_str());
    return 0;
}
