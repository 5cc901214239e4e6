// test_sbi.cpp — the sbibm tasks (priors, simulators, likelihoods), their reference
// posteriors, and the classifier two-sample test (C2ST).
//
// Tolerances of the statistical checks are k standard errors with k = 4 or more (a
// chance failure below 10⁻⁴ per check; every seed is fixed, so a check that passes
// passes always, and one that fails points at a bias far larger than the noise).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "io/csv.h"
#include "sbi/c2st.h"
#include "sbi/tasks.h"
#include "tensor/error.h"
#include "tensor/rng.h"

static const SbiTask ALL_TASKS[] = {SbiTask::two_moons, SbiTask::gaussian_linear, SbiTask::slcp,
                                    SbiTask::gaussian_mixture};

// Observation k (1 … 10) of a task, from data/sbi/.
static std::vector<Real> observation(SbiTask t, int k) {
    const Tensor obs = read_csv(std::string(SYMKL_SOURCE_DIR) + "/data/sbi/" + sbi_task_name(t) + "_observations.csv");
    REQUIRE(obs.rows == 10);
    REQUIRE(obs.cols == 1 + sbi_x_dim(t));
    REQUIRE(obs.at(k - 1, 0) == k);
    return std::vector<Real>(obs.row(k - 1) + 1, obs.row(k - 1) + obs.cols);
}

static double col_mean(const Tensor& a, int j) {
    double s = 0;
    for (int i = 0; i < a.rows; i++) s += a.at(i, j);
    return s / a.rows;
}
static double col_var(const Tensor& a, int j) {
    const double m = col_mean(a, j);
    double s = 0;
    for (int i = 0; i < a.rows; i++) s += (a.at(i, j) - m) * (a.at(i, j) - m);
    return s / (a.rows - 1);
}

static double Phi(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

TEST_CASE("sbi tasks: names, dimensions, observations and true parameters in data/sbi", "[sbi]") {
    for (SbiTask t : ALL_TASKS) {
        SbiTask u;
        REQUIRE(sbi_task_from_name(sbi_task_name(t), &u));
        CHECK(u == t);
        observation(t, 1);
        const Tensor th = read_csv(std::string(SYMKL_SOURCE_DIR) + "/data/sbi/" + sbi_task_name(t) +
                                   "_true_parameters.csv");
        CHECK(th.rows == 10);
        CHECK(th.cols == 1 + sbi_theta_dim(t));
        for (int i = 0; i < th.rows; i++) CHECK(std::isfinite(sbi_log_prior(t, th.row(i) + 1)));
    }
    SbiTask u;
    CHECK_FALSE(sbi_task_from_name("two-moons", &u));
    CHECK(sbi_theta_dim(SbiTask::slcp) == 5);
    CHECK(sbi_x_dim(SbiTask::slcp) == 8);
}

TEST_CASE("sbi tasks: priors have the stated support and moments; same seed, same draws", "[sbi]") {
    const int n = 4000;
    for (SbiTask t : ALL_TASKS) {
        INFO(sbi_task_name(t));
        Rng a(5), b(5);
        const Tensor th = sbi_prior_sample(t, n, a), th2 = sbi_prior_sample(t, n, b);
        CHECK(th.data == th2.data);
        for (int i = 0; i < n; i++) REQUIRE(std::isfinite(sbi_log_prior(t, th.row(i))));
        // uniform on [−w, w]: variance w²/3; gaussian_linear: N(0, 0.1)
        const double var = t == SbiTask::gaussian_linear ? 0.1
                         : t == SbiTask::two_moons       ? 1.0 / 3
                         : t == SbiTask::slcp            ? 3.0
                                                         : 100.0 / 3;
        for (int j = 0; j < sbi_theta_dim(t); j++) {
            CHECK(std::fabs(col_mean(th, j)) < 4 * std::sqrt(var / n));
            CHECK(std::fabs(col_var(th, j) / var - 1) < 0.1);  // sd of the ratio < 0.025
        }
    }
    std::vector<Real> out = {0.5, 1.5};
    CHECK(sbi_log_prior(SbiTask::two_moons, out.data()) == -INFINITY);
    CHECK(sbi_log_prior(SbiTask::gaussian_mixture, out.data()) == Approx(-2 * std::log(20.0)));
}

TEST_CASE("sbi tasks: simulators follow sbibm's definitions", "[sbi]") {
    const int n = 4000;
    Rng rng(11);
    SECTION("two_moons: x + (|θ₁+θ₂|/√2, (θ₁−θ₂)/√2) is a crescent of radius 0.1 around (0.25, 0)") {
        Tensor th(n, 2);
        for (int i = 0; i < n; i++) th.at(i, 0) = (Real)0.3, th.at(i, 1) = (Real)-0.7;
        const Tensor x = sbi_simulate(SbiTask::two_moons, th, rng);
        const double z0 = (0.3 - 0.7) / std::sqrt(2.0), z1 = (-0.3 - 0.7) / std::sqrt(2.0);
        double sr = 0, srr = 0;
        for (int i = 0; i < n; i++) {
            const double p0 = x.at(i, 0) + std::fabs(z0) - 0.25, p1 = x.at(i, 1) - z1;
            const double r = std::hypot(p0, p1);
            CHECK(p0 >= 0);  // a ∈ (−π/2, π/2): cos a ≥ 0
            sr += r;
            srr += r * r;
        }
        const double mr = sr / n, sdr = std::sqrt(srr / n - mr * mr);
        CHECK(std::fabs(mr - 0.1) < 4 * 0.01 / std::sqrt(n));
        CHECK(std::fabs(sdr - 0.01) < 0.001);
    }
    SECTION("gaussian_linear and gaussian_mixture: the noise x − θ has the stated variance") {
        for (SbiTask t : {SbiTask::gaussian_linear, SbiTask::gaussian_mixture}) {
            const Tensor th = sbi_prior_sample(t, n, rng), x = sbi_simulate(t, th, rng);
            Tensor e(n, x.cols);
            for (size_t k = 0; k < e.size(); k++) e.data[k] = x.data[k] - th.data[k];
            const double var = t == SbiTask::gaussian_linear ? 0.1 : 0.5 * 1 + 0.5 * 0.01;
            for (int j = 0; j < e.cols; j++) CHECK(std::fabs(col_var(e, j) / var - 1) < 0.1);
            if (t == SbiTask::gaussian_mixture) {  // half the draws within 0.3 of θ: the narrow part
                int near = 0;
                for (int i = 0; i < n; i++) near += std::hypot(e.at(i, 0), e.at(i, 1)) < 0.3;
                // P(‖e‖ < 0.3) = ½(1 − e^{−4.5}) + ½(1 − e^{−0.045}) = 0.5164
                CHECK(std::fabs((double)near / n - 0.5164) < 4 * 0.5 / std::sqrt(n));
            }
        }
    }
    SECTION("slcp: four draws of N(m, Σ), their covariance Σ(θ)") {
        const int m = 2000;
        Tensor th(m, 5);
        const double t5[5] = {0.5, -1, 1.2, -0.8, 0.6};
        for (int i = 0; i < m; i++)
            for (int j = 0; j < 5; j++) th.at(i, j) = (Real)t5[j];
        const Tensor x = sbi_simulate(SbiTask::slcp, th, rng);
        Tensor pts(4 * m, 2);
        for (int i = 0; i < m; i++)
            for (int k = 0; k < 4; k++) pts.at(4 * i + k, 0) = x.at(i, 2 * k), pts.at(4 * i + k, 1) = x.at(i, 2 * k + 1);
        const double s1 = 1.44, s2 = 0.64, rho = std::tanh(0.6);
        CHECK(std::fabs(col_mean(pts, 0) - 0.5) < 4 * s1 / std::sqrt(4.0 * m));
        CHECK(std::fabs(col_mean(pts, 1) + 1) < 4 * s2 / std::sqrt(4.0 * m));
        CHECK(std::fabs(std::sqrt(col_var(pts, 0)) / s1 - 1) < 0.05);
        CHECK(std::fabs(std::sqrt(col_var(pts, 1)) / s2 - 1) < 0.05);
        double c = 0;
        const double m0 = col_mean(pts, 0), m1 = col_mean(pts, 1);
        for (int i = 0; i < pts.rows; i++) c += (pts.at(i, 0) - m0) * (pts.at(i, 1) - m1);
        c /= pts.rows - 1;
        CHECK(std::fabs(c / (s1 * s2) - rho) < 0.05);
    }
}

TEST_CASE("sbi tasks: log likelihoods are normalised densities of the simulators", "[sbi][double]") {
    std::vector<Real> th = {Real(1.0), Real(-2.0)};
    // gaussian_mixture: ∫ p(x | θ) dx = 1 on a grid (the narrow part has sd 0.1: step 0.02)
    double mass = 0;
    const double h = 0.02;
    for (double a = -7; a < 9; a += h)
        for (double b = -10; b < 6; b += h) {
            std::vector<Real> x = {(Real)a, (Real)b};
            mass += std::exp(sbi_log_likelihood(SbiTask::gaussian_mixture, th.data(), x.data())) * h * h;
        }
    CHECK(mass == Approx(1.0).epsilon(1e-4));
    // slcp: log N(x; m, Σ) against the explicit 2 × 2 inverse and determinant
    const Real t5[5] = {0.5, -1, 1.2, -0.8, 0.6};
    const Real x8[8] = {0.1, -0.5, 1.7, -1.2, 0.4, -1.9, -0.6, -0.3};
    const double s1 = 1.44, s2 = 0.64, r = std::tanh(0.6);
    const double S00 = s1 * s1 + 1e-6, S01 = r * s1 * s2, S11 = s2 * s2 + 1e-6, det = S00 * S11 - S01 * S01;
    double want = 0;
    for (int k = 0; k < 4; k++) {
        const double d0 = x8[2 * k] - 0.5, d1 = x8[2 * k + 1] + 1;
        const double q = (S11 * d0 * d0 - 2 * S01 * d0 * d1 + S00 * d1 * d1) / det;
        want += -0.5 * q - 0.5 * std::log(det) - std::log(2 * M_PI);
    }
    CHECK(sbi_log_likelihood(SbiTask::slcp, t5, x8) == Approx(want).epsilon(1e-12));
    // gaussian_linear: N(x; θ, 0.1 I)
    std::vector<Real> t10(10, Real(0.2)), x10(10, Real(0.5));
    CHECK(sbi_log_likelihood(SbiTask::gaussian_linear, t10.data(), x10.data()) ==
          Approx(-0.5 * 10 * 0.09 / 0.1 - 5 * std::log(2 * M_PI * 0.1)).epsilon(1e-12));
    CHECK_THROWS_WITH(sbi_log_likelihood(SbiTask::two_moons, th.data(), th.data()), Catch::Contains("two_moons"));
}

TEST_CASE("sbi reference posteriors: exact moments, support, and the simulator's geometry", "[sbi]") {
    const int n = 4000;
    Rng rng(3);
    SECTION("gaussian_linear: N(x/2, 0.05 I)") {
        const std::vector<Real> xo = observation(SbiTask::gaussian_linear, 1);
        const Tensor p = sbi_reference_posterior(SbiTask::gaussian_linear, xo.data(), n, rng);
        for (int j = 0; j < 10; j++) {
            CHECK(std::fabs(col_mean(p, j) - xo[j] / 2) < 4 * std::sqrt(0.05 / n));
            CHECK(std::fabs(col_var(p, j) / 0.05 - 1) < 0.1);
        }
    }
    SECTION("gaussian_mixture: inside the box, centred at x_o, half the mass within 0.3") {
        const std::vector<Real> xo = observation(SbiTask::gaussian_mixture, 3);  // (7.17, −3.05): away from the edges
        const Tensor p = sbi_reference_posterior(SbiTask::gaussian_mixture, xo.data(), n, rng);
        int near = 0;
        for (int i = 0; i < n; i++) {
            REQUIRE(std::isfinite(sbi_log_prior(SbiTask::gaussian_mixture, p.row(i))));
            near += std::hypot(p.at(i, 0) - xo[0], p.at(i, 1) - xo[1]) < 0.3;
        }
        CHECK(std::fabs((double)near / n - 0.5164) < 4 * 0.5 / std::sqrt(n));
        CHECK(std::fabs(col_mean(p, 0) - xo[0]) < 4 * std::sqrt(0.505 / n));
        // observation 1 sits at x₀ = −9.47: the box cuts the broad part, every sample stays inside
        const std::vector<Real> x1 = observation(SbiTask::gaussian_mixture, 1);
        const Tensor q = sbi_reference_posterior(SbiTask::gaussian_mixture, x1.data(), 1000, rng);
        for (int i = 0; i < q.rows; i++) REQUIRE(q.at(i, 0) >= -10);
    }
    SECTION("two_moons: every sample reproduces x_o with noise on the crescent, both branches") {
        const std::vector<Real> xo = observation(SbiTask::two_moons, 1);
        const Tensor p = sbi_reference_posterior(SbiTask::two_moons, xo.data(), n, rng);
        int positive = 0;
        for (int i = 0; i < n; i++) {
            REQUIRE(std::isfinite(sbi_log_prior(SbiTask::two_moons, p.row(i))));
            const double z0 = (p.at(i, 0) + p.at(i, 1)) / std::sqrt(2.0), z1 = (-p.at(i, 0) + p.at(i, 1)) / std::sqrt(2.0);
            const double p0 = xo[0] + std::fabs(z0) - 0.25, p1 = xo[1] - z1;
            REQUIRE(p0 >= -1e-6);
            REQUIRE(std::fabs(std::hypot(p0, p1) - 0.1) < 0.06);  // 6 sd of r
            positive += z0 > 0;
        }
        // the two branches (signs of θ₁ + θ₂) each hold about half the samples here
        CHECK(std::fabs((double)positive / n - 0.5) < 0.1);
    }
    SECTION("an observation no parameter can produce is an error, not an endless loop") {
        const std::vector<Real> far = {Real(5), Real(0)};  // two_moons: x₀ > p₀ for every draw
        CHECK_THROWS_WITH(sbi_reference_posterior(SbiTask::two_moons, far.data(), 2, rng),
                          Catch::Contains("outside what the simulator produces"));
    }
}

static Tensor gaussian(int n, int D, double shift, Rng& rng) {
    Tensor a(n, D);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < D; j++) a.at(i, j) = (Real)(rng.normal() + (j == 0 ? shift : 0.0));
    return a;
}

// The tolerances of the C2ST checks. The 5 folds test every one of the 2n points once, on
// a classifier that never saw it. For two samples of one distribution, whatever the
// classifier learned from the other folds, a held-out point's label is independent of its
// prediction: each prediction is right with probability ½, so the accuracy has standard
// deviation at most ½/√(2n) (at most: the fixed fold sizes correlate the labels
// negatively). For two Gaussians N(0, I) and N(δe₁, I) the best classifier (the plane
// x₁ = δ/2) is right with probability Φ(δ/2), the Bayes accuracy; a trained one is at most
// that in expectation, plus noise of standard deviation √(Φ(1−Φ)/2n), and its excess error
// over the Bayes rule (a slightly wrong plane) is small for n ≫ D: we allow 0.03.
TEST_CASE("c2st: two samples of one distribution score 0.5", "[sbi][c2st]") {
    const int n = 250, D = 2;
    Rng rng(41);
    const Tensor a = gaussian(n, D, 0, rng), b = gaussian(n, D, 0, rng);
    C2stOptions opt;
    opt.max_epochs = 100;
    const C2stResult r = c2st(a, b, opt);
    const double sd = 0.5 / std::sqrt(2.0 * n);  // 0.0224
    INFO("C2ST " << r.accuracy);
    CHECK(r.fold_accuracy.size() == 5);
    CHECK(std::fabs(r.accuracy - 0.5) < 4 * sd);
    // same seed, same numbers
    CHECK(c2st(a, b, opt).accuracy == r.accuracy);
    // a classifier that memorises its training folds (3-D, 60 points a side, lr 10⁻², 200
    // epochs) still scores 0.5 on the held-out folds: the score never sees training points
    Rng rng3(48);
    const Tensor a3 = gaussian(60, 3, 0, rng3), b3 = gaussian(60, 3, 0, rng3);
    opt.max_epochs = 200;
    opt.lr = 1e-2;
    const double acc3 = c2st(a3, b3, opt).accuracy;
    INFO("C2ST 3-D " << acc3);
    CHECK(std::fabs(acc3 - 0.5) < 4 * 0.5 / std::sqrt(120.0));
}

TEST_CASE("c2st: disjoint samples score 1", "[sbi][c2st]") {
    const int n = 100;
    Rng rng(42);
    Tensor a(n, 2), b(n, 2);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 2; j++) a.at(i, j) = (Real)rng.uniform(), b.at(i, j) = (Real)(2 + rng.uniform());
    const C2stResult r = c2st(a, b);  // scikit-learn's stopping rule
    INFO("C2ST " << r.accuracy);
    CHECK(r.accuracy == 1.0);
}

TEST_CASE("c2st: two Gaussians a shift δ apart score the Bayes accuracy Φ(δ/2)", "[sbi][c2st]") {
    const int n = 500, D = 2;
    const double delta = 1.5, bayes = Phi(delta / 2);  // 0.7734
    Rng rng(43);
    const Tensor a = gaussian(n, D, 0, rng), b = gaussian(n, D, delta, rng);
    C2stOptions opt;
    opt.max_epochs = 100;
    const C2stResult r = c2st(a, b, opt);
    const double sd = std::sqrt(bayes * (1 - bayes) / (2.0 * n));  // 0.0132
    INFO("C2ST " << r.accuracy << ", Bayes " << bayes);
    CHECK(r.accuracy < bayes + 4 * sd);
    CHECK(r.accuracy > bayes - 4 * sd - 0.03);
}

TEST_CASE("c2st: z-scoring by the reference makes the score scale-free; bad input is refused", "[sbi][c2st]") {
    const int n = 100;
    Rng rng(44);
    Tensor a = gaussian(n, 2, 0, rng), b = gaussian(n, 2, 1, rng);
    C2stOptions opt;
    opt.max_epochs = 30;
    const double r1 = c2st(a, b, opt).accuracy;
    for (Real& v : a.data) v = v * 1000 + 5000;
    for (Real& v : b.data) v = v * 1000 + 5000;
    const double r2 = c2st(a, b, opt).accuracy;
    CHECK(std::fabs(r1 - r2) < 0.02);  // the same points after z-scoring, up to rounding
    CHECK_THROWS_WITH(c2st(a, Tensor(5, 3), opt), Catch::Contains("columns"));
    CHECK_THROWS_WITH(c2st(Tensor(1, 2), Tensor(1, 2), opt), Catch::Contains("too few points"));
}

// The slice sampler on gaussian_linear, whose posterior is known: the C2ST of MCMC samples
// against exact ones stays near 0.5 (the bound of the C2ST tests above: 4 · ½/√(2n)).
static double mcmc_vs_exact(int n, int epochs, uint64_t seed) {
    const std::vector<Real> xo = observation(SbiTask::gaussian_linear, 1);
    Rng rng(seed);
    SliceOptions so;
    so.chains = 20;
    so.burn_in = 100;
    so.thin = 2;
    so.width = 0.5;
    so.init_candidates = 2000;
    const Tensor mcmc = sbi_mcmc_posterior(SbiTask::gaussian_linear, xo.data(), n, rng, so);
    const Tensor exact = sbi_reference_posterior(SbiTask::gaussian_linear, xo.data(), n, rng);
    for (int j = 0; j < 10; j++) {  // first the moments: N(x/2, 0.05 I)
        CHECK(std::fabs(col_mean(mcmc, j) - xo[j] / 2) < 5 * std::sqrt(0.05 / n));
        CHECK(std::fabs(col_var(mcmc, j) / 0.05 - 1) < 5 * std::sqrt(2.0 / n));
    }
    C2stOptions opt;
    opt.max_epochs = epochs;
    return c2st(exact, mcmc, opt).accuracy;
}

TEST_CASE("sbi MCMC: slice sampling matches gaussian_linear's exact posterior", "[sbi][c2st][heavy]") {
    const int n = 300;
    const double acc = mcmc_vs_exact(n, 40, 45);
    INFO("C2ST(exact, MCMC) " << acc);
    CHECK(std::fabs(acc - 0.5) < 4 * 0.5 / std::sqrt(2.0 * n));
}

// The same with sbibm-like sizes and scikit-learn's stopping rule (about 100 s:
// run with build/symkl_tests "[slow]").
TEST_CASE("sbi MCMC: slice sampling matches gaussian_linear's exact posterior, 2000 samples", "[.slow]") {
    const int n = 2000;
    const double acc = mcmc_vs_exact(n, 10000, 47);
    INFO("C2ST(exact, MCMC) " << acc);
    WARN("measured C2ST " << acc);
    CHECK(std::fabs(acc - 0.5) < 4 * 0.5 / std::sqrt(2.0 * n));
}

TEST_CASE("sbi reference posteriors: slcp's MCMC reference covers the four modes and the true θ", "[sbi]") {
    const int n = 2000;
    const std::vector<Real> xo = observation(SbiTask::slcp, 1);
    const Tensor truth = read_csv(std::string(SYMKL_SOURCE_DIR) + "/data/sbi/slcp_true_parameters.csv");
    Rng rng(46);
    SliceOptions so;
    so.chains = 20;
    so.burn_in = 200;
    so.thin = 2;
    so.init_candidates = 5000;
    const Tensor p = sbi_reference_posterior(SbiTask::slcp, xo.data(), n, rng, so);
    int pos3 = 0, pos4 = 0;
    for (int i = 0; i < n; i++) {
        REQUIRE(std::isfinite(sbi_log_prior(SbiTask::slcp, p.row(i))));
        pos3 += p.at(i, 2) > 0;
        pos4 += p.at(i, 3) > 0;
    }
    CHECK(std::fabs(pos3 / (double)n - 0.5) < 4 * 0.5 / std::sqrt(n));
    CHECK(std::fabs(pos4 / (double)n - 0.5) < 4 * 0.5 / std::sqrt(n));
    // the means m = (θ₁, θ₂) are well identified: the true values lie within 4 posterior sd
    for (int j = 0; j < 2; j++) {
        INFO("theta_" << j + 1 << ": posterior mean " << col_mean(p, j) << " sd " << std::sqrt(col_var(p, j))
                      << ", true " << truth.at(0, 1 + j));
        CHECK(std::fabs(col_mean(p, j) - truth.at(0, 1 + j)) < 4 * std::sqrt(col_var(p, j)));
    }
}

// Two slcp references from different seeds (independent chains, SIR starts and sign flips)
// are one distribution: their C2ST stays near 0.5 when the chains mix (about 17 s; "[slow]").
TEST_CASE("sbi reference posteriors: two slcp MCMC references agree (C2ST)", "[.slow]") {
    const int n = 2000;
    const std::vector<Real> xo = observation(SbiTask::slcp, 1);
    SliceOptions so;
    so.chains = 50;
    Rng r1(101), r2(202);
    const Tensor a = sbi_reference_posterior(SbiTask::slcp, xo.data(), n, r1, so);
    const Tensor b = sbi_reference_posterior(SbiTask::slcp, xo.data(), n, r2, so);
    const double acc = c2st(a, b).accuracy;
    INFO("C2ST(slcp reference, slcp reference) " << acc);
    WARN("measured C2ST " << acc);
    CHECK(std::fabs(acc - 0.5) < 4 * 0.5 / std::sqrt(2.0 * n));
}
