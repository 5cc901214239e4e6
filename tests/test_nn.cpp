// test_nn.cpp — Linear, activations, MLP and Adam: gradients against central differences.
#include <catch2/catch.hpp>

#include <cmath>

#include "gradcheck.h"
#include "nn/adam.h"
#include "nn/mlp.h"
#include "tensor/rng.h"

static const double TOL = 1e-6;

// loss = Σ w ⊙ y for y = x Wᵀ + b; dy = w
TEST_CASE("linear: gradients of W, b and x match central differences", "[nn][double]") {
    const int B = 4, in = 5, out = 3;
    Rng rng(1);
    Params p;
    Linear l;
    linear_declare(l, p, "lin", in, out);
    p.allocate();
    linear_init(l, p, rng);
    std::vector<Real> x = random_vec((size_t)B * in, rng, 2.0), w = random_vec((size_t)B * out, rng);
    std::vector<Real> y((size_t)B * out), dx((size_t)B * in);
    auto loss = [&]() {
        linear_forward(y.data(), x.data(), p.v(l.W), p.v(l.b), B, in, out);
        double s = 0;
        for (size_t i = 0; i < y.size(); i++) s += (double)w[i] * y[i];
        return s;
    };
    loss();
    p.zero_grad();
    linear_backward(dx.data(), p.g(l.W), p.g(l.b), w.data(), x.data(), p.v(l.W), B, in, out);
    GradCheck gp = grad_check(loss, p.value.data(), p.grad.data(), p.size());
    GradCheck gx = grad_check(loss, x.data(), dx.data(), x.size());
    CHECK(gp.finite);
    CHECK(gp.checked == p.size());
    CHECK(gp.max_err < TOL);
    CHECK(gx.max_err < TOL);
}

TEST_CASE("linear: parameter gradients accumulate with +=", "[nn]") {
    const int B = 2, in = 2, out = 2;
    Rng rng(2);
    Params p;
    Linear l;
    linear_declare(l, p, "lin", in, out);
    p.allocate();
    linear_init(l, p, rng);
    std::vector<Real> x = random_vec(B * in, rng), dy = random_vec(B * out, rng);
    linear_backward(nullptr, p.g(l.W), p.g(l.b), dy.data(), x.data(), p.v(l.W), B, in, out);
    std::vector<Real> once = p.grad;
    linear_backward(nullptr, p.g(l.W), p.g(l.b), dy.data(), x.data(), p.v(l.W), B, in, out);
    for (size_t i = 0; i < once.size(); i++) CHECK(p.grad[i] == Approx(2 * once[i]));
}

TEST_CASE("activations: derivatives match central differences", "[nn][double]") {
    const int n = 64;
    Rng rng(3);
    for (Act a : {Act::relu, Act::tanh, Act::silu}) {
        INFO("activation " << act_name(a));
        std::vector<Real> x = random_vec(n, rng, 3.0), w = random_vec(n, rng), y(n), dx(n);
        auto loss = [&]() {
            act_forward(y.data(), x.data(), n, a);
            double s = 0;
            for (int i = 0; i < n; i++) s += (double)w[i] * y[i];
            return s;
        };
        loss();
        act_backward(dx.data(), w.data(), x.data(), y.data(), n, a);
        GradCheck g = grad_check(loss, x.data(), dx.data(), n, a == Act::relu ? Kinks::skip : Kinks::forbid);
        CHECK(g.finite);
        CHECK(g.skipped_kinks == 0);  // no input lies within h of 0
        CHECK(g.max_err < TOL);
    }
}

TEST_CASE("mlp: parameter and input gradients match central differences", "[nn][double]") {
    const int B = 6, in = 3, H = 7, out = 4;
    for (Act a : {Act::relu, Act::tanh, Act::silu}) {
        for (int depth : {1, 2, 3}) {
            INFO("activation " << act_name(a) << ", depth " << depth);
            Rng rng(10 + depth);
            Params p;
            MLP m;
            mlp_declare(m, p, "net", in, H, out, depth, a);
            p.allocate();
            mlp_init(m, p, rng, LastLayer::random);
            MLPCache c;
            mlp_cache_init(c, m, B);
            std::vector<Real> x = random_vec((size_t)B * in, rng, 2.0), w = random_vec((size_t)B * out, rng);
            std::vector<Real> y((size_t)B * out), dx((size_t)B * in);
            auto loss = [&]() {
                mlp_forward(y.data(), x.data(), m, p, c, B);
                double s = 0;
                for (size_t i = 0; i < y.size(); i++) s += (double)w[i] * y[i];
                return s;
            };
            loss();
            p.zero_grad();
            mlp_backward(dx.data(), w.data(), x.data(), m, p, c, B);
            const Kinks k = a == Act::relu ? Kinks::skip : Kinks::forbid;
            GradCheck gp = grad_check(loss, p.value.data(), p.grad.data(), p.size(), k);
            GradCheck gx = grad_check(loss, x.data(), dx.data(), x.size(), k);
            CHECK(gp.finite);
            CHECK(gp.skipped_kinks * 20 <= p.size());
            CHECK(gp.max_err < TOL);
            CHECK(gx.max_err < TOL);
        }
    }
}

TEST_CASE("mlp: zero-initialised last layer outputs exactly zero", "[nn]") {
    Rng rng(4);
    Params p;
    MLP m;
    mlp_declare(m, p, "net", 2, 8, 3, 2, Act::silu);
    p.allocate();
    mlp_init(m, p, rng, LastLayer::zero);
    MLPCache c;
    mlp_cache_init(c, m, 5);
    std::vector<Real> x = random_vec(10, rng, 5.0), y(15, Real(1));
    mlp_forward(y.data(), x.data(), m, p, c, 5);
    for (Real v : y) CHECK(v == 0);
    CHECK(p.info[0].name == "net.0.weight");
    CHECK(p.info[0].shape == std::vector<int>{8, 2});
    CHECK(p.info.back().name == "net.4.bias");
}

// The checker must be able to fail: a gradient with one wrong entry, or scaled by
// 1 + 1e-4, is caught; the correct one passes.
TEST_CASE("gradcheck: a deliberately wrong gradient fails the check", "[gradcheck][double]") {
    const int B = 3, in = 4, out = 2;
    Rng rng(5);
    Params p;
    Linear l;
    linear_declare(l, p, "lin", in, out);
    p.allocate();
    linear_init(l, p, rng);
    std::vector<Real> x = random_vec((size_t)B * in, rng), w = random_vec((size_t)B * out, rng);
    std::vector<Real> y((size_t)B * out);
    auto loss = [&]() {
        linear_forward(y.data(), x.data(), p.v(l.W), p.v(l.b), B, in, out);
        double s = 0;
        for (size_t i = 0; i < y.size(); i++) s += (double)w[i] * y[i];
        return s;
    };
    p.zero_grad();
    linear_backward(nullptr, p.g(l.W), p.g(l.b), w.data(), x.data(), p.v(l.W), B, in, out);
    REQUIRE(grad_check(loss, p.value.data(), p.grad.data(), p.size()).max_err < TOL);

    std::vector<Real> wrong = p.grad;
    wrong[3] += (Real)1e-3;  // one entry off
    GradCheck g1 = grad_check(loss, p.value.data(), wrong.data(), p.size());
    CHECK(g1.max_err > TOL);
    CHECK(g1.worst == 3);

    for (auto& v : wrong = p.grad) v *= (Real)(1 + 1e-4);  // all slightly scaled
    CHECK(grad_check(loss, p.value.data(), wrong.data(), p.size()).max_err > TOL);

    // a forgotten bias gradient (the classic bug) is caught too
    wrong = p.grad;
    for (int o = 0; o < out; o++) wrong[l.b + o] = 0;
    CHECK(grad_check(loss, p.value.data(), wrong.data(), p.size()).max_err > TOL);
    CHECK(directional_check(loss, p.value.data(), wrong.data(), p.size(), 9) > TOL);
}

TEST_CASE("adam: first step moves each parameter by lr against its gradient's sign", "[nn]") {
    Params p;
    p.declare("w", {3});
    p.allocate();
    p.grad = {Real(2), Real(-0.5), Real(0)};
    Adam opt;
    adam_init(opt, AdamConfig{}, p.size());
    adam_step(opt, p);
    // m̂ = g, v̂ = g²  →  step = lr · g / (|g| + eps)
    CHECK(p.value[0] == Approx(-1e-3).epsilon(1e-6));
    CHECK(p.value[1] == Approx(1e-3).epsilon(1e-6));
    CHECK(p.value[2] == 0);
}

TEST_CASE("adam: minimises a quadratic; clipping bounds the gradient norm", "[nn]") {
    Params p;
    p.declare("w", {2});
    p.allocate();
    p.value = {Real(3), Real(-2)};
    Adam opt;
    AdamConfig cfg;
    cfg.lr = 0.05;
    adam_init(opt, cfg, p.size());
    for (int t = 0; t < 2000; t++) {
        for (int i = 0; i < 2; i++) p.grad[i] = 2 * p.value[i];  // ∇ ‖w‖²
        adam_step(opt, p);
    }
    CHECK(std::fabs(p.value[0]) < 1e-2);
    CHECK(std::fabs(p.value[1]) < 1e-2);
    p.grad = {Real(3), Real(4)};
    CHECK(clip_grad_norm(p, 1.0) == Approx(5.0));
    CHECK(grad_norm(p) == Approx(1.0));
}
