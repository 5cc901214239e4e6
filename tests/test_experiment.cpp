// test_experiment.cpp — experiments as tables (app/experiment.h): the grid of E1 and E3
// expands to the runs and option overrides of docs/results.md, the command line and the
// table take precedence as `symkl experiment --help` says, the runner writes results.csv
// and summary.md for a tiny table, and the Markdown writer's text on fixed numbers.
// Training is a stand-in here (it writes a metrics.csv from the settings), so the runner
// is checked exactly and fast; tests/test_cli.cpp runs a real experiment.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/experiment.h"
#include "io/csv.h"
#include "tempdir.h"

// The stand-in of read_training_options: the few options the tests use.
static void read_options(const Args& a, RunSettings& s) {
    auto get = [&](const char* flag, const char* def) {
        const auto it = a.values.find(flag);
        return it == a.values.end() ? std::string(def) : it->second;
    };
    s.data.data = get("--data", "8gaussians");
    s.data.n_train = std::stol(get("--n-train", "200"));
    s.steps = std::stol(get("--steps", "2000"));
    s.log_every = std::stol(get("--log-every", "100"));
    s.trainer.adam.lr = std::stod(get("--lr", "1e-3"));
    s.trainer.samples = std::stoi(get("--samples", "256"));
}

// The stand-in of run_training: a metrics.csv whose test NLL at step k is
// 3 + 1/(1 + k) + n_train/1000 + seed/100 (lowest at the last step).
static RunResult fake_train(RunSettings s) {
    std::filesystem::create_directories(s.out);
    std::ofstream f(s.out + "/metrics.csv");
    f << "step,train_nll,test_nll,fwd_kl,rev_kl,jeffreys,lambda\n";
    for (long k = 0; k <= s.steps; k += s.log_every) {
        const double nll = 3 + 1.0 / (1 + k) + s.data.n_train / 1000.0 + s.seed / 100.0;
        f << k << "," << csv_format(nll - 0.5) << "," << csv_format(nll) << ",0.25,0.5,0.75,nan\n";
    }
    RunResult r;
    r.eps = 1.5;
    return r;
}

static const Training FAKE{read_options, fake_train};

static Args args_of(const std::vector<std::pair<std::string, std::string>>& given) {
    Args a;
    for (const auto& g : given) a.values[g.first] = g.second, a.given[g.first] = true;
    return a;
}

static const Experiment& named(const std::string& name) {
    for (const Experiment& x : experiments())
        if (x.name == name) return x;
    FAIL("no experiment " << name);
    throw 0;
}

TEST_CASE("experiment: E1 expands to 180 runs with its overrides", "[experiment]") {
    const Experiment& e1 = named("E1");
    Results r = plan(e1, args_of({}), {}, false, e1.seeds, "out/E1", FAKE);
    REQUIRE(r.cells.size() == 36);
    CHECK(r.jobs.size() == 180);
    const Cell& first = r.cells.front();
    CHECK(first.id == "8gaussians_n100_mle");
    CHECK(first.set == Overrides{{"--data", "8gaussians"}, {"--n-train", "100"}});
    CHECK(first.method == "mle");
    CHECK(first.s.trainer.method == Method::mle);
    CHECK(r.cells[2].id == "8gaussians_n100_jeffreys-ebm");
    CHECK(r.cells[5].id == "8gaussians_n300_penalty-ebm");
    CHECK(r.cells[5].s.data.n_train == 300);
    const Cell& last = r.cells.back();
    CHECK(last.id == "rings_n1000_jeffreys-flow");
    CHECK(last.levels == std::vector<std::string>{"rings", "1000", "jeffreys-flow"});
    CHECK(last.s.proxy_kind == ProxyKind::flow);
    CHECK(r.jobs[0].s.out == "out/E1/runs/8gaussians_n100_mle/seed0");
    CHECK(r.jobs[179].s.out == "out/E1/runs/rings_n1000_jeffreys-flow/seed4");
    CHECK(r.jobs[179].s.seed == 4);
    // --quick: one data set, one size, two seeds
    Results q = plan(e1, args_of({}), QUICK_OPTIONS, true, e1.quick_seeds, "out/E1", FAKE);
    CHECK(q.cells.size() == 4);
    CHECK(q.jobs.size() == 8);
    CHECK(q.cells.front().s.steps == 200);
}

TEST_CASE("experiment: E2 sets every learning rate, E3 varies one factor at a time", "[experiment]") {
    const Experiment& e2 = named("E2");
    Results r2 = plan(e2, args_of({}), {}, false, 1, "d", FAKE);
    CHECK(r2.cells.size() == 30);
    CHECK(r2.cells[3].id == "8gaussians_lr0.0003_mle");
    CHECK(r2.cells[3].set ==
          Overrides{{"--data", "8gaussians"}, {"--lr", "0.0003"}, {"--proxy-lr", "0.0003"}, {"--critic-lr", "0.0003"}});
    CHECK(r2.cells[3].s.trainer.adam.lr == 3e-4);
    CHECK(r2.cells[3].s.data.n_train == 1000);

    const Experiment& e3 = named("E3");
    Results r3 = plan(e3, args_of({}), {}, false, e3.seeds, "d", FAKE);
    std::vector<std::string> ids;
    for (const Cell& c : r3.cells) ids.push_back(c.id);
    CHECK(ids == std::vector<std::string>{"eps-1_alpha1_M256_jeffreys-ebm", "eps-0.5_alpha1_M256_jeffreys-ebm",
                                          "eps0_alpha1_M256_jeffreys-ebm", "eps0.5_alpha1_M256_jeffreys-ebm",
                                          "eps1_alpha1_M256_jeffreys-ebm", "eps0_alpha0.1_M256_jeffreys-ebm",
                                          "eps0_alpha10_M256_jeffreys-ebm", "eps0_alphainf_M256_jeffreys-ebm",
                                          "eps0_alpha1_M64_jeffreys-ebm", "eps0_alpha1_M1024_jeffreys-ebm",
                                          "eps0_alpha1_M256_jeffreys-flow", "mle"});
    CHECK(r3.jobs.size() == 36);
    CHECK(r3.cells.back().levels == std::vector<std::string>{"-", "-", "-", "mle"});
    CHECK(r3.cells[8].s.trainer.samples == 64);
    CHECK(plan(e3, args_of({}), QUICK_OPTIONS, true, e3.quick_seeds, "d", FAKE).cells.size() == 6);
}

TEST_CASE("experiment: the table's settings win over the command line, its defaults do not", "[experiment]") {
    // E2 sets --lr whatever the command line says; its --n-train 1000 yields to one given
    const Experiment& e2 = named("E2");
    Results r =
        plan(e2, args_of({{"--lr", "0.5"}, {"--n-train", "64"}, {"--steps", "7"}}), QUICK_OPTIONS, true, 1, "d", FAKE);
    CHECK(r.cells.front().s.trainer.adam.lr == 1e-3);
    CHECK(r.cells.front().s.data.n_train == 64);
    CHECK(r.cells.front().s.steps == 7);  // the --quick preset yields too
    // E3 runs on 8gaussians whatever --data says
    Results r3 = plan(named("E3"), args_of({{"--data", "moons"}}), {}, false, 1, "d", FAKE);
    CHECK(r3.cells.front().s.data.data == "8gaussians");
    CHECK(r3.cells.front().s.data.n_train == 300);
}

TEST_CASE("experiment: the runner writes results.csv and summary.md for a tiny table", "[experiment]") {
    TempDir t;
    Experiment x;
    x.name = "T1";
    x.title = "tiny";
    x.description = "Two sizes, {n_train} points first.";
    x.defaults = {{"--steps", "20"}, {"--log-every", "10"}};
    x.axes = {{"n_train", "n", "n", {"--n-train"}, {"100", "300"}, {}, "training points", true, ""},
              {"method", "", "", {}, {"mle"}, {}, "", false, ""}};
    x.seeds = 2;
    x.csv = {"seed", "exit_code", "stopped_at", "final_test_nll", "best_test_nll", "best_step", "eps", "dir"};
    x.table = {"", {"n_train", "method"}, {{"final test NLL", Quantity::final_nll}, {"stopped", Quantity::stopped}}};
    x.figures = {
        {Figure::Kind::versus, {}, "method", "nll.svg", "final test NLL", "nats", Quantity::final_nll, "n_train"},
        {Figure::Kind::curves, {"n_train"}, "method", "n{n_train}.svg", "n = {n_train}", "test_nll"}};
    Results r = plan(x, args_of({}), {}, false, x.seeds, t / "T1", FAKE);
    run(r, 2, false, true, FAKE);
    const std::string md = write_outputs(r);

    std::string expect = "n_train,method,seed,exit_code,stopped_at,final_test_nll,best_test_nll,best_step,eps,dir\n";
    for (int n : {100, 300})
        for (int seed : {0, 1}) {
            const std::string nll = csv_format(3 + 1.0 / 21 + n / 1000.0 + seed / 100.0);
            expect += std::to_string(n) + ",mle," + std::to_string(seed) + ",0,-1," + nll + "," + nll +
                      ",20,1.5,runs/n" + std::to_string(n) + "_mle/seed" + std::to_string(seed) + "\n";
        }
    CHECK(slurp(t / "T1/results.csv") == expect);
    CHECK(slurp(t / "T1/summary.md") == md);
    CHECK_THAT(md,
               Catch::StartsWith("# T1: tiny\n\nTwo sizes, 100 points first.\n\n4 runs (2 configurations x 2 seeds), "
                                 "20 steps each;"));
    CHECK_THAT(md, Catch::EndsWith("\n\n| n | method | final test NLL | stopped |\n|---|---|---|---|\n"
                                   "| 100 | mle | 3.153 [3.148, 3.158] | 0 |\n"
                                   "| 300 | mle | 3.353 [3.348, 3.358] | 0 |\n"));
    CHECK(std::filesystem::exists(t / "T1/fig/nll.svg"));
    CHECK_THAT(slurp(t / "T1/fig/n300.svg"), Catch::Contains("n = 300"));
    CHECK(std::filesystem::exists(t / "T1/runs/n300_mle/seed1/metrics.csv"));
}

TEST_CASE("experiment: the Markdown writer on fixed numbers", "[experiment]") {
    CHECK(md_table({"lr", "method", "final"}, {{"0.001", "mle", "3.2"}, {"0.01", "wgan", ""}}) ==
          "| lr | method | final |\n|---|---|---|\n| 0.001 | mle | 3.2 |\n| 0.01 | wgan | |\n");
    CHECK(stats_text(stats_of({3.5, NAN, 3.1, 3.2})) == "3.200 [3.100, 3.500]");
    CHECK(stats_text(stats_of({2.0, 1.0, 4.0, 3.0}), 1) == "2.5 [1.0, 4.0]");
    // a cell's quantities over its seeds: a run that could not start is left out but
    // counted as stopped, as is one stopped by a non-finite value
    Experiment x;
    x.axes = {{"method", "", "", {}, {"mle"}, {}, "", false, ""}};
    Results r;
    r.x = &x;
    r.cells.resize(1);
    r.cells[0].runs = {0, 1, 2};
    r.jobs.resize(3);
    r.out.resize(3);
    r.out[0].final_nll = 3.0, r.out[0].best_nll = 2.5;
    r.out[1].final_nll = 4.0, r.out[1].best_nll = 3.75, r.out[1].stopped_at = 300;
    r.jobs[2].r.exit_code = 2;
    CHECK(quantity_text(r, r.cells[0], Quantity::final_nll) == "3.500 [3.000, 4.000]");
    CHECK(quantity_text(r, r.cells[0], Quantity::rise) == "0.375");
    CHECK(quantity_text(r, r.cells[0], Quantity::final_jef) == "n/a");
    CHECK(quantity_text(r, r.cells[0], Quantity::stopped) == "2");
}

// A stand-in run with validation: val_nll lowest at step 10, and early stopping (patience
// 2, the default of this stand-in's options) ends it at step 30 of 100.
static int val_calls = 0;
static RunResult fake_val_train(RunSettings s) {
    val_calls++;
    std::filesystem::create_directories(s.out);
    std::ofstream f(s.out + "/metrics.csv");
    f << "step,train_nll,test_nll,fwd_kl,rev_kl,jeffreys,lambda,val_nll\n";
    const double val[] = {5, 4, 4.5, 4.2};
    for (int i = 0; i < 4; i++)
        f << i * 10 << ",1," << csv_format(3 + 0.1 * i + s.seed / 100.0) << ",nan,nan,nan,nan," << csv_format(val[i]) << "\n";
    std::ofstream(s.out + "/config.json") << "{\"seed\": " << s.seed << ", \"steps\": " << s.steps
                                          << ", \"method\": \"mle\", \"data\": \"" << s.data.data << "\"}\n";
    return RunResult{};
}

TEST_CASE("experiment: results.csv has the selected step's test NLL; --resume keeps an early-stopped run",
          "[experiment][select]") {
    TempDir t;
    Experiment x;
    x.name = "T2";
    x.defaults = {{"--steps", "100"}, {"--log-every", "10"}};
    x.axes = {{"method", "", "", {}, {"mle"}, {}, "", false, ""}};
    x.seeds = 1;
    x.csv = {"seed", "final_test_nll", "selected_step", "selected_test_nll", "selected_val_nll"};
    x.table = {"", {"method"}, {{"selected test NLL", Quantity::selected_nll}}};
    const Training fake{[](const Args& a, RunSettings& s) { read_options(a, s), s.patience = 2; }, fake_val_train};
    Results r = plan(x, args_of({}), {}, false, 1, t / "T2", fake);
    run(r, 1, false, true, fake);
    write_outputs(r);
    CHECK(slurp(t / "T2/results.csv") == "method,seed,final_test_nll,selected_step,selected_test_nll,selected_val_nll\n"
                                         "mle,0,3.3,10,3.1,4\n");
    CHECK_THAT(slurp(t / "T2/summary.md"), Catch::Contains("| mle | 3.100 [3.100, 3.100] |"));
    val_calls = 0;
    Results again = plan(x, args_of({}), {}, false, 1, t / "T2", fake);
    run(again, 1, true, true, fake);
    CHECK(val_calls == 0);  // stopped early at step 30 of 100: finished, not retrained
    CHECK(again.reused == 1);
}
