// test_sbi_cli.cpp — `symkl sbi simulate|reference|train|sample` and `symkl c2st`: files,
// determinism, and one-line errors that write nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "cli_run.h"
#include "io/csv.h"
#include "tempdir.h"

static const std::string OBS = std::string(" --observations ") + SYMKL_SOURCE_DIR + "/data/sbi/";

TEST_CASE("sbi cli: simulate and reference write CSVs with the columns theta_*, x_*, seeded", "[sbi][cli]") {
    TempDir t;
    Run r = run_cli("sbi simulate --task slcp --n 20 --seed 3 --out " + (t / "sim.csv"));
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("wrote 20 simulations of slcp"));
    const std::string sim = slurp(t / "sim.csv");
    CHECK(sim.rfind("theta_1,theta_2,theta_3,theta_4,theta_5,x_1,x_2,x_3,x_4,x_5,x_6,x_7,x_8\n", 0) == 0);
    const Tensor s = read_csv(t / "sim.csv");
    CHECK(s.rows == 20);
    CHECK(s.cols == 13);
    REQUIRE(run_cli("sbi simulate --task slcp --n 20 --seed 3 --out " + (t / "sim2.csv")).code == 0);
    CHECK(slurp(t / "sim2.csv") == sim);
    for (const char* task : {"two_moons", "gaussian_linear", "slcp", "gaussian_mixture"}) {
        INFO(task);
        const std::string out = t / (std::string(task) + "_ref.csv");
        Run q = run_cli(std::string("sbi reference --task ") + task + " --observation 2 --n 50 --chains 5 --burn-in 20" +
                        OBS + task + "_observations.csv --out " + out);
        REQUIRE(q.code == 0);
        const Tensor p = read_csv(out);
        CHECK(p.rows == 50);
        CHECK(slurp(out).rfind("theta_1,", 0) == 0);
    }
    // 1 and 2 threads: the slcp chains give the same file
    const std::string args = "sbi reference --task slcp --n 40 --chains 4 --burn-in 10" + OBS + "slcp_observations.csv";
    REQUIRE(run_cli(args + " --threads 1 --out " + (t / "t1.csv")).code == 0);
    REQUIRE(run_cli(args + " --threads 2 --out " + (t / "t2.csv")).code == 0);
    CHECK(slurp(t / "t1.csv") == slurp(t / "t2.csv"));
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

TEST_CASE("sbi cli: train, sample, reference and c2st end to end", "[sbi][cli][npe]") {
    TempDir t;
    const std::string dir = t / "run";
    Run r = run_cli("sbi train --task two_moons --budget 300 --max-epochs 3 --layers 2 --hidden 16 --seed 2 --out " + dir);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("epoch 3  val NLL"));
    CHECK_THAT(r.out, Catch::Contains("trained 3 epochs of 2 steps (max epochs); best epoch"));
    const std::string metrics = slurp(dir + "/metrics.csv");
    CHECK(metrics.rfind("epoch,val_nll,F\n1,", 0) == 0);
    CHECK(std::count(metrics.begin(), metrics.end(), '\n') == 4);
    CHECK_THAT(slurp(dir + "/config.json"), Catch::Contains("\"task\": \"two_moons\""));
    // the same seed, 1 or 2 threads: the same model file (a rerun into the same directory is allowed)
    const std::string model = slurp(dir + "/model.safetensors");
    REQUIRE(run_cli("sbi train --task two_moons --budget 300 --max-epochs 3 --layers 2 --hidden 16 --seed 2 --threads 1 --out " + dir).code == 0);
    CHECK(slurp(dir + "/model.safetensors") == model);
    // another run's directory is refused without --force
    Run o = run_cli("sbi train --task two_moons --budget 300 --max-epochs 3 --layers 2 --hidden 16 --seed 3 --out " + dir);
    CHECK(o.code == 2);
    CHECK_THAT(o.out, Catch::Contains("holds another run ('seed' is 2 there, 3 here); pass --force"));
    // sample for an observation, inside the prior box
    Run s = run_cli("sbi sample --model " + dir + "/model.safetensors --obs -0.6396706,0.16234657 --n 400 --seed 1 --out " +
                    (t / "post.csv"));
    REQUIRE(s.code == 0);
    CHECK_THAT(s.out, Catch::Contains("acceptance 0."));
    const Tensor post = read_csv(t / "post.csv");
    CHECK(post.rows == 400);
    for (int i = 0; i < post.rows; i++) CHECK((std::fabs(post.at(i, 0)) <= 1 && std::fabs(post.at(i, 1)) <= 1));
    CHECK(slurp(t / "post.csv").rfind("theta_1,theta_2\n", 0) == 0);
    // the same observation from a one-row file, with a header: the same samples
    t.put("obs.csv", "x_1,x_2\n-0.6396706,0.16234657\n");
    REQUIRE(run_cli("sbi sample --model " + dir + "/model.safetensors --obs-file " + (t / "obs.csv") +
                    " --n 400 --seed 1 --out " + (t / "post2.csv")).code == 0);
    CHECK(slurp(t / "post2.csv") == slurp(t / "post.csv"));
    REQUIRE(run_cli("sbi reference --task two_moons --obs-file " + (t / "obs.csv") + " --n 400 --out " + (t / "ref.csv")).code == 0);
    Run c = run_cli("c2st --a " + (t / "ref.csv") + " --b " + (t / "post.csv") + " --max-epochs 20");
    REQUIRE(c.code == 0);
    CHECK(c.out.rfind("c2st ", 0) == 0);
    CHECK(run_cli("c2st " + (t / "ref.csv") + " " + (t / "post.csv") + " --max-epochs 20").out == c.out);
    // your own simulations, with a header: the names come back in the samples
    REQUIRE(run_cli("sbi simulate --task two_moons --n 200 --seed 4 --out " + (t / "sims.csv")).code == 0);
    Run own = run_cli("sbi train --sims " + (t / "sims.csv") + " --theta-dim 2 --max-epochs 2 --layers 2 --hidden 8 --out " +
                      (t / "own"));
    REQUIRE(own.code == 0);
    Run so = run_cli("sbi sample --model " + (t / "own/model.safetensors") + " --obs 0.1,0.2 --n 50 --box -1,1 --out " +
                     (t / "own.csv"));
    REQUIRE(so.code == 0);
    CHECK_THAT(so.out, Catch::Contains("draws inside the --box"));
    CHECK(slurp(t / "own.csv").rfind("theta_1,theta_2\n", 0) == 0);
}

TEST_CASE("sbi cli: train and sample errors are one line, exit 2, nothing written", "[sbi][cli][npe]") {
    TempDir t;
    const std::string dir = t / "run";
    REQUIRE(run_cli("sbi train --task two_moons --budget 100 --max-epochs 1 --layers 2 --hidden 8 --out " + dir).code == 0);
    const std::string model = dir + "/model.safetensors";
    std::string bytes = slurp(model);
    bytes[bytes.size() / 2] ^= 0x20;
    t.put("bad.safetensors", bytes);
    t.put("bad.csv", "1,2,3\n4,x,6\n7,8,9\n");
    t.put("two.csv", "1,2\n3,4\n");
    struct Case { std::string args, expect; };
    const Case cases[] = {
        {"sbi sample --model " + model + " --obs 1,2,3 --out " + (t / "x.csv"),
         "--obs has 3 value(s), but the model has 2 data values"},
        {"sbi sample --model " + model + " --obs 1,zz --out " + (t / "x.csv"), "--obs value 2 'zz' is not a finite number"},
        {"sbi sample --model " + model + " --obs-file " + (t / "two.csv") + " --out " + (t / "x.csv"),
         "two.csv: holds 2 data rows"},
        {"sbi sample --model " + model + " --out " + (t / "x.csv"), "--obs or --obs-file is required"},
        {"sbi sample --model " + (t / "bad.safetensors") + " --obs 1,2 --out " + (t / "x.csv"), "bad.safetensors"},
        {"sbi sample --model " + model + " --obs 1,2 --box -1,1 --out " + (t / "x.csv"), "--box is for a model of your own"},
        {"sbi train --sims " + (t / "bad.csv") + " --theta-dim 2 --out " + (t / "o"), "bad.csv:2"},
        {"sbi train --sims " + (t / "two.csv") + " --theta-dim 2 --out " + (t / "o"), "--theta-dim 2 leaves no column"},
        {"sbi train --task two_moons --out " + (t / "o"), "--budget is required with --task"},
        {"sbi train --budget 100 --out " + (t / "o"), "--task or --sims is required"},
        {"sbi train --task two_moons --budget 100 --method wgan --out " + (t / "o"), "--method must be mle, jeffreys or penalty"},
        {"sbi reference --task two_moons --obs 1,2,3 --out " + (t / "x.csv"), "--obs has 3 value(s), but the task two_moons has 2"},
        {"sbi reference --task two_moons --obs 1,2 --observation 3 --out " + (t / "x.csv"), "--obs replaces --observation"},
        {"c2st --a " + (t / "two.csv"), "give the two CSV files first, or as --a and --b"},
    };
    for (const Case& k : cases) {
        INFO(k.args);
        Run r = run_cli(k.args);
        CHECK(r.code == 2);
        CHECK_THAT(r.out, Catch::Contains(k.expect));
        CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    }
    CHECK(t.entries() == 4);  // run/, bad.safetensors, bad.csv, two.csv
    for (const char* cmd : {"sbi train", "sbi sample", "sbi"}) {
        Run h = run_cli(std::string(cmd) + " --help");
        INFO(cmd);
        CHECK(h.code == 0);
        CHECK_THAT(h.out, Catch::Contains("usage: symkl sbi"));
    }
}
