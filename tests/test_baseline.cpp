// test_baseline.cpp — the gaussian and kde baselines (src/baseline/): log-densities against
// computations written out here, the shrinkage end points, the grid choice, sampling
// moments, checkpoints (round trip, corruption), and train → eval → logprob → sample.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "baseline/gaussian.h"
#include "baseline/kde.h"
#include "cli_run.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "tempdir.h"
#include "tensor/error.h"

// Correlated rows with columns on very different scales.
static Tensor rows(int n, int D, uint64_t seed) {
    Rng rng(seed);
    Tensor x(n, D);
    for (int i = 0; i < n; i++) {
        double prev = 0;
        for (int j = 0; j < D; j++) {
            prev = 0.6 * prev + rng.normal();
            x.at(i, j) = (Real)((j + 1) * 3.0 * prev + j);
        }
    }
    return x;
}

TEST_CASE("baseline: Gaussian log-density equals the closed form (2-D, inverse and determinant by hand)", "[baseline]") {
    const Tensor x = rows(50, 2, 1);
    for (double alpha : {0.0, 0.3}) {
        Gaussian g;
        gaussian_fit(g, x, alpha);
        // moments by hand
        double m0 = 0, m1 = 0;
        for (int i = 0; i < 50; i++) m0 += x.at(i, 0), m1 += x.at(i, 1);
        m0 /= 50, m1 /= 50;
        double s00 = 0, s01 = 0, s11 = 0;
        for (int i = 0; i < 50; i++) {
            const double a = x.at(i, 0) - m0, b = x.at(i, 1) - m1;
            s00 += a * a, s01 += a * b, s11 += b * b;
        }
        s00 /= 50, s01 /= 50, s11 /= 50;
        s01 *= 1 - alpha;
        const double det = s00 * s11 - s01 * s01;
        const Tensor q = rows(7, 2, 2);
        std::vector<double> lp(7);
        gaussian_log_prob(lp.data(), g, q);
        for (int i = 0; i < 7; i++) {
            const double a = q.at(i, 0) - m0, b = q.at(i, 1) - m1;
            const double quad = (s11 * a * a - 2 * s01 * a * b + s00 * b * b) / det;
            const double want = -0.5 * quad - 0.5 * std::log(det) - std::log(2 * M_PI);
            CHECK(lp[i] == Approx(want).epsilon(1e-12));
        }
    }
}

TEST_CASE("baseline: shrinkage alpha = 1 is the diagonal model (a product of 1-D normals)", "[baseline]") {
    const int D = 4;
    const Tensor x = rows(40, D, 3), q = rows(5, D, 4);
    Gaussian g;
    gaussian_fit(g, x, 1.0);
    std::vector<double> mean, S;
    gaussian_moments(x, mean, S);
    std::vector<double> lp(5);
    gaussian_log_prob(lp.data(), g, q);
    for (int i = 0; i < 5; i++) {
        double want = 0;
        for (int j = 0; j < D; j++) {
            const double v = S[(size_t)j * D + j], d = q.at(i, j) - mean[(size_t)j];
            want += -0.5 * d * d / v - 0.5 * std::log(2 * M_PI * v);
        }
        CHECK(lp[i] == Approx(want).epsilon(1e-12));
    }
    // and the full model differs from it on correlated data
    Gaussian full;
    gaussian_fit(full, x, 0.0);
    std::vector<double> lf(5);
    gaussian_log_prob(lf.data(), full, q);
    CHECK(std::fabs(lf[0] - lp[0]) > 1e-3);
}

TEST_CASE("baseline: KDE log-density equals a naive double loop; the log-sum-exp survives far points", "[baseline]") {
    const int D = 3;
    const Tensor x = rows(30, D, 5), q = rows(6, D, 6);
    KDE k;
    kde_fit(k, x, 0.4);
    std::vector<double> s = kde_scales(x), lp(6);
    kde_log_prob(lp.data(), k, q);
    for (int r = 0; r < 6; r++) {
        double sum = 0;
        for (int i = 0; i < 30; i++) {
            double dens = 1;
            for (int j = 0; j < D; j++) {
                const double sd = 0.4 * s[(size_t)j], u = ((double)q.at(r, j) - (double)x.at(i, j)) / sd;
                dens *= std::exp(-0.5 * u * u) / (std::sqrt(2 * M_PI) * sd);
            }
            sum += dens;
        }
        CHECK(lp[r] == Approx(std::log(sum / 30)).epsilon(1e-10));
    }
    // a point 100 bandwidths away: every kernel underflows in the naive sum, not here
    Tensor far(1, D);
    for (int j = 0; j < D; j++) far.at(0, j) = x.at(0, j) + (Real)(300 * s[(size_t)j]);
    double lfar = 0;
    kde_log_prob(&lfar, k, far);
    CHECK(std::isfinite(lfar));
    CHECK(lfar < -1e5);
}

TEST_CASE("baseline: the grid choice is the value with the lowest validation NLL (or K-fold CV NLL)", "[baseline]") {
    const Tensor train = rows(60, 3, 7), val = rows(20, 3, 8);
    const std::vector<double> grid = {0, 0.1, 0.5, 1};
    const GridChoice g = gaussian_select(train, val, grid);
    REQUIRE(g.points.size() == grid.size());
    CHECK(!g.cross_validated);
    for (size_t i = 0; i < grid.size(); i++) {
        Gaussian m;
        gaussian_fit(m, train, grid[i]);
        CHECK(g.points[i].val_nll == Approx(gaussian_nll(m, val)).epsilon(1e-12));
        CHECK(g.points[i].train_nll == Approx(gaussian_nll(m, train)).epsilon(1e-12));
        CHECK(g.points[g.best].val_nll <= g.points[i].val_nll);
    }
    const GridChoice k = kde_select(train, val, kde_h_grid());
    for (size_t i = 0; i < k.points.size(); i++) {
        KDE m;
        kde_fit(m, train, k.points[i].value);
        CHECK(k.points[i].val_nll == Approx(kde_nll(m, val)).epsilon(1e-10));
        CHECK(k.points[k.best].val_nll <= k.points[i].val_nll);
    }
    // the first of equal scores; no finite score is an error
    std::vector<GridPoint> pts = {{1, 0, 3.0}, {2, 0, 2.0}, {3, 0, 2.0}, {4, 0, INFINITY}};
    CHECK(grid_best(pts, "t") == 1);
    CHECK_THROWS_AS(grid_best({{1, 0, INFINITY}, {2, 0, NAN}}, "t"), symkl::Error);
    // without validation rows: 5-fold CV, row i in fold i mod 5
    const GridChoice cv = gaussian_select(train, Tensor(), grid);
    CHECK(cv.cross_validated);
    CHECK(cv.folds == 5);
    double want = 0;
    for (int f = 0; f < 5; f++) {
        Gaussian m;
        gaussian_fit(m, fold_rows(train, 5, f, true), grid[2]);
        const Tensor held = fold_rows(train, 5, f, false);
        CHECK(held.rows == 12);
        want += gaussian_nll(m, held) * held.rows / 60;
    }
    CHECK(cv.points[2].val_nll == Approx(want).epsilon(1e-12));
}

TEST_CASE("baseline: a constant column is an error naming it", "[baseline]") {
    Tensor x = rows(20, 3, 9);
    for (int i = 0; i < 20; i++) x.at(i, 1) = 5;
    Gaussian g;
    CHECK_THROWS_WITH(gaussian_fit(g, x, 0.5), Catch::Contains("column 1 has the same value"));
    CHECK_THROWS_WITH(kde_scales(x), Catch::Contains("column 1 has the same value"));
}

TEST_CASE("baseline: sample moments match the model (fixed seed, loose tolerance)", "[baseline]") {
    const int D = 3, n = 20000;
    const Tensor x = rows(80, D, 10);
    Gaussian g;
    gaussian_fit(g, x, 0.2);
    KDE k;
    kde_fit(k, x, 0.5);
    Rng rng(11);
    Tensor sg, sk;
    gaussian_sample(sg, g, n, rng);
    kde_sample(sk, k, n, rng);
    std::vector<double> mean, S;
    gaussian_moments(x, mean, S);
    std::vector<double> gm, gS, km, kS;
    gaussian_moments(sg, gm, gS);
    gaussian_moments(sk, km, kS);
    for (int a = 0; a < D; a++) {
        const double sd = std::sqrt(S[(size_t)a * D + a]);
        CHECK(std::fabs(gm[(size_t)a] - mean[(size_t)a]) < 0.05 * sd);
        CHECK(std::fabs(km[(size_t)a] - mean[(size_t)a]) < 0.05 * sd);
        for (int b = 0; b < D; b++) {
            const double scale = std::sqrt(S[(size_t)a * D + a] * S[(size_t)b * D + b]);
            CHECK(std::fabs(gS[(size_t)a * D + b] - g.cov[(size_t)a * D + b]) < 0.05 * scale);
            // a KDE's covariance is S + h² diag(s²)
            const double want = S[(size_t)a * D + b] + (a == b ? 0.25 * S[(size_t)a * D + a] : 0.0);
            CHECK(std::fabs(kS[(size_t)a * D + b] - want) < 0.05 * scale);
        }
    }
}

TEST_CASE("baseline: checkpoints round trip; a flipped bit or a bad covariance is rejected", "[baseline][checkpoint]") {
    TempDir t;
    const Tensor x = rows(30, 3, 12), q = rows(4, 3, 13);
    Gaussian g;
    gaussian_fit(g, x, 0.1);
    KDE k;
    kde_fit(k, x, 0.3);
    save_gaussian(t / "g.safetensors", g, {{"seed", "7"}});
    save_kde(t / "k.safetensors", k, {});
    Gaussian g2;
    KDE k2;
    gaussian_from_safetensors(g2, load_safetensors(t / "g.safetensors"), "g");
    kde_from_safetensors(k2, load_safetensors(t / "k.safetensors"), "k");
    CHECK(g2.alpha == g.alpha);
    CHECK(g2.cov == g.cov);
    CHECK(g2.mean == g.mean);
    CHECK(k2.h == k.h);
    CHECK(k2.scale == k.scale);
    std::vector<double> a(4), b(4);
    gaussian_log_prob(a.data(), g, q), gaussian_log_prob(b.data(), g2, q);
    CHECK(a == b);
    kde_log_prob(a.data(), k, q), kde_log_prob(b.data(), k2, q);
    CHECK(a == b);
    // the wrong loader for the format
    CHECK_THROWS_WITH(kde_from_safetensors(k2, load_safetensors(t / "g.safetensors"), "g"),
                      Catch::Contains("expected 'symkl-kde-1'"));
    // a flipped bit anywhere in the data
    const std::string bytes = slurp(t / "g.safetensors");
    std::string bad = bytes;
    bad[bad.size() - 3] ^= 0x10;
    CHECK_THROWS_AS(load_safetensors(t.put("bad.safetensors", bad)), symkl::Error);
    // a covariance that is not positive definite, with valid checksums
    SafeTensors st = load_safetensors(t / "g.safetensors");
    for (NamedTensor& nt : st.tensors)
        if (nt.name == "cov") nt.values[0] = -1;
    st.metadata.erase(std::remove_if(st.metadata.begin(), st.metadata.end(),
                                     [](const auto& kv) { return kv.first == "crc32c_data" || kv.first == "crc32c_header"; }),
                      st.metadata.end());
    save_safetensors(t / "neg.safetensors", st, "F64");
    CHECK_THROWS_WITH(gaussian_from_safetensors(g2, load_safetensors(t / "neg.safetensors"), "neg"),
                      Catch::Contains("not a symmetric positive definite"));
    // metadata that disagrees with the tensors
    SafeTensors sk = load_safetensors(t / "k.safetensors");
    for (auto& kv : sk.metadata)
        if (kv.first == "n") kv.second = "31";
    save_safetensors(t / "n.safetensors", sk, "F64");
    CHECK_THROWS_WITH(kde_from_safetensors(k2, load_safetensors(t / "n.safetensors"), "n"),
                      Catch::Contains("metadata describes"));
}

TEST_CASE("baseline: symkl train --method gaussian|kde, then eval, logprob and sample", "[baseline][cli]") {
    TempDir t;
    for (const char* m : {"gaussian", "kde"}) {
        const std::string out = t / m;
        Run tr = run_cli(std::string("train --method ") + m + " --data moons --n-train 100 --n-test 500 --quiet --out " + out);
        INFO(tr.out);
        REQUIRE(tr.code == 0);
        CHECK_THAT(tr.out, Catch::Contains("chosen by 5-fold cross-validation"));
        const std::string metrics = slurp(out + "/metrics.csv");
        CHECK_THAT(metrics, Catch::StartsWith(std::string(m[0] == 'g' ? "alpha" : "h") + ",train_nll,val_nll,test_nll,fwd_kl,selected\n"));
        const std::string config = slurp(out + "/config.json");
        CHECK_THAT(config, Catch::Contains("\"method\": \"" + std::string(m) + "\""));
        CHECK_THAT(config, !Catch::Contains("\"steps\""));  // a baseline has no steps
        Run ev = run_cli("eval --model " + out + "/model.safetensors --data moons --n-test 500");
        INFO(ev.out);
        REQUIRE(ev.code == 0);
        CHECK_THAT(ev.out, Catch::Contains("rev_kl"));
        Run sa = run_cli("sample --model " + out + "/model.safetensors --n 20 --with-logprob --out " + (t / "s.csv"));
        REQUIRE(sa.code == 0);
        Run lp = run_cli("logprob --model " + out + "/model.safetensors --in " + (t / "s.csv") + " --out " + (t / "lp.csv"));
        INFO(lp.out);
        CHECK(lp.code != 0);  // s.csv has 3 columns (x0, x1, logp): the wrong dimension
        REQUIRE(run_cli("sample --model " + out + "/model.safetensors --n 20 --out " + (t / "s2.csv")).code == 0);
        REQUIRE(run_cli("logprob --model " + out + "/model.safetensors --in " + (t / "s2.csv") + " --out " + (t / "lp.csv")).code == 0);
        // logprob agrees with the logp column written by sample
        const std::string s1 = slurp(t / "s.csv"), l2 = slurp(t / "lp.csv");
        CHECK(s1.find(",") != std::string::npos);
        CHECK(std::count(l2.begin(), l2.end(), '\n') == 21);
        // the test NLL printed by train is the one eval computes on the same points
        const double nll = std::stod(ev.out.substr(ev.out.find("test_nll") + 8));
        const double printed = std::stod(tr.out.substr(tr.out.find("test NLL") + 8));
        CHECK(printed == Approx(nll).margin(1e-4));
    }
    // a CSV: validation rows (val-frac 0.1 by default) choose the value
    Run c = run_cli("train --method kde --data " + std::string(SYMKL_SOURCE_DIR) + "/data/diabetes.csv --quiet --out " + (t / "d"));
    INFO(c.out);
    REQUIRE(c.code == 0);
    CHECK_THAT(c.out, Catch::Contains("chosen by the validation NLL"));
    // digits has constant columns (dequantised by default, which makes them vary): without
    // dequantisation, a one-line error naming one, nothing written
    Run bad = run_cli("train --method gaussian --dequantize off --data " + std::string(SYMKL_SOURCE_DIR) +
                      "/data/digits.csv --quiet --out " + (t / "g"));
    CHECK(bad.code == 2);
    CHECK_THAT(bad.out, Catch::Contains("column 0 has the same value"));
    CHECK(!std::ifstream(t / "g/config.json"));
}
