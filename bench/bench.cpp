// bench.cpp — `make bench`: how fast symkl's core runs. It measures only; the tests
// never assert timings.
//
//   symkl_bench [--threads 1,2] [--repeats N] [--seconds S] [--only LIST] [--scale small|large]
//               [--kinds LIST] [--csv PATH] [--svg PATH]
//
// Sections (--only takes a comma list; default: steps,throughput,matmul):
//   steps       one training step (minibatch, forward, backward, Adam), per step kind
//               (--kinds: a comma list of mle, adaptive-ebm, adaptive-flow, wgan; default all)
//   throughput  sampling x = T(z) with log p, and log_prob, in points per second
//   matmul      GFLOP/s of a Linear layer's forward, its backward (dx and dW) and dW
//               alone, at the shapes the models use
//   sweep       time per MLE step against batch, width H, dimension D, couplings K
//               and threads: the scaling figure (--svg writes it)
//
// Every number is the median of timed runs after warm-up runs, for each thread count in
// --threads, measured side by side (the thread counts alternate): at least one warm-up
// run and at least --repeats timed ones, and for short runs as many more as fill
// --seconds S of timed runs (default 0.5) after S/5 of warm-up, so that a 1 ms step is
// timed in its steady state, not in the first few steps of a process (fresh threads and
// caches). bench/compare.py times PyTorch by the same rule. --seconds 0: exactly one
// warm-up run and --repeats timed runs (a smoke run).
// Results go to a table on stdout and to a CSV (default bench/results-<real>.csv).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "flow/flow.h"
#include "nn/kernels.h"
#include "train/train.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static void set_threads(int t) {
#ifdef _OPENMP
    omp_set_num_threads(t);
#else
    (void)t;
#endif
}

constexpr int MAX_RUNS = 100000;

// Median wall time of fn() in seconds (the rule above; min_seconds is --seconds).
static double median_seconds(const std::function<void()>& fn, int repeats, double min_seconds) {
    using clock = std::chrono::steady_clock;
    auto seconds = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
    const auto warm = clock::now();
    for (int r = 0; r == 0 || (seconds(warm, clock::now()) < min_seconds / 5 && r < MAX_RUNS); r++) fn();
    std::vector<double> s;
    double total = 0;
    while ((int)s.size() < repeats || (total < min_seconds && (int)s.size() < MAX_RUNS)) {
        const auto t0 = clock::now();
        fn();
        s.push_back(seconds(t0, clock::now()));
        total += s.back();
    }
    std::sort(s.begin(), s.end());
    return s.size() % 2 ? s[s.size() / 2] : 0.5 * (s[s.size() / 2 - 1] + s[s.size() / 2]);
}

// ---------------------------------------------------------------------------------
// Step kinds. A kind builds, for a flow, a training set and a batch size, a closure
// that performs one training step of symkl's Trainer (src/train/train.h): the same
// code `symkl train` runs. Proxies and critics get the flow's width and depth, and
// the adaptive and WGAN steps draw M = B samples of p_θ per step.

using Step = std::function<void()>;

// Everything one step kind owns; the closure keeps it alive.
struct StepState {
    Proxy proxy;
    Critic critic;
    Trainer t;
};

static Step make_step(Method method, ProxyKind kind, Flow& flow, const Tensor& train, int batch, Rng& rng) {
    auto st = std::make_shared<StepState>();
    const FlowConfig& fc = flow.cfg;
    TrainerConfig tc;
    tc.method = method;
    tc.batch = batch;
    tc.samples = batch;
    Proxy* proxy = nullptr;
    if (method == Method::jeffreys) {
        st->proxy.kind = kind;
        if (kind == ProxyKind::flow) {
            flow_build(st->proxy.flow, fc);
            flow_init(st->proxy.flow, rng);
        } else {
            EBMConfig ec;
            ec.dim = fc.dim, ec.hidden = fc.hidden, ec.depth = fc.depth;
            ebm_build(st->proxy.ebm, ec);
            ebm_init(st->proxy.ebm, rng);
        }
        proxy = &st->proxy;
        tc.dual.eps = 1.0 * fc.dim;  // any value: the step's cost does not depend on it
    }
    Critic* critic = nullptr;
    if (method == Method::wgan) {
        CriticConfig cc;
        cc.dim = fc.dim, cc.hidden = fc.hidden, cc.depth = fc.depth;
        critic_build(st->critic, cc);
        critic_init(st->critic, rng);
        critic = &st->critic;
    }
    trainer_init(st->t, tc, flow, proxy, critic);
    st->t.team.probe = 0;  // the thread count asked for, every step (no one-thread probes)
    return [st, &train, &rng]() { train_step(st->t, train, rng); };
}

static Step make_mle_step(Flow& flow, const Tensor& train, int batch, Rng& rng) {
    return make_step(Method::mle, ProxyKind::ebm, flow, train, batch, rng);
}
static Step make_ebm_step(Flow& flow, const Tensor& train, int batch, Rng& rng) {
    return make_step(Method::jeffreys, ProxyKind::ebm, flow, train, batch, rng);
}
static Step make_flow_step(Flow& flow, const Tensor& train, int batch, Rng& rng) {
    return make_step(Method::jeffreys, ProxyKind::flow, flow, train, batch, rng);
}
static Step make_wgan_step(Flow& flow, const Tensor& train, int batch, Rng& rng) {
    return make_step(Method::wgan, ProxyKind::ebm, flow, train, batch, rng);
}

struct StepKind {
    const char* name;
    Step (*make)(Flow& flow, const Tensor& train, int batch, Rng& rng);
};

static const StepKind STEP_KINDS[] = {
    {"mle", make_mle_step},
    {"adaptive-ebm", make_ebm_step},
    {"adaptive-flow", make_flow_step},
    {"wgan", make_wgan_step},  // n_critic = 5 critic updates and one generator update
};

// ---------------------------------------------------------------------------------

struct ModelScale {
    const char* name;
    int D, K, H, L, B;
};

static const ModelScale SCALES[] = {{"small", 2, 8, 64, 2, 256}, {"large", 16, 8, 512, 2, 4096}};

static std::string config_of(const ModelScale& s) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "D=%d K=%d H=%d L=%d B=%d", s.D, s.K, s.H, s.L, s.B);
    return buf;
}

// A flow initialised as training starts (PyTorch's default init, zero last layers)
// and a standard-normal training set.
struct Model {
    Flow flow;
    Tensor train;
    Rng rng{1};
};

static std::unique_ptr<Model> make_model(const ModelScale& s) {
    auto m = std::make_unique<Model>();
    FlowConfig cfg;
    cfg.dim = s.D, cfg.layers = s.K, cfg.hidden = s.H, cfg.depth = s.L;
    flow_build(m->flow, cfg);
    flow_init(m->flow, m->rng);
    m->train.resize(4096, s.D);
    for (Real& v : m->train.data) v = (Real)m->rng.normal();
    return m;
}

// ---------------------------------------------------------------------------------
// Results: printed as they come, and kept for the CSV.

struct Result {
    std::string section, name, config;
    int threads;
    double value;
    std::string unit;
};

struct Bench {
    std::vector<int> threads;
    int repeats = 5;
    double seconds = 0.5;  // --seconds
    std::vector<Result> results;

    // Measures fn for each thread count (side by side) and prints one table row.
    // `per` converts seconds into the reported value.
    void row(const std::string& section, const std::string& name, const std::string& config,
             const std::function<void()>& fn, const std::string& unit, const std::function<double(double)>& per) {
        std::printf("%-11s %-18s %-34s", section.c_str(), name.c_str(), config.c_str());
        std::vector<double> v;
        for (int t : threads) {
            set_threads(t);
            v.push_back(per(median_seconds(fn, repeats, seconds)));
            results.push_back({section, name, config, t, v.back(), unit});
            std::printf(" %12.4g", v.back());
        }
        std::printf("  %s", unit.c_str());
        if (v.size() >= 2) {
            // speed-up of the last thread count over the first (time: ratio inverted)
            const bool is_time = unit == "ms";
            std::printf("   x%.2f", is_time ? v.front() / v.back() : v.back() / v.front());
        }
        std::printf("\n");
        std::fflush(stdout);
    }

    void header(const char* what) {
        std::printf("\n%-11s %-18s %-34s", what, "name", "config");
        for (int t : threads) std::printf(" %9d thr", t);
        std::printf("  unit%s\n", threads.size() >= 2 ? "   speed-up" : "");
    }
};

static double to_ms(double s) { return s * 1e3; }

// Conditional steps at NPE's scale (sbi/npe.h defaults): θ of 5 numbers given x of 8 (the
// slcp task's shapes), a flow of 5 couplings × 50 hidden, B = 200; the adaptive steps draw
// 8 samples at each of 16 contexts per step.
static void bench_conditional(Bench& b) {
    b.header("conditional");
    const int D = 5, C = 8, B = 200;
    Rng rng(11);
    Tensor train(4096, D + C);
    for (Real& v : train.data) v = (Real)rng.normal();
    for (const char* name : {"mle", "adaptive-ebm", "adaptive-flow"}) {
        auto st = std::make_shared<StepState>();
        auto flow = std::make_shared<Flow>();
        FlowConfig fc;
        fc.dim = D, fc.context = C, fc.layers = 5, fc.hidden = 50, fc.depth = 2;
        flow_build(*flow, fc);
        flow_init(*flow, rng);
        TrainerConfig tc;
        tc.batch = B, tc.samples = 8, tc.contexts = 16, tc.clip = 5;
        Proxy* proxy = nullptr;
        if (std::string(name) != "mle") {
            tc.method = Method::jeffreys;
            tc.dual.eps = 1.0;
            if (std::string(name) == "adaptive-flow") {
                st->proxy.kind = ProxyKind::flow;
                flow_build(st->proxy.flow, fc);
                flow_init(st->proxy.flow, rng);
            } else {
                EBMConfig ec;
                ec.dim = D, ec.context = C, ec.hidden = 64, ec.depth = 2;
                st->proxy.kind = ProxyKind::ebm;
                ebm_build(st->proxy.ebm, ec);
                ebm_init(st->proxy.ebm, rng);
            }
            proxy = &st->proxy;
        }
        trainer_init(st->t, tc, *flow, proxy, nullptr);
        st->t.team.probe = 0;
        b.row("conditional", std::string(name) + " step", "D=5 C=8 K=5 H=50 B=200 (16x8)",
              [st, flow, &train, &rng]() { train_step(st->t, train, rng); }, "ms", to_ms);
    }
}

// kinds: the names of the step kinds to time; empty: all.
static void bench_steps(Bench& b, const std::vector<const ModelScale*>& scales,
                        const std::vector<std::string>& kinds) {
    b.header("steps");
    for (const ModelScale* s : scales) {
        auto m = make_model(*s);
        for (const StepKind& kind : STEP_KINDS) {
            if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), kind.name) == kinds.end()) continue;
            Step step = kind.make(m->flow, m->train, s->B, m->rng);
            b.row("steps", std::string(kind.name) + " step", config_of(*s), step, "ms", to_ms);
        }
    }
}

static void bench_throughput(Bench& b, const std::vector<const ModelScale*>& scales) {
    b.header("throughput");
    for (const ModelScale* s : scales) {
        auto m = make_model(*s);
        const int B = s->B;
        FlowCache cache;
        flow_cache_init(cache, m->flow, B);
        Tensor z(B, s->D), x(B, s->D);
        for (Real& v : z.data) v = (Real)m->rng.normal();
        std::vector<Real> logp(B);
        const double points = B;
        b.row("throughput", "sample", config_of(*s),
              [&]() { flow_sample(x.ptr(), logp.data(), z.ptr(), m->flow, cache, B); }, "points/s",
              [=](double sec) { return points / sec; });
        b.row("throughput", "log_prob", config_of(*s),
              [&]() { flow_log_prob(logp.data(), m->train.ptr(), m->flow, cache, B); }, "points/s",
              [=](double sec) { return points / sec; });
    }
}

// The three products of every Linear layer shape in the two benchmark models.
static void bench_matmul(Bench& b, const std::vector<const ModelScale*>& scales) {
    b.header("matmul");
    for (const ModelScale* s : scales) {
        const int db = s->D - s->D / 2, da = s->D / 2;  // conditioner reads da (the smaller half), writes 2·db
        const int shapes[3][2] = {{da, s->H}, {s->H, s->H}, {s->H, 2 * db}};
        for (const auto& sh : shapes) {
            const int B = s->B, in = sh[0], out = sh[1];
            Rng rng(3);
            std::vector<Real> x((size_t)B * in), W((size_t)out * in), bias(out), y((size_t)B * out),
                dy((size_t)B * out), dx((size_t)B * in), dW((size_t)out * in), dbias(out);
            for (Real& v : x) v = (Real)rng.normal();
            for (Real& v : W) v = (Real)rng.normal();
            for (Real& v : dy) v = (Real)rng.normal();
            char cfg[64];
            std::snprintf(cfg, sizeof cfg, "%dx%dx%d (B x in x out)", B, in, out);
            const double flops = 2.0 * B * in * out;  // one product: B·in·out multiply-adds
            auto gflops = [](double f) { return [f](double sec) { return f / sec * 1e-9; }; };
            b.row("matmul", "forward y=xW'+b", cfg,
                  [&]() { matmul_forward(y.data(), nullptr, x.data(), W.data(), bias.data(), B, in, out, Act::relu); },
                  "GFLOP/s", gflops(flops));
            b.row("matmul", "backward dx,dW,db", cfg,
                  [&]() {
                      matmul_backward(dx.data(), dW.data(), dbias.data(), dy.data(), x.data(), W.data(), B, in, out,
                                      nullptr, Act::relu);
                  },
                  "GFLOP/s", gflops(2 * flops));
            b.row("matmul", "dW,db only", cfg,
                  [&]() {
                      matmul_backward(nullptr, dW.data(), dbias.data(), dy.data(), x.data(), W.data(), B, in, out,
                                      nullptr, Act::relu);
                  },
                  "GFLOP/s", gflops(flops));
        }
    }
}

// ---------------------------------------------------------------------------------
// The scaling sweep and its figure.

struct SweepAxis {
    const char* name;                   // the x axis
    std::vector<int> values;
    void (*apply)(ModelScale& s, int v);
};

static const ModelScale SWEEP_BASE = {"sweep", 16, 8, 256, 2, 1024};

static const SweepAxis SWEEP_AXES[] = {
    {"batch B", {64, 128, 256, 512, 1024, 2048, 4096}, [](ModelScale& s, int v) { s.B = v; }},
    {"width H", {16, 32, 64, 128, 256, 512, 1024}, [](ModelScale& s, int v) { s.H = v; }},
    {"dimension D", {2, 4, 8, 16, 32, 64, 128}, [](ModelScale& s, int v) { s.D = v; }},
    {"couplings K", {1, 2, 4, 8, 16, 32}, [](ModelScale& s, int v) { s.K = v; }},
};

static void bench_sweep(Bench& b) {
    b.header("sweep");
    for (const SweepAxis& ax : SWEEP_AXES) {
        for (int v : ax.values) {
            ModelScale s = SWEEP_BASE;
            ax.apply(s, v);
            auto m = make_model(s);
            Step step = make_mle_step(m->flow, m->train, s.B, m->rng);
            b.row("sweep", ax.name, config_of(s), step, "ms", to_ms);
        }
    }
}

// A 2 × 2 grid of log-log panels, one per sweep axis, one line per thread count.
static void write_svg(const Bench& b, const char* path) {
    FILE* f = std::fopen(path, "w");
    if (!f) {
        std::fprintf(stderr, "symkl_bench: cannot write %s\n", path);
        return;
    }
    const int PW = 380, PH = 260, ML = 60, MT = 40, MB = 45, MR = 20;
    const int W = 2 * (ML + PW + MR), H = 2 * (MT + PH + MB) + 30;
    const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
    std::fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                    "font-family=\"sans-serif\" font-size=\"12\">\n", W, H);
    std::fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    std::fprintf(f, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">symkl (%s): time per MLE "
                    "step, base D=%d K=%d H=%d L=%d B=%d, one parameter varied per panel</text>\n",
                 W / 2, SYMKL_REAL_NAME, SWEEP_BASE.D, SWEEP_BASE.K, SWEEP_BASE.H, SWEEP_BASE.L, SWEEP_BASE.B);
    int panel = 0;
    for (const SweepAxis& ax : SWEEP_AXES) {
        const int ox = (panel % 2) * (ML + PW + MR) + ML, oy = 30 + (panel / 2) * (MT + PH + MB) + MT;
        panel++;
        // the values of this panel, per thread count
        double ymin = 1e300, ymax = 0;
        for (const Result& r : b.results)
            if (r.section == "sweep" && r.name == ax.name) ymin = std::min(ymin, r.value), ymax = std::max(ymax, r.value);
        if (ymax <= 0) continue;
        const double lx0 = std::log10((double)ax.values.front()), lx1 = std::log10((double)ax.values.back());
        const double ly0 = std::floor(std::log10(ymin)), ly1 = std::ceil(std::log10(ymax));
        auto px = [&](double v) { return ox + (std::log10(v) - lx0) / (lx1 - lx0) * PW; };
        auto py = [&](double v) { return oy + PH - (std::log10(v) - ly0) / (ly1 - ly0) * PH; };
        std::fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", ox, oy,
                     PW, PH);
        for (double d = ly0; d <= ly1 + 1e-9; d += 1) {  // decades on y
            const double y = py(std::pow(10.0, d));
            std::fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", ox, ox + PW, y, y);
            std::fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g ms</text>\n", ox - 4, y + 4,
                         std::pow(10.0, d));
        }
        for (int v : ax.values) {  // every swept value on x
            const double x = px(v);
            std::fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/>\n", x, x, oy, oy + PH);
            std::fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", x, oy + PH + 15, v);
        }
        std::fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", ox + PW / 2, oy + PH + 32, ax.name);
        for (size_t ti = 0; ti < b.threads.size(); ti++) {
            std::string pts;
            for (const Result& r : b.results) {
                if (r.section != "sweep" || r.name != ax.name || r.threads != b.threads[ti]) continue;
                // the swept value is the one that differs from the base: read it back from the config
                ModelScale s = SWEEP_BASE;
                std::sscanf(r.config.c_str(), "D=%d K=%d H=%d L=%d B=%d", &s.D, &s.K, &s.H, &s.L, &s.B);
                const int v = ax.name[0] == 'b' ? s.B : ax.name[0] == 'w' ? s.H : ax.name[0] == 'd' ? s.D : s.K;
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.1f,%.1f ", px(v), py(r.value));
                pts += buf;
            }
            const char* col = colors[ti % 4];
            std::fprintf(f, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", pts.c_str(), col);
            std::fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%d thread%s</text>\n", ox + 8, oy + 16 + 14 * (int)ti,
                         col, b.threads[ti], b.threads[ti] > 1 ? "s" : "");
        }
    }
    std::fprintf(f, "</svg>\n");
    std::fclose(f);
    std::printf("wrote %s\n", path);
}

static void write_csv(const Bench& b, const std::string& path) {
    FILE* f = path == "-" ? stdout : std::fopen(path.c_str(), "w");
    if (!f) {
        std::fprintf(stderr, "symkl_bench: cannot write %s\n", path.c_str());
        return;
    }
    // names hold commas and quotes: every text field is quoted, quotes doubled (RFC 4180)
    auto q = [](const std::string& t) {
        std::string o = "\"";
        for (char ch : t) o += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        return o + "\"";
    };
    std::fprintf(f, "section,name,config,real,threads,value,unit\n");
    for (const Result& r : b.results)
        std::fprintf(f, "%s,%s,%s,%s,%d,%.6g,%s\n", r.section.c_str(), q(r.name).c_str(), q(r.config).c_str(),
                     SYMKL_REAL_NAME, r.threads, r.value, r.unit.c_str());
    if (f != stdout) {
        std::fclose(f);
        std::printf("wrote %s\n", path.c_str());
    }
}

static int usage() {
    std::fprintf(stderr,
                 "usage: symkl_bench [--threads 1,2] [--repeats N] [--seconds S] [--only steps,conditional,throughput,matmul,sweep]\n"
                 "                   [--scale small|large] [--kinds mle,adaptive-ebm,adaptive-flow,wgan]\n"
                 "                   [--csv PATH|-] [--svg PATH]\n");
    return 2;
}

static std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        const size_t end = s.find(',', start);
        out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

int main(int argc, char** argv) {
    Bench b;
#ifdef _OPENMP
    b.threads = {1, 2};
#else
    b.threads = {1};
#endif
    std::vector<std::string> kinds;  // step kinds; empty: all
    std::string only = "steps,conditional,throughput,matmul", scale, csv = std::string("bench/results-") + SYMKL_REAL_NAME + ".csv",
                svg;
    for (int i = 1; i < argc; i++) {
        const std::string a = argv[i];
        if (i + 1 >= argc) return usage();
        const std::string v = argv[++i];
        if (a == "--repeats") b.repeats = std::max(1, std::atoi(v.c_str()));
        else if (a == "--seconds") b.seconds = std::max(0.0, std::atof(v.c_str()));
        else if (a == "--only") only = v;
        else if (a == "--scale") scale = v;
        else if (a == "--csv") csv = v;
        else if (a == "--svg") svg = v;
        else if (a == "--kinds") kinds = split(v);
        else if (a == "--threads") {
            b.threads.clear();
            for (const std::string& t : split(v)) b.threads.push_back(std::max(1, std::atoi(t.c_str())));
        } else return usage();
    }
    std::vector<const ModelScale*> scales;
    for (const ModelScale& s : SCALES)
        if (scale.empty() || scale == s.name) scales.push_back(&s);
    if (scales.empty()) return usage();
    for (const std::string& k : kinds) {
        bool known = false;
        for (const StepKind& kind : STEP_KINDS) known = known || k == kind.name;
        if (!known) {
            std::fprintf(stderr, "symkl_bench: unknown step kind '%s' in --kinds\n", k.c_str());
            return usage();
        }
    }
    const std::vector<std::string> sections = split(only);
    auto want = [&](const char* s) { return std::find(sections.begin(), sections.end(), s) != sections.end(); };
#ifdef _OPENMP
    const char* omp = "OpenMP";
#else
    const char* omp = "no OpenMP";
#endif
    std::printf("symkl bench: Real = %s, %s, kernels: %s\n", SYMKL_REAL_NAME, omp, matmul_version());
    std::printf("median of at least %d runs (short runs: as many as fill %.2g s) after %.2g s of warm-up; "
                "columns: thread counts\n", b.repeats, b.seconds, b.seconds / 5);
    if (want("steps")) bench_steps(b, scales, kinds);
    if (want("conditional")) bench_conditional(b);
    if (want("throughput")) bench_throughput(b, scales);
    if (want("matmul")) bench_matmul(b, scales);
    if (want("sweep")) bench_sweep(b);
    std::printf("\n");
    if (!csv.empty()) write_csv(b, csv);
    if (!svg.empty()) write_svg(b, svg.c_str());
    return 0;
}
