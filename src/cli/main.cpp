// main.cpp — the symkl command-line tool: dispatch to a subcommand, and the one
// place where errors become messages and exit codes.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "cli/commands.h"
#include "io/text.h"
#include "tensor/error.h"
#include "tensor/real.h"

static const char* TOP_HELP =
    "symkl — density estimation with normalizing flows trained on the adaptive symmetrized KL\n"
    "divergence of Ben-Dov & Chamon (arXiv:2511.11159), with maximum-likelihood, penalty and WGAN baselines.\n"
    "\n"
    "usage: symkl COMMAND [options]        (symkl help COMMAND, or symkl COMMAND --help, for its options)\n"
    "       symkl --version (-V)\n"
    "\n"
    "commands:\n"
    "  train      train a RealNVP flow (mle, jeffreys, penalty, wgan) on a generated data set or a CSV file\n"
    "  compare    several methods x seeds with the same budget; median and range of the results\n"
    "  experiment the experiments of docs/results.md (E1 small data, E2 learning rates, E3 settings)\n"
    "  eval       test NLL of a trained model, and the true KLs where the density is known\n"
    "  sample     draw points from a trained model into a CSV file\n"
    "  logprob    log p(x) of a trained model for every row of a CSV file\n"
    "  generate   write points of a generated data set (8gaussians, moons, ...) to CSV\n"
    "  plot       draw a chart (SVG) from one or more metrics.csv files, or CSV rows as images\n"
    "  sbi        simulation-based inference: simulate a task, train a posterior p(theta | x) (NPE),\n"
    "             sample it for an observation, draw the task's reference posterior (symkl sbi --help)\n"
    "  c2st       classifier two-sample test of two CSV samples (0.5 = indistinguishable)\n"
    "  demo       the `make run` demo: MLE and the adaptive method on 8gaussians with 200 points\n"
    "\n"
    "examples:\n"
    "  symkl train --data moons --method jeffreys --proxy ebm --steps 3000 --out runs/moons\n"
    "  symkl eval --model runs/moons/model.safetensors --data moons\n"
    "  symkl sample --model runs/moons/model.safetensors --n 1000 --out samples.csv\n"
    "\n"
    "files: --out - writes to stdout (sample, logprob, generate); --in - (logprob) and --data -\n"
    "(eval) read stdin. A device or FIFO given as --out is written in place, never replaced.\n"
    "\n"
    "exit codes:\n"
    "  0  success\n"
    "  1  out of memory, or an internal error (a bug in symkl; the message says which)\n"
    "  2  bad input or an unusable file: the one-line message names the flag, or the file, line\n"
    "     and field, and how to fix it; nothing is written\n"
    "  3  training stopped on a non-finite loss, gradient, lambda or log-weight (the message names\n"
    "     the step; the last good checkpoint is kept)\n"
    "  4  a result is not finite (eval, sample, logprob: log p(x), an NLL or a sample is NaN or\n"
    "     infinite): the message says for how many rows and the first one; nothing is written\n";

static const char* SHORT_USAGE =
    "usage: symkl COMMAND [options]\n"
    "commands: train, compare, experiment, eval, sample, logprob, generate, plot, sbi, c2st, demo\n"
    "'symkl --help' describes them; 'symkl help COMMAND' (or 'symkl COMMAND --help') gives a command's options\n";

static const char* const COMMANDS[] = {"train", "compare", "experiment", "eval", "sample", "logprob", "generate", "plot", "sbi", "c2st", "demo"};

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(SHORT_USAGE, stderr);
        return 2;
    }
    // `symkl help CMD` is `symkl CMD --help`
    static char help_flag[] = "--help";
    char* help_argv[] = {argv[0], argc >= 3 ? argv[2] : nullptr, help_flag, nullptr};
    if (!std::strcmp(argv[1], "help") && argc >= 3) {
        bool known = false;
        for (const char* c : COMMANDS) known = known || !std::strcmp(argv[2], c);
        if (!known) {
            std::fprintf(stderr, "symkl: error: 'symkl help' knows no command '%s' (commands: train, compare, experiment, eval, sample, logprob, generate, plot, sbi, c2st, demo)\n",
                         excerpt(argv[2]).c_str());
            return 2;
        }
        argc = 3, argv = help_argv;
    }
    if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        std::fputs(TOP_HELP, stdout);
        return 0;
    }
    if (!std::strcmp(argv[1], "--version") || !std::strcmp(argv[1], "-V")) {
        std::printf("symkl 0.1 (Real = %s)\n", SYMKL_REAL_NAME);
        return 0;
    }
    const std::string cmd = argv[1];
    try {
        if (cmd == "train") return cmd_train(argc, argv);
        if (cmd == "demo") return cmd_demo(argc, argv);
        if (cmd == "compare") return cmd_compare(argc, argv);
        if (cmd == "experiment") return cmd_experiment(argc, argv);
        if (cmd == "eval") return cmd_eval(argc, argv);
        if (cmd == "sample") return cmd_sample(argc, argv);
        if (cmd == "logprob") return cmd_logprob(argc, argv);
        if (cmd == "generate") return cmd_generate(argc, argv);
        if (cmd == "plot") return cmd_plot(argc, argv);
        if (cmd == "sbi") return cmd_sbi(argc, argv);
        if (cmd == "c2st") return cmd_c2st(argc, argv);
        std::fprintf(stderr, "symkl: error: unknown command '%s' (commands: train, compare, experiment, eval, sample, logprob, generate, plot, sbi, c2st, demo; see 'symkl --help')\n",
                     excerpt(cmd).c_str());
        return 2;
    } catch (const symkl::Error& e) {
        // escaped once more, so that every message stays on one line
        std::fprintf(stderr, "symkl: error: %s\n", excerpt(e.what(), SIZE_MAX).c_str());
        return 2;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "symkl: error: out of memory (try a smaller --batch, --hidden or --n-test)\n");
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "symkl: internal error: %s\n", excerpt(e.what(), SIZE_MAX).c_str());
        return 1;
    }
}
