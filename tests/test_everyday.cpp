// test_everyday.cpp — small things a user meets every day: logprob --keep-input,
// --test-frac 0 (no test split), the overall progress of compare and experiment.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/progress.h"
#include "cli_run.h"
#include "tempdir.h"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> v;
    std::stringstream ss(s);
    for (std::string l; std::getline(ss, l);) v.push_back(l);
    return v;
}

// The n-th comma-separated field of a line.
std::string field(const std::string& line, int n) {
    std::stringstream ss(line);
    std::string f;
    for (int i = 0; i <= n; i++) std::getline(ss, f, ',');
    return f;
}

const char* const TINY = "--steps 20 --log-every 10 --batch 32 --layers 2 --hidden 8 --n-eval 300 --quiet --no-figures";

}  // namespace

TEST_CASE("logprob --keep-input writes the input's columns, named, before logp", "[cli]") {
    TempDir t;
    std::string rows = "a,b,c\n1.5,2,-3\n0.25,4,5\n-1,0,2.75\n";
    for (int i = 0; i < 30; i++) rows += std::to_string(i % 7) + ".5," + std::to_string(i % 3) + "," + std::to_string(i % 11) + "\n";
    const std::string csv = t.put("pts.csv", rows);
    REQUIRE(run_cli("train --data " + csv + " " + TINY + " --out " + (t / "run")).code == 0);
    const std::string model = t / "run/model.safetensors";
    Run plain = run_cli("logprob --model " + model + " --in " + csv + " --out " + (t / "lp.csv"));
    REQUIRE(plain.code == 0);
    Run keep = run_cli("logprob --model " + model + " --in " + csv + " --keep-input --out " + (t / "both.csv"));
    INFO(keep.out);
    REQUIRE(keep.code == 0);
    const auto lp = lines_of(slurp(t / "lp.csv")), both = lines_of(slurp(t / "both.csv"));
    REQUIRE(both.size() == 34);
    CHECK(both[0] == "a,b,c,logp");
    CHECK(both[1] == "1.5,2,-3," + lp[1]);  // the input's values as they were, then the same logp
    CHECK(both[2] == "0.25,4,5," + lp[2]);
    CHECK(both[3] == "-1,0,2.75," + lp[3]);
    // without a header the columns are x0, x1, ...
    const std::string bare = t.put("bare.csv", "1.5,2,-3\n0.25,4,5\n");
    keep = run_cli("logprob --model " + model + " --in " + bare + " --keep-input --out -");
    REQUIRE(keep.code == 0);
    CHECK_THAT(keep.out, Catch::Contains("x0,x1,x2,logp\n1.5,2,-3,"));
    // a column named logp already: refused, nothing written
    const std::string clash = t.put("clash.csv", "a,b,c,logp\n1.5,2,-3,0\n2,1,0,0\n");
    keep = run_cli("logprob --model " + model + " --in " + clash + " --keep-input --out " + (t / "no.csv"));
    CHECK(keep.code == 2);
    CHECK_THAT(keep.out, Catch::Contains("--keep-input") && Catch::Contains("'logp'"));
    CHECK(!fs::exists(t / "no.csv"));
}

TEST_CASE("--test-frac 0: every row trains and no test NLL is reported", "[cli]") {
    TempDir t;
    std::string rows = "u,v\n";
    for (int i = 0; i < 40; i++) rows += std::to_string(i % 7) + "." + std::to_string(i % 5) + "," + std::to_string((i * 3) % 11) + ".5\n";
    const std::string csv = t.put("rows.csv", rows);
    Run r = run_cli("train --data " + csv + " --test-frac 0 --val-frac 0 " + TINY + " --out " + (t / "run"));
    INFO(r.out);
    REQUIRE(r.code == 0);
    CHECK_THAT(slurp(t / "run/config.json"), Catch::Contains("\"n_train\": 40,"));  // no row held out
    CHECK_THAT(r.out, !Catch::Contains("test NLL") && !Catch::Contains("best ("));
    CHECK_THAT(r.out, Catch::Contains("final (step 20):   train NLL "));
    const auto m = lines_of(slurp(t / "run/metrics.csv"));
    REQUIRE(m.size() == 4);
    CHECK(field(m[0], 3) == "test_nll");  // the column stays, nan in every row
    for (size_t i = 1; i < m.size(); i++) CHECK(field(m[i], 3) == "nan");
    // a baseline: no test NLL either
    r = run_cli("train --method gaussian --data " + csv + " --test-frac 0 --quiet --out " + (t / "g"));
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, !Catch::Contains("test NLL"));
    CHECK(field(lines_of(slurp(t / "g/metrics.csv"))[1], 3) == "nan");
    // compare ranks by test NLL: refused
    r = run_cli("compare --data " + csv + " --test-frac 0 --seeds 1 --out " + (t / "c"));
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("--test-frac"));
    CHECK(!fs::exists(t / "c"));
}

TEST_CASE("progress: runs done with an ETA once stable, and the total time at the end", "[cli]") {
    Progress p;
    p.unit = "run";
    p.begin(24, true);
    p.observe(0, 0.0);
    p.observe(1, 10.0);
    CHECK(p.line(1, 10.0, "") == "run 1/24");  // one window: no ETA yet
    p.observe(2, 20.0);
    CHECK(p.line(2, 20.0, "") == "run 2/24  eta 3m40s");  // 22 runs at 0.1 run/s
    p.observe(3, 40.0);  // slower: the rate is smoothed, 0.3 * 0.05 + 0.7 * 0.1
    CHECK(p.line(3, 40.0, "") == "run 3/24  eta 4m07s");
    CHECK(p.done_line(312.0) == "done: 24 runs in 5m12s");
    p.total = 1;
    CHECK(p.done_line(3.0) == "done: 1 run in 3s");
    // a training run's lines are as before
    Progress s;
    s.begin(100, true);
    CHECK(s.line(100, 2.0, "loss 1.0") == "step 100/100  loss 1.0  50.0 steps/s  took 2s");
}

TEST_CASE("compare ends with the total wall time on stderr; stdout is the table", "[cli]") {
    TempDir t;
    const std::string cmd = std::string(SYMKL_BIN) + " compare --data moons --n-train 32 --n-test 200 --n-eval 200 --steps 5 "
                            "--log-every 5 --layers 2 --hidden 8 --batch 16 --no-figures --seeds 2 --methods mle --out " +
                            (t / "c");
    REQUIRE(std::system((cmd + " > " + (t / "out.txt") + " 2> " + (t / "err.txt")).c_str()) == 0);
    const std::string out = slurp(t / "out.txt"), err = slurp(t / "err.txt");
    CHECK_THAT(err, Catch::Contains("[2/2] mle seed"));
    CHECK_THAT(lines_of(err).back(), Catch::StartsWith("done: 2 runs in ") && Catch::EndsWith("s"));
    CHECK_THAT(out, !Catch::Contains("done:") && Catch::StartsWith("symkl compare: 2 runs"));
}
