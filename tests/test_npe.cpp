// test_npe.cpp — neural posterior estimation (sbi/npe.h, io/posterior.h): the posterior it
// learns, z-scoring on the fit rows only, validation NLL in θ's units, early stopping,
// rejection outside the prior, the model file, and determinism.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "io/posterior.h"
#include "io/safetensors.h"
#include "sbi/npe.h"
#include "sbi/tasks.h"
#include "tempdir.h"
#include "tensor/error.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

struct Sims {
    Tensor theta, x;
};

Sims simulate(SbiTask t, int n, uint64_t seed) {
    Rng rng(seed);
    Sims s;
    s.theta = sbi_prior_sample(t, n, rng);
    s.x = sbi_simulate(t, s.theta, rng);
    return s;
}

// Small and quick at -O0.
NpeConfig small_config(long max_epochs) {
    NpeConfig c = npe_default_config();
    c.fit.flow.layers = 2, c.fit.flow.hidden = 16;
    c.fit.proxy_flow = c.fit.flow;
    c.fit.ebm.hidden = 16;
    c.fit.trainer.batch = 100;
    c.max_epochs = max_epochs;
    return c;
}

std::function<bool(const Real*)> in_prior(SbiTask t) {
    return [t](const Real* th) { return std::isfinite(sbi_log_prior(t, th)); };
}

bool same(const Tensor& a, const Tensor& b) {
    return a.rows == b.rows && a.cols == b.cols &&
           std::memcmp(a.ptr(), b.ptr(), sizeof(Real) * a.data.size()) == 0;
}

}  // namespace

TEST_CASE("npe: the defaults are sbi's", "[npe]") {
    const NpeConfig c = npe_default_config();
    CHECK(c.fit.trainer.method == Method::mle);
    CHECK(c.fit.trainer.batch == 200);
    CHECK(*c.fit.lr == 5e-4);
    CHECK(c.fit.trainer.proxy_adam.lr == 1.5e-3);  // 3 x the flow's (docs/method.md §10)
    CHECK(c.fit.trainer.clip == 5);
    CHECK(c.fit.flow.layers == 5);
    CHECK(c.fit.flow.hidden == 50);
    CHECK(c.fit.flow.embed == 0);
    CHECK(c.val_frac == 0.1);
    CHECK(c.patience == 20);
}

TEST_CASE("npe: gaussian_linear's posterior mean is near x_o / 2", "[npe]") {
    // p(θ | x) = N(x / 2, 0.05 I): the flow needs only a shift linear in its context.
    const SbiTask t = SbiTask::gaussian_linear;
    const Sims s = simulate(t, 2000, 1);
    NpeConfig c = small_config(40);
    c.fit.lr = 3e-3;
    Posterior post;
    const NpeReport rep = npe_train(post, s.theta, s.x, c, 7);
    CHECK(rep.epochs >= 1);
    // the exact posterior's NLL is 10 · ½ log(2π e 0.05) = -0.79 per simulation; a trained
    // flow comes within a few nats of it, the prior (N(0, 0.1 I)) is 2.7 nats above
    CHECK(rep.best_val_nll < -0.79 + 2.7);
    Rng orng(99);
    const Tensor th_o = sbi_prior_sample(t, 1, orng);
    const Tensor x_o = sbi_simulate(t, th_o, orng);
    Rng rng(5);
    const int n = 2000;
    const Tensor draws = posterior_sample(post, x_o.row(0), n, rng, nullptr);
    // tolerance: the posterior's sd is √0.05 = 0.22; the Monte Carlo error of the mean is
    // 0.22/√2000 = 0.005; allow the flow a bias of half a posterior sd per coordinate
    double worst = 0;
    for (int j = 0; j < 10; j++) {
        double m = 0;
        for (int i = 0; i < n; i++) m += draws.at(i, j);
        m /= n;
        worst = std::fmax(worst, std::fabs(m - 0.5 * x_o.at(0, j)));
    }
    INFO("largest error of the posterior mean " << worst);
    CHECK(worst < 0.11);
}

TEST_CASE("npe: z-scoring comes from the fit rows only; validation NLL in theta's units", "[npe]") {
    const SbiTask t = SbiTask::two_moons;
    Sims s = simulate(t, 300, 2);
    // an outlier: the maps must depend on whether it is held out or not
    for (int i = 0; i < 30; i++) s.theta.at(i, 0) += 5, s.x.at(i, 1) -= 7;
    NpeConfig c = small_config(3);
    const uint64_t seed = 11;
    const ValSplit v = npe_validation_split(s.theta, s.x, c.val_frac, seed);
    REQUIRE(v.val.rows == 30);
    REQUIRE(v.fit.rows == 270);
    Posterior post;
    const NpeReport rep = npe_train(post, s.theta, s.x, c, seed);
    REQUIRE(post.theta_z.shift.size() == 2);
    REQUIRE(post.x_z.shift.size() == 2);
    for (int j = 0; j < 4; j++) {
        double fit_mean = 0, all_mean = 0;
        for (int i = 0; i < v.fit.rows; i++) fit_mean += v.fit.at(i, j);
        fit_mean /= v.fit.rows;
        for (int i = 0; i < s.theta.rows; i++) all_mean += j < 2 ? s.theta.at(i, j) : s.x.at(i, j - 2);
        all_mean /= s.theta.rows;
        const double shift = j < 2 ? post.theta_z.shift[(size_t)j] : post.x_z.shift[(size_t)(j - 2)];
        CHECK(shift == Approx(fit_mean).epsilon(1e-12));
        if (j == 0 || j == 3) CHECK(std::fabs(shift - all_mean) > 1e-3);
    }
    // the reported validation NLL is −mean log p(θ | x) of the held-out rows, in θ's units
    Tensor vt(v.val.rows, 2), vx(v.val.rows, 2);
    for (int i = 0; i < v.val.rows; i++)
        for (int j = 0; j < 2; j++) vt.at(i, j) = v.val.at(i, j), vx.at(i, j) = v.val.at(i, 2 + j);
    const std::vector<double> lp = posterior_log_prob(post, vt, vx);
    double nll = 0;
    for (double l : lp) nll -= l;
    nll /= (double)lp.size();
    CHECK(rep.best_val_nll == Approx(nll).epsilon(1e-9));
    CHECK(rep.val_nll.size() == (size_t)rep.epochs + 1);
    CHECK(rep.val_nll[(size_t)rep.best_epoch] == Approx(rep.best_val_nll).epsilon(1e-12));
    // a constant column keeps scale 1
    Sims k = simulate(t, 100, 3);
    for (int i = 0; i < k.x.rows; i++) k.x.at(i, 1) = 2.5;
    Posterior pk;
    npe_train(pk, k.theta, k.x, small_config(1), 1);
    CHECK(pk.x_z.scale[1] == 1.0);
    CHECK(pk.x_z.shift[1] == 2.5);
}

TEST_CASE("npe: early stopping ends after patience epochs without improvement and keeps the best", "[npe]") {
    const Sims s = simulate(SbiTask::two_moons, 200, 4);
    NpeConfig c = small_config(300);
    c.patience = 2;
    c.fit.lr = 0.05;  // a large step: the validation NLL soon stops falling
    Posterior post;
    std::vector<long> seen;
    const NpeReport rep = npe_train(post, s.theta, s.x, c, 3, [&](long e, double) { return seen.push_back(e), true; });
    CHECK(rep.early_stopped);
    CHECK(rep.epochs < 300);
    CHECK(rep.epochs == rep.best_epoch + 2);
    CHECK(rep.steps == rep.epochs * rep.steps_per_epoch);
    CHECK(rep.steps_per_epoch == 2);  // ⌈180 / 100⌉
    REQUIRE(!seen.empty());
    CHECK(seen.front() == 1);
    CHECK(seen.back() == rep.epochs);
    // the kept parameters are the best epoch's: their validation NLL is the best one
    const ValSplit v = npe_validation_split(s.theta, s.x, c.val_frac, 3);
    Tensor vt(v.val.rows, 2), vx(v.val.rows, 2);
    for (int i = 0; i < v.val.rows; i++)
        for (int j = 0; j < 2; j++) vt.at(i, j) = v.val.at(i, j), vx.at(i, j) = v.val.at(i, 2 + j);
    double nll = 0;
    for (double l : posterior_log_prob(post, vt, vx)) nll -= l;
    CHECK(nll / v.val.rows == Approx(rep.best_val_nll).epsilon(1e-9));
    // on_epoch returning false stops too
    Posterior p2;
    const NpeReport r2 = npe_train(p2, s.theta, s.x, c, 3, [](long e, double) { return e < 1; });
    CHECK(r2.epochs == 1);
    CHECK(!r2.early_stopped);
}

TEST_CASE("npe: draws outside the prior are rejected and redrawn", "[npe]") {
    const SbiTask t = SbiTask::two_moons;  // prior: the box [-1, 1]²
    const Sims s = simulate(t, 200, 5);
    Posterior post;
    npe_train(post, s.theta, s.x, small_config(1), 2);
    Rng rng(1);
    double acc = 0;
    const Tensor d = posterior_sample(post, s.x.row(0), 3000, rng, in_prior(t), &acc);
    REQUIRE(d.rows == 3000);
    // a flow barely trained is close to N(mean θ, sd θ), which puts mass outside the box
    CHECK(acc < 0.99);
    CHECK(acc > 0.2);
    for (int i = 0; i < d.rows; i++) CHECK(std::isfinite(sbi_log_prior(t, d.row(i))));
    // without a support every draw is kept
    Rng r2(1);
    posterior_sample(post, s.x.row(0), 100, r2, nullptr, &acc);
    CHECK(acc == 1.0);
    // nothing accepted: an error, not an endless loop
    Rng r3(1);
    CHECK_THROWS_WITH(posterior_sample(post, s.x.row(0), 10, r3, [](const Real*) { return false; }),
                      Catch::Contains("fewer than 1 in 10^4"));
    // mismatched simulations
    Tensor th1(10, 2), x2(9, 2);
    CHECK_THROWS_WITH(npe_train(post, th1, x2, small_config(1), 1), Catch::Contains("10 parameter rows but 9"));
}

TEST_CASE("npe: the model file round trip gives identical samples; a corrupt file is one line", "[npe]") {
    TempDir dir;
    const SbiTask t = SbiTask::slcp;
    const Sims s = simulate(t, 200, 6);
    Posterior post;
    npe_train(post, s.theta, s.x, small_config(2), 4);
    PosteriorInfo info;
    info.task = "slcp";
    info.theta_names = {"theta_1", "theta_2", "theta_3", "theta_4", "theta_5"};
    const std::string path = dir / "model.safetensors";
    save_posterior(path, post, info, {{"seed", "4"}});
    Posterior back;
    const PosteriorInfo got = load_posterior(path, back);
    CHECK(got.task == "slcp");
    CHECK(got.theta_names == info.theta_names);
    CHECK(got.x_names.empty());
    CHECK(back.theta_z.shift == post.theta_z.shift);
    CHECK(back.x_z.scale == post.x_z.scale);
    Rng r1(8), r2(8);
    CHECK(same(posterior_sample(post, s.x.row(3), 500, r1, in_prior(t)),
               posterior_sample(back, s.x.row(3), 500, r2, in_prior(t))));
    // one flipped byte in the weights: the checksum names the file
    std::string bytes;
    {
        std::ifstream f(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(f), {});
    }
    std::string bad = bytes;
    bad[bad.size() - 3] ^= 0x10;
    const std::string p2 = dir.put("bad.safetensors", bad);
    try {
        load_posterior(p2, back);
        FAIL("no error");
    } catch (const symkl::Error& e) {
        const std::string m = e.what();
        CHECK(m.find("bad.safetensors") != std::string::npos);
        CHECK(m.find('\n') == std::string::npos);
    }
    // a plain flow file is not a posterior
    save_flow(dir / "flow.safetensors", post.flow, {});
    CHECK_THROWS_WITH(load_posterior(dir / "flow.safetensors", back), Catch::Contains("expected 'symkl-posterior-1'"));
}

TEST_CASE("npe: the same seed gives the same posterior with 1 or 2 threads, for every method", "[npe]") {
    const SbiTask t = SbiTask::two_moons;
    const Sims s = simulate(t, 200, 7);
    for (const char* name : {"mle", "jeffreys", "penalty"}) {
        for (ProxyKind pk : {ProxyKind::ebm, ProxyKind::flow}) {
            if (std::string(name) == "mle" && pk == ProxyKind::flow) continue;
            INFO(name << " " << proxy_kind_name(pk));
            NpeConfig c = small_config(2);
            REQUIRE(method_from_name(name, &c.fit.trainer.method));
            c.fit.proxy_kind = pk;
            c.fit.trainer.contexts = 4, c.fit.trainer.samples = 4;
            Tensor a, b;
            std::vector<double> va, vb;
            for (int threads : {1, 2}) {
#ifdef _OPENMP
                const int saved = omp_get_max_threads();
                omp_set_num_threads(threads);
#endif
                Posterior post;
                const NpeReport rep = npe_train(post, s.theta, s.x, c, 9);
                Rng rng(3);
                (threads == 1 ? a : b) = posterior_sample(post, s.x.row(1), 200, rng, in_prior(t));
                (threads == 1 ? va : vb) = rep.val_nll;
#ifdef _OPENMP
                omp_set_num_threads(saved);
#endif
            }
            CHECK(same(a, b));
            CHECK(va == vb);
        }
    }
    // another seed: another posterior
    Posterior p1, p2;
    npe_train(p1, s.theta, s.x, small_config(1), 1);
    npe_train(p2, s.theta, s.x, small_config(1), 2);
    Rng r1(3), r2(3);
    CHECK(!same(posterior_sample(p1, s.x.row(1), 50, r1, nullptr), posterior_sample(p2, s.x.row(1), 50, r2, nullptr)));
}

TEST_CASE("npe: a model file with bad metadata is a one-line error naming the key", "[npe]") {
    TempDir dir;
    const Sims s = simulate(SbiTask::two_moons, 100, 8);
    Posterior post;
    npe_train(post, s.theta, s.x, small_config(1), 1);
    PosteriorInfo info;
    info.task = "two_moons";
    const std::string path = dir / "model.safetensors";
    save_posterior(path, post, info);
    struct Case { std::string key, value, expect; };
    const Case cases[] = {
        {"context_scale", "1,2,3", "'context_scale' holds more than 2 numbers"},
        {"context_shift", "0,nan", "'context_shift' value 2"},
        {"standardize_scale", "1,-1", "'standardize_scale' value 2"},
        {"task", "moons", "'task' = 'moons' is not custom or one of"},
        {"task", "slcp", "'task' = 'slcp' has 5 parameters and 8 data, the flow 2 and 2"},
        {"theta_columns", "a,b,c", "'theta_columns' does not hold 2 names"},
        {"context", "3", "context"},
    };
    for (const Case& k : cases) {
        INFO(k.key << " = " << k.value);
        SafeTensors st = load_safetensors(path);
        bool found = false;
        for (auto& kv : st.metadata)
            if (kv.first == k.key) kv.second = k.value, found = true;
        if (!found) st.metadata.push_back({k.key, k.value});
        const std::string bad = dir / "bad.safetensors";
        save_safetensors(bad, st, SYMKL_SAFETENSORS_DTYPE);
        Posterior back;
        try {
            load_posterior(bad, back);
            FAIL("no error");
        } catch (const symkl::Error& e) {
            const std::string m = e.what();
            CHECK_THAT(m, Catch::Contains(k.expect));
            CHECK_THAT(m, Catch::Contains("bad.safetensors"));
            CHECK(m.find('\n') == std::string::npos);
        }
    }
    // without the x map but with θ's
    SafeTensors st = load_safetensors(path);
    for (size_t i = 0; i < st.metadata.size(); i++)
        if (st.metadata[i].first.rfind("context_s", 0) == 0) st.metadata.erase(st.metadata.begin() + (long)i--);
    save_safetensors(dir / "half.safetensors", st, SYMKL_SAFETENSORS_DTYPE);
    Posterior back;
    CHECK_THROWS_WITH(load_posterior(dir / "half.safetensors", back), Catch::Contains("z-scoring of theta but not of x"));
}
