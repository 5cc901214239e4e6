// test_data.cpp — the toy sets: reproducible sampling, true densities that integrate to 1,
// quadrature that has converged, and samples that follow their density.
//
// Independent references: the 8gaussians mixture summed term by term, the circles and
// rings densities in closed form through the Bessel function I0 (power series), and
// box probabilities by Simpson's rule compared with sample frequencies.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "data/entropy.h"
#include "data/toy.h"
#include "tensor/error.h"
#include "tensor/rng.h"

static constexpr double kPi = 3.14159265358979323846;

static const Toy kAll[] = {Toy::gaussians8, Toy::moons,    Toy::circles,   Toy::rings,
                           Toy::checkerboard, Toy::pinwheel, Toy::swissroll, Toy::spirals2};
// the sets with a smooth density, and its width σ (the grid steps are chosen from it)
static const Toy kSmooth[] = {Toy::gaussians8, Toy::moons, Toy::circles, Toy::rings};
static const double kSigma[] = {0.5 / 1.414, 0.2, 0.24, 0.08};

static std::vector<double> log_density(Toy t, const Tensor& x, int n_quad = toy_n_quad_default) {
    std::vector<double> lp((size_t)x.rows);
    toy_log_density_n(t, x, lp.data(), n_quad);
    return lp;
}

// Points (nx + 1)(ny + 1) on the grid x0 + i hx, y0 + j hy, row-major in i.
static Tensor grid(double x0, double hx, int nx, double y0, double hy, int ny) {
    Tensor g((nx + 1) * (ny + 1), 2);
    for (int i = 0; i <= nx; i++)
        for (int j = 0; j <= ny; j++) {
            g.at(i * (ny + 1) + j, 0) = (Real)(x0 + i * hx);
            g.at(i * (ny + 1) + j, 1) = (Real)(y0 + j * hy);
        }
    return g;
}

// ∫∫ π over [x0, x1] × [y0, y1] by the product rule with 1-D weights c(k) · h.
// Trapezoid: c = ½ at the ends, 1 inside. Simpson (even n): ⅓, ⅔/⁴⁄₃ alternating, ⅓.
enum class Rule2 { trapezoid, simpson };
static double box_integral(Toy t, double x0, double x1, double y0, double y1, double h, Rule2 rule) {
    int nx = (int)std::ceil((x1 - x0) / h), ny = (int)std::ceil((y1 - y0) / h);
    if (rule == Rule2::simpson) {
        nx += nx % 2;
        ny += ny % 2;
    }
    const double hx = (x1 - x0) / nx, hy = (y1 - y0) / ny;
    const Tensor g = grid(x0, hx, nx, y0, hy, ny);
    const std::vector<double> lp = log_density(t, g);
    auto c = [rule](int k, int n) {
        if (rule == Rule2::trapezoid) return (k == 0 || k == n) ? 0.5 : 1.0;
        if (k == 0 || k == n) return 1.0 / 3;
        return (k % 2 == 1) ? 4.0 / 3 : 2.0 / 3;
    };
    double sum = 0;
    for (int i = 0; i <= nx; i++)
        for (int j = 0; j <= ny; j++) sum += c(i, nx) * c(j, ny) * std::exp(lp[(size_t)i * (ny + 1) + j]);
    return sum * hx * hy;
}

// The checkerboard is piecewise constant on squares with edges at even coordinates: the
// midpoint rule on cells of side 0.25 aligned with them is exact for boxes whose edges
// are multiples of 0.25.
static double checkerboard_box_integral(double x0, double x1, double y0, double y1) {
    const double h = 0.25;
    const int nx = (int)std::lround((x1 - x0) / h), ny = (int)std::lround((y1 - y0) / h);
    const Tensor g = grid(x0 + h / 2, h, nx - 1, y0 + h / 2, h, ny - 1);
    const std::vector<double> lp = log_density(Toy::checkerboard, g);
    double sum = 0;
    for (double v : lp) sum += std::exp(v);
    return sum * h * h;
}

// log(e^{−z} I0(z)) from I0(z) = Σ_k (z/2)^{2k} / (k!)², summed by log-sum-exp; every term
// is positive, so the series is accurate for any z once k passes z/2 by many √z.
static double log_scaled_i0(double z) {
    if (z == 0) return 0;
    const int K = (int)(z / 2 + 20 * std::sqrt(z) + 50);
    std::vector<double> lt((size_t)K + 1);
    double m = -std::numeric_limits<double>::infinity();
    for (int k = 0; k <= K; k++) {
        lt[(size_t)k] = 2 * k * std::log(z / 2) - 2 * std::lgamma(k + 1.0) - z;
        m = std::fmax(m, lt[(size_t)k]);
    }
    double s = 0;
    for (double v : lt) s += std::exp(v - m);
    return m + std::log(s);
}

// circles and rings in closed form: the average over θ of N(x; ρ (cos θ, sin θ), σ² I) is
// exp(−(|x| − ρ)² / 2σ²) · e^{−z} I0(z) / (2πσ²), z = |x| ρ / σ².
static double log_density_bessel(const std::vector<double>& rho, double sigma, double x1, double x2) {
    const double r = std::hypot(x1, x2), s2 = sigma * sigma;
    double m = -std::numeric_limits<double>::infinity();
    std::vector<double> e;
    for (double p : rho) {
        e.push_back(-(r - p) * (r - p) / (2 * s2) + log_scaled_i0(r * p / s2));
        m = std::fmax(m, e.back());
    }
    double s = 0;
    for (double v : e) s += std::exp(v - m);
    return m + std::log(s) - std::log((double)rho.size()) - std::log(2 * kPi * s2);
}

TEST_CASE("toy sets: the same seed gives the same points, another seed others", "[data]") {
    for (Toy t : kAll) {
        INFO(toy_name(t));
        Rng r1(42), r2(42), r3(43);
        Tensor a, b, c;
        toy_sample(t, r1, 500, a);
        toy_sample(t, r2, 500, b);
        toy_sample(t, r3, 500, c);
        CHECK(a.data == b.data);
        CHECK(a.data != c.data);
        // points are drawn one after another: 200 then 300 equals 500 at once
        Rng r4(42);
        Tensor p, q;
        toy_sample(t, r4, 200, p);
        toy_sample(t, r4, 300, q);
        std::vector<Real> joined = p.data;
        joined.insert(joined.end(), q.data.begin(), q.data.end());
        CHECK(joined == a.data);
    }
}

TEST_CASE("toy sets: shape (n, 2), finite values in a bounded region", "[data]") {
    for (Toy t : kAll) {
        INFO(toy_name(t));
        Rng rng(1);
        Tensor x(3, 5);
        toy_sample(t, rng, 2000, x);
        REQUIRE(x.rows == 2000);
        REQUIRE(x.cols == 2);
        REQUIRE(x.size() == 4000);
        bool finite = true, bounded = true;
        for (Real v : x.data) {
            finite = finite && std::isfinite((double)v);
            bounded = bounded && std::fabs((double)v) < 10;
        }
        CHECK(finite);
        CHECK(bounded);
        toy_sample(t, rng, 0, x);
        CHECK(x.rows == 0);
        CHECK(x.cols == 2);
    }
    Rng rng(1);
    Tensor x;
    CHECK_THROWS_AS(toy_sample(Toy::moons, rng, -1, x), symkl::Error);
}

TEST_CASE("toy names round-trip, unknown names are rejected", "[data]") {
    const std::string names = toy_names();
    for (Toy t : kAll) {
        Toy back = Toy::pinwheel;
        REQUIRE(toy_from_name(toy_name(t), &back));
        CHECK(back == t);
        CHECK(names.find(toy_name(t)) != std::string::npos);
    }
    CHECK(names == "8gaussians, moons, circles, rings, checkerboard, pinwheel, swissroll, 2spirals");
    Toy t = Toy::moons;
    CHECK_FALSE(toy_from_name("8gaussian", &t));
    CHECK_FALSE(toy_from_name("Moons", &t));
    CHECK_FALSE(toy_from_name("", &t));
    CHECK(t == Toy::moons);  // untouched on failure
}

TEST_CASE("toy densities: which sets have one, and bad calls throw", "[data]") {
    for (Toy t : {Toy::gaussians8, Toy::moons, Toy::circles, Toy::rings}) {
        CHECK(toy_has_density(t));
        CHECK(toy_has_reverse_kl(t));
    }
    CHECK(toy_has_density(Toy::checkerboard));
    CHECK_FALSE(toy_has_reverse_kl(Toy::checkerboard));
    Tensor x(4, 2);
    std::vector<double> out(4);
    for (Toy t : {Toy::pinwheel, Toy::swissroll, Toy::spirals2}) {
        CHECK_FALSE(toy_has_density(t));
        CHECK_FALSE(toy_has_reverse_kl(t));
        CHECK_THROWS_AS(toy_log_density(t, x, out.data()), symkl::Error);
    }
    Tensor x3(4, 3);
    CHECK_THROWS_AS(toy_log_density(Toy::moons, x3, out.data()), symkl::Error);
    CHECK_THROWS_AS(toy_log_density_n(Toy::rings, x, out.data(), 1), symkl::Error);
    // a NaN point gives NaN (not −∞), so NaN checks downstream see it
    x.at(1, 0) = std::numeric_limits<Real>::quiet_NaN();
    for (Toy t : {Toy::gaussians8, Toy::moons, Toy::circles, Toy::rings, Toy::checkerboard}) {
        toy_log_density(t, x, out.data());
        CHECK(std::isnan(out[1]));
        CHECK_FALSE(std::isnan(out[0]));
    }
}

TEST_CASE("8gaussians: the closed form at hand-computed points", "[data]") {
    // centres 4 (cos kπ/4, sin kπ/4) / 1.414, σ = 0.5 / 1.414, weights 1/8
    const double s2 = 0.25 / (1.414 * 1.414), r = 4 / 1.414;
    Tensor x(3, 2);
    x.at(0, 0) = 0;  // the origin: all centres at distance r, r² / 2σ² = 32
    x.at(0, 1) = 0;
    x.at(1, 0) = (Real)r;  // on the centre k = 0
    x.at(1, 1) = 0;
    x.at(2, 0) = (Real)1.25;  // an arbitrary point
    x.at(2, 1) = (Real)-0.5;
    const std::vector<double> lp = log_density(Toy::gaussians8, x);

    CHECK(lp[0] == Approx(std::log(1.414 * 1.414 / (0.5 * kPi)) - 32).epsilon(1e-13));
    for (int p = 1; p < 3; p++) {
        const double x1 = (double)x.at(p, 0), x2 = (double)x.at(p, 1);
        double sum = 0;
        for (int k = 0; k < 8; k++) {
            const double d1 = x1 - r * std::cos(k * kPi / 4), d2 = x2 - r * std::sin(k * kPi / 4);
            sum += std::exp(-(d1 * d1 + d2 * d2) / (2 * s2)) / (8 * 2 * kPi * s2);
        }
        CHECK(lp[(size_t)p] == Approx(std::log(sum)).epsilon(1e-13));
    }
}

TEST_CASE("checkerboard: 1/32 on the squares, -inf elsewhere", "[data]") {
    // in u = x/2 the squares are the cells of [-2, 2]² with ⌊u1⌋ + ⌊u2⌋ even
    const double in[][2] = {{-3, 1}, {-1, 3}, {1, 1}, {3, 3}, {-3, -3}, {-1, -1}, {1, -3}, {3, -1}};
    const double out[][2] = {{-3, 3}, {-1, 1}, {1, 3}, {3, 1}, {-3, -1}, {-1, -3}, {1, -1}, {3, -3},
                             {4.5, 0.5}, {0.5, -4.5}, {100, 100}};
    Tensor x(19, 2);
    for (int i = 0; i < 8; i++) {
        x.at(i, 0) = (Real)in[i][0];
        x.at(i, 1) = (Real)in[i][1];
    }
    for (int i = 0; i < 11; i++) {
        x.at(8 + i, 0) = (Real)out[i][0];
        x.at(8 + i, 1) = (Real)out[i][1];
    }
    const std::vector<double> lp = log_density(Toy::checkerboard, x);
    for (int i = 0; i < 8; i++) CHECK(lp[(size_t)i] == Approx(std::log(1.0 / 32)).epsilon(1e-15));
    for (int i = 8; i < 19; i++) {
        CHECK(std::isinf(lp[(size_t)i]));
        CHECK(lp[(size_t)i] < 0);
    }
    // every sample has positive density, including any that round onto an edge
    Rng rng(3);
    Tensor s;
    toy_sample(Toy::checkerboard, rng, 20000, s);
    const std::vector<double> ls = log_density(Toy::checkerboard, s);
    int off = 0;
    for (double v : ls) off += !(v == std::log(1.0 / 32));
    CHECK(off == 0);
}

TEST_CASE("circles and rings: the trapezoid rule matches the Bessel closed form", "[data]") {
    struct Case {
        Toy t;
        std::vector<double> rho;
        double sigma;
    };
    const Case cases[] = {{Toy::circles, {3, 1.5}, 0.24}, {Toy::rings, {3, 2.25, 1.5, 0.75}, 0.08}};
    for (const Case& c : cases) {
        INFO(toy_name(c.t));
        Rng rng(5);
        Tensor x;
        toy_sample(c.t, rng, 200, x);
        x.at(0, 0) = 0;  // the centre, and a point between rings
        x.at(0, 1) = 0;
        x.at(1, 0) = (Real)1.1;
        x.at(1, 1) = (Real)-1.4;
        const std::vector<double> lp = log_density(c.t, x);
        double worst = 0;
        for (int i = 0; i < x.rows; i++) {
            const double ref = log_density_bessel(c.rho, c.sigma, (double)x.at(i, 0), (double)x.at(i, 1));
            worst = std::fmax(worst, std::fabs(lp[(size_t)i] - ref));
        }
        CHECK(worst <= 1e-9);
    }
}

TEST_CASE("quadrature: 512 and 2048 nodes agree to 1e-8 in log-density", "[data]") {
    for (Toy t : {Toy::moons, Toy::circles, Toy::rings}) {
        INFO(toy_name(t));
        Rng rng(6);
        Tensor x;
        toy_sample(t, rng, 2000, x);
        const std::vector<double> coarse = log_density(t, x, 512);
        const std::vector<double> fine = log_density(t, x, 2048);
        double worst = 0;
        for (int i = 0; i < x.rows; i++)
            worst = std::fmax(worst, std::fabs(coarse[(size_t)i] - fine[(size_t)i]));
        CHECK(worst <= 1e-8);
    }
}

TEST_CASE("toy densities integrate to 1", "[data][heavy]") {
    // The trapezoid rule on a grid is spectrally accurate for a smooth density that has
    // vanished at the edges of the box (the error of one Gaussian is about
    // exp(−2π²σ²/h²)), so a step h = σ/1.2 already gives about 1e-12.
    const double boxes[][4] = {{-6, 6, -6, 6}, {-5, 5, -3.5, 4.5}, {-5, 5, -5, 5}, {-4.5, 4.5, -4.5, 4.5}};
    for (int s = 0; s < 4; s++) {
        INFO(toy_name(kSmooth[s]));
        const double* b = boxes[s];
        const double h = kSigma[s] / 1.2;
        const double mass = box_integral(kSmooth[s], b[0], b[1], b[2], b[3], h, Rule2::trapezoid);
        CHECK(std::fabs(mass - 1) <= 1e-6);
    }
    CHECK(checkerboard_box_integral(-5, 5, -5, 5) == Approx(1).epsilon(1e-14));
}

TEST_CASE("toy samples fall in boxes as often as the density says", "[data][heavy]") {
    // Fraction of N samples in a box against the box integral of π (Simpson, h = σ/3, error below 4e-6):
    // the difference should be within 4 Monte-Carlo standard errors √(p(1 − p)/N).
    const int N = 200000;
    struct Box {
        Toy t;
        double x0, x1, y0, y1;
    };
    const Box boxes[] = {
        {Toy::gaussians8, -0.5, 6, 0.3, 6},     {Toy::gaussians8, 1.5, 3.5, -0.6, 0.3},
        {Toy::gaussians8, -1.2, 0.6, 1.0, 3.5}, {Toy::moons, -1.3, 0.7, -0.4, 1.9},
        {Toy::moons, 0.2, 3.5, -1.5, 0.3},      {Toy::moons, -3.5, -0.5, -1, 2.5},
        {Toy::circles, 0, 4, -1, 4},            {Toy::circles, -1.9, -1, -1, 0.5},
        {Toy::circles, -4, 4, 2.5, 4},          {Toy::rings, -0.8, 3.5, 0.4, 3.5},
        {Toy::rings, -1, 0.5, -2.5, -1.3},      {Toy::rings, -0.5, 0.5, -0.9, 0.9},
        {Toy::checkerboard, -3, 1, -1.5, 2.5},  {Toy::checkerboard, -4, 4, -4, -2.5},
        {Toy::checkerboard, 0.5, 3.5, -3.5, 3.5},
    };
    Toy current = Toy::pinwheel;
    Tensor x;
    for (const Box& b : boxes) {
        if (b.t != current) {
            Rng rng(7);
            toy_sample(b.t, rng, N, x);
            current = b.t;
        }
        int hits = 0;
        for (int i = 0; i < N; i++) {
            const double x1 = (double)x.at(i, 0), x2 = (double)x.at(i, 1);
            hits += x1 >= b.x0 && x1 < b.x1 && x2 >= b.y0 && x2 < b.y1;
        }
        double p;
        if (b.t == Toy::checkerboard) {
            p = checkerboard_box_integral(b.x0, b.x1, b.y0, b.y1);
        } else {
            int s = 0;
            while (kSmooth[s] != b.t) s++;
            p = box_integral(b.t, b.x0, b.x1, b.y0, b.y1, kSigma[s] / 3, Rule2::simpson);
        }
        const double freq = (double)hits / N, se = std::sqrt(p * (1 - p) / N);
        INFO(toy_name(b.t) << " box [" << b.x0 << ", " << b.x1 << "] x [" << b.y0 << ", " << b.y1
                           << "]: frequency " << freq << ", integral " << p << ", se " << se);
        CHECK(p > 0.01);
        CHECK(std::fabs(freq - p) <= 4 * se);
    }
}

TEST_CASE("sets without a density: centred spirals and pinwheel, swissroll radius", "[data]") {
    const int N = 200000;
    for (Toy t : {Toy::pinwheel, Toy::spirals2}) {
        // pinwheel's 5 arms and the two spirals are symmetric under a rotation: mean 0
        INFO(toy_name(t));
        Rng rng(8);
        Tensor x;
        toy_sample(t, rng, N, x);
        for (int j = 0; j < 2; j++) {
            double s = 0, ss = 0;
            for (int i = 0; i < N; i++) {
                s += (double)x.at(i, j);
                ss += (double)x.at(i, j) * (double)x.at(i, j);
            }
            const double mean = s / N, se = std::sqrt((ss / N - mean * mean) / N);
            CHECK(std::fabs(mean) <= 4 * se);
        }
    }
    // swissroll: |x| = |t (cos t, sin t) + N²| / 5 with E|v + N²| = t + 1/(2t) + 1/(8t³) + …
    // for |v| = t, and t uniform on [1.5π, 4.5π]: E t = 3π, E 1/t = ln 3 / (3π).
    // The 1/(8t³) term is below 2.5e-4 after the division by 5.
    Rng rng(8);
    Tensor x;
    toy_sample(Toy::swissroll, rng, N, x);
    double s = 0, ss = 0;
    for (int i = 0; i < N; i++) {
        const double r = std::hypot((double)x.at(i, 0), (double)x.at(i, 1));
        s += r;
        ss += r * r;
    }
    const double mean = s / N, se = std::sqrt((ss / N - mean * mean) / N);
    const double expected = (3 * kPi + std::log(3.0) / (6 * kPi)) / 5;
    CHECK(std::fabs(mean - expected) <= 4 * se + 2.5e-4);
}

TEST_CASE("toy log-density far from the data is finite", "[data]") {
    // 20 σ beyond the outermost part of each set, and much further
    const double far[][2] = {{2.83 + 20 * 0.354, 0}, {0, 0}, {3 + 20 * 0.24, 0}, {3 + 20 * 0.08, 0}};
    for (int s = 0; s < 4; s++) {
        INFO(toy_name(kSmooth[s]));
        Tensor x(4, 2);
        x.at(0, 0) = (Real)far[s][0];
        x.at(0, 1) = (Real)far[s][1];
        x.at(1, 0) = -30;
        x.at(1, 1) = 40;
        x.at(2, 0) = (Real)1e3;
        x.at(2, 1) = (Real)-1e3;
        x.at(3, 0) = (Real)1e6;
        x.at(3, 1) = 0;
        if (kSmooth[s] == Toy::moons) {
            x.at(0, 0) = (Real)(3 + 20 * 0.2);  // right of the inner arc's end (3, 0.8)
            x.at(0, 1) = (Real)0.8;
        }
        const std::vector<double> lp = log_density(kSmooth[s], x);
        for (int i = 0; i < 4; i++) {
            INFO("point " << i << ": log density " << lp[(size_t)i]);
            CHECK(std::isfinite(lp[(size_t)i]));
        }
        // the first point is about 20 σ out: log π ≈ −200 plus the log of the normaliser
        CHECK(lp[0] < -150);
        CHECK(lp[0] > -250);
        CHECK(lp[1] > lp[2]);
        CHECK(lp[2] > lp[3]);
    }
}

TEST_CASE("toy log-density does not depend on the number of threads", "[data]") {
#ifdef _OPENMP
    const int saved = omp_get_max_threads();
    for (Toy t : {Toy::moons, Toy::rings, Toy::checkerboard}) {
        INFO(toy_name(t));
        Rng rng(9);
        Tensor x;
        toy_sample(t, rng, 1000, x);
        omp_set_num_threads(1);
        const std::vector<double> one = log_density(t, x);
        omp_set_num_threads(3);
        const std::vector<double> three = log_density(t, x);
        CHECK(std::memcmp(one.data(), three.data(), one.size() * sizeof(double)) == 0);
    }
    omp_set_num_threads(saved);
#else
    SUCCEED("built without OpenMP");
#endif
}

TEST_CASE("entropy: the kNN estimate is close to the true entropy", "[data]") {
    // 8gaussians: well-separated modes, H = log 8 + log(2πe σ²), σ = 0.5/1.414
    Rng rng(5);
    Tensor x;
    toy_sample(Toy::gaussians8, rng, 4000, x);
    const double s = 0.5 / 1.414;
    const double H = std::log(8.0) + std::log(2 * M_PI * M_E * s * s);
    CHECK(std::fabs(knn_entropy(x, 5) - H) < 0.05);
    // a standard normal in 2-D: H = log(2πe)
    Tensor g(4000, 2);
    for (Real& v : g.data) v = (Real)rng.normal();
    CHECK(std::fabs(knn_entropy(g, 5) - std::log(2 * M_PI * M_E)) < 0.05);
}
