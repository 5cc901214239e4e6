// test_run.cpp — a run on disk: exact replay from config.json (64-bit seeds, automatic
// settings), messages that name the file or the real cause, output directories that
// never mix two runs, the order of the first files, and the option table itself.
#include <catch2/catch.hpp>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/options.h"
#include "cli_run.h"
#include "tempdir.h"

namespace fs = std::filesystem;

static int lines_of(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

// The value of a top-level or nested key in a config.json, as text.
static std::string config_value(const std::string& path, const std::string& key) {
    for (const auto& kv : config_items(json_parse(slurp(path), path)))
        if (kv.first == key) return kv.second;
    return "(missing)";
}

static const std::string TINY = " --n-train 64 --batch 32 --samples 32 --layers 2 --hidden 8 --n-test 200 --n-eval 200"
                                " --steps 20 --log-every 10 --quiet --no-figures";

TEST_CASE("run: a run replayed from its config.json is byte-identical, for any 64-bit seed", "[run][replay]") {
    TempDir t;
    for (const char* seed : {"0", "9007199254740993", "18446744073709551615"}) {
        INFO("seed " << seed);
        const std::string a = t / (std::string("a") + seed), b = t / (std::string("b") + seed);
        Run r = run_cli("train --data moons --method jeffreys --seed " + std::string(seed) + TINY + " --out " + a);
        REQUIRE(r.code == 0);
        CHECK(config_value(a + "/config.json", "seed") == seed);
        r = run_cli("train --config " + a + "/config.json --quiet --no-figures --out " + b);
        INFO(r.out);
        REQUIRE(r.code == 0);
        for (const char* f : {"metrics.csv", "model.safetensors", "proxy.safetensors", "config.json"})
            CHECK(slurp(a + "/" + f) == slurp(b + "/" + f));
    }
}

TEST_CASE("run: automatic settings are recorded as automatic and recomputed on replay", "[run][replay]") {
    TempDir t;
    Run r = run_cli("train --data moons --method jeffreys" + TINY + " --out " + (t / "moons"));
    REQUIRE(r.code == 0);
    const std::string cfg = t / "moons/config.json";
    CHECK(config_value(cfg, "ebm.sigma0_auto") == "true");
    CHECK(config_value(cfg, "eps_auto") == "true");
    CHECK(config_value(cfg, "lr_auto") == "true");
    // the same config on other data: σ₀ and ε are those of the other data
    r = run_cli("train --config " + cfg + " --data circles --quiet --no-figures --out " + (t / "replay"));
    REQUIRE(r.code == 0);
    r = run_cli("train --data circles --method jeffreys" + TINY + " --out " + (t / "circles"));
    REQUIRE(r.code == 0);
    CHECK(config_value(t / "replay/config.json", "ebm.sigma0") == config_value(t / "circles/config.json", "ebm.sigma0"));
    CHECK(config_value(t / "replay/config.json", "ebm.sigma0") != config_value(cfg, "ebm.sigma0"));
    CHECK(config_value(t / "replay/config.json", "eps") == config_value(t / "circles/config.json", "eps"));
    // an automatic learning rate follows the method: wgan's 1e-4 replayed as mle is 1e-3
    r = run_cli("train --data moons --method wgan --n-critic 1" + TINY + " --out " + (t / "wgan"));
    REQUIRE(r.code == 0);
    CHECK(config_value(t / "wgan/config.json", "lr") == "0.0001");
    r = run_cli("train --config " + (t / "wgan/config.json") + " --method mle --quiet --no-figures --out " + (t / "mle"));
    REQUIRE(r.code == 0);
    CHECK(config_value(t / "mle/config.json", "lr") == "0.001");
    // a given σ₀ is recorded as given and replayed
    r = run_cli("train --data moons --method jeffreys --ebm-sigma0 2.5" + TINY + " --out " + (t / "given"));
    REQUIRE(r.code == 0);
    CHECK(config_value(t / "given/config.json", "ebm.sigma0_auto") == "false");
    r = run_cli("train --config " + (t / "given/config.json") + " --data circles --quiet --no-figures --out " +
                (t / "given2"));
    REQUIRE(r.code == 0);
    CHECK(config_value(t / "given2/config.json", "ebm.sigma0") == "2.5");
}

TEST_CASE("run: a bad value in config.json names the file, the key and the rule", "[run]") {
    TempDir t;
    Run r = run_cli("train --data moons" + TINY + " --out " + (t / "a"));
    REQUIRE(r.code == 0);
    std::string cfg = slurp(t / "a/config.json");
    const size_t at = cfg.find("\"steps\": 20");
    REQUIRE(at != std::string::npos);
    cfg.replace(at, 11, "\"steps\": -3");
    const std::string bad = t.put("bad.json", cfg);
    r = run_cli("train --config " + bad + " --out " + (t / "b"));
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("bad.json: 'steps' must be an integer from 0 to 1000000000, got '-3'"));
    CHECK(lines_of(r.out) == 1);
    CHECK(!fs::exists(t / "b"));
    t.put("seed.json", "{\"data\": \"moons\", \"seed\": 1.5}");
    r = run_cli("train --config " + (t / "seed.json") + " --out " + (t / "c"));
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("seed.json: 'seed' must be an integer"));
}

TEST_CASE("run: identical training points name the cause, not a flag the user never gave", "[run]") {
    TempDir t;
    std::string rows = "x,y\n";
    for (int i = 0; i < 100; i++) rows += "1.5,-2.25\n";
    const std::string csv = t.put("same.csv", rows);
    // without standardisation (which would refuse the constant columns first, "run: a constant column ...")
    Run r = run_cli("train --data " + csv + " --standardize off --method jeffreys" + TINY + " --out " + (t / "a"));
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("no spread") && Catch::Contains("points are identical") &&
                          Catch::Contains("give --ebm-sigma0"));
    CHECK_THAT(r.out, !Catch::Contains("must be positive"));
    CHECK(lines_of(r.out) == 1);
    CHECK(!fs::exists(t / "a"));
}

TEST_CASE("run: an --out that holds another run is refused; --force removes its stale files", "[run][out]") {
    TempDir t;
    const std::string out = t / "run";
    Run r = run_cli("train --data moons --method jeffreys --n-train 64 --batch 32 --samples 32 --layers 2 --hidden 8"
                    " --n-test 200 --n-eval 200 --steps 10 --log-every 10 --quiet --out " + out);
    REQUIRE(r.code == 0);
    REQUIRE(fs::exists(out + "/proxy.safetensors"));
    REQUIRE(fs::exists(out + "/lambda.svg"));
    const std::string model = slurp(out + "/model.safetensors");
    r = run_cli("train --data moons --method mle" + TINY + " --out " + out);
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("holds another run") && Catch::Contains("--force") &&
                          Catch::Contains("another --out"));
    CHECK(slurp(out + "/model.safetensors") == model);  // untouched
    r = run_cli("train --data moons --method mle" + TINY + " --force --out " + out);
    REQUIRE(r.code == 0);
    CHECK(!fs::exists(out + "/proxy.safetensors"));
    CHECK(!fs::exists(out + "/lambda.svg"));
    CHECK(!fs::exists(out + "/density.png"));
    CHECK_THAT(slurp(out + "/config.json"), Catch::Contains("\"method\": \"mle\""));
    // the same run again (any thread count) may rewrite its own directory
    const std::string metrics = slurp(out + "/metrics.csv");
    r = run_cli("train --data moons --method mle" + TINY + " --threads 1 --out " + out);
    INFO(r.out);
    CHECK(r.code == 0);
    CHECK(slurp(out + "/metrics.csv") == metrics);
    // run files without a config.json are another run too
    const std::string loose = t / "loose";
    fs::create_directories(loose);
    t.put("loose/metrics.csv", "step\n0\n");
    r = run_cli("train --data moons" + TINY + " --out " + loose);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("no readable config.json"));
    // other files are no run's: a directory of notes is fine
    const std::string notes = t / "notes";
    fs::create_directories(notes);
    t.put("notes/README.txt", "mine\n");
    CHECK(run_cli("train --data moons" + TINY + " --out " + notes).code == 0);
    CHECK(fs::exists(notes + "/README.txt"));
}

// Runs the binary with `args` in `dir` (for the default --out, which is relative).
static int run_in(const std::string& dir, const std::string& args) {
    const std::string cmd = "cd '" + dir + "' && " + std::string(SYMKL_BIN) + " " + args + " >/dev/null 2>&1";
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_CASE("run: default output directories differ for generated data and a CSV file", "[run][out]") {
    TempDir t;
    fs::copy_file(std::string(SYMKL_SOURCE_DIR) + "/data/moons.csv", t / "moons.csv");
    const std::string small = " --steps 0 --n-train 64 --layers 2 --hidden 8 --n-test 200 --n-eval 200 --quiet --no-figures";
    REQUIRE(run_in(t.dir.string(), "train --data moons" + small) == 0);
    REQUIRE(run_in(t.dir.string(), "train --data moons.csv" + small) == 0);
    CHECK(config_value(t / "runs/moons-mle-seed0/config.json", "data") == "moons");
    CHECK(config_value(t / "runs/moons.csv-mle-seed0/config.json", "data") == "moons.csv");
}

// Runs the binary in a child whose files may not grow beyond `limit` bytes: writes past
// it fail with EFBIG (SIGXFSZ ignored), as on a full disk. Returns the exit code.
static int run_with_file_limit(long limit, const std::vector<std::string>& args) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const rlimit rl = {(rlim_t)limit, (rlim_t)limit};
        setrlimit(RLIMIT_FSIZE, &rl);
        std::signal(SIGXFSZ, SIG_IGN);
        if (!std::freopen("/dev/null", "w", stdout) || !std::freopen("/dev/null", "w", stderr)) _exit(99);
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(SYMKL_BIN));
        for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(SYMKL_BIN, argv.data());
        _exit(98);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_CASE("run: a full disk never leaves a config.json or metrics.csv without its model", "[run][out]") {
    TempDir t;
    int i = 0;
    for (long limit : {200L, 2000L, 20000L, 100000L}) {
        for (const char* method : {"mle", "jeffreys"}) {
            const std::string out = t / ("run" + std::to_string(i++));
            INFO("file size limit " << limit << ", " << method);
            const int code = run_with_file_limit(
                limit, {"train", "--data", "moons", "--method", method, "--n-train", "64", "--steps", "2", "--log-every",
                        "1", "--n-test", "200", "--n-eval", "200", "--quiet", "--no-figures", "--out", out});
            CHECK(code == 2);
            const bool has_model = fs::exists(out + "/model.safetensors");
            CHECK((has_model || !fs::exists(out + "/config.json")));
            CHECK((has_model || !fs::exists(out + "/metrics.csv")));
            if (fs::exists(out))
                for (const auto& e : fs::directory_iterator(out))  // no temporary file is left behind
                    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
        }
    }
}

TEST_CASE("options: the table's defaults are RunSettings' defaults, and config.json reads back", "[run][options]") {
    CommandSpec spec = {"train", "", "", "", train_options()};
    bool help = false;
    char arg0[] = "symkl", arg1[] = "train";
    char* argv[] = {arg0, arg1};
    for (const char* m : {"mle", "jeffreys", "penalty", "wgan"}) {
        INFO(m);
        Args a = parse_args(spec, 2, argv, 2, &help);
        a.values["--method"] = m;
        RunSettings parsed, plain;
        read_run_options(a, parsed);
        read_training_options(a, parsed);
        method_from_name(m, &plain.trainer.method);
        RunFacts f;
        f.n_train = 200, f.dim = 2, f.resolved.eps = 2.8, f.resolved.sigma0 = 3;
        CHECK(json_write(settings_json(parsed, f), JsonStyle::Pretty) == json_write(settings_json(plain, f), JsonStyle::Pretty));
    }
    // seeds: an exact integer token both ways (also through the text of a config.json);
    // a string of digits and an exact number ≤ 2^53 are read too
    uint64_t s = 0;
    CHECK(json_write(seed_to_json(18446744073709551615ull), JsonStyle::Compact) == "18446744073709551615");
    CHECK((seed_from_json(seed_to_json(18446744073709551615ull), &s) && s == 18446744073709551615ull));
    CHECK((seed_from_json(json_parse("9007199254740993", "t"), &s) && s == 9007199254740993ull));
    CHECK((seed_from_json(Json::make_string("18446744073709551615"), &s) && s == 18446744073709551615ull));
    CHECK((seed_from_json(Json::make_number(9007199254740992.0), &s) && s == 9007199254740992ull));
    CHECK(!seed_from_json(Json::make_number(1.5), &s));
    CHECK(!seed_from_json(Json::make_number(-1), &s));
    CHECK(!seed_from_json(Json::make_number(1e19), &s));
    CHECK(!seed_from_json(Json::make_string("18446744073709551616"), &s));
    CHECK(!seed_from_json(Json::make_string("-1"), &s));
}
