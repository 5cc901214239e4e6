// test_jeffreys.cpp — the energy-based proxy and the estimators F̂, R̂, Ĝ, log Ẑ:
// exact gradients (central differences in double, random draws held fixed) and
// agreement with closed forms (the KL between Gaussians, a log-partition by quadrature).
#include <catch2/catch.hpp>

#include <cmath>

#include "gradcheck.h"
#include "objectives/jeffreys.h"

static const double TOL = 1e-6;

static void randomise_flow(Flow& f, Rng& rng) {
    for (const Coupling& c : f.couplings) mlp_init(c.net, f.params, rng, LastLayer::random);
}

static Flow small_flow(int D, Act act, uint64_t seed, int context = 0) {
    FlowConfig cfg;
    cfg.dim = D, cfg.layers = 3, cfg.hidden = 6, cfg.depth = 2, cfg.act = act, cfg.context = context;
    Flow f;
    flow_build(f, cfg);
    Rng rng(seed);
    randomise_flow(f, rng);
    return f;
}

static EBM small_ebm(int D, Act act, uint64_t seed, int context = 0) {
    EBMConfig cfg;
    cfg.dim = D, cfg.hidden = 7, cfg.depth = 2, cfg.act = act, cfg.sigma0 = 2.0, cfg.context = context;
    EBM e;
    ebm_build(e, cfg);
    Rng rng(seed);
    mlp_init(e.net, e.params, rng, LastLayer::random);
    return e;
}

TEST_CASE("ebm: energy gradients in ψ and x match central differences", "[proxy][double]") {
    const int B = 5, D = 3;
    for (Act act : {Act::tanh, Act::silu, Act::relu}) {
        INFO("activation " << act_name(act));
        EBM e = small_ebm(D, act, 31);
        EBMCache c;
        ebm_cache_init(c, e, B);
        Rng rng(32);
        std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), w = random_vec(B, rng), E(B), dx((size_t)B * D);
        auto loss = [&]() {
            ebm_energy(E.data(), x.data(), e, c, B);
            double s = 0;
            for (int i = 0; i < B; i++) s += (double)w[i] * E[i];
            return s;
        };
        loss();
        e.params.zero_grad();
        ebm_energy_backward(dx.data(), w.data(), x.data(), e, c, B);
        const Kinks k = act == Act::relu ? Kinks::skip : Kinks::forbid;
        GradCheck gp = grad_check(loss, e.params.value.data(), e.params.grad.data(), e.params.size(), k);
        GradCheck gx = grad_check(loss, x.data(), dx.data(), x.size(), k);
        CHECK(gp.finite);
        CHECK(gp.max_err < TOL);
        CHECK(gx.max_err < TOL);
        CHECK(gp.skipped_kinks * 20 <= e.params.size());
    }
}

TEST_CASE("ebm: a conditional EBM's energy gradients in ψ and x match central differences", "[proxy][double]") {
    const int B = 5, D = 2, C = 3;
    for (Act act : {Act::tanh, Act::silu}) {
        INFO("activation " << act_name(act));
        EBM e = small_ebm(D, act, 33, C);
        EBMCache c;
        ebm_cache_init(c, e, B);
        Rng rng(34);
        std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), y = random_vec((size_t)B * C, rng, 2.0),
                          w = random_vec(B, rng), E(B), dx((size_t)B * D);
        auto loss = [&]() {
            ebm_energy(E.data(), x.data(), e, c, B, y.data());
            double s = 0;
            for (int i = 0; i < B; i++) s += (double)w[i] * E[i];
            return s;
        };
        loss();
        e.params.zero_grad();
        ebm_energy_backward(dx.data(), w.data(), x.data(), e, c, B);
        GradCheck gp = grad_check(loss, e.params.value.data(), e.params.grad.data(), e.params.size());
        GradCheck gx = grad_check(loss, x.data(), dx.data(), x.size());
        CHECK(gp.finite);
        CHECK(gp.max_err < TOL);
        CHECK(gx.max_err < TOL);
        // the energy depends on the context (f reads it), yet a new conditional EBM does not
        std::vector<Real> E0(B);
        ebm_energy(E0.data(), x.data(), e, c, B, y.data());
        for (Real& v : y) v += 1;
        ebm_energy(E.data(), x.data(), e, c, B, y.data());
        CHECK(std::fabs(E[0] - E0[0]) > 1e-6);
    }
}

TEST_CASE("ebm: a new EBM is exactly N(0, σ₀² I) up to its normaliser", "[proxy]") {
    EBMConfig cfg;
    cfg.dim = 2, cfg.sigma0 = 3.0;
    EBM e;
    ebm_build(e, cfg);
    Rng rng(1);
    ebm_init(e, rng);
    EBMCache c;
    ebm_cache_init(c, e, 1);
    const Real x[2] = {Real(1.5), Real(-2)};
    Real E = 0;
    ebm_energy(&E, x, e, c, 1);
    CHECK(E == Approx((1.5 * 1.5 + 4.0) / 18.0).epsilon(1e-6));
}

// A Gaussian base with a random mean and a random lower-triangular W (positive diagonal).
static void random_gaussian_base(EBMConfig& cfg, Rng& rng) {
    const int D = cfg.dim;
    cfg.base_mean.assign((size_t)D, 0.0);
    cfg.base_whiten.assign((size_t)D * D, 0.0);
    for (int j = 0; j < D; j++) {
        cfg.base_mean[j] = rng.normal();
        for (int k = 0; k < j; k++) cfg.base_whiten[(size_t)j * D + k] = 0.5 * rng.normal();
        cfg.base_whiten[(size_t)j * D + j] = 0.5 + rng.uniform();
    }
}

TEST_CASE("ebm: energy gradients in ψ and x with a Gaussian base match central differences", "[proxy][double]") {
    const int B = 5, D = 4;
    EBMConfig cfg;
    cfg.dim = D, cfg.hidden = 7, cfg.depth = 2, cfg.act = Act::silu, cfg.sigma0 = 1.3;
    Rng rng(41);
    random_gaussian_base(cfg, rng);
    EBM e;
    ebm_build(e, cfg);
    mlp_init(e.net, e.params, rng, LastLayer::random);
    EBMCache c;
    ebm_cache_init(c, e, B);
    std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), w = random_vec(B, rng), E(B), dx((size_t)B * D);
    auto loss = [&]() {
        ebm_energy(E.data(), x.data(), e, c, B);
        double s = 0;
        for (int i = 0; i < B; i++) s += (double)w[i] * E[i];
        return s;
    };
    loss();
    e.params.zero_grad();
    ebm_energy_backward(dx.data(), w.data(), x.data(), e, c, B);
    GradCheck gp = grad_check(loss, e.params.value.data(), e.params.grad.data(), e.params.size());
    GradCheck gx = grad_check(loss, x.data(), dx.data(), x.size());
    CHECK((gp.finite && gx.finite));
    CHECK(gp.max_err < TOL);
    CHECK(gx.max_err < TOL);
}

TEST_CASE("ebm: a new EBM with a Gaussian base is exactly the data's Gaussian N(μ, σ₀² Σ)", "[proxy]") {
    // correlated 3-D data: x = A z
    const int N = 4000, D = 3;
    const double A[D][D] = {{1, 0, 0}, {0.9, 0.5, 0}, {-0.4, 0.3, 0.2}};
    Rng rng(8);
    Tensor x(N, D);
    for (int i = 0; i < N; i++) {
        double z[D];
        for (double& v : z) v = rng.normal();
        for (int j = 0; j < D; j++) x.at(i, j) = (Real)(A[j][0] * z[0] + A[j][1] * z[1] + A[j][2] * z[2] + 1.0 + j);
    }
    EBMConfig cfg;
    cfg.dim = D, cfg.sigma0 = 1.0;
    const double a = ebm_gaussian_base(x, cfg.base_mean, cfg.base_whiten);
    CHECK(a <= 0.01);  // 4000 points in 3-D: (almost) no shrinkage
    // WᵀW = Σ⁻¹, i.e. W Σ Wᵀ = I for the true Σ = A Aᵀ (within sampling error)
    for (int j = 0; j < D; j++)
        for (int k = 0; k < D; k++) {
            double v = 0;
            for (int p = 0; p < D; p++)
                for (int q = 0; q < D; q++) {
                    double sigma = 0;
                    for (int r = 0; r < D; r++) sigma += A[p][r] * A[q][r];
                    v += cfg.base_whiten[(size_t)j * D + p] * sigma * cfg.base_whiten[(size_t)k * D + q];
                }
            CHECK(v == Approx(j == k ? 1.0 : 0.0).margin(0.05));
        }
    for (int j = 0; j < D; j++) CHECK(cfg.base_mean[j] == Approx(1.0 + j).margin(0.05));
    // a new EBM: mean energy + log Z = the Gaussian's NLL, log Z = (D/2) log 2π − log det W
    EBM e;
    ebm_build(e, cfg);
    Rng init(1);
    ebm_init(e, init);
    EBMCache c;
    ebm_cache_init(c, e, N);
    std::vector<Real> E(N);
    ebm_energy(E.data(), x.ptr(), e, c, N);
    double mean_e = 0, log_det_w = 0;
    for (int i = 0; i < N; i++) mean_e += (double)E[i] / N;
    for (int j = 0; j < D; j++) log_det_w += std::log(cfg.base_whiten[(size_t)j * D + j]);
    CHECK(mean_e + 0.5 * D * std::log(2 * M_PI) - log_det_w ==
          Approx(gaussian_base_nll(x, cfg.base_mean, cfg.base_whiten)).epsilon(1e-5));  // Real energies
    // fewer points than dimensions: the covariance is shrunk until it is positive definite
    Tensor few(4, 6);
    for (Real& v : few.data) v = (Real)rng.normal();
    std::vector<double> mu, w;
    CHECK(ebm_gaussian_base(few, mu, w) > 0);
    for (int j = 0; j < 6; j++) CHECK((std::isfinite(w[(size_t)j * 6 + j]) && w[(size_t)j * 6 + j] > 0));
    // a base that is not lower triangular is refused
    EBMConfig bad = cfg;
    bad.base_whiten[1] = 0.5;
    EBM b;
    CHECK_THROWS_WITH(ebm_build(b, bad), Catch::Contains("lower triangular"));
}

TEST_CASE("log Z: importance weights, ESS and stability", "[objectives]") {
    const int M = 4;
    const Real E[M] = {Real(1), Real(2), Real(0.5), Real(3)};
    const Real lp[M] = {Real(-1), Real(-0.5), Real(-2), Real(-1)};
    double w[M];
    const LogZ lz = log_partition_is(w, E, lp, M);
    double direct = 0, wsum = 0;
    for (int j = 0; j < M; j++) direct += std::exp(-(double)E[j] - (double)lp[j]) / M, wsum += w[j];
    CHECK(lz.log_z == Approx(std::log(direct)));
    CHECK(wsum == Approx(1.0));
    CHECK(lz.ess > 0);
    CHECK(lz.ess <= 1.0 + 1e-12);
    // energies of −1000: the shifted sum stays finite
    const Real Ebig[M] = {Real(-1000), Real(-1001), Real(-999), Real(-1000)};
    const LogZ big = log_partition_is(w, Ebig, lp, M);
    CHECK(std::isfinite(big.log_z));
    CHECK(big.log_z > 990);
}

// loss(θ) = F̂ + R̂ with the minibatch, the base draws and log Ẑ held fixed
TEST_CASE("theta-step: gradient of F̂ + R̂ through the sampling pass, both proxies", "[objectives][double]") {
    const int D = 2, B = 4, M = 5;
    for (ProxyKind kind : {ProxyKind::ebm, ProxyKind::flow}) {
        INFO("proxy " << proxy_kind_name(kind));
        Flow p = small_flow(D, Act::tanh, 41);
        Proxy q;
        q.kind = kind;
        if (kind == ProxyKind::ebm) q.ebm = small_ebm(D, Act::silu, 42);
        else q.flow = small_flow(D, Act::silu, 43);
        FlowCache pc;
        flow_cache_init(pc, p, M);
        ProxyCache qc;
        proxy_cache_init(qc, q, M);
        JeffreysWork w;
        jeffreys_work_init(w, D, B, M);
        Rng rng(44);
        std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), z = random_vec((size_t)M * D, rng, 1.5);
        const double log_z = 0.7;
        auto loss = [&]() {
            const ThetaTerms t = theta_gradient(p, pc, &q, &qc, x.data(), B, z.data(), M, 1.0, log_z, w);
            return t.F + t.R;
        };
        p.params.zero_grad();
        loss();
        std::vector<Real> analytic = p.params.grad;
        GradCheck g = grad_check(loss, p.params.value.data(), analytic.data(), p.params.size());
        CHECK(g.finite);
        CHECK(g.max_err < TOL);
        // r = 0 is maximum likelihood: F̂ alone
        auto loss_mle = [&]() { return theta_gradient(p, pc, &q, &qc, x.data(), B, z.data(), M, 0.0, log_z, w).F; };
        p.params.zero_grad();
        loss_mle();
        analytic = p.params.grad;
        CHECK(grad_check(loss_mle, p.params.value.data(), analytic.data(), p.params.size()).max_err < TOL);
    }
}

// loss(ψ) = R̂ + λĜ with the samples and their log p held fixed; for the EBM the
// estimate log Ẑ(ψ) is differentiated exactly through the self-normalised weights
TEST_CASE("psi-step: gradient of R̂ + λĜ, both proxies, including log Ẑ", "[objectives][double]") {
    const int D = 2, B = 4, M = 6;
    for (ProxyKind kind : {ProxyKind::ebm, ProxyKind::flow}) {
        for (double lambda : {0.0, 0.5, 3.0}) {
            INFO("proxy " << proxy_kind_name(kind) << ", lambda " << lambda);
            Proxy q;
            q.kind = kind;
            if (kind == ProxyKind::ebm) q.ebm = small_ebm(D, Act::tanh, 51);
            else q.flow = small_flow(D, Act::tanh, 52);
            ProxyCache qc;
            proxy_cache_init(qc, q, M);
            JeffreysWork w;
            jeffreys_work_init(w, D, B, M);
            Rng rng(53);
            std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), xs = random_vec((size_t)M * D, rng, 2.0);
            std::vector<Real> logp_s = random_vec(M, rng, 3.0);
            for (Real& v : logp_s) v -= 2;
            auto loss = [&]() {
                const PsiTerms t = psi_gradient(q, qc, xs.data(), logp_s.data(), M, x.data(), B, lambda, w);
                return t.R + lambda * t.G;
            };
            q.params().zero_grad();
            loss();
            std::vector<Real> analytic = q.params().grad;
            GradCheck g = grad_check(loss, q.params().value.data(), analytic.data(), q.params().size());
            CHECK(g.finite);
            CHECK(g.max_err < TOL);
        }
    }
}

// The samples' contexts: K blocks of m rows, block c at the context of data row c.
static std::vector<Real> block_contexts(const std::vector<Real>& y, int C, int K, int m) {
    std::vector<Real> ys((size_t)K * m * C);
    for (int j = 0; j < K * m; j++)
        for (int k = 0; k < C; k++) ys[(size_t)j * C + k] = y[(size_t)(j / m) * C + k];
    return ys;
}

// Conditional models: K context blocks of m samples each, every block at the context of
// data row c; the EBM's log Ẑ(y_c) per block, differentiated through each block's own
// self-normalised weights.
TEST_CASE("theta-step, conditional: gradient of F̂ + R̂ with contexts, both proxies", "[objectives][double]") {
    const int D = 2, C = 3, B = 4, K = 3, m = 2, M = K * m;
    for (ProxyKind kind : {ProxyKind::ebm, ProxyKind::flow}) {
        INFO("proxy " << proxy_kind_name(kind));
        Flow p = small_flow(D, Act::tanh, 45, C);
        Proxy q;
        q.kind = kind;
        if (kind == ProxyKind::ebm) q.ebm = small_ebm(D, Act::silu, 46, C);
        else q.flow = small_flow(D, Act::silu, 47, C);
        FlowCache pc;
        flow_cache_init(pc, p, M);
        ProxyCache qc;
        proxy_cache_init(qc, q, M);
        JeffreysWork w;
        jeffreys_work_init(w, D, B, M);
        Rng rng(48);
        std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), z = random_vec((size_t)M * D, rng, 1.5);
        std::vector<Real> y = random_vec((size_t)B * C, rng, 2.0), ys = block_contexts(y, C, K, m);
        Contexts ctx;
        ctx.data = y.data(), ctx.samples = ys.data(), ctx.blocks = K;
        auto loss = [&]() {
            const ThetaTerms t = theta_gradient(p, pc, &q, &qc, x.data(), B, z.data(), M, 1.0, 0.3, w, ctx);
            return t.F + t.R;
        };
        p.params.zero_grad();
        loss();
        std::vector<Real> analytic = p.params.grad;
        GradCheck g = grad_check(loss, p.params.value.data(), analytic.data(), p.params.size());
        CHECK(g.finite);
        CHECK(g.max_err < TOL);
    }
}

TEST_CASE("psi-step, conditional: gradient of R̂ + λĜ through per-context log Ẑ, both proxies",
          "[objectives][double]") {
    const int D = 2, C = 2, B = 5, K = 3, m = 4, M = K * m;
    for (ProxyKind kind : {ProxyKind::ebm, ProxyKind::flow}) {
        for (double lambda : {0.0, 0.5, 3.0}) {
            INFO("proxy " << proxy_kind_name(kind) << ", lambda " << lambda);
            Proxy q;
            q.kind = kind;
            if (kind == ProxyKind::ebm) q.ebm = small_ebm(D, Act::tanh, 55, C);
            else q.flow = small_flow(D, Act::tanh, 56, C);
            ProxyCache qc;
            proxy_cache_init(qc, q, M);
            JeffreysWork w;
            jeffreys_work_init(w, D, B, M);
            Rng rng(57);
            std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), xs = random_vec((size_t)M * D, rng, 2.0);
            std::vector<Real> y = random_vec((size_t)B * C, rng, 2.0), ys = block_contexts(y, C, K, m);
            std::vector<Real> logp_s = random_vec(M, rng, 3.0);
            Contexts ctx;
            ctx.data = y.data(), ctx.samples = ys.data(), ctx.blocks = K;
            auto loss = [&]() {
                const PsiTerms t = psi_gradient(q, qc, xs.data(), logp_s.data(), M, x.data(), B, lambda, w,
                                                nullptr, nullptr, 0, ctx);
                return t.R + lambda * t.G;
            };
            q.params().zero_grad();
            const PsiTerms t = psi_gradient(q, qc, xs.data(), logp_s.data(), M, x.data(), B, lambda, w, nullptr,
                                            nullptr, 0, ctx);
            std::vector<Real> analytic = q.params().grad;
            GradCheck g = grad_check(loss, q.params().value.data(), analytic.data(), q.params().size());
            CHECK(g.finite);
            CHECK(g.max_err < TOL);
            if (kind == ProxyKind::ebm) {
                // log Ẑ is the mean of the blocks' own estimates, each from its m samples alone
                double mean = 0;
                std::vector<Real> E(M);
                std::vector<double> wb(m);
                ebm_energy(E.data(), xs.data(), q.ebm, qc.ebm, M, ys.data());
                for (int c = 0; c < K; c++)
                    mean += log_partition_is(wb.data(), E.data() + c * m, logp_s.data() + c * m, m).log_z / K;
                CHECK(t.log_z == Approx(mean).epsilon(1e-12));
                CHECK(w.log_zc[0] != Approx(w.log_zc[1]).epsilon(1e-6));  // contexts differ, so do their Ẑ
            }
        }
    }
}

// The ψ-step of an EBM with a Gaussian base: log Ẑ from draws of the base (held fixed)
TEST_CASE("psi-step: gradient of R̂ + λĜ with log Ẑ from the Gaussian base's draws", "[objectives][double]") {
    const int B = 6, M = 5, Mb = 7, D = 3;
    EBMConfig cfg;
    cfg.dim = D, cfg.hidden = 5, cfg.depth = 2, cfg.act = Act::silu, cfg.sigma0 = 1.2;
    Rng rng(71);
    random_gaussian_base(cfg, rng);
    Proxy q;
    q.kind = ProxyKind::ebm;
    ebm_build(q.ebm, cfg);
    ProxyCache qc;
    proxy_cache_init(qc, q, 8);
    JeffreysWork w;
    jeffreys_work_init(w, D, B, 8);
    std::vector<Real> xs = random_vec((size_t)M * D, rng, 1.5), x = random_vec((size_t)B * D, rng, 1.5);
    std::vector<Real> logp_s = random_vec(M, rng, 2.0), z = random_vec((size_t)Mb * D, rng), ys((size_t)Mb * D), lb(Mb);
    ebm_base_sample(ys.data(), lb.data(), z.data(), q.ebm, Mb);
    // a new EBM is its base: every log-weight is log Z_b, so log Ẑ is exact and the ESS is 1
    {
        Rng init(3);
        ebm_init(q.ebm, init);
        const PsiTerms t = psi_gradient(q, qc, xs.data(), logp_s.data(), M, x.data(), B, 0.5, w, ys.data(), lb.data(), Mb);
        double log_det_w = 0;
        for (int j = 0; j < D; j++) log_det_w += std::log(cfg.base_whiten[(size_t)j * D + j]);
        CHECK(t.log_z == Approx(0.5 * D * std::log(2 * M_PI) + D * std::log(cfg.sigma0) - log_det_w).epsilon(1e-12));
        CHECK(t.ess == Approx(1.0).epsilon(1e-12));
    }
    mlp_init(q.ebm.net, q.ebm.params, rng, LastLayer::random);
    for (double lambda : {0.0, 0.7}) {
        auto loss = [&]() {
            const PsiTerms t =
                psi_gradient(q, qc, xs.data(), logp_s.data(), M, x.data(), B, lambda, w, ys.data(), lb.data(), Mb);
            return t.R + lambda * t.G;
        };
        q.params().zero_grad();
        loss();
        std::vector<Real> analytic = q.params().grad;
        GradCheck g = grad_check(loss, q.params().value.data(), analytic.data(), q.params().size());
        CHECK(g.finite);
        CHECK(g.max_err < TOL);
    }
}

// An affine flow: every conditioner outputs constants (zero weights), so with the plain
// exp scale each layer is x_b = (z_b − t) e^{−s}: a diagonal Gaussian N(μ, σ²) with
// σ_b = e^{−s} and μ_b = −t e^{−s}. Layer 0 transforms coordinate 1, layer 1 coordinate 0.
static Flow gaussian_flow(double mu0, double sd0, double mu1, double sd1) {
    FlowConfig cfg;
    cfg.dim = 2, cfg.layers = 2, cfg.hidden = 2, cfg.depth = 1, cfg.scale = Scale::exp;
    Flow f;
    flow_build(f, cfg);  // all parameters zero
    auto set = [&](int k, double mu, double sd) {
        const Linear& last = f.couplings[k].net.layers.back();
        Real* b = f.params.v(last.b);
        b[0] = (Real)(-std::log(sd));  // s
        b[1] = (Real)(-mu / sd);       // t, so that −t e^{−s} = μ
    };
    set(1, mu0, sd0);
    set(0, mu1, sd1);
    return f;
}

static double kl_gauss(const double* mp, const double* sp, const double* mq, const double* sq) {
    double kl = 0;
    for (int d = 0; d < 2; d++)
        kl += std::log(sq[d] / sp[d]) + (sp[d] * sp[d] + (mp[d] - mq[d]) * (mp[d] - mq[d])) / (2 * sq[d] * sq[d]) - 0.5;
    return kl;
}

TEST_CASE("estimators: R̂ matches the closed-form KL between Gaussians", "[objectives][heavy]") {
    const int M = 100000, B = 1;
    const double mp[2] = {0.5, -1.0}, sp[2] = {0.8, 1.3}, mq[2] = {-0.2, 0.4}, sq[2] = {1.5, 0.9};
    Flow p = gaussian_flow(mp[0], sp[0], mp[1], sp[1]);
    Rng rng(61);
    std::vector<Real> z((size_t)M * 2), x(2, Real(0));
    for (Real& v : z) v = (Real)rng.normal();
    FlowCache pc;
    flow_cache_init(pc, p, M);
    JeffreysWork w;
    jeffreys_work_init(w, 2, B, M);

    SECTION("flow proxy: exact log q") {
        Proxy q;
        q.kind = ProxyKind::flow;
        q.flow = gaussian_flow(mq[0], sq[0], mq[1], sq[1]);
        ProxyCache qc;
        proxy_cache_init(qc, q, M);
        const ThetaTerms t = theta_gradient(p, pc, &q, &qc, x.data(), B, z.data(), M, 1.0, 0.0, w);
        // Monte-Carlo standard error of the mean log-ratio, from the same samples
        double m1 = 0, m2 = 0;
        for (int j = 0; j < M; j++) {
            const double d = (double)w.logp[j] - (double)w.q[j];
            m1 += d, m2 += d * d;
        }
        m1 /= M, m2 /= M;
        const double se = std::sqrt((m2 - m1 * m1) / M);
        const double exact = kl_gauss(mp, sp, mq, sq);
        CHECK(std::fabs(t.R - exact) < 4 * se);
        CHECK(se < 0.01);
    }
    SECTION("EBM proxy with f = 0: q = N(0, σ₀² I), log Z known and estimated") {
        Proxy q;
        q.kind = ProxyKind::ebm;
        EBMConfig cfg;
        cfg.dim = 2, cfg.sigma0 = 0.7;  // narrower than p, so p is a sound proposal
        ebm_build(q.ebm, cfg);          // f ≡ 0
        ProxyCache qc;
        proxy_cache_init(qc, q, M);
        const double log_z = std::log(2 * M_PI * cfg.sigma0 * cfg.sigma0);  // ∫ exp(−‖x‖²/2σ₀²) dx in 2-D
        const ThetaTerms t = theta_gradient(p, pc, &q, &qc, x.data(), B, z.data(), M, 1.0, log_z, w);
        const double m0[2] = {0, 0}, s0[2] = {cfg.sigma0, cfg.sigma0};
        CHECK(std::fabs(t.R - kl_gauss(mp, sp, m0, s0)) < 0.02);
        // the importance-sampling estimate of log Z with p as proposal
        flow_sample(w.xs.ptr(), w.logp.data(), z.data(), p, pc, M);
        ebm_energy(w.q.data(), w.xs.ptr(), q.ebm, qc.ebm, M);
        const LogZ lz = log_partition_is(w.w.data(), w.q.data(), w.logp.data(), M);
        INFO("log Z " << log_z << ", IS " << lz.log_z << ", ESS " << lz.ess);
        CHECK(lz.ess > 0.1);
        CHECK(std::fabs(lz.log_z - log_z) < 4.0 / std::sqrt(lz.ess * M));
    }
}

TEST_CASE("estimators: log Ẑ of a 2-D EBM matches quadrature on a grid", "[objectives]") {
    EBM e = small_ebm(2, Act::silu, 71);
    for (Real& v : e.params.value) v *= (Real)1.5;  // a clearly non-Gaussian energy
    // quadrature: midpoint rule on [−L, L]², far into the Gaussian tail of exp(−‖x‖²/2σ₀²)
    const int n = 600;
    const double L = 14, h = 2 * L / n;
    EBMCache c;
    ebm_cache_init(c, e, n);
    std::vector<Real> row((size_t)n * 2), E(n);
    double zsum = 0, emin = INFINITY;
    std::vector<double> all((size_t)n * n);
    for (int a = 0; a < n; a++) {
        for (int b = 0; b < n; b++) row[2 * b] = (Real)(-L + (a + 0.5) * h), row[2 * b + 1] = (Real)(-L + (b + 0.5) * h);
        ebm_energy(E.data(), row.data(), e, c, n);
        for (int b = 0; b < n; b++) all[(size_t)a * n + b] = E[b], emin = std::fmin(emin, (double)E[b]);
    }
    for (double v : all) zsum += std::exp(-(v - emin));
    const double log_z_grid = -emin + std::log(zsum * h * h);
    // importance sampling with a wide Gaussian proposal (an affine flow, σ = 2.5)
    const int M = 200000;
    Flow p = gaussian_flow(0, 2.5, 0, 2.5);
    FlowCache pc;
    flow_cache_init(pc, p, M);
    EBMCache ec;
    ebm_cache_init(ec, e, M);
    Rng rng(72);
    std::vector<Real> z((size_t)M * 2), xs((size_t)M * 2), lp(M), Es(M);
    for (Real& v : z) v = (Real)rng.normal();
    flow_sample(xs.data(), lp.data(), z.data(), p, pc, M);
    ebm_energy(Es.data(), xs.data(), e, ec, M);
    std::vector<double> w(M);
    const LogZ lz = log_partition_is(w.data(), Es.data(), lp.data(), M);
    INFO("grid " << log_z_grid << ", IS " << lz.log_z << ", ESS " << lz.ess);
    CHECK(lz.ess > 0.05);
    CHECK(std::fabs(lz.log_z - log_z_grid) < 3.0 / std::sqrt(lz.ess * M) + 1e-3);
}
