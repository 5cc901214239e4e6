// cmd_model.cpp — using a trained model: `symkl eval`, `symkl sample`, `symkl logprob`,
// and writing generated data with `symkl generate`.
#include <cmath>
#include <cstdio>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "io/checkpoint.h"
#include "io/csv.h"
#include "io/dataset.h"
#include "io/safetensors.h"
#include "tensor/error.h"
#include "train/metrics.h"

static bool show_help(const CommandSpec& spec, const Args&, bool help) {
    if (help) std::fputs(command_help(spec).c_str(), stdout);
    return help;
}

static std::vector<std::string> column_names(const char* prefix, int D) {
    std::vector<std::string> h;
    for (int j = 0; j < D; j++) h.push_back(prefix + std::to_string(j));
    return h;
}

static const CommandSpec EVAL = {
    "eval",
    "Test NLL of a trained flow, and the true forward/reverse KL and Jeffreys divergence\n"
    "where the data set's density is known (Monte Carlo, fixed seed).",
    "symkl eval --model DIR/model.safetensors --data NAME|FILE.csv [options]",
    "Generated data: --n-test fresh points (drawn with --seed, the same stream `train` used for\n"
    "its test set, so the numbers match its last metrics row). CSV data: every row is evaluated.\n",
    {
        {"--model", "FILE", "", "a model.safetensors written by symkl train"},
        {"--data", "NAME|FILE", "", "data set name or CSV file"},
        {"--n-test", "N", "10000", "test points for generated data"},
        {"--n-eval", "N", "10000", "model samples for the reverse KL"},
        {"--seed", "S", "", "seed of the test points [default: the model's training seed]"},
        {"--threads", "T", "0", "OpenMP threads (0 = all cores)"},
    }};

static std::string need(const Args& a, const char* flag) {
    if (!a.has(flag)) a.fail(flag, "is required (see 'symkl " + std::string(a.spec->name) + " --help')");
    return a.str(flag);
}

int cmd_eval(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(EVAL, argc, argv, 2, &help);
    if (show_help(EVAL, a, help)) return 0;
    const std::string model_path = need(a, "--model"), data = need(a, "--data");
    set_threads(a.integer("--threads", 0, 4096));
    Flow flow;
    const SafeTensors st = load_safetensors(model_path);
    flow_from_safetensors(flow, st, model_path);
    uint64_t seed = 0;
    if (a.has("--seed")) seed = a.seed("--seed");
    else if (const std::string* s = st.meta("seed")) seed = std::strtoull(s->c_str(), nullptr, 10);
    const long n_eval = a.integer("--n-eval", 1, 100000000);

    Dataset d;
    if (is_toy_name(data)) {
        DataSpec spec;
        spec.data = data;
        spec.n_train = 2;  // unused here; the test stream does not depend on it
        spec.n_test = a.integer("--n-test", 2, 100000000);
        d = load_dataset(spec, seed, "symkl eval");
    } else {
        d.name = data;
        d.test = read_csv_dim(data, flow.cfg.dim, "the model");
        d.train = d.test;
    }
    if (d.test.cols != flow.cfg.dim)
        throw symkl::Error("symkl eval: " + data + " is " + std::to_string(d.test.cols) + "-dimensional but " +
                           model_path + " is " + std::to_string(flow.cfg.dim) + "-dimensional");
    Rng master(seed);
    master.split();
    master.split();
    Rng eval_rng = master.split();  // the stream `train` uses for its evaluation draws
    FlowCache cache;
    flow_cache_init(cache, flow, 1024);
    EvalSet ev;
    eval_set_init(ev, d.test, d.is_toy ? &d.toy : nullptr, (int)n_eval, eval_rng);
    Metrics m;
    evaluate(m, flow, cache, d.test, ev);
    std::printf("data      %s (%d points)\n", data.c_str(), d.test.rows);
    std::printf("test_nll  %.6f\n", m.test_nll);
    if (std::isfinite(m.fwd_kl)) std::printf("fwd_kl    %.6f\n", m.fwd_kl);
    if (std::isfinite(m.rev_kl)) std::printf("rev_kl    %.6f\njeffreys  %.6f\n", m.rev_kl, m.jeffreys);
    if (d.is_toy && !std::isfinite(m.rev_kl) && std::isfinite(m.fwd_kl))
        std::printf("(no reverse KL: the true density of %s is zero where the model has mass)\n", data.c_str());
    return 0;
}

static const CommandSpec SAMPLE = {
    "sample",
    "Draw points x = T(z), z ~ N(0, I), from a trained flow and write them as CSV (header x0,x1,...).",
    "symkl sample --model FILE --n N --out FILE.csv [--seed S] [--with-logprob]",
    "",
    {
        {"--model", "FILE", "", "a model.safetensors written by symkl train"},
        {"--n", "N", "1000", "number of points"},
        {"--out", "FILE", "", "output CSV"},
        {"--seed", "S", "0", "random seed of the base draws"},
        {"--with-logprob", nullptr, "", "add a column logp with log p(x) of each point"},
        {"--threads", "T", "0", "OpenMP threads (0 = all cores)"},
    }};

int cmd_sample(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(SAMPLE, argc, argv, 2, &help);
    if (show_help(SAMPLE, a, help)) return 0;
    const std::string model_path = need(a, "--model"), out = need(a, "--out");
    const long n = a.integer("--n", 1, 100000000);
    Rng rng(a.seed("--seed"));
    set_threads(a.integer("--threads", 0, 4096));
    const bool with_lp = a.on("--with-logprob");
    Flow flow;
    load_flow(model_path, flow);
    const int D = flow.cfg.dim, chunk = 1024;
    Tensor z((int)n, D), x((int)n, D);
    std::vector<Real> lp((size_t)n);
    for (Real& v : z.data) v = (Real)rng.normal();
    FlowCache cache;
    flow_cache_init(cache, flow, chunk);
    for (long s = 0; s < n; s += chunk) {
        const int b = (int)(n - s < chunk ? n - s : chunk);
        flow_sample(x.row((int)s), lp.data() + s, z.row((int)s), flow, cache, b);
    }
    std::vector<std::string> header = column_names("x", D);
    if (with_lp) {
        Tensor xl((int)n, D + 1);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < D; j++) xl.at(i, j) = x.at(i, j);
            xl.at(i, D) = lp[i];
        }
        header.push_back("logp");
        write_csv(out, xl, header);
    } else {
        write_csv(out, x, header);
    }
    std::printf("wrote %ld points to %s\n", n, out.c_str());
    return 0;
}

static const CommandSpec LOGPROB = {
    "logprob",
    "log p(x) of a trained flow for every row of a CSV file (one column 'logp', same row order).",
    "symkl logprob --model FILE --in X.csv --out LP.csv",
    "",
    {
        {"--model", "FILE", "", "a model.safetensors written by symkl train"},
        {"--in", "FILE", "", "input CSV with one numeric column per dimension (header optional)"},
        {"--out", "FILE", "", "output CSV"},
        {"--threads", "T", "0", "OpenMP threads (0 = all cores)"},
    }};

int cmd_logprob(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(LOGPROB, argc, argv, 2, &help);
    if (show_help(LOGPROB, a, help)) return 0;
    const std::string model_path = need(a, "--model"), in = need(a, "--in"), out = need(a, "--out");
    set_threads(a.integer("--threads", 0, 4096));
    Flow flow;
    load_flow(model_path, flow);
    const Tensor x = read_csv_dim(in, flow.cfg.dim, "the model");
    const int n = x.rows, chunk = 1024;
    Tensor lp(n, 1);
    FlowCache cache;
    flow_cache_init(cache, flow, chunk);
    for (int s = 0; s < n; s += chunk) {
        const int b = n - s < chunk ? n - s : chunk;
        flow_log_prob(lp.ptr() + s, x.row(s), flow, cache, b);
    }
    write_csv(out, lp, {"logp"});
    std::printf("wrote log p(x) of %d points to %s\n", n, out.c_str());
    return 0;
}

static const CommandSpec GENERATE = {
    "generate",
    "Write points of a generated data set to CSV (header x0,x1), drawn with symkl's own RNG:\n"
    "the same --seed gives the same file on every machine.",
    "symkl generate --data NAME --n N --out FILE.csv [--seed S] [--with-logdensity]",
    "",
    {
        {"--data", "NAME", "8gaussians", "8gaussians, moons, circles, rings, checkerboard, pinwheel, swissroll, 2spirals"},
        {"--n", "N", "1000", "number of points"},
        {"--out", "FILE", "", "output CSV"},
        {"--seed", "S", "0", "random seed"},
        {"--with-logdensity", nullptr, "", "add a column logpi with the true log-density (where known)"},
    }};

int cmd_generate(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(GENERATE, argc, argv, 2, &help);
    if (show_help(GENERATE, a, help)) return 0;
    const std::string out = need(a, "--out"), name = a.str("--data");
    Toy toy;
    if (!toy_from_name(name, &toy)) a.fail("--data", "must be one of " + toy_names() + ", got '" + name + "'");
    const long n = a.integer("--n", 1, 100000000);
    Rng rng(a.seed("--seed"));
    Tensor x;
    toy_sample(toy, rng, (int)n, x);
    if (a.on("--with-logdensity")) {
        if (!toy_has_density(toy)) a.fail("--with-logdensity", std::string("is not available: ") + name + " has no known density");
        std::vector<double> lp((size_t)n);
        toy_log_density(toy, x, lp.data());
        Tensor xl((int)n, 3);
        for (int i = 0; i < n; i++) xl.at(i, 0) = x.at(i, 0), xl.at(i, 1) = x.at(i, 1), xl.at(i, 2) = (Real)lp[i];
        write_csv(out, xl, {"x0", "x1", "logpi"});
    } else {
        write_csv(out, x, {"x0", "x1"});
    }
    std::printf("wrote %ld points of %s (seed %s) to %s\n", n, name.c_str(), a.str("--seed").c_str(), out.c_str());
    return 0;
}
