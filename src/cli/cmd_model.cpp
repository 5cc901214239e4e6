// cmd_model.cpp — using a trained model: `symkl eval`, `symkl sample`, `symkl logprob`,
// and writing generated data with `symkl generate`.
#include <cmath>
#include <cstdio>
#include <string>

#include "app/args.h"
#include "cli/commands.h"
#include "io/checkpoint.h"
#include "io/csv.h"
#include "io/dataset.h"
#include "io/file.h"
#include "io/safetensors.h"
#include "io/text.h"
#include "tensor/error.h"
#include "train/metrics.h"

// Exit code 4: a result that is not a finite number. One line on stderr, as for
// any error; the caller has written nothing.
static const int kNotFinite = 4;
static int not_finite(const std::string& message) {
    std::fprintf(stderr, "symkl: error: %s\n", message.c_str());
    return kNotFinite;
}

// The rows of a (rows, cols) array with a NaN or infinite value: how many, and
// the first (0-based; -1 when none).
struct BadRows {
    long count = 0, first = -1;
};
template <class T>
static BadRows nonfinite_rows(const T* v, long rows, int cols) {
    BadRows b;
    for (long i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            if (!std::isfinite((double)v[i * cols + j])) {
                if (b.first < 0) b.first = i;
                b.count++;
                break;
            }
    return b;
}

// "3 of 500 rows (first: row 17)", counting from 1.
static std::string of_rows(const BadRows& b, long rows, const std::string& what) {
    return std::to_string(b.count) + " of " + std::to_string(rows) + " " + what + "s (first: " + what + " " +
           std::to_string(b.first + 1) + ")";
}

static bool show_help(const CommandSpec& spec, const Args&, bool help) {
    if (help) std::fputs(command_help(spec).c_str(), stdout);
    return help;
}

static std::vector<std::string> column_names(const char* prefix, int D) {
    std::vector<std::string> h;
    for (int j = 0; j < D; j++) h.push_back(prefix + std::to_string(j));
    return h;
}

// A model given on the command line: the main flow (--model), or a proxy
// (--proxy-model: a flow, or an energy-based model with its stored log Z estimate).
struct LoadedModel {
    std::string path;
    bool is_ebm = false;
    enum class Kind { flow, ebm, gaussian, kde } kind = Kind::flow;  // is_ebm: kind == ebm
    Flow flow;
    EBM ebm;
    Gaussian gaussian;  // the baselines (src/baseline/), from a model.safetensors
    KDE kde;
    double log_z = 0, log_z_ess = NAN;
    long log_z_samples = 0;
    uint64_t seed = 0;  // the training seed, from the metadata (0 if absent)
    std::vector<std::string> columns;  // the training CSV's column names (empty: none stored)
    std::vector<int> dequantized;      // columns that got U(0,1) noise in training (numbers from 0)
    Standardizer prep;  // the model's first map u = (x − shift) / scale (empty: none; docs/checkpoint.md)
    int dim() const {
        return kind == Kind::ebm ? ebm.cfg.dim : kind == Kind::gaussian ? gaussian.dim : kind == Kind::kde ? kde.dim : flow.cfg.dim;
    }
    bool baseline() const { return kind == Kind::gaussian || kind == Kind::kde; }
};

static LoadedModel load_model(const Args& a) {
    const bool main = a.has("--model"), proxy = a.has("--proxy-model");
    if (main == proxy)
        a.fail(main ? "--proxy-model" : "--model",
               main ? "cannot be combined with --model: pass one of them"
                    : "is required (or --proxy-model for a proxy.safetensors); see 'symkl " + std::string(a.spec->name) + " --help'");
    LoadedModel m;
    m.path = a.str(main ? "--model" : "--proxy-model");
    const SafeTensors st = load_safetensors(m.path);
    const CheckpointRecord rec = checkpoint_record(st, m.path);  // every number checked
    m.seed = rec.seed;
    const std::string format = checkpoint_format(st);
    if (main && format == "symkl-gaussian-1") {
        m.kind = LoadedModel::Kind::gaussian;
        gaussian_from_safetensors(m.gaussian, st, m.path);
    } else if (main && format == "symkl-kde-1") {
        m.kind = LoadedModel::Kind::kde;
        kde_from_safetensors(m.kde, st, m.path);
    } else if (proxy && format == "symkl-ebm-1") {
        m.is_ebm = true;
        m.kind = LoadedModel::Kind::ebm;
        ebm_from_safetensors(m.ebm, st, m.path);
        if (!rec.has_log_z)
            throw symkl::Error(m.path + ": an energy-based proxy without a 'log_z' estimate in its metadata; "
                               "save it with symkl train");
        m.log_z = rec.log_z;
        m.log_z_ess = rec.log_z_ess;
        m.log_z_samples = (long)rec.log_z_samples;
    } else {
        flow_from_safetensors(m.flow, st, m.path);
        if (m.flow.cfg.context > 0)
            throw symkl::Error(m.path + ": a conditional flow (context of " + std::to_string(m.flow.cfg.context) +
                               " values, docs/sbi.md): symkl " + a.spec->name +
                               " evaluates unconditional flows only; use the library API");
    }
    m.prep = checkpoint_standardizer(st, m.dim(), m.path);
    m.columns = checkpoint_columns(st, m.dim(), m.path);
    m.dequantized = checkpoint_dequantized(st, m.dim(), m.path);
    return m;
}

// The points of a CSV for the model: when the model knows its columns' names and the
// file's header has them all, those columns by name (any order, other columns left out);
// otherwise the file's columns as they are, which must be the model's dimension.
// `all` and `names` (optional) receive the whole table as read and its header.
static Tensor read_points(const std::string& path, const LoadedModel& m, Tensor* all = nullptr,
                          std::vector<std::string>* names = nullptr) {
    std::vector<std::string> header;
    Tensor t = read_csv(path, &header);
    if (all) *all = t;
    if (names) *names = header;
    if (!m.columns.empty() && !header.empty() && header != m.columns) {
        std::vector<int> at;
        for (const std::string& name : m.columns)
            for (size_t j = 0; j < header.size(); j++)
                if (header[j] == name) {
                    at.push_back((int)j);
                    break;
                }
        if (at.size() == m.columns.size()) {
            Tensor picked(t.rows, (int)at.size());
            for (int i = 0; i < t.rows; i++)
                for (size_t k = 0; k < at.size(); k++) picked.at(i, (int)k) = t.at(i, at[k]);
            return picked;
        }
    }
    require_cols(t, path, m.dim(), "the model");
    return t;
}

static void note_log_z(const LoadedModel& m) {
    if (m.is_ebm)
        std::fprintf(stderr,
                     "note: log q(x) = -E(x) - log Z with log Z = %.6g, an importance-sampling estimate stored in %s "
                     "(%ld samples of the main flow, ESS %.3f of them)\n",
                     m.log_z, m.path.c_str(), m.log_z_samples, m.log_z_ess);
}

// The log-density of the model proper (the flow or the EBM, without the standardisation
// map) for every row of x, in chunks of 1024.
static void model_log_prob_raw(Real* out, const Tensor& x, LoadedModel& m) {
    const int n = x.rows, chunk = 1024;
    if (m.baseline()) {
        std::vector<double> lp((size_t)n);
        if (m.kind == LoadedModel::Kind::gaussian) gaussian_log_prob(lp.data(), m.gaussian, x);
        else kde_log_prob(lp.data(), m.kde, x);
        for (int i = 0; i < n; i++) out[i] = (Real)lp[(size_t)i];
        return;
    }
    if (m.is_ebm) {
        EBMCache c;
        ebm_cache_init(c, m.ebm, chunk);
        for (int s = 0; s < n; s += chunk) {
            const int b = n - s < chunk ? n - s : chunk;
            ebm_energy(out + s, x.row(s), m.ebm, c, b);
        }
        for (int i = 0; i < n; i++) out[i] = -out[i] - (Real)m.log_z;
        return;
    }
    FlowCache c;
    flow_cache_init(c, m.flow, chunk);
    for (int s = 0; s < n; s += chunk) {
        const int b = n - s < chunk ? n - s : chunk;
        flow_log_prob(out + s, x.row(s), m.flow, c, b);
    }
}

// log p(x) (or log q(x)) for every row of x. A standardised model takes
// u = (x − shift) / scale: log p(x) = log p_u(u) − Σ log scale_j.
static void model_log_prob(Real* out, const Tensor& x, LoadedModel& m) {
    if (m.prep.empty()) return model_log_prob_raw(out, x, m);
    Tensor u = x;
    standardize(u, m.prep);
    model_log_prob_raw(out, u, m);
    const double log_det = standardizer_log_det(m.prep);
    for (int i = 0; i < x.rows; i++) out[i] = (Real)((double)out[i] - log_det);
}

static const CommandSpec EVAL = {
    "eval",
    "Test NLL of a trained flow (or proxy), and the true forward/reverse KL and Jeffreys\n"
    "divergence where the data set's density is known (Monte Carlo, fixed seed).",
    "symkl eval (--model FILE | --proxy-model FILE) --data NAME|FILE.csv [options]",
    "Generated data: --n-test fresh points (drawn with --seed, the same stream `train` used for\n"
    "its test set, so the numbers match its last metrics row). CSV data: every row is evaluated.\n"
    "An energy-based proxy has no sampler: its reverse KL is not reported, and its log q uses\n"
    "the log Z estimate stored in the checkpoint (printed as a note).\n"
    "A CSV whose header has every column name the model stores (its training CSV's, after\n"
    "--columns) is read by name: other columns are left out, the order does not matter.\n"
    "A model trained on standardised columns (CSV data; the map is in the checkpoint) is\n"
    "evaluated on the data as given, in its own units: log p(x) = log p_flow(u) - sum log std.\n"
    "The integer columns a model was trained dequantised get U(0,1) noise from --seed, as in\n"
    "training; when every column did, bits per dimension = test NLL / (D ln 2) is printed too.\n"
    "A test NLL or KL that is NaN or infinite is exit code 4, with the number of points at fault.\n",
    {
        {"--model", "FILE", "", "a model.safetensors written by symkl train (a flow, or a gaussian or kde baseline)"},
        {"--proxy-model", "FILE", "", "a proxy.safetensors written by symkl train (instead of --model)"},
        {"--data", "NAME|FILE", "", "data set name or CSV file ('-' = stdin)"},
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
    const std::string data = need(a, "--data");
    set_threads(a.integer("--threads", 0, 4096));
    const long n_eval = a.integer("--n-eval", 1, 100000000);
    LoadedModel m = load_model(a);
    const uint64_t seed = a.has("--seed") ? a.seed("--seed") : m.seed;

    Dataset d;
    if (is_toy_name(data)) {
        DataSpec spec;
        spec.data = data;
        spec.n_train = 2;  // unused here; the test stream does not depend on it
        spec.n_test = a.integer("--n-test", 2, 100000000);
        d = load_dataset(spec, seed, "symkl eval");
    } else {
        d.name = data;
        d.test = read_points(data, m);
        if (!m.dequantized.empty()) {  // as in training: U[0, 1) noise on the same columns (docs/data.md)
            Rng master = dequantize_rng(seed);
            master.split(), master.split();
            Rng noise = master.split();
            dequantize(d.test, m.dequantized, noise);
            std::fprintf(stderr, "note: U(0,1) noise added to the %zu dequantised column%s of %s (seed %s), as in training\n",
                         m.dequantized.size(), m.dequantized.size() == 1 ? "" : "s", input_name(data).c_str(),
                         std::to_string(seed).c_str());
        }
    }
    if (d.test.cols != m.dim())
        throw symkl::Error("symkl eval: " + data + " is " + std::to_string(d.test.cols) + "-dimensional but " + m.path +
                           " is " + std::to_string(m.dim()) + "-dimensional");
    Metrics r;
    std::vector<Real> lq((size_t)d.test.rows);  // log p (or log q) of each test point
    EvalSet ev;
    if (m.baseline()) {
        // NLL and forward KL from log p of the test points; the reverse KL over n_eval
        // samples of the model drawn with the evaluation stream
        model_log_prob(lq.data(), d.test, m);
        double s = 0;
        for (Real v : lq) s += (double)v;
        r.test_nll = -s / d.test.rows;
        r.fwd_kl = r.rev_kl = r.jeffreys = NAN;
        ev.has_fwd = d.is_toy && toy_has_density(d.toy);
        ev.has_rev = ev.has_fwd && toy_has_reverse_kl(d.toy);
        if (ev.has_fwd) {
            std::vector<double> lpi((size_t)d.test.rows);
            toy_log_density(d.toy, d.test, lpi.data());
            double t = 0;
            for (double v : lpi) t += v;
            r.fwd_kl = t / d.test.rows + r.test_nll;
        }
        if (ev.has_rev) {
            Rng master(seed);
            master.split();
            master.split();
            Rng eval_rng = master.split();
            if (m.kind == LoadedModel::Kind::gaussian) gaussian_sample(ev.xs, m.gaussian, (int)n_eval, eval_rng);
            else kde_sample(ev.xs, m.kde, (int)n_eval, eval_rng);
            ev.lp.resize((size_t)n_eval);
            model_log_prob(ev.lp.data(), ev.xs, m);
            std::vector<double> lpi((size_t)n_eval);
            toy_log_density(d.toy, ev.xs, lpi.data());
            double t = 0;
            for (long i = 0; i < n_eval; i++) t += (double)ev.lp[(size_t)i] - lpi[(size_t)i];
            r.rev_kl = t / (double)n_eval;
            r.jeffreys = r.fwd_kl + r.rev_kl;
        }
    } else if (m.is_ebm) {
        note_log_z(m);
        model_log_prob(lq.data(), d.test, m);
        double s = 0;
        for (Real v : lq) s += (double)v;
        r.test_nll = -s / d.test.rows;
        r.fwd_kl = r.rev_kl = NAN;
        if (d.is_toy && toy_has_density(d.toy)) {
            std::vector<double> lpi((size_t)d.test.rows);
            toy_log_density(d.toy, d.test, lpi.data());
            double t = 0;
            for (double v : lpi) t += v;
            r.fwd_kl = t / d.test.rows + r.test_nll;
        }
    } else {
        Rng master(seed);
        master.split();
        master.split();
        Rng eval_rng = master.split();  // the stream `train` uses for its evaluation draws
        FlowCache cache;
        flow_cache_init(cache, m.flow, 1024);
        Tensor u = d.test;  // what the flow sees: the standardised points, if the model standardises
        standardize(u, m.prep);
        eval_set_init(ev, u, d.is_toy ? &d.toy : nullptr, (int)n_eval, eval_rng, &m.prep);
        evaluate(r, m.flow, cache, u, ev);
        if (!std::isfinite(r.test_nll)) model_log_prob(lq.data(), d.test, m);  // only to say where
    }

    // A NaN or infinite result is exit 4, not a number to print. (A reverse KL that is
    // unavailable, for an EBM or a density that is zero in places, is not an error.)
    const std::string nothing = "; nothing reported";
    if (!std::isfinite(r.test_nll) || (ev.has_fwd && !std::isfinite(r.fwd_kl))) {
        const BadRows b = nonfinite_rows(lq.data(), (long)lq.size(), 1);
        if (b.count == 0)
            return not_finite("symkl eval: the test NLL is not finite (" + csv_format(r.test_nll) + ")" + nothing);
        return not_finite("symkl eval: the test NLL is not finite: log " + std::string(m.is_ebm ? "q" : "p") +
                          "(x) is NaN or infinite at " + of_rows(b, d.test.rows, d.is_toy ? "test point" : "row") +
                          " of " + input_name(data) + ": points far outside the model's range, or weights that overflow" +
                          nothing);
    }
    if (ev.has_rev && !std::isfinite(r.rev_kl)) {
        // E_p[log p - log pi] over the model's samples x = T(z): the samples or their log p went wrong
        Tensor bad(ev.xs.rows, ev.xs.cols + 1);
        for (int i = 0; i < bad.rows; i++) {
            for (int j = 0; j < ev.xs.cols; j++) bad.at(i, j) = ev.xs.at(i, j);
            bad.at(i, ev.xs.cols) = ev.lp[(size_t)i];
        }
        const BadRows b = nonfinite_rows(bad.ptr(), bad.rows, bad.cols);
        return not_finite("symkl eval: the reverse KL is not finite" +
                          (b.count ? ": " + of_rows(b, bad.rows, "model sample") + " or their log p(x) are NaN or infinite"
                                   : std::string(" (") + csv_format(r.rev_kl) + ")") +
                          ": the model's weights or scales overflow" + nothing);
    }
    std::printf("data      %s (%d points)\n", input_name(data).c_str(), d.test.rows);
    std::printf("test_nll  %.6g\n", r.test_nll);
    if (!d.is_toy && m.dequantized.size() == (size_t)m.dim())  // every column discrete: bits per dimension
        std::printf("bits_per_dim  %.6g\n", r.test_nll / (m.dim() * std::log(2.0)));
    if (std::isfinite(r.fwd_kl)) std::printf("fwd_kl    %.6g\n", r.fwd_kl);
    if (std::isfinite(r.rev_kl)) std::printf("rev_kl    %.6g\njeffreys  %.6g\n", r.rev_kl, r.jeffreys);
    if (m.is_ebm) std::printf("(no reverse KL: an energy-based model cannot be sampled exactly)\n");
    else if (d.is_toy && !std::isfinite(r.rev_kl) && std::isfinite(r.fwd_kl))
        std::printf("(no reverse KL: the true density of %s is zero where the model has mass)\n", data.c_str());
    return 0;
}

static const CommandSpec SAMPLE = {
    "sample",
    "Draw points x = T(z), z ~ N(0, I), from a trained flow and write them as CSV (header: the\n"
    "training CSV's column names when the model stores them, else x0,x1,...).",
    "symkl sample (--model FILE | --proxy-model FILE) --n N --out FILE.csv [--seed S] [--with-logprob]",
    "A flow proxy can be sampled like the main model; an energy-based proxy cannot (it has no\n"
    "exact sampler). With --out - the CSV goes to stdout and the note to stderr.\n"
    "A standardised model's samples are mapped back to the data's units (x = mean + std * u).\n"
    "Points that are NaN or infinite (a model whose weights overflow) are exit code 4: nothing\n"
    "is written, the message says how many and the first.\n",
    {
        {"--model", "FILE", "", "a model.safetensors written by symkl train (a flow, or a gaussian or kde baseline)"},
        {"--proxy-model", "FILE", "", "a flow proxy.safetensors (instead of --model)"},
        {"--n", "N", "1000", "number of points"},
        {"--out", "FILE", "", "output CSV ('-' = stdout)"},
        {"--seed", "S", "0", "random seed of the base draws"},
        {"--with-logprob", nullptr, "", "add a column logp with log p(x) of each point"},
        {"--threads", "T", "0", "OpenMP threads (0 = all cores)"},
    }};

int cmd_sample(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(SAMPLE, argc, argv, 2, &help);
    if (show_help(SAMPLE, a, help)) return 0;
    const std::string out = need(a, "--out");
    const long n = a.integer("--n", 1, 100000000);
    Rng rng(a.seed("--seed"));
    set_threads(a.integer("--threads", 0, 4096));
    const bool with_lp = a.on("--with-logprob");
    LoadedModel m = load_model(a);
    if (m.is_ebm)
        throw symkl::Error("symkl sample: " + m.path +
                           " is an energy-based proxy, which has no exact sampler; sample the main model "
                           "(--model), or train with --proxy flow");
    const int D = m.dim(), chunk = 1024;
    Tensor z((int)n, D), x((int)n, D);
    std::vector<Real> lp((size_t)n);
    if (m.baseline()) {  // draws of the baseline with the same --seed stream, and their log p
        if (m.kind == LoadedModel::Kind::gaussian) gaussian_sample(x, m.gaussian, (int)n, rng);
        else kde_sample(x, m.kde, (int)n, rng);
        if (with_lp) model_log_prob(lp.data(), x, m);
    } else {
        const Flow& flow = m.flow;
        for (Real& v : z.data) v = (Real)rng.normal();
        FlowCache cache;
        flow_cache_init(cache, flow, chunk);
        for (long s = 0; s < n; s += chunk) {
            const int b = (int)(n - s < chunk ? n - s : chunk);
            flow_sample(x.row((int)s), lp.data() + s, z.row((int)s), flow, cache, b);
        }
    }
    if (!m.prep.empty()) {  // back to the data's units: x = shift + scale · u
        unstandardize(x, m.prep);
        const double log_det = standardizer_log_det(m.prep);
        for (Real& v : lp) v = (Real)((double)v - log_det);
    }
    std::vector<std::string> header = column_names("x", D);
    bool named = m.columns.size() == (size_t)D;  // the training CSV's names, where they read back as a header
    for (const std::string& c : m.columns)
        named = named && !c.empty() && c.find_first_of(",\"\r\n") == std::string::npos && c != "logp";
    if (named) header = m.columns;
    Tensor xl((int)n, D + (with_lp ? 1 : 0));
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < D; j++) xl.at(i, j) = x.at(i, j);
        if (with_lp) xl.at(i, D) = lp[i];
    }
    if (with_lp) header.push_back("logp");
    // A CSV of NaN or infinite values would not read back: exit 4 and write nothing.
    const BadRows b = nonfinite_rows(xl.ptr(), xl.rows, xl.cols);
    if (b.count)
        return not_finite("symkl sample: " + of_rows(b, n, "point") + (with_lp ? " or their log p(x)" : "") +
                          " are NaN or infinite: the weights or scales of " + m.path +
                          " overflow; nothing written (check it with symkl eval)");
    write_csv(out, xl, header);
    std::fprintf(output_is_stdout(out) ? stderr : stdout, "wrote %ld points to %s\n", n, output_name(out).c_str());
    return 0;
}

static const CommandSpec LOGPROB = {
    "logprob",
    "log p(x) of a trained flow (or log q(x) of a proxy) for every row of a CSV file\n"
    "(one column 'logp', same row order).",
    "symkl logprob (--model FILE | --proxy-model FILE) --in X.csv --out LP.csv [--keep-input]",
    "For an energy-based proxy, log q(x) = -E(x) - log Z uses the log Z estimate stored in the\n"
    "checkpoint (importance sampling with the main flow as proposal); a note on stderr says so.\n"
    "A standardised model (its map is in the checkpoint) takes x in the data's own units.\n"
    "--keep-input writes the input's columns (all of them, with its header's names, or x0, x1, ...)\n"
    "before logp, so each row carries its point.\n"
    "--in - reads stdin, --out - writes stdout (notes go to stderr). A log p(x) that is NaN or\n"
    "infinite (a point far outside the model's range) is exit code 4: nothing is written, the\n"
    "message says how many rows and the first.\n",
    {
        {"--model", "FILE", "", "a model.safetensors written by symkl train (a flow, or a gaussian or kde baseline)"},
        {"--proxy-model", "FILE", "", "a proxy.safetensors written by symkl train (instead of --model)"},
        {"--in", "FILE", "", "input CSV: the model's columns by name when its header has them all, else one numeric column per dimension ('-' = stdin)"},
        {"--out", "FILE", "", "output CSV ('-' = stdout)"},
        {"--keep-input", nullptr, "", "write the input's columns before logp"},
        {"--threads", "T", "0", "OpenMP threads (0 = all cores)"},
    }};

int cmd_logprob(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(LOGPROB, argc, argv, 2, &help);
    if (show_help(LOGPROB, a, help)) return 0;
    const std::string in = need(a, "--in"), out = need(a, "--out");
    set_threads(a.integer("--threads", 0, 4096));
    LoadedModel m = load_model(a);
    Tensor input;
    std::vector<std::string> names;
    const bool keep = a.on("--keep-input");
    const Tensor x = read_points(in, m, &input, &names);
    if (keep && names.empty()) names = column_names("x", input.cols);
    for (const std::string& n : names)
        if (keep && n == "logp")
            a.fail("--keep-input", "the input " + input_name(in) + " has a column 'logp' already; rename it");
    Tensor lp(x.rows, 1);
    model_log_prob(lp.ptr(), x, m);
    note_log_z(m);
    const char* p = a.has("--model") ? "p" : "q";
    // log p = -inf (a point far outside the model's range) would not read back: exit 4, write nothing.
    const BadRows b = nonfinite_rows(lp.ptr(), lp.rows, 1);
    if (b.count)
        return not_finite("symkl logprob: log " + std::string(p) + "(x) is NaN or infinite at " +
                          of_rows(b, x.rows, "row") + " of " + input_name(in) +
                          " (rows counted from 1 without the header): points far outside the model's range, or "
                          "weights that overflow; nothing written");
    if (keep) {  // the input's columns, then logp
        Tensor both(x.rows, input.cols + 1);
        for (int i = 0; i < x.rows; i++) {
            for (int j = 0; j < input.cols; j++) both.at(i, j) = input.at(i, j);
            both.at(i, input.cols) = lp.at(i, 0);
        }
        names.push_back("logp");
        write_csv(out, both, names);
    } else {
        write_csv(out, lp, {"logp"});
    }
    std::fprintf(output_is_stdout(out) ? stderr : stdout, "wrote log %s(x) of %d points to %s\n", p, x.rows,
                 output_name(out).c_str());
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
        {"--out", "FILE", "", "output CSV ('-' = stdout)"},
        {"--seed", "S", "0", "random seed"},
        {"--with-logdensity", nullptr, "", "add a column logpi with the true log-density (where known)"},
    }};

int cmd_generate(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(GENERATE, argc, argv, 2, &help);
    if (show_help(GENERATE, a, help)) return 0;
    const std::string out = need(a, "--out"), name = a.str("--data");
    Toy toy;
    if (!toy_from_name(name, &toy)) a.fail("--data", "must be one of " + toy_names() + ", got '" + excerpt(name) + "'");
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
    std::fprintf(output_is_stdout(out) ? stderr : stdout, "wrote %ld points of %s (seed %s) to %s\n", n, name.c_str(),
                 a.str("--seed").c_str(), output_name(out).c_str());
    return 0;
}
