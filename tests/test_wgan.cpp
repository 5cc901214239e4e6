// test_wgan.cpp — the critic's input gradient and its double backprop (nn/mlp_grad.h),
// and the WGAN-GP critic and generator gradients (objectives/wgan.h), all against
// central differences in double; weight clipping and the configuration checks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "gradcheck.h"
#include "objectives/wgan.h"
#include "tensor/error.h"
#include "tensor/rng.h"

static const double TOL = 1e-6;

// A scalar MLP (in → H → … → 1) with random weights scaled by 1.5, so that pre-activations
// reach the curved part of tanh and silu and the act″ terms are far from negligible.
struct ScalarMLP {
    Params p;
    MLP m;
};

static void make_scalar_mlp(ScalarMLP& s, int in, int H, int depth, Act act, uint64_t seed) {
    mlp_declare(s.m, s.p, "net", in, H, 1, depth, act);
    s.p.allocate();
    Rng rng(seed);
    mlp_init(s.m, s.p, rng, LastLayer::random);
    for (Real& v : s.p.value) v *= (Real)1.5;
}

// The same for a Critic (objectives/wgan.h).
static void make_critic(Critic& c, int D, int H, int depth, Act act, uint64_t seed) {
    CriticConfig cfg;
    cfg.dim = D;
    cfg.hidden = H;
    cfg.depth = depth;
    cfg.act = act;
    critic_build(c, cfg);
    Rng rng(seed);
    critic_init(c, rng);
    for (Real& v : c.params.value) v *= (Real)1.5;
}

static Kinks kinks_of(Act a) { return a == Act::relu ? Kinks::skip : Kinks::forbid; }

// loss = Σ_i D(x_i): its gradient with respect to row i of x is g_i = ∇ₓ D(x_i)
TEST_CASE("mlp_grad: the input gradient g = ∇ₓD matches central differences of D", "[wgan][mlp_grad][double]") {
    const int B = 5, D = 3, H = 6;
    for (Act act : {Act::relu, Act::tanh, Act::silu}) for (int depth : {1, 2, 3}) {
        INFO("activation " << act_name(act) << ", depth " << depth);
        ScalarMLP nn;
        make_scalar_mlp(nn, D, H, depth, act, 20 + depth);
        MLPCache c;
        MLPGradCache gc;
        mlp_cache_init(c, nn.m, B);
        mlp_grad_cache_init(gc, nn.m, B);
        Rng rng(21);
        std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), y(B), g((size_t)B * D);
        auto loss = [&]() {
            mlp_forward(y.data(), x.data(), nn.m, nn.p, c, B);
            double s = 0;
            for (int i = 0; i < B; i++) s += (double)y[i];
            return s;
        };
        loss();
        mlp_input_grad(g.data(), x.data(), nn.m, nn.p, c, gc, B);
        GradCheck gx = grad_check(loss, x.data(), g.data(), x.size(), kinks_of(act));
        CHECK(gx.finite);
        CHECK(gx.max_err < TOL);
        CHECK(gx.skipped_kinks == 0);
        for (Real v : nn.p.grad) CHECK(v == 0);  // the g-pass reads the weights only
    }
}

// loss = Σ w ⊙ dy ⊙ act′(x): its x-gradient is w ⊙ dy ⊙ act″(x)
TEST_CASE("mlp_grad: second derivatives of relu, tanh, silu match central differences", "[wgan][mlp_grad][double]") {
    const int n = 64;
    Rng rng(22);
    for (Act a : {Act::relu, Act::tanh, Act::silu}) {
        INFO("activation " << act_name(a));
        std::vector<Real> x = random_vec(n, rng, 3.0), w = random_vec(n, rng), dy = random_vec(n, rng);
        std::vector<Real> y(n), out(n), dx(n);
        auto loss = [&]() {
            act_forward(y.data(), x.data(), n, a);
            act_backward(out.data(), dy.data(), x.data(), y.data(), n, a);
            double s = 0;
            for (int i = 0; i < n; i++) s += (double)w[i] * out[i];
            return s;
        };
        loss();
        act_second_backward(dx.data(), w.data(), dy.data(), x.data(), y.data(), n, a);
        GradCheck g = grad_check(loss, x.data(), dx.data(), n, kinks_of(a));
        CHECK(g.finite);
        CHECK(g.skipped_kinks == 0);  // no input lies within h of relu's kink
        CHECK(g.max_err < TOL);
    }
}

// loss = Σ dg ⊙ g(x; w): the double backprop, with respect to every weight and to x
TEST_CASE("mlp_grad: double backprop of Σ dg ⊙ g w.r.t. every weight and the input", "[wgan][mlp_grad][double]") {
    const int B = 5, D = 3, H = 6;
    for (Act act : {Act::relu, Act::tanh, Act::silu}) for (int depth : {1, 2, 3}) {
        INFO("activation " << act_name(act) << ", depth " << depth);
        ScalarMLP nn;
        make_scalar_mlp(nn, D, H, depth, act, 30 + depth);
        MLPCache c;
        MLPGradCache gc;
        mlp_cache_init(c, nn.m, B);
        mlp_grad_cache_init(gc, nn.m, B);
        Rng rng(31);
        std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), dg = random_vec((size_t)B * D, rng);
        std::vector<Real> y(B), g((size_t)B * D), dx((size_t)B * D);
        auto loss = [&]() {
            mlp_forward(y.data(), x.data(), nn.m, nn.p, c, B);
            mlp_input_grad(g.data(), x.data(), nn.m, nn.p, c, gc, B);
            double s = 0;
            for (size_t i = 0; i < g.size(); i++) s += (double)dg[i] * g[i];
            return s;
        };
        loss();
        nn.p.zero_grad();
        mlp_input_grad_backward(dx.data(), dg.data(), x.data(), nn.m, nn.p, c, gc, B);
        const size_t n = nn.p.size();
        GradCheck gp = grad_check(loss, nn.p.value.data(), nn.p.grad.data(), n, kinks_of(act));
        GradCheck gx = grad_check(loss, x.data(), dx.data(), x.size(), kinks_of(act));
        CHECK(gp.finite);
        CHECK(gx.finite);
        CHECK(gp.max_err < TOL);
        CHECK(gx.max_err < TOL);
        CHECK(gp.skipped_kinks * 20 <= n);
        CHECK(gp.checked + gp.skipped_kinks == n);
        if (act != Act::relu) CHECK(gx.checked == x.size());
        CHECK(directional_check(loss, nn.p.value.data(), nn.p.grad.data(), n, 32) < TOL);
    }
}

// For one hidden layer, D = w₁·act(W₀x + b₀) + b₁, g = W₀ᵀ (w₁ ⊙ act′(u)), u = W₀x + b₀, and
// S = Σ_i dg_i · g_i has the closed-form gradient (r_i = W₀ dg_i):
//   ∂S/∂W₀[o][k] = Σ_i w₁[o] (act′(u_io) dg_ik + act″(u_io) r_io x_ik)
//   ∂S/∂b₀[o]    = Σ_i w₁[o] act″(u_io) r_io          (all of it through act″)
//   ∂S/∂w₁[o]    = Σ_i act′(u_io) r_io,   ∂S/∂b₁ = 0
// With the true tanh″ it equals the library's double backprop; with a wrong tanh″ the
// central-difference check must fail.
TEST_CASE("mlp_grad: a wrong second derivative fails the check", "[wgan][mlp_grad][double]") {
    const int B = 4, D = 3, H = 5;
    ScalarMLP nn;
    make_scalar_mlp(nn, D, H, 1, Act::tanh, 40);
    MLPCache c;
    MLPGradCache gc;
    mlp_cache_init(c, nn.m, B);
    mlp_grad_cache_init(gc, nn.m, B);
    Rng rng(41);
    std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), dg = random_vec((size_t)B * D, rng);
    std::vector<Real> y(B), g((size_t)B * D);
    auto loss = [&]() {
        mlp_forward(y.data(), x.data(), nn.m, nn.p, c, B);
        mlp_input_grad(g.data(), x.data(), nn.m, nn.p, c, gc, B);
        double s = 0;
        for (size_t i = 0; i < g.size(); i++) s += (double)dg[i] * g[i];
        return s;
    };
    loss();
    nn.p.zero_grad();
    mlp_input_grad_backward(nullptr, dg.data(), x.data(), nn.m, nn.p, c, gc, B);
    const size_t n = nn.p.size();
    REQUIRE(grad_check(loss, nn.p.value.data(), nn.p.grad.data(), n).max_err < TOL);

    const Linear& L0 = nn.m.layers[0];
    const Linear& L1 = nn.m.layers[1];
    // the closed form above, with tanh″(u) given as a function of y = tanh(u)
    auto closed_form = [&](double (*tanh2)(double t)) {
        std::vector<double> grad(n, 0.0);
        const Real* W0 = nn.p.v(L0.W);
        const Real* b0 = nn.p.v(L0.b);
        const Real* w1 = nn.p.v(L1.W);
        for (int i = 0; i < B; i++) for (int o = 0; o < H; o++) {
            double u = b0[o], r = 0;
            for (int k = 0; k < D; k++) {
                u += (double)W0[o * D + k] * x[i * D + k];
                r += (double)W0[o * D + k] * dg[i * D + k];
            }
            const double t = std::tanh(u), d1 = 1 - t * t, d2 = tanh2(t);
            for (int k = 0; k < D; k++)
                grad[L0.W + o * D + k] += w1[o] * (d1 * dg[i * D + k] + d2 * r * x[i * D + k]);
            grad[L0.b + o] += w1[o] * d2 * r;
            grad[L1.W + o] += d1 * r;
        }
        return std::vector<Real>(grad.begin(), grad.end());
    };
    std::vector<Real> right = closed_form([](double t) { return -2 * t * (1 - t * t); });
    for (size_t i = 0; i < n; i++) CHECK(right[i] == Approx(nn.p.grad[i]).epsilon(1e-12).margin(1e-14));
    CHECK(grad_check(loss, nn.p.value.data(), right.data(), n).max_err < TOL);

    // tanh″ with the square forgotten, with the sign flipped, and forgotten altogether
    std::vector<Real> slip = closed_form([](double t) { return -2 * t * (1 - t); });
    std::vector<Real> sign = closed_form([](double t) { return 2 * t * (1 - t * t); });
    std::vector<Real> none = closed_form([](double) { return 0.0; });
    for (const std::vector<Real>* wrong : {&slip, &sign, &none}) {
        GradCheck bad = grad_check(loss, nn.p.value.data(), wrong->data(), n);
        CHECK(bad.max_err > 1e3 * TOL);
        CHECK(bad.worst < L1.W);  // caught in layer 0, the only one whose gradient has act″
        CHECK(directional_check(loss, nn.p.value.data(), wrong->data(), n, 42) > TOL);
    }
}

TEST_CASE("mlp_grad: the input gradient needs a scalar MLP", "[wgan][mlp_grad]") {
    Params p;
    MLP m;
    mlp_declare(m, p, "net", 2, 4, 3, 1, Act::tanh);
    MLPGradCache gc;
    CHECK_THROWS_AS(mlp_grad_cache_init(gc, m, 4), symkl::Error);
}

// L_D recomputed from its definition out of the (separately checked) primitives.
struct CriticLossRef {
    std::vector<Real> y, xhat, g;
    double operator()(const Critic& cr, MLPCache& c, MLPGradCache& gc, const std::vector<Real>& x,
                      const std::vector<Real>& xf, const std::vector<Real>& eps, double gamma, int B, int M) {
        const int D = cr.cfg.dim, K = std::min(B, M);
        y.resize((size_t)std::max(B, M));
        xhat.resize((size_t)K * D);
        g.resize((size_t)K * D);
        double real = 0, fake = 0, pen = 0;
        mlp_forward(y.data(), x.data(), cr.net, cr.params, c, B);
        for (int i = 0; i < B; i++) real += (double)y[i] / B;
        mlp_forward(y.data(), xf.data(), cr.net, cr.params, c, M);
        for (int j = 0; j < M; j++) fake += (double)y[j] / M;
        for (int k = 0; k < K; k++)
            for (int j = 0; j < D; j++)
                xhat[k * D + j] = eps[k] * x[k * D + j] + (1 - eps[k]) * xf[k * D + j];
        mlp_forward(y.data(), xhat.data(), cr.net, cr.params, c, K);
        mlp_input_grad(g.data(), xhat.data(), cr.net, cr.params, c, gc, K);
        for (int k = 0; k < K; k++) {
            double sq = GP_NORM_DELTA * GP_NORM_DELTA;
            for (int j = 0; j < D; j++) sq += (double)g[k * D + j] * g[k * D + j];
            pen += (std::sqrt(sq) - 1) * (std::sqrt(sq) - 1) / K;
        }
        return fake - real + gamma * pen;
    }
};

TEST_CASE("wgan: critic loss L_D gradient w.r.t. every critic weight (draws fixed)", "[wgan][double]") {
    const int D = 3, H = 6;
    for (Act act : {Act::relu, Act::tanh, Act::silu})
    for (auto BM : {std::pair<int, int>{5, 4}, std::pair<int, int>{4, 6}}) for (double gamma : {10.0, 0.0}) {
        const int B = BM.first, M = BM.second, K = std::min(B, M);
        INFO("activation " << act_name(act) << ", B " << B << ", M " << M << ", gamma " << gamma);
        Critic cr;
        make_critic(cr, D, H, 2, act, 50);
        WganCache wc;
        wgan_cache_init(wc, cr, std::max(B, M));
        Rng rng(51);
        std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), xf = random_vec((size_t)M * D, rng, 2.0);
        std::vector<Real> eps(K);
        for (Real& e : eps) e = (Real)rng.uniform();
        MLPCache c;
        MLPGradCache gc;
        mlp_cache_init(c, cr.net, std::max(B, M));
        mlp_grad_cache_init(gc, cr.net, std::max(B, M));
        CriticLossRef ref;
        auto loss = [&]() { return ref(cr, c, gc, x, xf, eps, gamma, B, M); };

        cr.params.zero_grad();
        const CriticLoss parts = wgan_critic_grad(x.data(), xf.data(), eps.data(), gamma, cr, wc, B, M);
        CHECK(parts.critic_loss == Approx(loss()).epsilon(1e-12));
        CHECK(parts.critic_loss == Approx(-parts.wasserstein + gamma * parts.gp).epsilon(1e-12));
        CHECK(parts.gp > 0);
        const size_t n = cr.params.size();
        GradCheck gp = grad_check(loss, cr.params.value.data(), cr.params.grad.data(), n, kinks_of(act));
        CHECK(gp.finite);
        CHECK(gp.max_err < TOL);
        CHECK(gp.skipped_kinks * 20 <= n);
        CHECK(directional_check(loss, cr.params.value.data(), cr.params.grad.data(), n, 52) < TOL);
    }
}

// A critic whose last layer is zero has g = 0 at every point: the norm's kink. The smoothed
// norm ‖g‖_δ has gradient g/‖g‖_δ = 0 there, so the gradient is finite and correct.
TEST_CASE("wgan: the penalty is finite and differentiable where ∇ₓD = 0", "[wgan][double]") {
    const int B = 4, M = 4, D = 2, H = 5;
    for (Act act : {Act::tanh, Act::silu}) {
        INFO("activation " << act_name(act));
        Critic cr;
        make_critic(cr, D, H, 2, act, 60);
        linear_init_zero(cr.net.layers.back(), cr.params);
        WganCache wc;
        wgan_cache_init(wc, cr, B);
        Rng rng(61);
        std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), xf = random_vec((size_t)M * D, rng, 2.0);
        std::vector<Real> eps(B);
        for (Real& e : eps) e = (Real)rng.uniform();
        MLPCache c;
        MLPGradCache gc;
        mlp_cache_init(c, cr.net, B);
        mlp_grad_cache_init(gc, cr.net, B);
        CriticLossRef ref;
        auto loss = [&]() { return ref(cr, c, gc, x, xf, eps, 10.0, B, M); };
        cr.params.zero_grad();
        const CriticLoss parts = wgan_critic_grad(x.data(), xf.data(), eps.data(), 10.0, cr, wc, B, M);
        CHECK(parts.gp == Approx((1 - GP_NORM_DELTA) * (1 - GP_NORM_DELTA)).epsilon(1e-12));
        for (int k = 0; k < B * D; k++) CHECK(wc.g.ptr()[k] == 0);
        GradCheck gp = grad_check(loss, cr.params.value.data(), cr.params.grad.data(), cr.params.size());
        CHECK(gp.finite);
        CHECK(gp.max_err < TOL);
    }
}

// L_G = −(1/M) Σ_j D(T_θ(z_j)) through the flow's sampling pass, z held fixed
TEST_CASE("wgan: generator gradient w.r.t. every flow parameter through sampling", "[wgan][double]") {
    const int M = 4;
    for (int D : {2, 3}) for (Act act : {Act::relu, Act::tanh, Act::silu}) {
        INFO("D " << D << ", critic activation " << act_name(act));
        FlowConfig fcfg;
        fcfg.dim = D;
        fcfg.layers = 3;
        fcfg.hidden = 6;
        fcfg.depth = 2;
        fcfg.act = Act::tanh;
        Flow f;
        flow_build(f, fcfg);
        Rng rng(70 + D);
        for (const Coupling& cp : f.couplings) mlp_init(cp.net, f.params, rng, LastLayer::random);
        FlowCache fc;
        flow_cache_init(fc, f, M);
        Critic cr;
        make_critic(cr, D, 6, 2, act, 71);
        WganCache wc;
        wgan_cache_init(wc, cr, M);
        std::vector<Real> z = random_vec((size_t)M * D, rng, 2.0), xs((size_t)M * D), lp(M), y(M);
        MLPCache c;
        mlp_cache_init(c, cr.net, M);
        auto loss = [&]() {
            flow_sample(xs.data(), lp.data(), z.data(), f, fc, M);
            mlp_forward(y.data(), xs.data(), cr.net, cr.params, c, M);
            double s = 0;
            for (int j = 0; j < M; j++) s -= (double)y[j] / M;
            return s;
        };
        f.params.zero_grad();
        const double lg = wgan_generator_grad(z.data(), f, fc, cr, wc, M);
        CHECK(lg == Approx(loss()).epsilon(1e-12));
        for (Real v : cr.params.grad) CHECK(v == 0);  // the critic is only read
        const size_t n = f.params.size();
        GradCheck gp = grad_check(loss, f.params.value.data(), f.params.grad.data(), n, kinks_of(act));
        CHECK(gp.finite);
        CHECK(gp.max_err < TOL);
        CHECK(gp.skipped_kinks * 20 <= n);
        CHECK(directional_check(loss, f.params.value.data(), f.params.grad.data(), n, 72) < TOL);
    }
}

// D(x) = a · x built from relu units (relu(x_j) − relu(−x_j) = x_j) with ‖a‖ = 1: the
// gradient is a everywhere, the penalty is 0 and the Wasserstein estimate is a · (x̄ − x̃̄).
TEST_CASE("wgan: a linear 1-Lipschitz critic has no penalty and the exact mean difference", "[wgan]") {
    const int B = 6, M = 5, D = 2;
    Critic cr;
    CriticConfig cfg;
    cfg.dim = D;
    cfg.hidden = 4;
    cfg.depth = 1;
    cfg.act = Act::relu;
    critic_build(cr, cfg);
    const Real a[2] = {Real(0.6), Real(-0.8)};
    const Linear& L0 = cr.net.layers[0];
    const Linear& L1 = cr.net.layers[1];
    const Real W0[8] = {1, 0, 0, 1, -1, 0, 0, -1};
    for (int i = 0; i < 8; i++) cr.params.v(L0.W)[i] = W0[i];
    const Real w1[4] = {a[0], a[1], -a[0], -a[1]};
    for (int i = 0; i < 4; i++) cr.params.v(L1.W)[i] = w1[i];
    cr.params.v(L1.b)[0] = Real(0.3);  // a constant shift cancels in the mean difference
    WganCache wc;
    wgan_cache_init(wc, cr, B);
    Rng rng(80);
    std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), xf = random_vec((size_t)M * D, rng, 2.0);
    std::vector<Real> eps(M);
    for (Real& e : eps) e = (Real)rng.uniform();
    cr.params.zero_grad();
    const CriticLoss parts = wgan_critic_grad(x.data(), xf.data(), eps.data(), 10.0, cr, wc, B, M);
    double expect = 0;
    for (int i = 0; i < B; i++) expect += (a[0] * x[i * D] + a[1] * x[i * D + 1]) / B;
    for (int j = 0; j < M; j++) expect -= (a[0] * xf[j * D] + a[1] * xf[j * D + 1]) / M;
    CHECK(parts.wasserstein == Approx(expect).epsilon(1e-5));
    CHECK(parts.gp < 1e-10);
    CHECK(parts.critic_loss == Approx(-expect).epsilon(1e-5));
    for (int k = 0; k < M; k++) {
        CHECK(wc.g.at(k, 0) == Approx(a[0]).epsilon(1e-6));
        CHECK(wc.g.at(k, 1) == Approx(a[1]).epsilon(1e-6));
    }
}

TEST_CASE("wgan: weight clipping bounds every weight and leaves the others alone", "[wgan]") {
    Critic cr;
    make_critic(cr, 3, 8, 2, Act::relu, 90);
    for (Real& v : cr.params.value) v *= (Real)3;
    const std::vector<Real> before = cr.params.value;
    const double c = 0.3;
    size_t outside = 0;
    for (Real v : before) outside += std::fabs(v) > (Real)c;
    REQUIRE(outside > 0);
    REQUIRE(outside < before.size());
    CHECK(clip_weights(cr.params, c) == outside);
    for (size_t i = 0; i < before.size(); i++) {
        const Real v = cr.params.value[i];
        CHECK(std::fabs(v) <= (Real)c);
        if (std::fabs(before[i]) <= (Real)c) CHECK(v == before[i]);
        else CHECK(v == (before[i] > 0 ? (Real)c : (Real)-c));
    }
    CHECK(clip_weights(cr.params, c) == 0);  // already inside
    for (Real& v : cr.params.value) v *= (Real)10;
    CHECK(clip_weights(cr.params, 0.0) == 0);  // c = 0: clipping is off
}

TEST_CASE("wgan: defaults and the configuration checks", "[wgan]") {
    WganConfig cfg;
    CHECK(cfg.n_critic == 5);
    CHECK(cfg.gp == 1);
    CHECK(cfg.clip == 0);
    CHECK(cfg.critic_adam.lr == 1e-4);
    CHECK(cfg.critic_adam.beta1 == 0.5);
    CHECK(cfg.critic_adam.beta2 == 0.9);
    CHECK_NOTHROW(wgan_config_check(cfg));
    auto fails_naming = [](WganConfig bad, const std::string& what) {
        try {
            wgan_config_check(bad);
        } catch (const symkl::Error& e) {
            return std::string(e.what()).find(what) != std::string::npos;
        }
        return false;
    };
    WganConfig bad = cfg;
    bad.n_critic = 0;
    CHECK(fails_naming(bad, "--n-critic"));
    bad = cfg;
    bad.gp = -1;
    CHECK(fails_naming(bad, "--gp"));
    bad = cfg;
    bad.clip = -0.1;
    CHECK(fails_naming(bad, "clip"));
    bad = cfg;
    bad.critic_adam.beta2 = 1;
    CHECK(fails_naming(bad, "critic"));
    bad = cfg;
    bad.critic_adam.lr = 0;
    CHECK(fails_naming(bad, "critic"));

    Critic cr;
    CriticConfig ccfg;
    ccfg.depth = 0;
    CHECK_THROWS_WITH(critic_build(cr, ccfg), Catch::Contains("depth"));
}
