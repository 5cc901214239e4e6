// test_slices.cpp — a step cut into row slices (objectives/jeffreys.h, StepSlices).
//
// Sliced, every term and gradient must be the one-slice value up to rounding (the slices'
// gradients are added in a different order than one pass accumulates them), pass central
// differences itself, and give the same bits for 1 and 2 threads. A test that the views'
// gradients are all added (drop one, and the sums miss a slice's rows) is the first one.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "gradcheck.h"
#include "objectives/jeffreys.h"
#include "train/train.h"

#ifdef _OPENMP
#include <omp.h>
#endif

// |a − b| ≤ tol · max(1, |a|, |b|) for every element; the worst such ratio
static double worst_diff(const std::vector<Real>& a, const std::vector<Real>& b) {
    double worst = 0;
    for (size_t i = 0; i < a.size(); i++) {
        const double s = std::fmax(1.0, std::fmax(std::fabs((double)a[i]), std::fabs((double)b[i])));
        worst = std::fmax(worst, std::fabs((double)a[i] - (double)b[i]) / s);
    }
    return worst;
}

static const double SAME = sizeof(Real) == sizeof(double) ? 1e-12 : 1e-4;  // rounding only

static Flow random_flow(int D, int C, uint64_t seed) {
    FlowConfig cfg;
    cfg.dim = D, cfg.layers = 3, cfg.hidden = 6, cfg.depth = 2, cfg.act = Act::tanh, cfg.context = C;
    Flow f;
    flow_build(f, cfg);
    Rng rng(seed);
    for (const Coupling& c : f.couplings) mlp_init(c.net, f.params, rng, LastLayer::random);
    return f;
}

static Proxy random_proxy(ProxyKind kind, int D, int C, uint64_t seed) {
    Proxy q;
    q.kind = kind;
    if (kind == ProxyKind::flow) {
        q.flow = random_flow(D, C, seed);
        return q;
    }
    EBMConfig cfg;
    cfg.dim = D, cfg.hidden = 7, cfg.depth = 2, cfg.act = Act::silu, cfg.sigma0 = 2.0, cfg.context = C;
    ebm_build(q.ebm, cfg);
    Rng rng(seed);
    mlp_init(q.ebm.net, q.ebm.params, rng, LastLayer::random);
    return q;
}

// One estimator setting: the models, the data, draws and contexts, and both a one-slice and
// an S-slice run of each step.
struct Case {
    int D = 2, C = 0, B = 7, M = 9, K = 1;
    Flow p;
    Proxy q;
    FlowCache pc;
    ProxyCache qc;
    JeffreysWork w;
    StepSlices sl;
    std::vector<Real> x, z, y, ys, xs, logp_s;
    Contexts ctx;

    Case(ProxyKind kind, int C_, int S) : C(C_) {
        if (C > 0) K = 3, M = 9;  // 3 context blocks of 3 samples
        p = random_flow(D, C, 81);
        q = random_proxy(kind, D, C, 82);
        flow_cache_init(pc, p, std::max(B, M));
        proxy_cache_init(qc, q, std::max(B, M));
        jeffreys_work_init(w, D, B, M);
        step_slices_init(sl, S, p, &q, B, M);
        Rng rng(83);
        x = random_vec((size_t)B * D, rng, 2.0), z = random_vec((size_t)M * D, rng, 1.5);
        xs = random_vec((size_t)M * D, rng, 2.0), logp_s = random_vec(M, rng, 3.0);
        if (C > 0) {
            y = random_vec((size_t)B * C, rng, 2.0);
            ys.resize((size_t)M * C);
            for (int j = 0; j < M; j++)
                for (int k = 0; k < C; k++) ys[(size_t)j * C + k] = y[(size_t)(j / (M / K)) * C + k];
            ctx.data = y.data(), ctx.samples = ys.data(), ctx.blocks = K;
        }
    }
    ThetaTerms theta(bool sliced, double r = 1.0) {
        return theta_gradient(p, pc, &q, &qc, x.data(), B, z.data(), M, r, 0.4, w, ctx, sliced ? &sl : nullptr);
    }
    PsiTerms psi(bool sliced, double lambda) {
        return psi_gradient(q, qc, xs.data(), logp_s.data(), M, x.data(), B, lambda, w, nullptr, nullptr, 0, ctx,
                            sliced ? &sl : nullptr);
    }
};

TEST_CASE("slices: the sliced theta-step gives the one-slice F, R and gradient, every proxy", "[slices]") {
    for (ProxyKind kind : {ProxyKind::ebm, ProxyKind::flow})
        for (int C : {0, 2})
            for (int S : {2, 3}) {
                INFO("proxy " << proxy_kind_name(kind) << ", context " << C << ", slices " << S);
                Case c(kind, C, S);
                for (double r : {1.0, 0.0}) {  // r = 0: maximum likelihood
                    c.p.params.zero_grad();
                    const ThetaTerms one = c.theta(false, r);
                    const std::vector<Real> g1 = c.p.params.grad;
                    c.p.params.zero_grad();
                    const ThetaTerms many = c.theta(true, r);
                    const std::vector<Real> gs = c.p.params.grad;
                    CHECK(many.F == Approx(one.F).epsilon(SAME));
                    if (r != 0) CHECK(many.R == Approx(one.R).epsilon(SAME));
                    CHECK(worst_diff(g1, gs) < SAME);
                    // a second sliced pass starts from zero again: the views were emptied
                    c.p.params.zero_grad();
                    c.theta(true, r);
                    CHECK(worst_diff(gs, c.p.params.grad) == 0);
                    // the θ-step sets the gradient: what was in it before does not matter
                    for (bool sliced : {false, true}) {
                        c.p.params.grad.assign(c.p.params.size(), Real(7));
                        c.theta(sliced, r);
                        CHECK(worst_diff(sliced ? gs : g1, c.p.params.grad) == 0);
                    }
                }
            }
}

TEST_CASE("slices: the sliced psi-step gives the one-slice R, G, log Z and gradient, every proxy", "[slices]") {
    for (ProxyKind kind : {ProxyKind::ebm, ProxyKind::flow})
        for (int C : {0, 2})
            for (int S : {2, 3})
                for (double lambda : {0.0, 0.8}) {
                    INFO("proxy " << proxy_kind_name(kind) << ", context " << C << ", slices " << S << ", lambda "
                                  << lambda);
                    Case c(kind, C, S);
                    c.q.params().zero_grad();
                    const PsiTerms one = c.psi(false, lambda);
                    const std::vector<Real> g1 = c.q.params().grad;
                    c.q.params().zero_grad();
                    const PsiTerms many = c.psi(true, lambda);
                    CHECK(many.R == Approx(one.R).epsilon(SAME));
                    CHECK(many.G == Approx(one.G).epsilon(SAME));
                    CHECK(many.log_z == Approx(one.log_z).epsilon(SAME));
                    CHECK(many.ess == Approx(one.ess).epsilon(SAME));
                    CHECK(worst_diff(g1, c.q.params().grad) < SAME);
                }
}

TEST_CASE("slices: sliced gradients of the theta- and psi-steps match central differences", "[slices][double]") {
    for (ProxyKind kind : {ProxyKind::ebm, ProxyKind::flow}) {
        INFO("proxy " << proxy_kind_name(kind));
        Case c(kind, 2, 3);
        auto theta_loss = [&]() {
            const ThetaTerms t = c.theta(true);
            return t.F + t.R;
        };
        c.p.params.zero_grad();
        theta_loss();
        std::vector<Real> analytic = c.p.params.grad;
        GradCheck g = grad_check(theta_loss, c.p.params.value.data(), analytic.data(), c.p.params.size());
        CHECK(g.finite);
        CHECK(g.max_err < 1e-6);
        auto psi_loss = [&]() {
            const PsiTerms t = c.psi(true, 0.6);
            return t.R + 0.6 * t.G;
        };
        c.q.params().zero_grad();
        psi_loss();
        analytic = c.q.params().grad;
        g = grad_check(psi_loss, c.q.params().value.data(), analytic.data(), c.q.params().size());
        CHECK(g.finite);
        CHECK(g.max_err < 1e-6);
    }
}

TEST_CASE("slices: sliced sampling gives exactly the one-pass samples", "[slices]") {
    Case c(ProxyKind::ebm, 2, 3);
    std::vector<Real> x1((size_t)c.M * c.D), lp1(c.M), x3((size_t)c.M * c.D), lp3(c.M);
    sample_slices(x1.data(), lp1.data(), c.z.data(), c.p, c.pc, c.M, c.ys.data());
    sample_slices(x3.data(), lp3.data(), c.z.data(), c.p, c.pc, c.M, c.ys.data(), &c.sl);
    CHECK(std::memcmp(x1.data(), x3.data(), sizeof(Real) * x1.size()) == 0);
    CHECK(std::memcmp(lp1.data(), lp3.data(), sizeof(Real) * lp1.size()) == 0);
}

TEST_CASE("slices: how many a step gets depends on its sizes only", "[slices]") {
    Flow small = random_flow(2, 0, 1);  // H = 6
    Proxy q = random_proxy(ProxyKind::ebm, 2, 0, 2);
    CHECK(step_slice_count(small, &q, 256, 256) == 2);
    CHECK(step_slice_count(small, nullptr, 256, 1) == 2);  // MLE: the samples do not count
    CHECK(step_slice_count(small, &q, 256, 100) == 1);    // fewer than 2 × 64 samples
    CHECK(step_slice_count(small, nullptr, 127, 0) == 1);
    FlowConfig cfg;
    cfg.dim = 16, cfg.hidden = 512;
    Flow large;
    flow_build(large, cfg);
    CHECK(step_slice_count(large, nullptr, 4096, 4096) == 1);  // the kernels use the threads
}

// Training steps of the sliced methods, 1 thread then 2: every number the same bits.
TEST_CASE("slices: training steps give the same bits for 1 and 2 threads", "[slices][determinism]") {
    const int D = 2, n = 300;
    Rng data_rng(5);
    Tensor train(n, D);
    for (Real& v : train.data) v = (Real)(data_rng.normal() * 1.5);
    for (Method m : {Method::mle, Method::jeffreys}) {
        for (ProxyKind kind : {ProxyKind::ebm, ProxyKind::flow}) {
            if (m == Method::mle && kind == ProxyKind::flow) continue;
            INFO(method_name(m) << ", proxy " << proxy_kind_name(kind));
            std::vector<Real> flows[2];
            std::vector<double> terms[2];
            for (int threads : {1, 2}) {
#ifdef _OPENMP
                const int saved = omp_get_max_threads();
                omp_set_num_threads(threads);
#endif
                FlowConfig fc;
                fc.dim = D, fc.layers = 4, fc.hidden = 16;
                Flow p;
                flow_build(p, fc);
                Rng rng(9);
                flow_init(p, rng);
                Proxy q = random_proxy(kind, D, 0, 10);
                TrainerConfig tc;
                tc.method = m, tc.batch = 160, tc.samples = 192;
                Trainer t;
                trainer_init(t, tc, p, &q);
                REQUIRE(t.slices.count == 2);
                for (int s = 0; s < 5; s++) {
                    const StepResult r = train_step(t, train, rng);
                    terms[threads - 1].insert(terms[threads - 1].end(), {r.F, r.R, r.G, r.grad_norm, t.lambda});
                }
                flows[threads - 1] = p.params.value;
#ifdef _OPENMP
                omp_set_num_threads(saved);
#endif
            }
            CHECK(std::memcmp(flows[0].data(), flows[1].data(), sizeof(Real) * flows[0].size()) == 0);
            REQUIRE(terms[0].size() == terms[1].size());
            for (size_t i = 0; i < terms[0].size(); i++)
                if (!std::isnan(terms[0][i])) CHECK(terms[0][i] == terms[1][i]);
        }
    }
}

TEST_CASE("slices: the team chooser times one thread and all, then keeps the faster", "[slices]") {
    TeamChooser c;
    c.period = 20, c.probe = 2;
    auto run = [&](int steps, double one, double all, std::vector<int>& teams) {
        for (int s = 0; s < steps; s++) {
            const int team = c.next();
            teams.push_back(team);
            c.record(team == 1 ? one : all);
        }
    };
    std::vector<int> teams;
    run(20, 1.0, 3.0, teams);  // a busy machine: all threads three times slower
    CHECK(teams[0] == 1);
    CHECK(teams[1] == 1);
    CHECK(teams[2] == 0);
    CHECK(teams[3] == 0);
    for (int s = 4; s < 20; s++) CHECK(teams[s] == 1);
    teams.clear();
    run(20, 2.0, 0.5, teams);  // idle again: the next probe goes back to all threads
    for (int s = 4; s < 20; s++) CHECK(teams[s] == 0);
    TeamChooser always;
    always.probe = 0;  // no probes: always the whole team
    int ones = 0;
    for (int s = 0; s < 600; s++) {
        ones += always.next() == 1;
        always.record(1.0);
    }
    CHECK(ones == 0);
}

TEST_CASE("ebm: the backward for the input gradient alone gives the same dx and leaves the weights' gradient",
          "[proxy]") {
    const int D = 2, B = 9;
    Proxy q = random_proxy(ProxyKind::ebm, D, 0, 12);
    EBMCache c;
    ebm_cache_init(c, q.ebm, B);
    Rng rng(13);
    std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), dE = random_vec(B, rng), E(B);
    std::vector<Real> dx_all((size_t)B * D), dx_only((size_t)B * D);
    ebm_energy(E.data(), x.data(), q.ebm, c, B);
    q.ebm.params.zero_grad();
    ebm_energy_backward(dx_all.data(), dE.data(), x.data(), q.ebm, c, B);
    const std::vector<Real> grad = q.ebm.params.grad;
    ebm_energy_backward(dx_only.data(), dE.data(), x.data(), q.ebm, c, B, false);
    CHECK(std::memcmp(dx_all.data(), dx_only.data(), sizeof(Real) * dx_all.size()) == 0);
    CHECK(q.ebm.params.grad == grad);  // not added to a second time
}
