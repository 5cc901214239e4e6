// test_sbi_cli.cpp — `symkl sbi simulate|reference` and `symkl c2st`: files, determinism,
// and one-line errors that write nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "cli_run.h"
#include "io/csv.h"
#include "tempdir.h"

static std::string slurp_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

static const std::string OBS = std::string(" --observations ") + SYMKL_SOURCE_DIR + "/data/sbi/";

TEST_CASE("sbi cli: simulate and reference write CSVs with sbibm's column names, seeded", "[sbi][cli]") {
    TempDir t;
    Run r = run_cli("sbi simulate --task slcp --n 20 --seed 3 --out " + (t / "sim.csv"));
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("wrote 20 simulations of slcp"));
    const std::string sim = slurp_file(t / "sim.csv");
    CHECK(sim.rfind("parameter_1,parameter_2,parameter_3,parameter_4,parameter_5,data_1,", 0) == 0);
    const Tensor s = read_csv(t / "sim.csv");
    CHECK(s.rows == 20);
    CHECK(s.cols == 13);
    REQUIRE(run_cli("sbi simulate --task slcp --n 20 --seed 3 --out " + (t / "sim2.csv")).code == 0);
    CHECK(slurp_file(t / "sim2.csv") == sim);
    for (const char* task : {"two_moons", "gaussian_linear", "slcp", "gaussian_mixture"}) {
        INFO(task);
        const std::string out = t / (std::string(task) + "_ref.csv");
        Run q = run_cli(std::string("sbi reference --task ") + task + " --observation 2 --n 50 --chains 5 --burn-in 20" +
                        OBS + task + "_observations.csv --out " + out);
        REQUIRE(q.code == 0);
        const Tensor p = read_csv(out);
        CHECK(p.rows == 50);
        CHECK(slurp_file(out).rfind("parameter_1,", 0) == 0);
    }
    // 1 and 2 threads: the slcp chains give the same file
    const std::string args = "sbi reference --task slcp --n 40 --chains 4 --burn-in 10" + OBS + "slcp_observations.csv";
    REQUIRE(run_cli(args + " --threads 1 --out " + (t / "t1.csv")).code == 0);
    REQUIRE(run_cli(args + " --threads 2 --out " + (t / "t2.csv")).code == 0);
    CHECK(slurp_file(t / "t1.csv") == slurp_file(t / "t2.csv"));
}

TEST_CASE("sbi cli: c2st of two files; errors are one line, exit 2, nothing written", "[sbi][cli][c2st]") {
    TempDir t;
    REQUIRE(run_cli("sbi reference --task two_moons --n 200 --seed 1" + OBS + "two_moons_observations.csv --out " +
                    (t / "a.csv")).code == 0);
    REQUIRE(run_cli("sbi reference --task two_moons --n 200 --seed 2" + OBS + "two_moons_observations.csv --out " +
                    (t / "b.csv")).code == 0);
    Run c = run_cli("c2st " + (t / "a.csv") + " " + (t / "b.csv") + " --max-epochs 50");
    REQUIRE(c.code == 0);
    CHECK(c.out.rfind("c2st 0.", 0) == 0);
    const double acc = std::stod(c.out.substr(5));
    CHECK(std::fabs(acc - 0.5) < 4 * 0.5 / std::sqrt(400.0));  // one distribution: test_sbi.cpp's bound
    CHECK(run_cli("c2st " + (t / "a.csv") + " " + (t / "b.csv") + " --max-epochs 50").out == c.out);
    struct Case { std::string args, expect; };
    const Case cases[] = {
        {"sbi simulate --task moons --out " + (t / "x.csv"), "--task must be one of two_moons"},
        {"sbi simulate --n 5 --out " + (t / "x.csv"), "--task is required"},
        {"sbi simulate --task slcp --n 0 --out " + (t / "x.csv"), "--n"},
        {"sbi run --task slcp", "unknown action 'run'"},
        {"sbi reference --task slcp --observation 12" + OBS + "slcp_observations.csv --out " + (t / "x.csv"),
         "--observation 12 is not in"},
        {"sbi reference --task slcp" + OBS + "two_moons_observations.csv --out " + (t / "x.csv"), "has 3 columns"},
        {"c2st " + (t / "a.csv"), "give the two CSV files first"},
        {"c2st " + (t / "a.csv") + " " + (t / "missing.csv"), "missing.csv"},
        {"c2st " + (t / "a.csv") + " " + OBS.substr(16) + "slcp_observations.csv", "columns"},
    };
    for (const Case& k : cases) {
        INFO(k.args);
        Run r = run_cli(k.args);
        CHECK(r.code == 2);
        CHECK_THAT(r.out, Catch::Contains(k.expect));
        CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    }
    CHECK(t.entries() == 2);  // a.csv and b.csv only
    for (const char* cmd : {"sbi simulate", "sbi reference", "c2st"}) {
        Run h = run_cli(std::string(cmd) + " --help");
        INFO(cmd);
        CHECK(h.code == 0);
        CHECK_THAT(h.out, Catch::Contains("usage: symkl"));
    }
}
