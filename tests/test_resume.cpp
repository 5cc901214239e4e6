// test_resume.cpp — `symkl train --resume DIR`: k steps, then the rest resumed, give the
// bytes of the run that took every step at once (metrics.csv and every model file), for
// each method, with 1 or 2 threads; what cannot be resumed is refused in one line.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "app/resume.h"
#include "cli_run.h"
#include "tempdir.h"

namespace fs = std::filesystem;

namespace {

// stdout and stderr of a run, with its directory's name made the same
std::string report(const Run& r, const std::string& dir) {
    std::string s = r.out;
    for (size_t at; (at = s.find(dir)) != std::string::npos;) s.replace(at, dir.size(), "DIR");
    return s;
}

const char* const TINY = "--n-train 64 --batch 32 --samples 32 --layers 2 --hidden 8 --n-test 300 --n-eval 300 "
                         "--log-every 10 --quiet --no-figures";

// Trains `args` for n steps in one go (1 thread) and for k steps then resumed to n (2 threads);
// every file the full run wrote must be there, byte for byte.
void check_resume(const std::string& args, long k, long n, const std::vector<std::string>& files) {
    TempDir t;
    const std::string full = t / "full", part = t / "part";
    Run a = run_cli("train " + args + " --threads 1 --steps " + std::to_string(n) + " --out " + full);
    INFO(a.out);
    REQUIRE(a.code == 0);
    Run b = run_cli("train " + args + " --threads 2 --steps " + std::to_string(k) + " --out " + part);
    INFO(b.out);
    REQUIRE(b.code == 0);
    Run c = run_cli("train --resume " + part + " --steps " + std::to_string(n) + " --quiet --threads 2");
    INFO(c.out);
    REQUIRE(c.code == 0);
    for (const std::string& f : files) {
        INFO(f);
        REQUIRE(fs::exists(full + "/" + f));
        CHECK(slurp(full + "/" + f) == slurp(part + "/" + f));
    }
    CHECK(report(a, full) == report(c, part));  // the summary too
}

}  // namespace

TEST_CASE("resume: k steps then the rest resumed are the uninterrupted run, byte for byte (mle, jeffreys-ebm)",
          "[cli][resume]") {
    const std::string tiny = TINY;
    SECTION("mle, resumed between two logs") {
        check_resume("--method mle " + tiny, 17, 30, {"metrics.csv", "model.safetensors"});
    }
    SECTION("jeffreys with the EBM proxy, resumed between two logs") {
        check_resume("--method jeffreys --proxy ebm " + tiny, 17, 30, {"metrics.csv", "model.safetensors", "proxy.safetensors"});
    }
    SECTION("jeffreys with the EBM proxy, resumed at a log step") {
        check_resume("--method jeffreys --proxy ebm " + tiny, 20, 30, {"metrics.csv", "model.safetensors", "proxy.safetensors"});
    }
}

TEST_CASE("resume: jeffreys-flow, penalty and wgan resume exactly too; skipped steps are counted on", "[cli][resume]") {
    const std::string tiny = TINY;
    SECTION("jeffreys, flow proxy") {
        check_resume("--method jeffreys --proxy flow --proxy-layers 2 --proxy-hidden 8 " + tiny, 13, 25,
                     {"metrics.csv", "model.safetensors", "proxy.safetensors"});
    }
    SECTION("penalty") {
        check_resume("--method penalty " + tiny, 13, 25, {"metrics.csv", "model.safetensors", "proxy.safetensors"});
    }
    SECTION("wgan") {
        check_resume("--method wgan --n-critic 2 " + tiny, 13, 25, {"metrics.csv", "model.safetensors"});
    }
    SECTION("--on-nonfinite skip with steps skipped before the resume") {
        check_resume("--method mle --lr 10 --scale exp --on-nonfinite skip " + tiny, 13, 25, {"metrics.csv", "model.safetensors"});
    }
}

TEST_CASE("resume: a CSV run with validation keeps its model selection across the resume", "[cli][resume]") {
    // The shorter run's last validation (step 13, not a validation step of the longer run) is
    // its lowest; the longer run's lowest stays step 10, so its model.safetensors is step 10's:
    // the resumed run must write it back.
    TempDir t;
    const std::string csv = std::string(SYMKL_SOURCE_DIR) + "/data/diabetes.csv";
    const std::string args = "--data " + csv + " --n-train 30 --lr 0.03 --batch 32 --layers 2 --hidden 8 --n-eval 300 "
                             "--log-every 10 --val-every 10 --patience 0 --quiet --no-figures";
    const std::string full = t / "full", part = t / "part";
    REQUIRE(run_cli("train " + args + " --steps 40 --threads 2 --out " + full).code == 0);
    REQUIRE(run_cli("train " + args + " --steps 13 --out " + part).code == 0);
    CHECK(slurp(full + "/model.safetensors") != slurp(part + "/model.safetensors"));
    Run r = run_cli("train --resume " + part + " --steps 27 --quiet");  // twice: 13 -> 27 -> 40
    INFO(r.out);
    REQUIRE(r.code == 0);
    r = run_cli("train --resume " + part + " --quiet --steps 40 --threads 2");
    INFO(r.out);
    REQUIRE(r.code == 0);
    for (const char* f : {"metrics.csv", "model.safetensors", "model-last.safetensors", "config.json"}) {
        INFO(f);
        CHECK(slurp(full + "/" + f) == slurp(part + "/" + f));
    }
    CHECK_THAT(r.out, Catch::Contains("selected (step 10)"));
}

TEST_CASE("resume: a run cut short continues to the steps of its config.json", "[cli][resume]") {
    // A 30-step run stopped after its log at step 20 has the files of a 20-step run but for
    // config.json, which says 30: --resume without --steps finishes it.
    TempDir t;
    const std::string args = "--method jeffreys --proxy flow --proxy-layers 2 --proxy-hidden 8 " + std::string(TINY);
    const std::string full = t / "full", cut = t / "cut";
    REQUIRE(run_cli("train " + args + " --steps 30 --out " + full).code == 0);
    REQUIRE(run_cli("train " + args + " --steps 20 --out " + cut).code == 0);
    std::string cfg = slurp(cut + "/config.json");
    const size_t at = cfg.find("\"steps\": 20,");
    REQUIRE(at != std::string::npos);
    t.put("cut/config.json", cfg.replace(at, 12, "\"steps\": 30,"));
    const Run r = run_cli("train --resume " + cut + " --quiet");
    INFO(r.out);
    REQUIRE(r.code == 0);
    for (const char* f : {"metrics.csv", "model.safetensors", "proxy.safetensors", "config.json"}) {
        INFO(f);
        CHECK(slurp(full + "/" + f) == slurp(cut + "/" + f));
    }
}

TEST_CASE("resume: what cannot be continued is refused in one line with exit 2", "[cli][resume]") {
    TempDir t;
    const std::string dir = t / "run", tiny = TINY;
    REQUIRE(run_cli("train --method jeffreys " + tiny + " --steps 20 --out " + dir).code == 0);
    const std::string state = slurp(dir + "/state.safetensors"), metrics = slurp(dir + "/metrics.csv");
    auto refused = [&](const std::string& args, const std::string& says) {
        const Run r = run_cli("train --resume " + args);
        INFO(r.out);
        CHECK(r.code == 2);
        CHECK_THAT(r.out, Catch::Contains(says));
        const std::string error = r.out.substr(std::min(r.out.find("symkl: error: "), r.out.size()));
        CHECK(std::count(error.begin(), error.end(), '\n') == 1);  // one line (after the CSV's warning)
    };
    refused(dir, "has taken 20 steps; give --steps N with N greater than 20");  // complete: the default is 20
    refused(dir + " --steps 10", "has taken 20 steps");
    refused(dir + " --steps 30 --lr 0.1", "'lr' is 0.001 in its saved state, 0.1 here");
    refused(dir + " --steps 30 --out " + (t / "x"), "leave out --config and --out");
    refused((t / "nothing") + " --steps 30", "holds no run");
    {
        std::string bad = state;
        bad[bad.size() - 3] ^= 1;  // a flipped bit in the data
        t.put("run/state.safetensors", bad);
        refused(dir + " --steps 30", "its saved state cannot be used");
    }
    t.put("run/state.safetensors", state);
    t.put("run/metrics.csv", metrics.substr(0, 40) + "9" + metrics.substr(41));
    refused(dir + " --steps 30", "metrics.csv is not the file its state was saved with");
    t.put("run/metrics.csv", metrics);
    fs::remove(dir + "/state.safetensors");
    refused(dir + " --steps 30", "no state.safetensors there");
    // a run that stopped early stops there again at any length
    const std::string csv = std::string(SYMKL_SOURCE_DIR) + "/data/diabetes.csv";
    const std::string early = t / "early";
    REQUIRE(run_cli("train --data " + csv + " --method jeffreys --lr 0.01 --batch 32 --layers 2 --hidden 8 --n-eval 300 "
                    "--log-every 10 --val-every 4 --patience 2 --quiet --no-figures --steps 40 --out " + early).code == 0);
    refused(early + " --steps 80", "stopped early at step 8");
}

TEST_CASE("resume: a state that is not finite (a diverging optimiser) is not written; the last finite one stays",
          "[resume]") {
    TempDir t;
    const std::string path = t / "state.safetensors";
    RunState st;
    st.flow = {Real(1), Real(2)}, st.flow_m = {Real(0), Real(0)}, st.flow_v = {Real(0.5), Real(0.25)};
    REQUIRE(save_run_state(path, st));
    const std::string first = slurp(path);
    st.flow_v[1] = (Real)INFINITY;  // float's Adam v overflows first
    CHECK(!save_run_state(path, st));
    CHECK(slurp(path) == first);
    st.flow_v[1] = Real(0.25), st.flow[0] = (Real)NAN;
    CHECK(!save_run_state(path, st));
    CHECK(slurp(path) == first);
}
