// test_flow.cpp — the affine coupling and the RealNVP flow: both directions,
// their backward passes, invertibility, log-determinants and the base density.
#include <catch2/catch.hpp>

#include <cmath>

#include "flow/flow.h"
#include "gradcheck.h"
#include "tensor/rng.h"

static const double TOL = 1e-6;

// A flow with random (not zero) last layers, so every path carries gradient.
static void randomise(Flow& f, Rng& rng) {
    for (const Coupling& c : f.couplings) mlp_init(c.net, f.params, rng, LastLayer::random);
    for (Real& v : f.params.value) v *= (Real)1.5;  // larger scales exercise the tanh clamp
}

struct CouplingSetup {
    Params p;
    Coupling c;
    CouplingCache cc;
};

static void make_coupling(CouplingSetup& s, int D, Half half, Act act, Scale scale, int B, uint64_t seed) {
    coupling_declare(s.c, s.p, "c", D, half, 6, 2, act, scale, Real(2));
    s.p.allocate();
    Rng rng(seed);
    mlp_init(s.c.net, s.p, rng, LastLayer::random);
    coupling_cache_init(s.cc, s.c, B);
}

TEST_CASE("coupling: density direction gradients (parameters, input, log-det)", "[flow][double]") {
    const int B = 5;
    for (int D : {2, 3, 5}) for (Half half : {Half::first, Half::second})
    for (Act act : {Act::tanh, Act::relu, Act::silu}) for (Scale scale : {Scale::tanh, Scale::exp}) {
        INFO("D=" << D << " half=" << (half == Half::first ? "first" : "second") << " act=" << act_name(act)
                  << " scale=" << scale_name(scale));
        CouplingSetup s;
        make_coupling(s, D, half, act, scale, B, 100 + D);
        Rng rng(7);
        std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0);
        std::vector<Real> wz = random_vec((size_t)B * D, rng), wl = random_vec(B, rng);
        std::vector<Real> z((size_t)B * D), ld(B), dx((size_t)B * D);
        // loss = Σ wz ⊙ z + Σ wl ⊙ ld
        auto loss = [&]() {
            coupling_forward(z.data(), ld.data(), x.data(), s.c, s.p, s.cc, B);
            double v = 0;
            for (size_t i = 0; i < z.size(); i++) v += (double)wz[i] * z[i];
            for (int i = 0; i < B; i++) v += (double)wl[i] * ld[i];
            return v;
        };
        loss();
        s.p.zero_grad();
        coupling_density_backward(dx.data(), wz.data(), wl.data(), s.c, s.p, s.cc, B);
        const Kinks k = act == Act::relu ? Kinks::skip : Kinks::forbid;
        GradCheck gp = grad_check(loss, s.p.value.data(), s.p.grad.data(), s.p.size(), k);
        GradCheck gx = grad_check(loss, x.data(), dx.data(), x.size(), k);
        CHECK(gp.finite);
        CHECK(gp.max_err < TOL);
        CHECK(gx.max_err < TOL);
        CHECK(gp.skipped_kinks * 20 <= s.p.size());
        CHECK(gp.checked + gp.skipped_kinks == s.p.size());
    }
}

TEST_CASE("coupling: sampling direction gradients (parameters, input, log-det)", "[flow][double]") {
    const int B = 5;
    for (int D : {2, 3, 5}) for (Half half : {Half::first, Half::second})
    for (Act act : {Act::tanh, Act::relu, Act::silu}) for (Scale scale : {Scale::tanh, Scale::exp}) {
        INFO("D=" << D << " act=" << act_name(act) << " scale=" << scale_name(scale));
        CouplingSetup s;
        make_coupling(s, D, half, act, scale, B, 200 + D);
        Rng rng(8);
        std::vector<Real> z = random_vec((size_t)B * D, rng, 2.0);
        std::vector<Real> wx = random_vec((size_t)B * D, rng), wl = random_vec(B, rng);
        std::vector<Real> x((size_t)B * D), ld(B), dz((size_t)B * D);
        auto loss = [&]() {
            coupling_inverse(x.data(), ld.data(), z.data(), s.c, s.p, s.cc, B);
            double v = 0;
            for (size_t i = 0; i < x.size(); i++) v += (double)wx[i] * x[i];
            for (int i = 0; i < B; i++) v += (double)wl[i] * ld[i];
            return v;
        };
        loss();
        s.p.zero_grad();
        coupling_inverse_backward(dz.data(), wx.data(), wl.data(), s.c, s.p, s.cc, B);
        const Kinks k = act == Act::relu ? Kinks::skip : Kinks::forbid;
        GradCheck gp = grad_check(loss, s.p.value.data(), s.p.grad.data(), s.p.size(), k);
        GradCheck gz = grad_check(loss, z.data(), dz.data(), z.size(), k);
        CHECK(gp.finite);
        CHECK(gp.max_err < TOL);
        CHECK(gz.max_err < TOL);
        CHECK(gp.skipped_kinks * 20 <= s.p.size());
        CHECK(gp.checked + gp.skipped_kinks == s.p.size());
    }
}

static Flow make_flow(int D, int K, Act act, Scale scale, uint64_t seed) {
    FlowConfig cfg;
    cfg.dim = D;
    cfg.layers = K;
    cfg.hidden = 8;
    cfg.depth = 2;
    cfg.act = act;
    cfg.scale = scale;
    Flow f;
    flow_build(f, cfg);
    Rng rng(seed);
    randomise(f, rng);
    return f;
}

TEST_CASE("flow: log_prob gradients w.r.t. every parameter and the input", "[flow][double]") {
    const int B = 4;
    for (int D : {2, 3}) for (Act act : {Act::tanh, Act::silu}) for (Scale scale : {Scale::tanh, Scale::exp}) {
        INFO("D=" << D << " act=" << act_name(act) << " scale=" << scale_name(scale));
        Flow f = make_flow(D, 4, act, scale, 300 + D);
        FlowCache c;
        flow_cache_init(c, f, B);
        Rng rng(9);
        std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), w = random_vec(B, rng);
        std::vector<Real> lp(B), dx((size_t)B * D);
        auto loss = [&]() {
            flow_log_prob(lp.data(), x.data(), f, c, B);
            double v = 0;
            for (int i = 0; i < B; i++) v += (double)w[i] * lp[i];
            return v;
        };
        loss();
        f.params.zero_grad();
        flow_log_prob_backward(dx.data(), w.data(), f, c, B);
        GradCheck gp = grad_check(loss, f.params.value.data(), f.params.grad.data(), f.params.size());
        GradCheck gx = grad_check(loss, x.data(), dx.data(), x.size());
        CHECK(gp.finite);
        CHECK(gp.max_err < TOL);
        CHECK(gx.max_err < TOL);
        CHECK(directional_check(loss, f.params.value.data(), f.params.grad.data(), f.params.size(), 11) < TOL);
    }
}

TEST_CASE("flow: sampling path gradients (x and log p) w.r.t. every parameter and z", "[flow][double]") {
    const int B = 4;
    for (int D : {2, 3}) for (Act act : {Act::tanh, Act::silu}) for (Scale scale : {Scale::tanh, Scale::exp}) {
        INFO("D=" << D << " act=" << act_name(act) << " scale=" << scale_name(scale));
        Flow f = make_flow(D, 4, act, scale, 400 + D);
        FlowCache c;
        flow_cache_init(c, f, B);
        Rng rng(10);
        std::vector<Real> z = random_vec((size_t)B * D, rng, 2.0);
        std::vector<Real> wx = random_vec((size_t)B * D, rng), wl = random_vec(B, rng);
        std::vector<Real> x((size_t)B * D), lp(B), dz((size_t)B * D);
        // loss = Σ wx ⊙ x + Σ wl ⊙ log p(x): the shape of a reverse-KL loss
        auto loss = [&]() {
            flow_sample(x.data(), lp.data(), z.data(), f, c, B);
            double v = 0;
            for (size_t i = 0; i < x.size(); i++) v += (double)wx[i] * x[i];
            for (int i = 0; i < B; i++) v += (double)wl[i] * lp[i];
            return v;
        };
        loss();
        f.params.zero_grad();
        flow_sample_backward(dz.data(), wx.data(), wl.data(), f, c, B);
        GradCheck gp = grad_check(loss, f.params.value.data(), f.params.grad.data(), f.params.size());
        GradCheck gz = grad_check(loss, z.data(), dz.data(), z.size());
        CHECK(gp.finite);
        CHECK(gp.max_err < TOL);
        CHECK(gz.max_err < TOL);
    }
}

TEST_CASE("flow: relu conditioners pass the whole-flow checks away from kinks", "[flow][double]") {
    const int B = 4, D = 4;
    Flow f = make_flow(D, 3, Act::relu, Scale::tanh, 77);
    FlowCache c;
    flow_cache_init(c, f, B);
    Rng rng(12);
    std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), w = random_vec(B, rng), lp(B), dx((size_t)B * D);
    auto loss = [&]() {
        flow_log_prob(lp.data(), x.data(), f, c, B);
        double v = 0;
        for (int i = 0; i < B; i++) v += (double)w[i] * lp[i];
        return v;
    };
    loss();
    f.params.zero_grad();
    flow_log_prob_backward(dx.data(), w.data(), f, c, B);
    GradCheck gp = grad_check(loss, f.params.value.data(), f.params.grad.data(), f.params.size(), Kinks::skip);
    CHECK(gp.max_err < TOL);
    CHECK(gp.skipped_kinks * 20 <= f.params.size());
}

TEST_CASE("flow: inverse(forward(x)) = x and the log-dets cancel", "[flow][double]") {
    const int B = 16;
    for (int D : {2, 3, 7}) for (Scale scale : {Scale::tanh, Scale::exp}) {
        Flow f = make_flow(D, 6, Act::tanh, scale, 500 + D);
        FlowCache c;
        flow_cache_init(c, f, B);
        Rng rng(13);
        std::vector<Real> x = random_vec((size_t)B * D, rng, 3.0), z((size_t)B * D), x2((size_t)B * D);
        std::vector<Real> ldf(B), ldi(B);
        flow_forward(z.data(), ldf.data(), x.data(), f, c, B);
        flow_inverse(x2.data(), ldi.data(), z.data(), f, c, B);
        double worst = 0, worst_ld = 0;
        for (size_t i = 0; i < x.size(); i++) worst = std::fmax(worst, std::fabs(x[i] - x2[i]));
        for (int i = 0; i < B; i++) worst_ld = std::fmax(worst_ld, std::fabs(ldf[i] + ldi[i]));
        CHECK(worst <= 1e-10);
        CHECK(worst_ld <= 1e-10);
    }
}

// log|det ∂z/∂x| against the determinant of a central-difference Jacobian.
static double log_abs_det(std::vector<double> A, int n) {
    double logdet = 0;
    for (int k = 0; k < n; k++) {  // Gaussian elimination with partial pivoting
        int piv = k;
        for (int i = k + 1; i < n; i++)
            if (std::fabs(A[i * n + k]) > std::fabs(A[piv * n + k])) piv = i;
        if (piv != k)
            for (int j = 0; j < n; j++) std::swap(A[k * n + j], A[piv * n + j]);
        logdet += std::log(std::fabs(A[k * n + k]));
        for (int i = k + 1; i < n; i++) {
            const double m = A[i * n + k] / A[k * n + k];
            for (int j = k; j < n; j++) A[i * n + j] -= m * A[k * n + j];
        }
    }
    return logdet;
}

TEST_CASE("flow: log-det equals log|det J| of a finite-difference Jacobian", "[flow][double]") {
    for (int D : {2, 3, 4}) {
        Flow f = make_flow(D, 5, Act::silu, Scale::tanh, 600 + D);
        FlowCache c;
        flow_cache_init(c, f, 1);
        Rng rng(14);
        std::vector<Real> x = random_vec(D, rng, 2.0), z(D), zp(D), zm(D);
        Real ld = 0, tmp = 0;
        flow_forward(z.data(), &ld, x.data(), f, c, 1);
        std::vector<double> J((size_t)D * D);
        const double h = 1e-6;
        for (int j = 0; j < D; j++) {
            const Real saved = x[j];
            x[j] = saved + (Real)h;
            flow_forward(zp.data(), &tmp, x.data(), f, c, 1);
            x[j] = saved - (Real)h;
            flow_forward(zm.data(), &tmp, x.data(), f, c, 1);
            x[j] = saved;
            for (int i = 0; i < D; i++) J[(size_t)i * D + j] = (zp[i] - zm[i]) / (2 * h);
        }
        CHECK(std::fabs(log_abs_det(J, D) - ld) < 1e-7);
        // sampling direction: log|det ∂x/∂z| = −log|det ∂z/∂x| at the matching point
        Real ldi = 0;
        std::vector<Real> xb(D);
        flow_inverse(xb.data(), &ldi, z.data(), f, c, 1);
        CHECK(std::fabs(ldi + ld) < 1e-10);
    }
}

TEST_CASE("flow: a freshly initialised flow is the identity with the N(0, I) density", "[flow]") {
    FlowConfig cfg;
    cfg.dim = 3;
    Flow f;
    flow_build(f, cfg);
    Rng rng(15);
    flow_init(f, rng);
    const int B = 8;
    FlowCache c;
    flow_cache_init(c, f, B);
    std::vector<Real> x = random_vec((size_t)B * 3, rng, 4.0), z((size_t)B * 3), lp(B);
    flow_forward(z.data(), nullptr, x.data(), f, c, B);
    flow_log_prob(lp.data(), x.data(), f, c, B);
    for (int i = 0; i < B; i++) {
        const Real* xi = x.data() + i * 3;
        const Real expect = -(Real)0.5 * (xi[0] * xi[0] + xi[1] * xi[1] + xi[2] * xi[2]) -
                            (Real)(1.5 * std::log(2 * M_PI));
        CHECK(lp[i] == expect);  // exactly: s = 0 and t = 0 in every layer
    }
    for (size_t i = 0; i < x.size(); i++) CHECK(z[i] == x[i]);
}

TEST_CASE("flow: every coordinate is transformed and names mirror PyTorch", "[flow]") {
    Flow f = make_flow(5, 2, Act::tanh, Scale::tanh, 16);
    CHECK(f.couplings[0].a0 == 0);
    CHECK(f.couplings[0].b0 == 2);
    CHECK(f.couplings[1].a0 == 2);
    CHECK(f.couplings[1].b0 == 0);
    CHECK(f.couplings[0].db + f.couplings[1].db == 5);
    CHECK(f.params.info[0].name == "couplings.0.net.0.weight");
    CHECK(f.params.info[0].shape == std::vector<int>{8, 2});
    CHECK(f.params.info[5].name == "couplings.0.net.4.bias");
    CHECK(f.params.info[5].shape == std::vector<int>{6});
}

TEST_CASE("flow: invalid configurations are rejected with a message", "[flow]") {
    Flow f;
    FlowConfig cfg;
    cfg.dim = 1;
    CHECK_THROWS_WITH(flow_build(f, cfg), Catch::Contains("dimension"));
    cfg = FlowConfig{};
    cfg.depth = 0;
    CHECK_THROWS_WITH(flow_build(f, cfg), Catch::Contains("--depth"));
}

#ifdef SYMKL_CHECKS
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

// Runs f in a child process (its output silenced, and without the test framework's own
// SIGABRT handler); true when the child ended by abort(), as a failed SYMKL_CHECK does.
template <class F>
static bool aborts(F f) {
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    if (pid == 0) {
        std::signal(SIGABRT, SIG_DFL);
        if (!std::freopen("/dev/null", "w", stdout) || !std::freopen("/dev/null", "w", stderr)) _exit(3);
        f();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

TEST_CASE("checks: a batch beyond the cache or a backward of the other direction stops the program", "[flow][checks]") {
    const int cap = 4, D = 3;
    CouplingSetup s;
    make_coupling(s, D, Half::first, Act::tanh, Scale::tanh, cap, 5);
    Rng rng(6);
    const std::vector<Real> x = random_vec((size_t)(cap + 1) * D, rng);
    std::vector<Real> z((size_t)(cap + 1) * D), ld(cap + 1), dx((size_t)(cap + 1) * D);
    // the calls as they should be: no abort
    CHECK_FALSE(aborts([&] {
        coupling_forward(z.data(), ld.data(), x.data(), s.c, s.p, s.cc, cap);
        coupling_density_backward(dx.data(), z.data(), ld.data(), s.c, s.p, s.cc, cap);
        coupling_inverse(z.data(), ld.data(), x.data(), s.c, s.p, s.cc, cap);
        coupling_inverse_backward(dx.data(), z.data(), ld.data(), s.c, s.p, s.cc, cap);
    }));
    // one row too many, in the coupling and in its conditioner
    CHECK(aborts([&] { coupling_forward(z.data(), ld.data(), x.data(), s.c, s.p, s.cc, cap + 1); }));
    CHECK(aborts([&] {
        std::vector<Real> h((size_t)(cap + 1) * 2 * s.c.db);
        mlp_forward(h.data(), x.data(), s.c.net, s.p, s.cc.net, cap + 1);
    }));
    // the backward of one direction on a cache that holds the other's pass
    CHECK(aborts([&] {
        coupling_forward(z.data(), ld.data(), x.data(), s.c, s.p, s.cc, cap);
        coupling_inverse_backward(dx.data(), z.data(), ld.data(), s.c, s.p, s.cc, cap);
    }));
    CHECK(aborts([&] {
        coupling_inverse(z.data(), ld.data(), x.data(), s.c, s.p, s.cc, cap);
        coupling_density_backward(dx.data(), z.data(), ld.data(), s.c, s.p, s.cc, cap);
    }));
    // a whole flow
    FlowConfig cfg;
    cfg.dim = D, cfg.layers = 2, cfg.hidden = 4, cfg.depth = 1;
    Flow f;
    flow_build(f, cfg);
    FlowCache fc;
    flow_cache_init(fc, f, cap);
    std::vector<Real> lp(cap + 1);
    CHECK_FALSE(aborts([&] { flow_log_prob(lp.data(), x.data(), f, fc, cap); }));
    CHECK(aborts([&] { flow_log_prob(lp.data(), x.data(), f, fc, cap + 1); }));
}
#endif
