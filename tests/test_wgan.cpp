// test_wgan.cpp — the critic's input gradient and its double backprop (nn/mlp_grad.h),
// against central differences in double.
#include <catch2/catch.hpp>

#include <cmath>

#include "gradcheck.h"
#include "nn/mlp_grad.h"
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
