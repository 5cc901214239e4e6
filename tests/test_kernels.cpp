// test_kernels.cpp — the blocked matmul kernels against the reference loops of
// src/nn/linear.cpp (linear_forward_naive, linear_backward_dx_naive, linear_backward_dw_naive).
//
// The kernels are called directly (matmul_forward, matmul_backward), so the comparison
// runs in every build, NAIVE=1 included. The shapes are awkward on purpose: sizes 1,
// odd sizes, sizes that are not multiples of the micro-tile (4 × one cache line), of the
// k-block (256) or of the tiles, so that every edge path runs.
//
// Both sides add the same terms in the same order, so where the kernels do not fuse
// multiply-adds (make FMA=0, or a CPU without FMA) they must agree bit for bit. Where
// they fuse, each term is rounded once instead of twice: they must then equal the same
// loops written with std::fma bit for bit (whichever loops the kernels pick for a
// shape), and the reference loops within Σ_k |a_k b_k| (the scale of each sum) times
// 1e-12 in double, 1e-4 in float. A probe product tells which case this CPU is in.
// A second test checks that 1 and 2 threads give the same bits.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "gradcheck.h"
#include "nn/kernels.h"
#include "nn/linear.h"
#include "tensor/parallel.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static const double REL_TOL = sizeof(Real) == sizeof(double) ? 1e-12 : 1e-4;

struct Shape {
    int B, in, out;
};

// Awkward shapes, and one of the model's (B = 300 > 256 rows splits into two row tiles).
// The second line runs each of the narrow loops (kernels.cpp), on full blocks and on
// edges: short sums (in or out ≤ 8), few columns (out or in ≤ 4, dW with out ≥ 64 too),
// few rows (out ≤ 2) and half-line micro-tiles (in or out ≤ 8 columns). The last is a
// dW of 5 rows of tiles (the last 8 rows high), each the whole 200 columns, over two
// k-blocks.
static const Shape SHAPES[] = {{1, 1, 1},      {3, 5, 7},     {17, 33, 19}, {5, 1, 70},    {300, 2, 3},
                               {70, 513, 17},  {257, 300, 20}, {9, 64, 2},  {300, 64, 64}, {4, 16, 16},
                               {131, 1, 67},   {131, 67, 1},  {133, 64, 2}, {77, 3, 131},  {150, 130, 4},
                               {37, 8, 40},    {45, 40, 8},   {300, 7, 6},  {1029, 2, 1},  {64, 1, 200},
                               {300, 200, 520}};

// Whether this CPU's kernels fuse a·b + c into one rounding: (1 + e)(1 − e) = 1 − e² is
// not representable, so b + x·W with b = −1 is 0 when the product is rounded first and
// −e² when it is not.
static bool kernels_fuse() {
    const Real e = std::ldexp(Real(1), -(std::numeric_limits<Real>::digits + 7) / 2);
    const Real x = 1 + e, W = 1 - e, b = -1;
    Real y = 0;
    matmul_forward(&y, nullptr, &x, &W, &b, 1, 1, 1, Act::relu);
    return y != 0;
}

// max over elements of |got − want| / scale (NaN counts as the worst)
static double worst_rel(const std::vector<Real>& got, const std::vector<Real>& want, const std::vector<double>& scale) {
    double worst = 0;
    for (size_t i = 0; i < got.size(); i++) {
        const double err = std::fabs((double)got[i] - (double)want[i]) / std::fmax(scale[i], 1e-300);
        if (!(err <= worst)) worst = err;
    }
    return worst;
}

static bool same_bits(const std::vector<Real>& a, const std::vector<Real>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), sizeof(Real) * a.size()) == 0);
}

TEST_CASE("kernels: forward, dx and dW equal the reference loops on awkward shapes", "[nn][kernels]") {
    const bool fused = kernels_fuse();
    INFO("kernels: " << matmul_version() << (fused ? " (fused multiply-add)" : " (unfused: exact)"));
    Rng rng(11);
    for (const Shape& s : SHAPES) {
        const int B = s.B, in = s.in, out = s.out;
        INFO("B " << B << ", in " << in << ", out " << out);
        std::vector<Real> x = random_vec((size_t)B * in, rng, 2.0), W = random_vec((size_t)out * in, rng),
                          b = random_vec(out, rng), dy = random_vec((size_t)B * out, rng);
        std::vector<Real> dW0 = random_vec((size_t)out * in, rng), db0 = random_vec(out, rng);

        // the reference
        std::vector<Real> y_ref((size_t)B * out), dx_ref((size_t)B * in), dW_ref = dW0, db_ref = db0;
        linear_forward_naive(y_ref.data(), x.data(), W.data(), b.data(), B, in, out);
        linear_backward_dx_naive(dx_ref.data(), dy.data(), W.data(), B, in, out);
        linear_backward_dw_naive(dW_ref.data(), db_ref.data(), dy.data(), x.data(), B, in, out);
        // the kernels
        std::vector<Real> y((size_t)B * out), dx((size_t)B * in), dW = dW0, db = db0;
        matmul_forward(y.data(), nullptr, x.data(), W.data(), b.data(), B, in, out, Act::relu);
        matmul_backward(dx.data(), dW.data(), db.data(), dy.data(), x.data(), W.data(), B, in, out, nullptr,
                        Act::relu);
        if (!fused) {
            CHECK(same_bits(y, y_ref));
            CHECK(same_bits(dx, dx_ref));
            CHECK(same_bits(dW, dW_ref));
        } else {
            // Each element is the reference loops' chain with every step fused: exactly.
            std::vector<Real> y_fma((size_t)B * out), dx_fma((size_t)B * in, 0), dW_fma = dW0;
            for (int i = 0; i < B; i++)
                for (int o = 0; o < out; o++) {
                    Real acc = b[o];
                    for (int k = 0; k < in; k++) acc = std::fma(x[(size_t)i * in + k], W[(size_t)o * in + k], acc);
                    y_fma[(size_t)i * out + o] = acc;
                }
            for (int i = 0; i < B; i++)
                for (int k = 0; k < in; k++) {
                    Real acc = 0;
                    for (int o = 0; o < out; o++) acc = std::fma(dy[(size_t)i * out + o], W[(size_t)o * in + k], acc);
                    dx_fma[(size_t)i * in + k] = acc;
                }
            for (int o = 0; o < out; o++)
                for (int k = 0; k < in; k++) {
                    Real acc = dW0[(size_t)o * in + k];
                    for (int i = 0; i < B; i++) acc = std::fma(dy[(size_t)i * out + o], x[(size_t)i * in + k], acc);
                    dW_fma[(size_t)o * in + k] = acc;
                }
            CHECK(same_bits(y, y_fma));
            CHECK(same_bits(dx, dx_fma));
            CHECK(same_bits(dW, dW_fma));

            // the scale of each sum: Σ |terms| (and |start value|)
            std::vector<double> y_sc((size_t)B * out), dx_sc((size_t)B * in, 0.0), dW_sc((size_t)out * in);
            for (int i = 0; i < B; i++)
                for (int o = 0; o < out; o++) {
                    double sc = std::fabs((double)b[o]);
                    for (int k = 0; k < in; k++) {
                        sc += std::fabs((double)x[(size_t)i * in + k] * W[(size_t)o * in + k]);
                        dx_sc[(size_t)i * in + k] += std::fabs((double)dy[(size_t)i * out + o] * W[(size_t)o * in + k]);
                    }
                    y_sc[(size_t)i * out + o] = sc;
                }
            for (int o = 0; o < out; o++)
                for (int k = 0; k < in; k++) {
                    double sc = std::fabs((double)dW0[(size_t)o * in + k]);
                    for (int i = 0; i < B; i++) sc += std::fabs((double)dy[(size_t)i * out + o] * x[(size_t)i * in + k]);
                    dW_sc[(size_t)o * in + k] = sc;
                }
            CHECK(worst_rel(y, y_ref, y_sc) < REL_TOL);
            CHECK(worst_rel(dx, dx_ref, dx_sc) < REL_TOL);
            CHECK(worst_rel(dW, dW_ref, dW_sc) < REL_TOL);
        }
        // db is a plain sum (no products): the same bits, fused or not
        CHECK(same_bits(db, db_ref));

        // The layer's entry points: the two backward products alone give the combined call's bits.
        std::vector<Real> y1((size_t)B * out), dx1((size_t)B * in), dx2((size_t)B * in), dW1 = dW0, db1 = db0,
                          dW2 = dW0, db2 = db0, dW3 = dW0;
        linear_forward(y1.data(), x.data(), W.data(), b.data(), B, in, out);
        CHECK(same_bits(y1, LINEAR_NAIVE ? y_ref : y));
        linear_backward(dx1.data(), dW1.data(), db1.data(), dy.data(), x.data(), W.data(), B, in, out);
        linear_backward_dx(dx2.data(), dy.data(), W.data(), B, in, out);
        linear_backward_dw(dW2.data(), db2.data(), dy.data(), x.data(), B, in, out);
        linear_backward_dw(dW3.data(), nullptr, dy.data(), x.data(), B, in, out);
        CHECK(same_bits(dx1, dx2));
        CHECK(same_bits(dW1, dW2));
        CHECK(same_bits(db1, db2));
        CHECK(same_bits(dW1, dW3));

        // The fused versions give the separate calls' values bit for bit.
        for (Act a : {Act::relu, Act::tanh, Act::silu}) {
            INFO("activation " << act_name(a));
            std::vector<Real> y2((size_t)B * out), h((size_t)B * out), h_ref((size_t)B * out);
            linear_act_forward(y2.data(), h.data(), x.data(), W.data(), b.data(), B, in, out, a);
            act_forward(h_ref.data(), y1.data(), (long)B * out, a);
            CHECK(same_bits(y2, y1));
            CHECK(same_bits(h, h_ref));
            // in place (h = y: ReLU is applied as the tiles are stored, the others after)
            std::vector<Real> hy((size_t)B * out);
            linear_act_forward(hy.data(), hy.data(), x.data(), W.data(), b.data(), B, in, out, a);
            CHECK(same_bits(hy, h_ref));
            // x = act(pre) as the input: dpre = (dy W) ⊙ act'(pre)
            const std::vector<Real>& pre = x;
            std::vector<Real> post((size_t)B * in), dpre((size_t)B * in), dpre_ref((size_t)B * in);
            act_forward(post.data(), pre.data(), (long)B * in, a);
            std::vector<Real> dWa(dW0.size(), 0), dba(out, 0), dWs(dW0.size(), 0), dbs(out, 0);
            linear_act_backward(dpre.data(), dWa.data(), dba.data(), dy.data(), pre.data(), post.data(), W.data(), B,
                                in, out, a);
            linear_backward(dpre_ref.data(), dWs.data(), dbs.data(), dy.data(), post.data(), W.data(), B, in, out);
            act_backward(dpre_ref.data(), dpre_ref.data(), pre.data(), post.data(), (long)B * in, a);
            CHECK(same_bits(dpre, dpre_ref));
            CHECK(same_bits(dWa, dWs));
            CHECK(same_bits(dba, dbs));
        }
    }
}

TEST_CASE("linear: the reference loops on a product worked by hand", "[nn][kernels]") {
    // x (1, 3), W (2, 3), b (2):  y = x Wᵀ + b
    const Real x[] = {1, 2, 3}, W[] = {1, 0, -1, 2, 1, 0}, b[] = {0.5, -1};
    Real y[2];
    linear_forward_naive(y, x, W, b, 1, 3, 2);
    CHECK(y[0] == Real(-1.5));  // 0.5 + 1 − 3
    CHECK(y[1] == Real(3));     // −1 + 2 + 2
    linear_forward_naive(y, x, W, nullptr, 1, 3, 2);  // no bias
    CHECK(y[0] == Real(-2));
    // dy (1, 2) = [1, −2]:  dx = dy W = [1 − 4, −2, −1],  dW += dyᵀ x,  db += dy
    const Real dy[] = {1, -2};
    Real dx[3], dW[6] = {0, 0, 0, 1, 1, 1}, db[2] = {10, 20};
    linear_backward_dx_naive(dx, dy, W, 1, 3, 2);
    CHECK(dx[0] == Real(-3));
    CHECK(dx[1] == Real(-2));
    CHECK(dx[2] == Real(-1));
    linear_backward_dw_naive(dW, db, dy, x, 1, 3, 2);
    const Real dW_want[] = {1, 2, 3, 1 - 2, 1 - 4, 1 - 6};
    for (int i = 0; i < 6; i++) CHECK(dW[i] == dW_want[i]);
    CHECK(db[0] == Real(11));
    CHECK(db[1] == Real(18));
}

TEST_CASE("kernels: 1 and 2 threads give bit-identical products", "[nn][kernels][determinism]") {
    // big enough for the parallel branch, with edges in every dimension
    const int B = 1031, in = 263, out = 77;
    REQUIRE((long)B * in * out >= PAR_MIN_MACS);
    Rng rng(12);
    std::vector<Real> x = random_vec((size_t)B * in, rng), W = random_vec((size_t)out * in, rng),
                      b = random_vec(out, rng), dy = random_vec((size_t)B * out, rng);
    auto run = [&](int threads) {
#ifdef _OPENMP
        omp_set_num_threads(threads);
#else
        (void)threads;
#endif
        std::vector<Real> r((size_t)B * out + (size_t)B * in + (size_t)out * in + out + (size_t)B * out, 0);
        Real* y = r.data();
        Real* dx = y + (size_t)B * out;
        Real* dW = dx + (size_t)B * in;
        Real* db = dW + (size_t)out * in;
        Real* h = db + out;
        linear_act_forward(y, h, x.data(), W.data(), b.data(), B, in, out, Act::silu);
        linear_backward(dx, dW, db, dy.data(), x.data(), W.data(), B, in, out);
        return r;
    };
#ifdef _OPENMP
    const int saved = omp_get_max_threads();
#endif
    const std::vector<Real> one = run(1), two = run(2);
#ifdef _OPENMP
    omp_set_num_threads(saved);
#endif
    CHECK(std::memcmp(one.data(), two.data(), sizeof(Real) * one.size()) == 0);
}
