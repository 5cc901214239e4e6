// cmd_sbi.cpp — simulation-based inference from the command line: `symkl sbi simulate`
// and `symkl sbi reference` (the sbibm tasks of src/sbi/tasks.h), `symkl sbi train` and
// `symkl sbi sample` (neural posterior estimation, src/sbi/npe.h), and `symkl c2st`
// (the classifier two-sample test of src/sbi/c2st.h) on two CSV files.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "app/args.h"
#include "app/options.h"
#include "app/run.h"
#include "cli/commands.h"
#include "io/csv.h"
#include "io/file.h"
#include "io/json.h"
#include "io/posterior.h"
#include "io/text.h"
#include "sbi/c2st.h"
#include "sbi/npe.h"
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
    "columns theta_1 ... theta_k, x_1 ... x_m, one simulation a row.",
    "symkl sbi simulate --task NAME --n N --out FILE.csv [--seed S]",
    "Tasks (sbibm's definitions, docs/sbi.md): two_moons (2 parameters, 2 data), gaussian_linear\n"
    "(10, 10), slcp (5, 8), gaussian_mixture (2, 2). The same --seed gives the same file, and the\n"
    "same simulations 'symkl sbi train --task NAME --budget N --seed S' trains on.\n",
    {
        {"--task", "NAME", "", "two_moons, gaussian_linear, slcp or gaussian_mixture"},
        {"--n", "N", "1000", "number of simulations"},
        {"--out", "FILE", "", "output CSV ('-' = stdout)"},
        {"--seed", "S", "0", "random seed"},
    }};

static const CommandSpec REFERENCE = {
    "sbi reference",
    "Draw samples of a task's reference posterior p(theta | x_o) for one observation: a CSV with\n"
    "the columns theta_1 ... theta_k.",
    "symkl sbi reference --task NAME (--observation K | --obs V1,V2,... | --obs-file FILE) --n N --out FILE.csv [--seed S]",
    "x_o is row K (its first column, num_observation, equal to K) of --observations, by default\n"
    "data/sbi/<task>_observations.csv (sbibm's ten observations; run from the repository's root\n"
    "or pass the file); or your own x_o, given as --obs (the task's m data values, comma-separated)\n"
    "or --obs-file (a CSV of one row of m values, with or without a header line). The samplers:\n"
    "gaussian_linear exact, gaussian_mixture and two_moons exact by rejection, slcp slice sampling\n"
    "(--chains chains, --burn-in sweeps discarded, every --thin-th sweep kept) with an exact sign\n"
    "symmetry to balance its four modes (docs/sbi.md).\n",
    {
        {"--task", "NAME", "", "two_moons, gaussian_linear, slcp or gaussian_mixture"},
        {"--observation", "K", "1", "which observation, 1 ... 10"},
        {"--observations", "FILE", "", "CSV of observations [default: data/sbi/<task>_observations.csv]"},
        {"--obs", "V1,V2,...", "", "x_o itself: the task's data values, comma-separated (instead of --observation)"},
        {"--obs-file", "FILE", "", "x_o as a one-row CSV (instead of --observation)"},
        {"--n", "N", "10000", "number of posterior samples"},
        {"--out", "FILE", "", "output CSV ('-' = stdout)"},
        {"--seed", "S", "0", "random seed"},
        {"--chains", "C", "100", "slcp: MCMC chains"},
        {"--burn-in", "N", "500", "slcp: sweeps discarded at the start of each chain"},
        {"--thin", "N", "5", "slcp: sweeps between kept samples"},
        {"--threads", "T", "0", "OpenMP threads for the chains (0 = all cores)"},
    }};

static const CommandSpec TRAIN = {
    "sbi train",
    "Neural posterior estimation: train a conditional flow p(theta | x) on simulations, as the sbi\n"
    "package does (z-scored theta and x, 10% held out, early stopping on the validation NLL).",
    "symkl sbi train (--task NAME --budget N | --sims FILE.csv --theta-dim K) --out DIR [options]",
    "The simulations: --task NAME --budget N simulates N with the task's prior and simulator from\n"
    "--seed (the rows 'symkl sbi simulate --task NAME --n N --seed S' writes), or --sims FILE with\n"
    "--theta-dim K reads your own: one simulation a row, the first K columns theta, the rest x.\n"
    "\n"
    "Training: an epoch is ceil(fit rows / --batch) steps; after every epoch the validation NLL\n"
    "-log p(theta | x) of the held-out rows (nats, in theta's own units) is computed; training\n"
    "stops after --patience epochs without a better one, or after --max-epochs, and keeps the\n"
    "best epoch's flow. The defaults are sbi's: a 5-coupling flow of 50 hidden units, batch 200,\n"
    "Adam at 5e-4, gradient norm clipped at 5, patience 20. --method jeffreys or penalty adds the\n"
    "adaptive term with a proxy (--proxy ebm or flow, learning at 3 x --lr unless --proxy-lr): each\n"
    "step draws --samples samples of p(theta | x) for each of --contexts rows of the minibatch\n"
    "(docs/sbi.md).\n"
    "\n"
    "Writes DIR/model.safetensors (the posterior: flow and z-scoring), DIR/metrics.csv (epoch,\n"
    "val_nll, and the epoch's means of F, R, G, lambda where the method has them) and\n"
    "DIR/config.json; prints every epoch on stderr and a summary on stdout. A DIR holding another\n"
    "run is refused unless --force. The same --seed gives the same files with any --threads.\n"
    "\n"
    "  symkl sbi train --task two_moons --budget 10000 --seed 1 --out runs/npe-two_moons\n",
    {
        {"--task", "NAME", "", "simulate from this task: two_moons, gaussian_linear, slcp or gaussian_mixture"},
        {"--budget", "N", "", "with --task: the number of simulations"},
        {"--sims", "FILE", "", "your own simulations: a CSV, the first --theta-dim columns theta, the rest x"},
        {"--theta-dim", "K", "", "with --sims: how many leading columns are theta"},
        {"--method", "NAME", "mle", "mle, jeffreys or penalty"},
        {"--proxy", "KIND", "ebm", "jeffreys, penalty: the proxy, ebm or flow"},
        {"--seed", "S", "0", "random seed (simulations, initialisation, minibatches, validation rows)"},
        {"--out", "DIR", "", "output directory"},
        {"--force", nullptr, "", "replace the files of another run in DIR"},
        {"--layers", "K", "5", "couplings of the flow (and of a flow proxy)"},
        {"--hidden", "H", "50", "hidden units of each coupling's network"},
        {"--batch", "B", "200", "simulations per step"},
        {"--lr", "LR", "5e-4", "Adam learning rate of the posterior flow"},
        {"--proxy-lr", "LR", "auto", "jeffreys, penalty: the proxy's learning rate; auto = 3 x --lr"},
        {"--patience", "E", "20", "epochs without a better validation NLL before stopping"},
        {"--max-epochs", "E", "500", "epochs at most"},
        {"--val-frac", "F", "0.1", "fraction of the simulations held out for validation"},
        {"--samples", "M", "8", "jeffreys, penalty: samples of p(theta | x) per context"},
        {"--contexts", "C", "16", "jeffreys, penalty: contexts (minibatch rows) sampled per step"},
        {"--eps", "E", "", "jeffreys, penalty: the constraint's epsilon in nats, theta's units [default: kNN estimate of H(theta | x)]"},
        {"--threads", "T", "0", "OpenMP threads (0 = all cores); results do not depend on it"},
    }};

static const CommandSpec SAMPLE = {
    "sbi sample",
    "Draw samples of a trained posterior p(theta | x_o) (symkl sbi train's model) for one\n"
    "observation: a CSV with the columns theta_1 ... theta_k; prints the acceptance rate.",
    "symkl sbi sample --model DIR/model.safetensors (--obs V1,V2,... | --obs-file FILE) --out FILE.csv [--n N] [--seed S]",
    "x_o is --obs (the data values, comma-separated) or --obs-file (a CSV of one row, with or\n"
    "without a header line). A model trained on a task rejects the draws outside the task's prior\n"
    "(sbi's default) and draws again, until --n are kept; the acceptance rate is the fraction kept.\n"
    "A model of your own simulations (--sims) keeps every draw, unless --box LO,HI bounds every\n"
    "parameter. Fewer than 1 draw in 10^4 accepted is an error (x_o far from the simulations).\n"
    "The draws do not share random numbers with 'symkl sbi reference' of the same --seed.\n",
    {
        {"--model", "FILE", "", "the model.safetensors that 'symkl sbi train' wrote"},
        {"--obs", "V1,V2,...", "", "x_o: the data values, comma-separated"},
        {"--obs-file", "FILE", "", "x_o as a one-row CSV"},
        {"--n", "N", "10000", "number of posterior samples"},
        {"--out", "FILE", "", "output CSV ('-' = stdout)"},
        {"--seed", "S", "0", "random seed"},
        {"--box", "LO,HI", "", "a model of your own simulations: reject draws with a parameter outside [LO, HI]"},
        {"--threads", "T", "0", "OpenMP threads (0 = all cores)"},
    }};

static const char* SBI_USAGE =
    "usage: symkl sbi simulate|train|sample|reference --task NAME ... (symkl sbi ACTION --help)\n"
    "\n"
    "Simulation-based inference: learn the posterior p(theta | x) of a simulator's parameters from\n"
    "simulations (neural posterior estimation), sample it for an observation x_o, and compare the\n"
    "samples with a reference posterior by the classifier two-sample test (docs/sbi.md).\n"
    "\n"
    "  simulate    draw theta from a task's prior and x from its simulator: a CSV theta_*, x_*\n"
    "  train       train a posterior on a task's simulations (--task, --budget) or on yours (--sims)\n"
    "  sample      draw from a trained posterior for one observation (--obs or --obs-file)\n"
    "  reference   draw from a task's reference posterior for the same observation\n"
    "  symkl c2st  0.5: the two samples cannot be told apart; 1.0: perfectly separated\n"
    "\n"
    "Example (two_moons, its first observation; run from the repository's root):\n"
    "  symkl sbi train --task two_moons --budget 10000 --seed 1 --out runs/npe\n"
    "  symkl sbi sample --model runs/npe/model.safetensors --obs -0.6396706,0.16234657 --n 10000 --out runs/npe/post.csv\n"
    "  symkl sbi reference --task two_moons --observation 1 --n 10000 --out runs/npe/ref.csv\n"
    "  symkl c2st --a runs/npe/ref.csv --b runs/npe/post.csv\n"
    "\n"
    "Your own simulator: write its simulations as a CSV (theta columns first), then\n"
    "  symkl sbi train --sims sims.csv --theta-dim K --out runs/mine\n"
    "  symkl sbi sample --model runs/mine/model.safetensors --obs 0.1,2.5,... --out post.csv\n";
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
    std::vector<std::string> header = names("theta_", k), dn = names("x_", m);
    header.insert(header.end(), dn.begin(), dn.end());
    write_csv(out, both, header);
    std::fprintf(output_is_stdout(out) ? stderr : stdout, "wrote %ld simulations of %s (seed %s) to %s\n", n,
                 sbi_task_name(t), a.str("--seed").c_str(), output_name(out).c_str());
    return 0;
}

// One number of an observation, or symkl::Error via `bad`.
static bool parse_number(const std::string& field, double* out) {
    size_t b = 0, e = field.size();
    while (b < e && (field[b] == ' ' || field[b] == '\t')) b++;
    while (e > b && (field[e - 1] == ' ' || field[e - 1] == '\t' || field[e - 1] == '\r')) e--;
    const std::string f = field.substr(b, e - b);
    if (f.empty()) return false;
    char* end = nullptr;
    const double v = std::strtod(f.c_str(), &end);
    if (*end != '\0' || !std::isfinite(v)) return false;
    *out = v;
    return true;
}

static std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    size_t begin = 0;
    for (;;) {
        const size_t comma = s.find(',', begin);
        out.push_back(s.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
        if (comma == std::string::npos) return out;
        begin = comma + 1;
    }
}

// x_o from --obs (m numbers, comma-separated) or --obs-file (a CSV of one data row, with
// or without a header line); exactly one of them must be given.
static std::vector<Real> read_obs(const Args& a, int m, const std::string& what) {
    const bool inline_obs = a.has("--obs"), file = a.has("--obs-file");
    if (inline_obs && file) a.fail("--obs", "and --obs-file are both given; keep one");
    std::vector<Real> x;
    if (inline_obs) {
        const std::vector<std::string> f = split_commas(a.str("--obs"));
        if ((int)f.size() != m)
            a.fail("--obs", "has " + std::to_string(f.size()) + " value(s), but " + what + " has " + std::to_string(m) +
                                " data values (give " + std::to_string(m) + ", comma-separated)");
        for (size_t j = 0; j < f.size(); j++) {
            double v = 0;
            if (!parse_number(f[j], &v))
                a.fail("--obs", "value " + std::to_string(j + 1) + " '" + excerpt(f[j]) + "' is not a finite number");
            x.push_back((Real)v);
        }
        return x;
    }
    const std::string path = a.str("--obs-file");
    std::string text = read_input(path);
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
    std::vector<std::string> lines;
    for (size_t begin = 0; begin < text.size();) {
        size_t nl = text.find('\n', begin);
        if (nl == std::string::npos) nl = text.size();
        lines.push_back(text.substr(begin, nl - begin));
        begin = nl + 1;
    }
    while (!lines.empty() && lines.back().find_first_not_of(" \t\r") == std::string::npos) lines.pop_back();
    const std::string name = input_name(path);
    size_t first = 0;
    if (!lines.empty()) {  // a header: no field is a number
        bool any_number = false;
        double v = 0;
        for (const std::string& f : split_commas(lines[0])) any_number = any_number || parse_number(f, &v);
        if (!any_number) first = 1;
    }
    if (lines.size() - first != 1)
        throw symkl::Error(name + ": holds " + std::to_string(lines.size() - first) +
                           " data rows; --obs-file takes one observation (one row of " + std::to_string(m) +
                           " values, a header line allowed)");
    const std::vector<std::string> f = split_commas(lines[first]);
    const std::string where = name + ":" + std::to_string(first + 1) + ": ";
    if ((int)f.size() != m)
        throw symkl::Error(where + "has " + std::to_string(f.size()) + " values, but " + what + " has " +
                           std::to_string(m) + " data values (pass one row of " + std::to_string(m) + ")");
    for (size_t j = 0; j < f.size(); j++) {
        double v = 0;
        if (!parse_number(f[j], &v))
            throw symkl::Error(where + "column " + std::to_string(j + 1) + ": '" + excerpt(f[j]) +
                               "' is not a finite number (pass numbers only)");
        x.push_back((Real)v);
    }
    return x;
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
    const bool own = a.has("--obs") || a.has("--obs-file");
    if (own && (a.has("--observation") || a.has("--observations")))
        a.fail(a.has("--obs") ? "--obs" : "--obs-file", "replaces --observation/--observations; keep one of them");
    std::vector<Real> x_o;
    if (own) {
        x_o = read_obs(a, sbi_x_dim(t), std::string("the task ") + sbi_task_name(t));
    } else {
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
        x_o.assign(obs.row(row) + 1, obs.row(row) + 1 + sbi_x_dim(t));
    }
    Rng rng(a.seed("--seed"));
    const Tensor post = sbi_reference_posterior(t, x_o.data(), (int)n, rng, so);
    write_csv(out, post, names("theta_", post.cols));
    const std::string which = own ? std::string("the given observation") : "observation " + std::to_string(k);
    std::fprintf(output_is_stdout(out) ? stderr : stdout,
                 "wrote %ld reference posterior samples of %s, %s (seed %s) to %s\n", n, sbi_task_name(t),
                 which.c_str(), a.str("--seed").c_str(), output_name(out).c_str());
    return 0;
}

// --- sbi train ---------------------------------------------------------------------

static std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return buf;
}

static int sbi_train_cmd(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(TRAIN, argc, argv, 3, &help);
    if (help) return std::fputs(command_help(TRAIN).c_str(), stdout), 0;
    const std::string out = need_flag(a, "--out");
    const bool task_given = a.has("--task"), sims_given = a.has("--sims");
    if (task_given == sims_given)
        a.fail(task_given ? "--sims" : "--task", task_given ? "and --task are both given: train on a task's simulations or on yours"
                                                            : "or --sims is required: the simulations to train on");
    const uint64_t seed = a.seed("--seed");
    Method method;
    if (!method_from_name(a.str("--method"), &method) || !(method == Method::mle || uses_proxy(method)))
        a.fail("--method", "must be mle, jeffreys or penalty, got '" + excerpt(a.str("--method")) + "'");
    ProxyKind proxy;
    if (!proxy_kind_from_name(a.str("--proxy"), &proxy))
        a.fail("--proxy", "must be ebm or flow, got '" + excerpt(a.str("--proxy")) + "'");
    NpeConfig cfg = npe_default_config();
    FitConfig& f = cfg.fit;
    f.trainer.method = method;
    f.proxy_kind = proxy;
    f.flow.layers = (int)a.integer("--layers", 1, 1000);
    f.flow.hidden = (int)a.integer("--hidden", 1, 100000);
    f.proxy_flow = f.flow;
    f.trainer.batch = (int)a.integer("--batch", 1, 1000000);
    f.lr = a.real("--lr", 1e-12, 10);
    f.trainer.proxy_adam.lr =  // the proxy must keep up with the flow (docs/method.md §10)
        a.str("--proxy-lr") == "auto" ? 3 * *f.lr : a.real("--proxy-lr", 1e-12, 10);
    cfg.patience = a.integer("--patience", 1, 1000000);
    cfg.max_epochs = a.integer("--max-epochs", 1, 100000000);
    cfg.val_frac = a.real("--val-frac", 1e-9, 0.9);
    f.trainer.samples = (int)a.integer("--samples", 1, 1000000);
    f.trainer.contexts = (int)a.integer("--contexts", 1, 1000000);
    if (a.has("--eps")) f.eps = a.real("--eps", -1e6, 1e6);
    const long threads = a.integer("--threads", 0, 4096);
    set_threads(threads);

    // the simulations
    Tensor theta, x;
    PosteriorInfo info;
    Json config = Json::make_object();
    if (task_given) {
        const SbiTask t = read_task(a);
        if (!a.has("--budget")) a.fail("--budget", "is required with --task: the number of simulations");
        const long n = a.integer("--budget", 10, 100000000);
        if (a.has("--theta-dim")) a.fail("--theta-dim", "goes with --sims (a task knows its parameters)");
        Rng sim(seed);  // as `symkl sbi simulate --seed S`
        theta = sbi_prior_sample(t, (int)n, sim);
        x = sbi_simulate(t, theta, sim);
        info.task = sbi_task_name(t);
        config.set("task", Json::make_string(info.task));
        config.set("budget", Json::make_int64(n));
    } else {
        const std::string path = a.str("--sims");
        if (!a.has("--theta-dim")) a.fail("--theta-dim", "is required with --sims: how many leading columns are theta");
        if (a.has("--budget")) a.fail("--budget", "goes with --task (the size of --sims is its row count)");
        std::vector<std::string> header;
        const Tensor rows = read_csv(path, &header);
        const long K = a.integer("--theta-dim", 2, 1000000);
        if (K >= rows.cols)
            a.fail("--theta-dim", std::to_string(K) + " leaves no column of " + input_name(path) + " (" +
                                      std::to_string(rows.cols) + " columns) for x: at most " +
                                      std::to_string(rows.cols - 1));
        const int C = rows.cols - (int)K;
        theta.resize(rows.rows, (int)K);
        x.resize(rows.rows, C);
        for (int i = 0; i < rows.rows; i++) {
            for (int j = 0; j < K; j++) theta.at(i, j) = rows.at(i, j);
            for (int j = 0; j < C; j++) x.at(i, j) = rows.at(i, (int)K + j);
        }
        if (!header.empty()) {
            info.theta_names.assign(header.begin(), header.begin() + K);
            info.x_names.assign(header.begin() + K, header.end());
        }
        config.set("sims", Json::make_string(path));
        config.set("theta_dim", Json::make_int64(K));
        config.set("n", Json::make_int64(rows.rows));
    }
    config.set("method", Json::make_string(method_name(method)));
    if (uses_proxy(method)) config.set("proxy", Json::make_string(proxy_kind_name(proxy)));
    config.set("seed", seed_to_json(seed));
    config.set("layers", Json::make_int64(f.flow.layers));
    config.set("hidden", Json::make_int64(f.flow.hidden));
    config.set("depth", Json::make_int64(f.flow.depth));
    config.set("batch", Json::make_int64(f.trainer.batch));
    config.set("lr", Json::make_number(*f.lr));
    config.set("clip", Json::make_number(f.trainer.clip));
    config.set("patience", Json::make_int64(cfg.patience));
    config.set("max_epochs", Json::make_int64(cfg.max_epochs));
    config.set("val_frac", Json::make_number(cfg.val_frac));
    if (uses_proxy(method)) {
        config.set("proxy_lr", Json::make_number(f.trainer.proxy_adam.lr));
        config.set("samples", Json::make_int64(f.trainer.samples));
        config.set("contexts", Json::make_int64(f.trainer.contexts));
        if (f.eps) config.set("eps", Json::make_number(*f.eps));
    }
    config.set("threads", Json::make_int64(threads));
    const std::string config_text = json_write(config, JsonStyle::Pretty) + "\n";
    check_out_dir(out, json_parse(config_text, "config.json"), a.on("--force"));
    make_dirs(out);
    remove_run_files(out);

    std::fprintf(stderr, "sbi train: %d simulations (%s), theta %d, x %d, %s\n", theta.rows, info.task.c_str(),
                 theta.cols, x.cols, method_name(method));
    const bool terms = uses_proxy(method);
    std::string metrics = terms ? "epoch,val_nll,F,R,G,lambda\n" : "epoch,val_nll,F\n";
    Posterior post;
    const NpeReport rep = npe_train_log(post, theta, x, cfg, seed, [&](const NpeEpoch& e) {
        std::string line = "epoch " + std::to_string(e.epoch) + "  val NLL " + fmt(e.val_nll);
        if (e.epoch > 0) {
            line += "  F " + fmt(e.F);
            std::string row = std::to_string(e.epoch) + "," + csv_format(e.val_nll) + "," + csv_format(e.F);
            if (terms) {
                line += "  R " + fmt(e.R) + "  G " + fmt(e.G) + "  lambda " + fmt(e.lambda);
                row += "," + csv_format(e.R) + "," + csv_format(e.G) + "," + csv_format(e.lambda);
            }
            metrics += row + "\n";
        }
        if (e.improved) line += "  *";
        std::fprintf(stderr, "%s\n", line.c_str());
        return true;
    });
    const Metadata extra = {{"method", method_name(method)},
                            {"seed", std::to_string(seed)},
                            {"n_train", std::to_string(rep.n_fit)},
                            {"epochs", std::to_string(rep.epochs)},
                            {"best_epoch", std::to_string(rep.best_epoch)}};
    save_posterior(out + "/model.safetensors", post, info, extra);
    write_file_atomic(out + "/metrics.csv", metrics);
    if (std::isfinite(rep.eps)) {  // the ε the constraint used (automatic: H(theta | x) by kNN)
        config.set("eps_resolved", Json::make_number(rep.eps));
        config.set("eps_auto", Json::make_bool(rep.eps_auto));
    }
    write_file_atomic(out + "/config.json", json_write(config, JsonStyle::Pretty) + "\n");
    const double per_epoch = rep.epochs > 0 ? rep.seconds / (double)rep.epochs : 0;
    std::printf("trained %ld epochs of %ld steps (%s); best epoch %ld, validation NLL %.4f nats; %.1f s (%.3f s an epoch)\n",
                rep.epochs, rep.steps_per_epoch,
                rep.bad ? "stopped: a non-finite value"
                : rep.early_stopped ? "early stop"
                                    : "max epochs",
                rep.best_epoch, rep.best_val_nll, rep.seconds, per_epoch);
    if (std::isfinite(rep.eps))
        std::printf("eps %.4f nats (%s; compare the G column of metrics.csv)\n", rep.eps,
                    rep.eps_auto ? "automatic: the kNN estimate of H(theta | x)" : "--eps");
    std::printf("wrote %s/model.safetensors, %s/metrics.csv, %s/config.json\n", out.c_str(), out.c_str(), out.c_str());
    if (rep.bad) {
        std::fprintf(stderr, "symkl sbi train: training stopped at step %ld: %s is not finite (the model is the best epoch before it; try a lower --lr)\n",
                     rep.bad_step, rep.bad);
        return 3;
    }
    return 0;
}

// --- sbi sample ---------------------------------------------------------------------

static int sbi_sample_cmd(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(SAMPLE, argc, argv, 3, &help);
    if (help) return std::fputs(command_help(SAMPLE).c_str(), stdout), 0;
    const std::string model = need_flag(a, "--model"), out = need_flag(a, "--out");
    if (!a.has("--obs") && !a.has("--obs-file")) a.fail("--obs", "or --obs-file is required: the observation x_o");
    const long n = a.integer("--n", 1, 100000000);
    set_threads(a.integer("--threads", 0, 4096));
    Posterior post;
    const PosteriorInfo info = load_posterior(model, post);
    const int K = post.flow.cfg.dim, C = post.flow.cfg.context;
    const std::vector<Real> x_o = read_obs(a, C, "the model");
    std::function<bool(const Real*)> support;
    SbiTask t;
    double lo = 0, hi = 0;
    if (info.task != "custom") {
        if (a.has("--box")) a.fail("--box", "is for a model of your own simulations; a task's model uses its prior");
        sbi_task_from_name(info.task, &t);
        support = [t](const Real* th) { return std::isfinite(sbi_log_prior(t, th)); };
    } else if (a.has("--box")) {
        const std::vector<std::string> f = split_commas(a.str("--box"));
        if (f.size() != 2 || !parse_number(f[0], &lo) || !parse_number(f[1], &hi) || !(lo < hi))
            a.fail("--box", "must be LO,HI with LO < HI, got '" + excerpt(a.str("--box")) + "'");
        support = [lo, hi, K](const Real* th) {
            for (int j = 0; j < K; j++)
                if (!(th[j] >= lo && th[j] <= hi)) return false;
            return true;
        };
    }
    // A stream of its own: `sbi reference --seed S` draws its normals from Rng(S), and the
    // same normals here would pair the two samples point by point (a near-exact posterior
    // then gives points next to the reference's, which C2ST's folds read as below 0.5).
    Rng rng(a.seed("--seed") ^ 0x73616d706c65ULL);
    double acc = 1;
    const Tensor s = posterior_sample(post, x_o.data(), (int)n, rng, support, &acc);
    write_csv(out, s, info.theta_names.empty() ? names("theta_", K) : info.theta_names);
    FILE* msg = output_is_stdout(out) ? stderr : stdout;
    std::fprintf(msg, "wrote %ld posterior samples (seed %s) to %s\n", n, a.str("--seed").c_str(),
                 output_name(out).c_str());
    if (support)
        std::fprintf(msg, "acceptance %.4f (draws inside the %s)\n", acc,
                     info.task != "custom" ? "prior's support" : "--box");
    else
        std::fprintf(msg, "acceptance 1 (no prior support to check: pass --box LO,HI to bound the parameters)\n");
    return 0;
}

int cmd_sbi(int argc, char** argv) {
    const std::string sub = argc >= 3 ? argv[2] : "";
    if (sub == "simulate") return sbi_simulate_cmd(argc, argv);
    if (sub == "reference") return sbi_reference_cmd(argc, argv);
    if (sub == "train") return sbi_train_cmd(argc, argv);
    if (sub == "sample") return sbi_sample_cmd(argc, argv);
    if (sub == "--help" || sub == "-h") return std::fputs(SBI_USAGE, stdout), 0;
    throw symkl::Error("symkl sbi: " + (sub.empty() ? std::string("name the action first") : "unknown action '" + excerpt(sub) + "'") +
                       ": simulate, train, sample or reference (symkl sbi --help)");
}

static const CommandSpec C2ST = {
    "c2st",
    "Classifier two-sample test of two CSV samples, as sbibm computes it: z-score both by the first\n"
    "(the reference), 5-fold cross-validated accuracy of an MLP classifier (two hidden layers of\n"
    "10·D ReLU units, Adam). 0.5: indistinguishable; 1.0: perfectly separated. Prints the mean\n"
    "accuracy, then the accuracy of each fold.",
    "symkl c2st REFERENCE.csv OTHER.csv [--seed S] [--max-epochs N] [--folds K]\n"
    "       symkl c2st --a REFERENCE.csv --b OTHER.csv [options]",
    "Both files hold one point a row with the same number of columns (a header line is allowed).\n"
    "Training stops as scikit-learn's MLPClassifier does (no fall of the training loss by 1e-4 in\n"
    "10 epochs) or after --max-epochs. docs/sbi.md describes the test.\n",
    {
        {"--a", "FILE", "", "the reference sample (instead of the first positional file)"},
        {"--b", "FILE", "", "the other sample (instead of the second positional file)"},
        {"--seed", "S", "1", "seed of the folds and the classifiers"},
        {"--max-epochs", "N", "10000", "epochs at most per fold"},
        {"--folds", "K", "5", "cross-validation folds"},
        {"--threads", "T", "0", "OpenMP threads (0 = all cores)"},
    }};

int cmd_c2st(int argc, char** argv) {
    for (int i = 2; i < argc; i++)
        if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h")
            return std::fputs(command_help(C2ST).c_str(), stdout), 0;
    // the two files: positional (first), or --a and --b
    const bool positional = argc >= 3 && argv[2][0] != '-';
    if (positional && (argc < 4 || argv[3][0] == '-'))
        throw symkl::Error("symkl c2st: give the two CSV files first: " + std::string(C2ST.usage));
    bool help = false;
    const Args a = parse_args(C2ST, argc, argv, positional ? 4 : 2, &help);
    if (positional && (a.has("--a") || a.has("--b")))
        a.fail(a.has("--a") ? "--a" : "--b", "repeats a file given by position; give the files one way");
    if (!positional && !(a.has("--a") && a.has("--b")))
        throw symkl::Error("symkl c2st: give the two CSV files first, or as --a and --b: " + std::string(C2ST.usage));
    set_threads(a.integer("--threads", 0, 4096));
    const std::string pa = positional ? argv[2] : a.str("--a"), pb = positional ? argv[3] : a.str("--b");
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
