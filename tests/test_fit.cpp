// test_fit.cpp — the method as a library (train/fit.h): the defaults come from the data
// and the method and say which were automatic; fit() is the plain loop of train_step,
// calling its log at the steps it promises and stopping when asked.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "data/entropy.h"
#include "data/toy.h"
#include "tensor/error.h"
#include "train/fit.h"

static Tensor toy_data(const char* name, int n, uint64_t seed) {
    Toy toy;
    REQUIRE(toy_from_name(name, &toy));
    Rng rng(seed);
    Tensor x;
    toy_sample(toy, rng, n, x);
    return x;
}

static FitConfig small_config(Method m) {
    FitConfig c;
    c.trainer.method = m;
    c.trainer.batch = 32, c.trainer.samples = 32;
    c.flow.layers = 2, c.flow.hidden = 8;
    c.proxy_flow = c.flow;
    c.ebm.hidden = 8, c.critic.hidden = 8;
    c.trainer.wgan.n_critic = 2;
    return c;
}

TEST_CASE("fit: automatic defaults come from the data and the method, and say so", "[fit]") {
    const Tensor x = toy_data("moons", 300, 4);
    FitConfig c = small_config(Method::jeffreys);
    c.eps_margin = 0.25;
    Resolved r = resolve_defaults(c, x);
    CHECK(r.eps == knn_entropy(x) + 0.25);
    CHECK(r.sigma0 == 3.0 * rms_std(x));
    CHECK((r.lr == 1e-3 && r.beta1 == 0.9 && r.beta2 == 0.999));
    CHECK((r.eps_auto && r.sigma0_auto && r.lr_auto && r.beta1_auto && r.beta2_auto));
    // RMS std by hand: sqrt of the mean of the per-column variances
    double var[2] = {0, 0};
    for (int c2 = 0; c2 < 2; c2++) {
        double m = 0;
        for (int i = 0; i < x.rows; i++) m += x.at(i, c2);
        m /= x.rows;
        for (int i = 0; i < x.rows; i++) var[c2] += (x.at(i, c2) - m) * (x.at(i, c2) - m) / x.rows;
    }
    CHECK(rms_std(x) == Approx(std::sqrt((var[0] + var[1]) / 2)).epsilon(1e-12));

    // given values are kept and marked as given
    c.eps = 1.25, c.sigma0 = 2.0, c.lr = 5e-4, c.beta1 = 0.8, c.beta2 = 0.99;
    r = resolve_defaults(c, x);
    CHECK((r.eps == 1.25 && r.sigma0 == 2.0 && r.lr == 5e-4 && r.beta1 == 0.8 && r.beta2 == 0.99));
    CHECK(!(r.eps_auto || r.sigma0_auto || r.lr_auto || r.beta1_auto || r.beta2_auto));

    // wgan: the customary WGAN-GP optimiser; no proxy, so no ε or σ₀
    r = resolve_defaults(small_config(Method::wgan), x);
    CHECK((r.lr == 1e-4 && r.beta1 == 0.5 && r.beta2 == 0.9 && r.lr_auto));
    CHECK((std::isnan(r.eps) && std::isnan(r.sigma0) && !r.eps_auto && !r.sigma0_auto));
    // the flow proxy has no σ₀
    FitConfig f = small_config(Method::penalty);
    f.proxy_kind = ProxyKind::flow;
    r = resolve_defaults(f, x);
    CHECK((std::isnan(r.sigma0) && r.eps_auto));

    // apply_defaults writes them where the trainer and the EBM read them
    c = small_config(Method::jeffreys);
    r = resolve_defaults(c, x);
    apply_defaults(c, r);
    CHECK((c.trainer.dual.eps == r.eps && c.ebm.sigma0 == r.sigma0 && c.trainer.adam.lr == 1e-3));
    CHECK((c.trainer.proxy_adam.beta1 == 0.9 && c.trainer.proxy_adam.beta2 == 0.999));
}

TEST_CASE("fit: data without spread names the cause", "[fit]") {
    Tensor x(40, 2);
    for (int i = 0; i < 40; i++) x.at(i, 0) = 1, x.at(i, 1) = -2;
    const FitConfig c = small_config(Method::jeffreys);
    CHECK_THROWS_WITH(resolve_defaults(c, x), Catch::Contains("no spread") && Catch::Contains("all 40 points") &&
                                                  Catch::Contains("sigma0"));
    CHECK_NOTHROW(resolve_defaults(small_config(Method::mle), x));  // MLE needs neither ε nor σ₀
}

TEST_CASE("fit: the loop is train_step with logs before step 0, every log_every steps and at the end", "[fit]") {
    const Tensor x = toy_data("8gaussians", 100, 1);
    for (Method m : {Method::mle, Method::jeffreys, Method::wgan}) {
        INFO(method_name(m));
        const FitConfig c = small_config(m);
        Rng init1(1), proxy1(2), batch1(3), init2(1), proxy2(2), batch2(3);
        FitModels a, b;
        fit_init(a, c, x, init1, proxy1);
        fit_init(b, c, x, init2, proxy2);
        std::vector<long> logged;
        long stepped = 0;
        const FitEnd end = fit(a.trainer, x, batch1, FitSchedule{7, 3},
                               [&](const FitLog& l) {
                                   logged.push_back(l.step);
                                   if (l.step == 0) CHECK(std::isnan(l.loss));
                                   else if (m != Method::wgan) CHECK(std::isfinite(l.loss));
                                   return true;
                               },
                               [&](long step, const StepResult&) { CHECK(step == ++stepped); });
        CHECK(logged == std::vector<long>{0, 3, 6, 7});
        CHECK((end.steps == 7 && !end.bad && !end.stopped && stepped == 7));
        for (int i = 0; i < 7; i++) REQUIRE(!train_step(b.trainer, x, batch2).bad);  // the same steps by hand
        CHECK(a.flow.params.value == b.flow.params.value);
        // a log may stop the loop
        logged.clear();
        const FitEnd stop = fit(a.trainer, x, batch1, FitSchedule{10, 2}, [&](const FitLog& l) {
            logged.push_back(l.step);
            return l.step < 4;
        });
        CHECK((stop.stopped && stop.steps == 4 && logged == std::vector<long>{0, 2, 4}));
    }
}
