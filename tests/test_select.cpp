// test_select.cpp — validation and model selection (train/select.h): the split, the best
// step and its parameters, patience, fit_select's calls; and a run on disk: val_nll in
// metrics.csv, model.safetensors the selected step, model-last.safetensors the last,
// automatic settings in config.json and their replay.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "cli_run.h"
#include "data/toy.h"
#include "tempdir.h"
#include "tensor/error.h"
#include "train/select.h"

static Tensor toy_rows(int n, uint64_t seed) {
    Toy toy;
    REQUIRE(toy_from_name("moons", &toy));
    Rng rng(seed);
    Tensor x;
    toy_sample(toy, rng, n, x);
    return x;
}

static FitConfig small() {
    FitConfig c;
    c.trainer.batch = 16;
    c.flow.layers = 2, c.flow.hidden = 8;
    return c;
}

TEST_CASE("select: the validation split holds out round(frac n) distinct rows and keeps the others in order", "[select]") {
    Tensor x(50, 2);
    for (int i = 0; i < 50; i++) x.at(i, 0) = (Real)i, x.at(i, 1) = (Real)-i;
    Rng rng(3);
    const ValSplit v = validation_split(x, 0.1, rng);
    REQUIRE(v.val.rows == 5);
    REQUIRE(v.fit.rows == 45);
    std::set<int> seen;
    for (int i = 0; i < 5; i++) seen.insert((int)v.val.at(i, 0));
    for (int i = 0; i < 45; i++) {
        CHECK(seen.count((int)v.fit.at(i, 0)) == 0);
        if (i) CHECK(v.fit.at(i, 0) > v.fit.at(i - 1, 0));
        seen.insert((int)v.fit.at(i, 0));
    }
    CHECK(seen.size() == 50);
    Rng r0(3);
    CHECK(validation_split(x, 0, r0).val.rows == 0);
    CHECK(validation_split(x, 0.001, r0).val.rows == 1);  // at least one row
    CHECK_THROWS_AS(validation_split(toy_rows(3, 1), 0.5, r0), symkl::Error);
}

TEST_CASE("select: the best step is the first lowest validation NLL; restore gives its parameters; patience stops",
          "[select]") {
    const Tensor train = toy_rows(64, 1), val = toy_rows(16, 2);
    FitModels m;
    Rng init(1), proxy(2), batch(3);
    fit_init(m, small(), train, init, proxy);
    Selection sel;
    select_init(sel, SelectConfig{5, 3}, m, val);
    std::vector<double> seen;
    std::vector<long> steps;
    // lr 0.05 on 64 points: the validation NLL goes down, then up
    m.trainer.opt.cfg.lr = 0.05;
    FitSchedule sched;
    sched.steps = 400, sched.log_every = 1000;
    const FitEnd end = fit_select(m, train, sel, batch, sched, [&](const FitLog& l) {
        if (l.validated) seen.push_back(l.val_nll), steps.push_back(l.step);
        else CHECK(std::isnan(l.val_nll));
        return true;
    });
    REQUIRE(seen.size() >= 2);
    CHECK(steps[0] == 0);
    CHECK(steps[1] == 5);
    size_t best = 0;
    for (size_t i = 0; i < seen.size(); i++)
        if (seen[i] < seen[best]) best = i;
    CHECK(sel.best_step == steps[best]);
    CHECK(sel.best_nll == seen[best]);
    // stopped early exactly `patience` validations after the best (or ran to the end)
    if (end.early_stopped) {
        CHECK(seen.size() == best + 1 + 3);
        CHECK(end.steps < 400);
    } else {
        CHECK(end.steps == 400);
    }
    CHECK(!end.stopped);
    FlowCache c;
    flow_cache_init(c, m.flow, 64);
    std::vector<Real> scratch;
    const double last = mean_nll(m.flow, c, val, scratch);
    CHECK(last == seen.back());
    select_restore(m, sel);
    CHECK(mean_nll(m.flow, c, val, scratch) == sel.best_nll);
    // patience 0 never stops
    FitModels m2;
    Rng i2(1), p2(2), b2(3);
    fit_init(m2, small(), train, i2, p2);
    Selection s2;
    select_init(s2, SelectConfig{5, 0}, m2, val);
    sched.steps = 60;
    CHECK(fit_select(m2, train, s2, b2, sched, [](const FitLog&) { return true; }).steps == 60);
    CHECK(s2.validations == 13);
    CHECK_THROWS_AS(select_init(s2, SelectConfig{0, 1}, m2, val), symkl::Error);
    CHECK_THROWS_AS(select_init(s2, SelectConfig{1, 1}, m2, Tensor()), symkl::Error);
}

TEST_CASE("select: a run with validation rows: val_nll, the selected and the last checkpoints, replay", "[select][run]") {
    TempDir t;
    const std::string csv = std::string(SYMKL_SOURCE_DIR) + "/data/moons.csv";
    const std::string small = " --n-train 120 --batch 32 --layers 2 --hidden 8 --steps 40 --log-every 10 --val-every 5"
                              " --lr 0.03 --quiet --no-figures --threads 1";
    const std::string a = t / "a";
    Run r = run_cli("train --data " + csv + small + " --out " + a);
    INFO(r.out);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("selected (step "));
    CHECK_THAT(r.out, Catch::Contains("of 12 validation rows"));
    const std::string metrics = slurp(a + "/metrics.csv");
    CHECK_THAT(metrics, Catch::Contains(",skipped,val_nll\n"));
    // rows at the log steps and the validation steps: 0, 5, ..., 40
    CHECK(std::count(metrics.begin(), metrics.end(), '\n') == 1 + 9);
    const std::string cfg = slurp(a + "/config.json");
    CHECK_THAT(cfg, Catch::Contains("\"val_frac\": 0.1"));
    CHECK_THAT(cfg, Catch::Contains("\"val_frac_auto\": true"));
    CHECK_THAT(cfg, Catch::Contains("\"val_every\": 5"));
    CHECK_THAT(cfg, Catch::Contains("\"val_every_auto\": false"));
    CHECK_THAT(cfg, Catch::Contains("\"patience\": 20"));
    REQUIRE(std::ifstream(a + "/model-last.safetensors"));
    // model.safetensors is the selected step's model: eval on the validation rows is not
    // possible from outside, but its metadata step is the printed one
    const std::string sel_step = r.out.substr(r.out.find("selected (step ") + 15);
    const std::string model = slurp(a + "/model.safetensors"), last = slurp(a + "/model-last.safetensors");
    CHECK_THAT(model, Catch::Contains("\"step\":\"" + sel_step.substr(0, sel_step.find(')')) + "\""));
    CHECK_THAT(last, Catch::Contains("\"step\":\"40\""));
    // replay from config.json: the same bytes
    Run again = run_cli("train --config " + a + "/config.json --threads 2 --quiet --no-figures --out " + (t / "b"));
    INFO(again.out);
    REQUIRE(again.code == 0);
    CHECK(slurp(t / "b/metrics.csv") == metrics);
    CHECK(slurp(t / "b/model.safetensors") == model);
    // --patience 1: the run stops at the first validation without improvement; the
    // selected step is the one before, model-last the step it stopped at
    Run p = run_cli("train --data " + csv + small + " --patience 1 --out " + (t / "p"));
    INFO(p.out);
    REQUIRE(p.code == 0);
    const size_t stop_at = p.out.find("stopped early at step ");
    REQUIRE(stop_at != std::string::npos);
    const long stop = std::stol(p.out.substr(stop_at + 22)), chosen = stop - 5;  // --val-every 5
    REQUIRE(stop >= 5);
    CHECK_THAT(p.out, Catch::Contains("selected (step " + std::to_string(chosen) + ")"));
    CHECK_THAT(slurp(t / "p/model.safetensors"), Catch::Contains("\"step\":\"" + std::to_string(chosen) + "\""));
    CHECK_THAT(slurp(t / "p/model-last.safetensors"), Catch::Contains("\"step\":\"" + std::to_string(stop) + "\""));
    const std::string pm = slurp(t / "p/metrics.csv");
    CHECK(std::count(pm.begin(), pm.end(), '\n') == 1 + 1 + stop / 5);  // header, step 0, one row per validation
    // jeffreys: the proxy saved with the selected model is the one of the same step
    Run jp = run_cli("train --method jeffreys --proxy flow --proxy-layers 2 --proxy-hidden 8 --samples 16 --data " + csv +
                     " --n-train 120 --batch 32 --layers 2 --hidden 8 --steps 200 --log-every 50 --val-every 5"
                     " --lr 0.03 --patience 1 --quiet --no-figures --out " + (t / "jp"));
    INFO(jp.out);
    REQUIRE(jp.code == 0);
    REQUIRE_THAT(jp.out, Catch::Contains("stopped early"));
    auto step_of = [&](const std::string& f) {
        const std::string b = slurp(t / ("jp/" + f + ".safetensors"));
        const size_t at = b.find("\"step\":\"") + 8;
        return b.substr(at, b.find('"', at) - at);
    };
    CHECK(step_of("model") != step_of("model-last"));
    CHECK(step_of("proxy") == step_of("model"));
    CHECK(step_of("proxy-last") == step_of("model-last"));
    // --val-frac 0: no validation, model.safetensors is the last step, no -last files
    Run none = run_cli("train --data " + csv + small + " --val-frac 0 --out " + (t / "c"));
    REQUIRE(none.code == 0);
    CHECK(!std::ifstream(t / "c/model-last.safetensors"));
    CHECK_THAT(none.out, !Catch::Contains("selected"));
    CHECK_THAT(slurp(t / "c/model.safetensors"), Catch::Contains("\"step\":\"40\""));
    CHECK_THAT(slurp(t / "c/config.json"), !Catch::Contains("patience"));
    // the method's automatic defaults come from the rows trained on: ε (the kNN entropy)
    // differs when half of them are held out
    auto eps = [&](const std::string& frac, const std::string& dir) {
        Run j = run_cli("train --method jeffreys --data " + csv + " --steps 0 --ebm-hidden 8 --samples 16 --val-frac " +
                        frac + " --n-train 120 --batch 32 --layers 2 --hidden 8 --quiet --no-figures --out " + (t / dir));
        INFO(j.out);
        REQUIRE(j.code == 0);
        const std::string c = slurp(t / (dir + "/config.json"));
        const size_t at = c.find("\"eps\": ") + 7;
        return c.substr(at, c.find(',', at) - at);
    };
    CHECK(eps("0", "j0") != eps("0.5", "j5"));
    CHECK(eps("0.5", "j5") == eps("0.5", "j5b"));
}
