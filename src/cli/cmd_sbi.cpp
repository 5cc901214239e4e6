// cmd_sbi.cpp — simulation-based inference from the command line: `symkl sbi simulate`
// and `symkl sbi reference` (the sbibm tasks of src/sbi/tasks.h), and `symkl c2st`
// (the classifier two-sample test of src/sbi/c2st.h) on two CSV files.
#include <cstdio>
#include <string>
#include <vector>

#include "app/args.h"
#include "cli/commands.h"
#include "io/csv.h"
#include "io/file.h"
#include "io/text.h"
#include "sbi/c2st.h"
#include "sbi/tasks.h"
#include "tensor/error.h"
#include "tensor/rng.h"

static std::vector<std::string> names(const char* prefix, int n) {
    std::vector<std::string> h;
    for (int j = 1; j <= n; j++) h.push_back(prefix + std::to_string(j));
    return h;
}

static SbiTask read_task(const Args& a) {
    SbiTask t;
    if (!a.has("--task")) a.fail("--task", std::string("is required: one of ") + sbi_task_names());
    if (!sbi_task_from_name(a.str("--task"), &t))
        a.fail("--task", std::string("must be one of ") + sbi_task_names() + ", got '" + excerpt(a.str("--task")) + "'");
    return t;
}

static std::string need_flag(const Args& a, const char* flag) {
    if (!a.has(flag)) a.fail(flag, "is required (see 'symkl " + std::string(a.spec->name) + " --help')");
    return a.str(flag);
}

static const CommandSpec SIMULATE = {
    "sbi simulate",
    "Draw parameters from a task's prior and simulate one data set for each: a CSV with the\n"
    "columns parameter_1 ... parameter_k, data_1 ... data_m (sbibm's names), one simulation a row.",
    "symkl sbi simulate --task NAME --n N --out FILE.csv [--seed S]",
    "Tasks (sbibm's definitions, docs/sbi.md): two_moons (2 parameters, 2 data), gaussian_linear\n"
    "(10, 10), slcp (5, 8), gaussian_mixture (2, 2). The same --seed gives the same file.\n",
    {
        {"--task", "NAME", "", "two_moons, gaussian_linear, slcp or gaussian_mixture"},
        {"--n", "N", "1000", "number of simulations"},
        {"--out", "FILE", "", "output CSV ('-' = stdout)"},
        {"--seed", "S", "0", "random seed"},
    }};

static const CommandSpec REFERENCE = {
    "sbi reference",
    "Draw samples of a task's reference posterior p(theta | x_o) for one observation: a CSV with\n"
    "the columns parameter_1 ... parameter_k.",
    "symkl sbi reference --task NAME --observation K --n N --out FILE.csv [--observations FILE] [--seed S]",
    "x_o is row K (its first column, num_observation, equal to K) of --observations, by default\n"
    "data/sbi/<task>_observations.csv (sbibm's ten observations; run from the repository's root\n"
    "or pass the file). The samplers: gaussian_linear exact, gaussian_mixture and two_moons exact\n"
    "by rejection, slcp slice sampling (--chains chains, --burn-in sweeps discarded, every\n"
    "--thin-th sweep kept) with an exact sign symmetry to balance its four modes (docs/sbi.md).\n",
    {
        {"--task", "NAME", "", "two_moons, gaussian_linear, slcp or gaussian_mixture"},
        {"--observation", "K", "1", "which observation, 1 ... 10"},
        {"--observations", "FILE", "", "CSV of observations [default: data/sbi/<task>_observations.csv]"},
        {"--n", "N", "10000", "number of posterior samples"},
        {"--out", "FILE", "", "output CSV ('-' = stdout)"},
        {"--seed", "S", "0", "random seed"},
        {"--chains", "C", "100", "slcp: MCMC chains"},
        {"--burn-in", "N", "500", "slcp: sweeps discarded at the start of each chain"},
        {"--thin", "N", "5", "slcp: sweeps between kept samples"},
        {"--threads", "T", "0", "OpenMP threads for the chains (0 = all cores)"},
    }};

static const char* SBI_USAGE =
    "usage: symkl sbi simulate|reference --task NAME ... (symkl sbi simulate --help, symkl sbi reference --help)";

static int sbi_simulate_cmd(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(SIMULATE, argc, argv, 3, &help);
    if (help) return std::fputs(command_help(SIMULATE).c_str(), stdout), 0;
    const SbiTask t = read_task(a);
    const std::string out = need_flag(a, "--out");
    const long n = a.integer("--n", 1, 100000000);
    Rng rng(a.seed("--seed"));
    const Tensor theta = sbi_prior_sample(t, (int)n, rng);
    const Tensor x = sbi_simulate(t, theta, rng);
    const int k = theta.cols, m = x.cols;
    Tensor both((int)n, k + m);
    for (int i = 0; i < (int)n; i++) {
        for (int j = 0; j < k; j++) both.at(i, j) = theta.at(i, j);
        for (int j = 0; j < m; j++) both.at(i, k + j) = x.at(i, j);
    }
    std::vector<std::string> header = names("parameter_", k), dn = names("data_", m);
    header.insert(header.end(), dn.begin(), dn.end());
    write_csv(out, both, header);
    std::fprintf(output_is_stdout(out) ? stderr : stdout, "wrote %ld simulations of %s (seed %s) to %s\n", n,
                 sbi_task_name(t), a.str("--seed").c_str(), output_name(out).c_str());
    return 0;
}

static int sbi_reference_cmd(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(REFERENCE, argc, argv, 3, &help);
    if (help) return std::fputs(command_help(REFERENCE).c_str(), stdout), 0;
    const SbiTask t = read_task(a);
    const std::string out = need_flag(a, "--out");
    const long n = a.integer("--n", 1, 100000000), k = a.integer("--observation", 1, 1000000);
    SliceOptions so;
    so.chains = (int)a.integer("--chains", 1, 100000);
    so.burn_in = (int)a.integer("--burn-in", 0, 100000000);
    so.thin = (int)a.integer("--thin", 1, 100000);
    set_threads(a.integer("--threads", 0, 4096));
    const std::string path = a.has("--observations") ? a.str("--observations")
                                                     : std::string("data/sbi/") + sbi_task_name(t) + "_observations.csv";
    const Tensor obs = read_csv_dim(path, 1 + sbi_x_dim(t), std::string("the task ") + sbi_task_name(t) +
                                                                " (num_observation and " +
                                                                std::to_string(sbi_x_dim(t)) + " data columns)");
    int row = -1;
    for (int i = 0; i < obs.rows; i++)
        if (obs.at(i, 0) == (Real)k) row = i;
    if (row < 0)
        a.fail("--observation", std::to_string(k) + " is not in " + input_name(path) +
                                    " (its first column lists the observation numbers)");
    Rng rng(a.seed("--seed"));
    const Tensor post = sbi_reference_posterior(t, obs.row(row) + 1, (int)n, rng, so);
    write_csv(out, post, names("parameter_", post.cols));
    std::fprintf(output_is_stdout(out) ? stderr : stdout,
                 "wrote %ld reference posterior samples of %s, observation %ld (seed %s) to %s\n", n,
                 sbi_task_name(t), k, a.str("--seed").c_str(), output_name(out).c_str());
    return 0;
}

int cmd_sbi(int argc, char** argv) {
    const std::string sub = argc >= 3 ? argv[2] : "";
    if (sub == "simulate") return sbi_simulate_cmd(argc, argv);
    if (sub == "reference") return sbi_reference_cmd(argc, argv);
    if (sub == "--help" || sub == "-h") return std::puts(SBI_USAGE), 0;
    throw symkl::Error("symkl sbi: " + (sub.empty() ? std::string("name the action first") : "unknown action '" + excerpt(sub) + "'") +
                       ": simulate or reference (" + SBI_USAGE + ")");
}

static const CommandSpec C2ST = {
    "c2st",
    "Classifier two-sample test of two CSV samples, as sbibm computes it: z-score both by the first\n"
    "(the reference), 5-fold cross-validated accuracy of an MLP classifier (two hidden layers of\n"
    "10·D ReLU units, Adam). 0.5: indistinguishable; 1.0: perfectly separated. Prints the mean\n"
    "accuracy, then the accuracy of each fold.",
    "symkl c2st REFERENCE.csv OTHER.csv [--seed S] [--max-epochs N] [--folds K]",
    "Both files hold one point a row with the same number of columns (a header line is allowed).\n"
    "Training stops as scikit-learn's MLPClassifier does (no fall of the training loss by 1e-4 in\n"
    "10 epochs) or after --max-epochs. docs/sbi.md describes the test.\n",
    {
        {"--seed", "S", "1", "seed of the folds and the classifiers"},
        {"--max-epochs", "N", "10000", "epochs at most per fold"},
        {"--folds", "K", "5", "cross-validation folds"},
        {"--threads", "T", "0", "OpenMP threads (0 = all cores)"},
    }};

int cmd_c2st(int argc, char** argv) {
    for (int i = 2; i < argc; i++)
        if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h")
            return std::fputs(command_help(C2ST).c_str(), stdout), 0;
    if (argc < 4 || argv[2][0] == '-' || argv[3][0] == '-')
        throw symkl::Error("symkl c2st: give the two CSV files first: " + std::string(C2ST.usage));
    bool help = false;
    const Args a = parse_args(C2ST, argc, argv, 4, &help);
    set_threads(a.integer("--threads", 0, 4096));
    const std::string pa = argv[2], pb = argv[3];
    const Tensor A = read_csv(pa), B = read_csv(pb);
    if (A.cols != B.cols)
        throw symkl::Error(input_name(pb) + ": has " + std::to_string(B.cols) + " columns but " + input_name(pa) +
                           " has " + std::to_string(A.cols) + " (pass two samples of the same dimension)");
    C2stOptions opt;
    opt.seed = a.seed("--seed");
    opt.max_epochs = (int)a.integer("--max-epochs", 1, 100000000);
    opt.folds = (int)a.integer("--folds", 2, 1000);
    if (A.rows + B.rows < opt.folds) a.fail("--folds", "is more than the points of both files together");
    const C2stResult r = c2st(A, B, opt);
    std::printf("c2st %.4f\n", r.accuracy);
    std::printf("folds");
    for (double f : r.fold_accuracy) std::printf(" %.4f", f);
    std::printf("\n");
    return 0;
}
