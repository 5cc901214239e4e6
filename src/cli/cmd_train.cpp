// cmd_train.cpp — `symkl train` and `symkl demo`: settings in, runs out. The options are
// the table of app/options.cpp, the run with its files app/run.cpp, the loop train/fit.cpp.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <sys/stat.h>

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
        "by the adaptive symmetrized KL with a proxy (jeffreys), or with a fixed-weight penalty (penalty);\n"
        "or fit a baseline without a flow (gaussian, kde).",
        "symkl train [--data NAME|FILE.csv] [--method mle|jeffreys|penalty|wgan|gaussian|kde] [options]",
        "methods (docs/method.md):\n"
        "  mle       minimise F = -E_data log p (the forward KL up to a constant)\n"
        "  jeffreys  minimise F + R, R = KL(p || q) with a proxy q kept close to the data by the\n"
        "            resilient constraint G = -E_data log q <= eps + u; lambda adapts by dual ascent\n"
        "  penalty   the same with lambda fixed at --lambda0 (no slack, no dual step)\n"
        "  wgan      the flow as the generator of a WGAN-GP against an MLP critic (docs/wgan.md)\n"
        "  gaussian  baseline: full-covariance Gaussian, covariance shrunk towards its diagonal by alpha\n"
        "  kde       baseline: Gaussian kernels at the training rows, covariance h^2 diag(column variances)\n"
        "            (alpha, h: the grid value with the lowest validation NLL, or by 5-fold cross-validation\n"
        "            on the training rows when --val-frac is 0; the flow, optimiser and step options are\n"
        "            ignored and not recorded)\n"
        "\n"
        "validation (docs/method.md section 8):\n"
        "  --val-frac of the training rows (auto: 0.1 for a CSV, 0 for generated data) are held out;\n"
        "  every --val-every steps their NLL is computed, the step with the lowest is the selected\n"
        "  model, and the run stops after --patience validations without a lower one.\n"
        "\n"
        "CSV data (docs/data.md, real tabular data):\n"
        "  --standardize auto (on for a CSV): the flow trains on (x - mean) / std of the training rows;\n"
        "  the map is saved in model.safetensors and NLLs are reported in the data's own units.\n"
        "  Columns of integers with at most 20 distinct values are named in a warning; --dequantize\n"
        "  auto adds U(0,1) noise to them (from the seed). Every column dequantised: bits/dim printed.\n"
        "  --columns picks columns (a,b or 1-5 or -label); their names are saved in the checkpoint\n"
        "  and become the header of symkl sample's CSV.\n"
        "\n"
        "outputs (in --out):\n"
        "  metrics.csv        one row every --log-every steps: step, loss (mean minibatch NLL since\n"
        "                     the last row), train_nll, test_nll, fwd_kl, rev_kl, jeffreys (true-density\n"
        "                     Monte Carlo; 'nan' where the density is unknown), grad_norm, lambda, u,\n"
        "                     proxy_nll (G), rev_kl_proxy (R), ess (EBM), critic_loss, wasserstein_estimate,\n"
        "                     gp (wgan), skipped, val_nll (at validations; also a row at each); baselines:\n"
        "                     one row per grid value (alpha or h, train_nll, val_nll, test_nll, fwd_kl, selected)\n"
        "  model.safetensors  the main flow (rewritten at every logged step: the last good state is kept);\n"
        "                     with validation rows the selected step's (lowest validation NLL); a baseline\n"
        "  proxy.safetensors  the proxy (jeffreys, penalty); an EBM's carries its log Z estimate\n"
        "  model-last.safetensors, proxy-last.safetensors   with validation rows: the last step's models\n"
        "  state.safetensors  what --resume needs to continue the run exactly (rewritten at every log)\n"
        "  config.json        every setting of the run; an automatic one (lr, beta1, beta2, eps, sigma0,\n"
        "                     n_train, val_frac, val_every) with the value it took and \"<key>_auto\": true\n"
        "  density.png        the learnt density on a grid over the data (2-D data)\n"
        "  samples.svg        2000 samples of the flow over the training points (2-D data)\n"
        "  pairs.svg          a scatter matrix of up to 4 dimensions: samples against the data (D > 2)\n"
        "  nll.svg, kl.svg, lambda.svg   learning curves (docs/figures.md); every figure's title\n"
        "                     names the data set and the method\n"
        "\n"
        "output directories:\n"
        "  --out defaults to runs/<data>-<method>-seed<S>, <data> being the generated set's name\n"
        "  (moons) or the CSV file's name (moons.csv). A directory that holds another run's files\n"
        "  (a config.json with other settings, or run files without one) is refused: pass --force\n"
        "  to delete that run's files first, or choose another --out. The same settings again\n"
        "  (any --threads) rerun in place. The models are written before metrics.csv and\n"
        "  config.json, so an interrupted run never leaves a config without its model.\n"
        "\n"
        "resuming:\n"
        "  symkl train --resume DIR --steps N continues the run in DIR from its last log up to N steps\n"
        "  in all (default: the steps of DIR/config.json, for a run that was interrupted): metrics.csv and\n"
        "  the model files are then byte for byte those of a run of N steps from the start. It takes the\n"
        "  settings from DIR (only --steps, --threads and --quiet may be given) and refuses a DIR without\n"
        "  state.safetensors, a state that is corrupt or not of DIR's settings and data, and N no more\n"
        "  than the steps taken.\n"
        "\n"
        "Same command and seed give byte-identical metrics.csv and model files for any --threads.\n"
        "To repeat a run: symkl train --config DIR/config.json --out DIR2 (same numbers, same bytes).\n"
        "Exit codes: 0 done, 2 bad input, 3 stopped on a non-finite value (see --on-nonfinite).\n",
        train_options()};
    c.opts.push_back({"--out", "DIR", "", "output directory [default: runs/<data>-<method>-seed<S>]"});
    c.opts.push_back({"--config", "FILE", "", "repeat a run: take every setting from its config.json (options given here win)"});
    c.opts.push_back({"--resume", "DIR", "", "continue the run in DIR from its last log up to --steps in all "
                                             "[default: the steps of its config.json]"});
    return c;
}

// A number as printed for people: 6 significant digits (files keep every digit).
static std::string g6(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

static int report(const RunSettings& s, const RunResult& r) {
    if (r.exit_code) {
        std::fprintf(stderr, "symkl: error: %s\n", r.error.c_str());
        return r.exit_code;
    }
    char label[64];
    if (is_baseline(s.trainer.method)) {
        std::printf("%s: %s = %.6g, chosen by %s\n", method_name(s.trainer.method), r.param.c_str(), r.param_value,
                    r.cross_validated ? "5-fold cross-validation on the training rows (no validation rows)"
                                      : "the validation NLL");
        std::snprintf(label, sizeof label, "model:");
        print_metrics(label, r.selected, r.has_test);
        if (!r.cross_validated) std::printf("%-18s val NLL %s\n", "", g6(r.selected_val_nll).c_str());
        std::printf("outputs in %s/ (metrics.csv: one row per value of %s, model.safetensors, config.json)\n",
                    s.out.c_str(), r.param.c_str());
        return 0;
    }
    std::snprintf(label, sizeof label, "final (step %ld):", r.steps_done);
    print_metrics(label, r.last, r.has_test);
    std::snprintf(label, sizeof label, "best (step %ld):", r.best_step);
    if (r.has_test) print_metrics(label, r.best);  // the lowest test NLL: none without test rows
    if (r.n_val > 0) {
        std::snprintf(label, sizeof label, "selected (step %ld):", r.selected_step);
        print_metrics(label, r.selected, r.has_test);
        std::printf("%-18s val NLL %s (lowest of %ld validation rows; model.safetensors is this step, "
                    "model-last.safetensors the last)\n", "", g6(r.selected_val_nll).c_str(), r.n_val);
        if (r.early_stopped)
            std::printf("stopped early at step %ld: no lower validation NLL in %ld validations (--patience)\n",
                        r.steps_done, s.patience);
    }
    if (r.dim > 0 && r.dequantized == r.dim && r.has_test)  // every column discrete: the usual unit for images
        std::printf("bits per dimension (test NLL / (D ln 2), D = %d, dequantised data): final %.4f, best %.4f, selected %.4f\n",
                    r.dim, r.last.test_nll / (r.dim * std::log(2.0)), r.best.test_nll / (r.dim * std::log(2.0)),
                    r.selected.test_nll / (r.dim * std::log(2.0)));
    if (s.trainer.method == Method::jeffreys || s.trainer.method == Method::penalty) {
        // ε as it was set: the kNN entropy, plus the margin when there is one
        std::string what = " (given by --eps)";
        if (r.resolved.eps_auto)
        {
            const std::string base = r.resolved.eps_gaussian < r.resolved.eps_knn
                                         ? "the training data's Gaussian NLL, below its kNN entropy"
                                         : "kNN entropy of the training set";
            const std::string where = r.standardized ? "; standardised columns" : "";
            what = s.eps_margin == 0 ? " (" + base + where + ")"
                                     : " (" + base + where + " " + g6(r.eps - s.eps_margin) +
                                           (s.eps_margin > 0 ? " + margin " : " - margin ") + g6(std::fabs(s.eps_margin)) + ")";
        }
        std::printf("eps %s%s, final lambda %s%s%s\n", g6(r.eps).c_str(), what.c_str(), g6(r.lambda).c_str(),
                    s.trainer.method == Method::jeffreys ? ", u " : "",
                    s.trainer.method == Method::jeffreys ? g6(r.u).c_str() : "");
    }
    if (r.skipped) std::printf("%ld steps skipped for non-finite values\n", r.skipped);
    std::printf("outputs in %s/ (metrics.csv, model.safetensors%s%s, config.json)\n", s.out.c_str(),
                s.trainer.method == Method::jeffreys || s.trainer.method == Method::penalty ? ", proxy.safetensors" : "",
                r.n_val > 0 ? ", model-last.safetensors" : "");
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
    std::string resume;
    if (a.has("--resume")) {  // the run's own settings, --steps and --threads as given here
        resume = a.str("--resume");
        if (a.has("--config") || a.has("--out"))
            a.fail("--resume", "takes the run's settings and directory from DIR: leave out --config and --out");
        struct stat sb;
        if (stat((resume + "/config.json").c_str(), &sb) != 0)
            a.fail("--resume", "'" + resume + "' holds no run (no config.json there)");
        apply_config(a, resume + "/config.json");
    }
    if (a.has("--config")) apply_config(a, a.str("--config"));
    RunSettings s;
    read_run_options(a, s);
    read_training_options(a, s);
    s.out = !resume.empty() ? resume : a.has("--out") ? a.str("--out") : default_out(s);
    s.resume = !resume.empty();
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
