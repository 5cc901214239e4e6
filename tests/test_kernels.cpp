// test_kernels.cpp — the blocked matmul kernels against the textbook loops.
//
// The reference is the triple loop in double. The shapes are awkward on purpose:
// sizes 1, odd sizes, sizes that are not multiples of the micro-tile (4 × one cache
// line), of the k-block (256) or of the tiles, so that every edge path runs. The
// error of each element is measured against Σ_k |a_k b_k| (the scale of its sum),
// the natural bound for a sum computed in another order: below 1e-12 in double
// (1e-4 in float, where the reference itself is more precise than the kernel).
// A second test checks that 1 and 2 threads give the same bits.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
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
static const Shape SHAPES[] = {{1, 1, 1},    {3, 5, 7},    {17, 33, 19}, {5, 1, 70},   {300, 2, 3},
                               {70, 513, 17}, {257, 300, 20}, {9, 64, 2}, {300, 64, 64}, {4, 16, 16}};

// |got − want| / scale for every element; returns the worst.
static double worst_rel(const std::vector<Real>& got, const std::vector<double>& want,
                        const std::vector<double>& scale) {
    double worst = 0;
    for (size_t i = 0; i < got.size(); i++) {
        const double err = std::fabs((double)got[i] - want[i]) / std::fmax(scale[i], 1e-300);
        if (!(err <= worst)) worst = err;  // NaN counts as the worst
    }
    return worst;
}

TEST_CASE("kernels: forward, dx and dW agree with the naive loops on awkward shapes", "[nn][kernels]") {
    Rng rng(11);
    for (const Shape& s : SHAPES) {
        const int B = s.B, in = s.in, out = s.out;
        INFO("B " << B << ", in " << in << ", out " << out);
        std::vector<Real> x = random_vec((size_t)B * in, rng, 2.0), W = random_vec((size_t)out * in, rng),
                          b = random_vec(out, rng), dy = random_vec((size_t)B * out, rng);
        std::vector<Real> dW0 = random_vec((size_t)out * in, rng), db0 = random_vec(out, rng);

        // y[i][o] = b[o] + Σ_k x[i][k] W[o][k]
        std::vector<double> y_ref((size_t)B * out), y_scale((size_t)B * out);
        for (int i = 0; i < B; i++)
            for (int o = 0; o < out; o++) {
                double acc = b[o], sc = std::fabs((double)b[o]);
                for (int k = 0; k < in; k++) {
                    acc += (double)x[(size_t)i * in + k] * W[(size_t)o * in + k];
                    sc += std::fabs((double)x[(size_t)i * in + k] * W[(size_t)o * in + k]);
                }
                y_ref[(size_t)i * out + o] = acc, y_scale[(size_t)i * out + o] = sc;
            }
        // dx[i][k] = Σ_o dy[i][o] W[o][k]
        std::vector<double> dx_ref((size_t)B * in, 0.0), dx_scale((size_t)B * in, 0.0);
        for (int i = 0; i < B; i++)
            for (int o = 0; o < out; o++)
                for (int k = 0; k < in; k++) {
                    const double t = (double)dy[(size_t)i * out + o] * W[(size_t)o * in + k];
                    dx_ref[(size_t)i * in + k] += t, dx_scale[(size_t)i * in + k] += std::fabs(t);
                }
        // dW[o][k] = dW0[o][k] + Σ_i dy[i][o] x[i][k],  db[o] = db0[o] + Σ_i dy[i][o]
        std::vector<double> dW_ref((size_t)out * in), dW_scale((size_t)out * in), db_ref(out), db_scale(out);
        for (int o = 0; o < out; o++) {
            db_ref[o] = db0[o], db_scale[o] = std::fabs((double)db0[o]);
            for (int i = 0; i < B; i++) {
                db_ref[o] += dy[(size_t)i * out + o];
                db_scale[o] += std::fabs((double)dy[(size_t)i * out + o]);
            }
            for (int k = 0; k < in; k++) {
                double acc = dW0[(size_t)o * in + k], sc = std::fabs(acc);
                for (int i = 0; i < B; i++) {
                    const double t = (double)dy[(size_t)i * out + o] * x[(size_t)i * in + k];
                    acc += t, sc += std::fabs(t);
                }
                dW_ref[(size_t)o * in + k] = acc, dW_scale[(size_t)o * in + k] = sc;
            }
        }

        std::vector<Real> y((size_t)B * out), dx((size_t)B * in), dW = dW0, db = db0;
        linear_forward(y.data(), x.data(), W.data(), b.data(), B, in, out);
        linear_backward(dx.data(), dW.data(), db.data(), dy.data(), x.data(), W.data(), B, in, out);
        CHECK(worst_rel(y, y_ref, y_scale) < REL_TOL);
        CHECK(worst_rel(dx, dx_ref, dx_scale) < REL_TOL);
        CHECK(worst_rel(dW, dW_ref, dW_scale) < REL_TOL);
        CHECK(worst_rel(db, db_ref, db_scale) < REL_TOL);

        // The fused versions give the separate calls' values bit for bit.
        for (Act a : {Act::relu, Act::tanh, Act::silu}) {
            INFO("activation " << act_name(a));
            std::vector<Real> y2((size_t)B * out), h((size_t)B * out), h_ref((size_t)B * out);
            linear_act_forward(y2.data(), h.data(), x.data(), W.data(), b.data(), B, in, out, a);
            act_forward(h_ref.data(), y.data(), (long)B * out, a);
            CHECK(std::memcmp(y2.data(), y.data(), sizeof(Real) * y.size()) == 0);
            CHECK(std::memcmp(h.data(), h_ref.data(), sizeof(Real) * h.size()) == 0);
            // x = act(pre) as the input: dpre = (dy W) ⊙ act'(pre)
            const std::vector<Real>& pre = x;
            std::vector<Real> post((size_t)B * in), dpre((size_t)B * in), dpre_ref((size_t)B * in);
            act_forward(post.data(), pre.data(), (long)B * in, a);
            std::vector<Real> dWa(dW0.size(), 0), dba(out, 0), dWs(dW0.size(), 0), dbs(out, 0);
            linear_act_backward(dpre.data(), dWa.data(), dba.data(), dy.data(), pre.data(), post.data(), W.data(), B,
                                in, out, a);
            linear_backward(dpre_ref.data(), dWs.data(), dbs.data(), dy.data(), post.data(), W.data(), B, in, out);
            act_backward(dpre_ref.data(), dpre_ref.data(), pre.data(), post.data(), (long)B * in, a);
            CHECK(std::memcmp(dpre.data(), dpre_ref.data(), sizeof(Real) * dpre.size()) == 0);
            CHECK(std::memcmp(dWa.data(), dWs.data(), sizeof(Real) * dWa.size()) == 0);
            CHECK(std::memcmp(dba.data(), dbs.data(), sizeof(Real) * dba.size()) == 0);
        }
    }
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
