// test_cli.cpp — the symkl binary as a user meets it: exit codes, one-line errors
// that name the flag or the file, line and field, nothing written on failure,
// byte-identical outputs for 1 and 2 threads, and the train → sample → logprob path.
#include <catch2/catch.hpp>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

#include "app/progress.h"
#include "cli_run.h"
#include "tempdir.h"

namespace fs = std::filesystem;

static Run run(const std::string& args) { return run_cli(args); }

static void spit(const fs::path& p, const std::string& s) {
    std::ofstream f(p, std::ios::binary);
    f << s;
}

static int count_lines(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

// The last row of a metrics.csv as column name -> text.
static std::map<std::string, std::string> last_row(const std::string& csv) {
    std::stringstream ss(csv);
    std::string header, line, last;
    std::getline(ss, header);
    while (std::getline(ss, line))
        if (!line.empty()) last = line;
    std::map<std::string, std::string> row;
    std::stringstream h(header), v(last);
    std::string name, value;
    while (std::getline(h, name, ',') && std::getline(v, value, ',')) row[name] = value;
    return row;
}

static bool finite_field(const std::map<std::string, std::string>& row, const std::string& col) {
    auto it = row.find(col);
    return it != row.end() && std::isfinite(std::strtod(it->second.c_str(), nullptr));
}

// Small and fast; figures are off except where a test checks them.
static const char* SMALL = "--n-train 64 --batch 32 --layers 2 --hidden 8 --n-test 500 --n-eval 500 --quiet --no-figures";

TEST_CASE("cli: help teaches every command and exits 0", "[cli]") {
    Run r = run("--help");
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("train") && Catch::Contains("logprob"));
    for (const char* cmd : {"train", "compare", "experiment", "eval", "sample", "logprob", "generate", "plot", "demo"}) {
        Run h = run(std::string(cmd) + " --help");
        INFO(cmd);
        CHECK(h.code == 0);
        CHECK_THAT(h.out, Catch::Contains("usage: symkl"));
    }
    CHECK_THAT(run("train --help").out, Catch::Contains("[default: 2000]"));
}

TEST_CASE("cli: bad flags give one line naming the flag, exit 2, and write nothing", "[cli]") {
    TempDir t;
    const std::string out = t / "run";
    struct Case { std::string args, expect; };
    const Case cases[] = {
        {"train --stepz 5", "unknown option '--stepz' (did you mean --steps?)"},
        {"train --steps", "--steps needs a value"},
        {"train --steps abc", "--steps must be an integer"},
        {"train --steps -3", "--steps must be an integer from 0"},
        {"train --lr nan", "--lr must be a number"},
        {"train --act gelu", "--act must be relu, tanh or silu, got 'gelu'"},
        {"train --method gan", "--method must be mle, jeffreys, penalty, wgan, gaussian or kde"},
        {"train --method wgan --n-critic 0", "--n-critic must be an integer from 1"},
        {"train --proxy gan", "--proxy must be ebm or flow"},
        {"train --alpha -1", "--alpha must be a number"},
        {"train --on-nonfinite ignore", "--on-nonfinite must be stop or skip"},
        {"compare --methods mle,jeffreys-gan", "--methods has 'jeffreys-gan'"},
        {"train --data nosuchset", "--data 'nosuchset' is neither a data set"},
        {"train --steps 5 --steps 6", "given twice"},
        {"frobnicate", "unknown command 'frobnicate'"},
        {"eval --data moons --n-test 5", "--model is required"},
    };
    for (const Case& c : cases) {
        const bool takes_out = c.args.rfind("train", 0) == 0 || c.args.rfind("compare", 0) == 0;
        Run r = run(c.args + (takes_out ? " --out " + out : ""));
        INFO(c.args << " -> " << r.out);
        CHECK(r.code == 2);
        CHECK_THAT(r.out, Catch::Contains(c.expect));
        CHECK_THAT(r.out, Catch::StartsWith("symkl: error: "));
        CHECK(count_lines(r.out) == 1);
        CHECK(!fs::exists(out));
    }
}

TEST_CASE("cli: bad CSV input names file, line and column", "[cli]") {
    TempDir t;
    spit(t / "bad.csv", "x0,x1\n1,2\n3,abc\n");
    spit(t / "ragged.csv", "1,2\n3,4,5\n");
    spit(t / "nan.csv", "1,2\n3,nan\n");
    spit(t / "empty.csv", "");
    spit(t / "one.csv", "1,2\n");
    spit(t / "three.csv", "1,2,3\n4,5,6\n7,8,9\n");
    struct Case { std::string file, expect; };
    const Case cases[] = {
        {"bad.csv", "bad.csv:3"},    {"ragged.csv", "ragged.csv:2"}, {"nan.csv", "nan.csv:2"},
        {"empty.csv", "empty.csv"},  {"one.csv", "one.csv"},
    };
    for (const Case& c : cases) {
        Run r = run("train --steps 1 " + std::string(SMALL) + " --data " + (t / c.file) + " --out " + (t / "o"));
        INFO(c.file << " -> " << r.out);
        CHECK(r.code == 2);
        CHECK_THAT(r.out, Catch::Contains(c.expect));
        CHECK(count_lines(r.out) == 1);
        CHECK(!fs::exists(t / "o"));
    }
    Run r = run("train --steps 1 " + std::string(SMALL) + " --data " + (t / "bad.csv") + " --out " + (t / "o"));
    CHECK_THAT(r.out, Catch::Contains("column 2"));
}

TEST_CASE("cli: train, sample, logprob and eval fit together; errors on misuse", "[cli]") {
    TempDir t;
    const std::string run_dir = t / "run";
    Run tr = run("train --data moons --steps 20 --log-every 10 " + std::string(SMALL) + " --out " + run_dir);
    INFO(tr.out);
    REQUIRE(tr.code == 0);
    const std::string metrics = slurp(run_dir + "/metrics.csv");
    CHECK_THAT(metrics, Catch::StartsWith("step,loss,train_nll,test_nll,fwd_kl,rev_kl,jeffreys,grad_norm,lambda,u,"
                                         "proxy_nll,rev_kl_proxy,ess,critic_loss,wasserstein_estimate,gp,skipped,val_nll\n"));
    CHECK(count_lines(metrics) == 4);  // header + steps 0, 10, 20
    CHECK(fs::exists(run_dir + "/config.json"));
    const std::string model = run_dir + "/model.safetensors";

    Run s = run("sample --model " + model + " --n 50 --out " + (t / "s.csv"));
    REQUIRE(s.code == 0);
    CHECK(count_lines(slurp(t / "s.csv")) == 51);
    Run lp = run("logprob --model " + model + " --in " + (t / "s.csv") + " --out " + (t / "lp.csv"));
    REQUIRE(lp.code == 0);
    CHECK(count_lines(slurp(t / "lp.csv")) == 51);

    // sample --with-logprob and logprob agree on log p of the same points
    REQUIRE(run("sample --model " + model + " --n 5 --with-logprob --out " + (t / "sl.csv")).code == 0);
    const std::string sl = slurp(t / "sl.csv");
    CHECK_THAT(sl, Catch::StartsWith("x0,x1,logp\n"));

    // eval reproduces the last metrics row's test NLL (same seed, same test stream)
    Run ev = run("eval --model " + model + " --data moons --n-test 500 --n-eval 500");
    REQUIRE(ev.code == 0);
    const std::string last = metrics.substr(metrics.rfind('\n', metrics.size() - 2) + 1);
    std::stringstream ss(last);
    std::string field;
    for (int i = 0; i < 4; i++) std::getline(ss, field, ',');  // step, loss, train_nll, test_nll
    char want[64];
    std::snprintf(want, sizeof want, "test_nll  %.6g", std::strtod(field.c_str(), nullptr));
    CHECK_THAT(ev.out, Catch::Contains(want));

    // wrong dimension
    spit(t / "x3.csv", "1,2,3\n4,5,6\n");
    Run bad = run("logprob --model " + model + " --in " + (t / "x3.csv") + " --out " + (t / "no.csv"));
    CHECK(bad.code == 2);
    CHECK_THAT(bad.out, Catch::Contains("3 columns") && Catch::Contains("2"));
    CHECK(!fs::exists(t / "no.csv"));

    // truncated and corrupt checkpoints
    const std::string bytes = slurp(model);
    spit(t / "trunc.safetensors", bytes.substr(0, bytes.size() / 2));
    Run tr2 = run("sample --model " + (t / "trunc.safetensors") + " --n 5 --out " + (t / "no.csv"));
    CHECK(tr2.code == 2);
    CHECK_THAT(tr2.out, Catch::Contains("trunc.safetensors"));
    CHECK(count_lines(tr2.out) == 1);
    std::string corrupt = bytes;
    corrupt[12] = '#';
    spit(t / "corrupt.safetensors", corrupt);
    Run co = run("eval --model " + (t / "corrupt.safetensors") + " --data moons");
    CHECK(co.code == 2);
    CHECK_THAT(co.out, Catch::Contains("corrupt.safetensors"));
    spit(t / "tiny.safetensors", "abc");
    CHECK(run("sample --model " + (t / "tiny.safetensors") + " --out " + (t / "no.csv")).code == 2);
    CHECK(!fs::exists(t / "no.csv"));
}

TEST_CASE("cli: the same seed gives byte-identical outputs with 1 and 2 threads", "[cli][determinism][heavy]") {
    TempDir t;
    // width 256 and batch 64 put the matmuls above the parallel threshold (tensor/parallel.h)
    const std::string common = "train --data 8gaussians --steps 12 --log-every 6 --seed 3 --n-train 64 --batch 64 "
                               "--layers 2 --hidden 256 --act silu --n-test 500 --n-eval 500 --quiet --no-figures";
    REQUIRE(run(common + " --threads 1 --out " + (t / "t1")).code == 0);
    REQUIRE(run(common + " --threads 2 --out " + (t / "t2")).code == 0);
    CHECK(slurp(t / "t1/metrics.csv") == slurp(t / "t2/metrics.csv"));
    CHECK(slurp(t / "t1/model.safetensors") == slurp(t / "t2/model.safetensors"));
    // the adaptive method with either proxy: both models and every logged value
    for (const char* proxy : {"ebm", "flow"}) {
        const std::string j = common + " --method jeffreys --samples 64 --proxy-layers 2 --proxy-hidden 256 --ebm-hidden 256 --proxy " + proxy;
        // --force: the flow proxy's runs replace the EBM's in the same directories
        REQUIRE(run(j + " --force --threads 1 --out " + (t / "j1")).code == 0);
        REQUIRE(run(j + " --force --threads 2 --out " + (t / "j2")).code == 0);
        INFO("proxy " << proxy);
        CHECK(slurp(t / "j1/metrics.csv") == slurp(t / "j2/metrics.csv"));
        CHECK(slurp(t / "j1/model.safetensors") == slurp(t / "j2/model.safetensors"));
        CHECK(slurp(t / "j1/proxy.safetensors") == slurp(t / "j2/proxy.safetensors"));
    }
    // and a different seed gives a different model
    REQUIRE(run("train --data 8gaussians --steps 30 --log-every 10 --seed 4 " + std::string(SMALL) + " --out " + (t / "t3")).code == 0);
    CHECK(slurp(t / "t1/model.safetensors") != slurp(t / "t3/model.safetensors"));
}

TEST_CASE("cli: a diverging run stops with exit 3 and keeps the last good model", "[cli]") {
    TempDir t;
    Run r = run("train --data 8gaussians --steps 200 --log-every 1 --lr 10 --scale exp " + std::string(SMALL) +
                " --out " + (t / "d"));
    INFO(r.out);
    if (r.code == 3) {
        CHECK_THAT(r.out, Catch::Contains("training stopped at step"));
        CHECK(fs::exists(t / "d/model.safetensors"));
        // the checkpoint loads; its samples may already overflow (its NLL can be inf), which
        // sample reports with exit 4 rather than writing a CSV of infinities
        const int code = run("sample --model " + (t / "d/model.safetensors") + " --n 3 --out " + (t / "ok.csv")).code;
        CHECK((code == 0 || code == 4));
    } else {
        WARN("lr 10 with exp scale did not diverge in 200 steps; the exit-3 path was not exercised");
    }
}

TEST_CASE("cli: the CSV copies in data/ are what `make data` generates", "[cli][double]") {
    TempDir t;
    for (const char* name : {"8gaussians", "moons", "circles", "rings", "checkerboard", "pinwheel", "swissroll", "2spirals"}) {
        INFO(name);
        const std::string out = t / (std::string(name) + ".csv");
        REQUIRE(run(std::string("generate --data ") + name + " --n 500 --seed 1 --out " + out).code == 0);
        CHECK(slurp(out) == slurp(std::string(SYMKL_SOURCE_DIR) + "/data/" + name + ".csv"));
    }
}

TEST_CASE("cli: jeffreys and penalty runs write both models; proxies load with --proxy-model", "[cli]") {
    TempDir t;
    for (const char* proxy : {"ebm", "flow"}) {
        INFO("proxy " << proxy);
        const std::string dir = t / (std::string("j-") + proxy);
        Run r = run("train --data 8gaussians --method jeffreys --steps 20 --log-every 10 --samples 32 --proxy " +
                    std::string(proxy) + " --proxy-layers 2 --proxy-hidden 8 --ebm-hidden 8 " + SMALL + " --out " + dir);
        INFO(r.out);
        REQUIRE(r.code == 0);
        CHECK_THAT(r.out, Catch::Contains("eps ") && Catch::Contains("final lambda"));
        const std::string metrics = slurp(dir + "/metrics.csv");
        CHECK(count_lines(metrics) == 4);
        const auto row = last_row(metrics);
        for (const char* col : {"lambda", "u", "proxy_nll", "rev_kl_proxy"}) CHECK(finite_field(row, col));
        CHECK(finite_field(row, "ess") == (std::string(proxy) == "ebm"));
        CHECK(row.at("critic_loss") == "nan");
        const std::string proxy_model = dir + "/proxy.safetensors";
        REQUIRE(fs::exists(proxy_model));
        Run ev = run("eval --proxy-model " + proxy_model + " --data 8gaussians --n-test 200 --n-eval 200");
        CHECK(ev.code == 0);
        CHECK_THAT(ev.out, Catch::Contains("test_nll"));
        Run lp = run("logprob --proxy-model " + proxy_model + " --in " + std::string(SYMKL_SOURCE_DIR) +
                     "/data/8gaussians.csv --out " + (t / "lq.csv"));
        CHECK(lp.code == 0);
        Run sm = run("sample --proxy-model " + proxy_model + " --n 5 --out " + (t / "sq.csv"));
        if (std::string(proxy) == "ebm") {
            CHECK_THAT(lp.out, Catch::Contains("log Z"));  // says the EBM's log q uses an estimate
            CHECK(sm.code == 2);
            CHECK_THAT(sm.out, Catch::Contains("no exact sampler"));
        } else {
            CHECK(sm.code == 0);
        }
        // a proxy is not a main model, and the two flags exclude each other
        CHECK(run("eval --model " + proxy_model + " --proxy-model " + proxy_model + " --data moons").code == 2);
    }
    Run pen = run("train --data moons --method penalty --lambda0 2 --steps 10 --log-every 10 --samples 32 --ebm-hidden 8 " +
                  std::string(SMALL) + " --out " + (t / "pen"));
    INFO(pen.out);
    CHECK(pen.code == 0);
    // penalty: lambda stays at lambda0 and there is no slack
    const auto row = last_row(slurp(t / "pen/metrics.csv"));
    CHECK(row.at("lambda") == "2");
    CHECK(row.at("u") == "nan");
}

TEST_CASE("cli: --on-nonfinite skip counts skipped steps instead of stopping", "[cli]") {
    TempDir t;
    Run r = run("train --data 8gaussians --steps 40 --log-every 40 --lr 10 --scale exp --on-nonfinite skip " +
                std::string(SMALL) + " --out " + (t / "s"));
    INFO(r.out);
    CHECK(r.code == 0);
    CHECK(std::stol(last_row(slurp(t / "s/metrics.csv")).at("skipped")) > 0);  // the skipped column counts them
    CHECK_THAT(r.out, Catch::Contains("steps skipped"));
}

TEST_CASE("cli: wgan trains the flow as a generator and logs the critic", "[cli][wgan]") {
    TempDir t;
    Run r = run("train --data 8gaussians --method wgan --steps 10 --log-every 5 --samples 32 --critic-hidden 8 " +
                std::string(SMALL) + " --out " + (t / "w"));
    INFO(r.out);
    REQUIRE(r.code == 0);
    const std::string m = slurp(t / "w/metrics.csv");
    CHECK(count_lines(m) == 4);
    const std::string cfg = slurp(t / "w/config.json");
    CHECK_THAT(cfg, Catch::Contains("\"n_critic\": 5") && Catch::Contains("\"lr\": 0.0001"));  // WGAN-GP defaults
    const auto row = last_row(m);
    for (const char* col : {"critic_loss", "wasserstein_estimate", "gp", "test_nll", "jeffreys"}) CHECK(finite_field(row, col));
    CHECK(row.at("lambda") == "nan");
}

TEST_CASE("cli: a 2-D run draws its figures", "[cli][plot]") {
    TempDir t;
    Run r = run("train --data moons --method jeffreys --steps 4 --log-every 2 --samples 32 --ebm-hidden 8 --n-train 64 "
                "--batch 32 --layers 2 --hidden 8 --n-test 200 --n-eval 200 --quiet --out " + (t / "f"));
    INFO(r.out);
    REQUIRE(r.code == 0);
    for (const char* f : {"density.png", "samples.svg", "nll.svg", "kl.svg", "lambda.svg"}) {
        INFO(f);
        CHECK(fs::file_size(t / ("f/" + std::string(f))) > 100);
    }
    CHECK(slurp(t / "f/density.png").substr(1, 3) == "PNG");
    // every chart names the data set and the method
    CHECK_THAT(slurp(t / "f/nll.svg"), Catch::Contains(">moons · jeffreys-ebm: negative log-likelihood</text>"));
    CHECK_THAT(slurp(t / "f/kl.svg"), Catch::Contains(">moons · jeffreys-ebm: divergence from the true density</text>"));
    CHECK_THAT(slurp(t / "f/lambda.svg"), Catch::Contains(">moons · jeffreys-ebm: λ"));
    CHECK_THAT(slurp(t / "f/samples.svg"), Catch::Contains(">moons · jeffreys-ebm: flow samples over the training data"));
    CHECK(!fs::exists(t / "f/pairs.svg"));  // D = 2 has density.png and samples.svg
}

TEST_CASE("cli: a run with D > 2 draws a pair plot, which --force removes with the run", "[cli][plot]") {
    TempDir t;
    std::string csv = "a,b,c\n";
    for (int i = 0; i < 40; i++)
        csv += std::to_string(i % 7) + "," + std::to_string((i * 3) % 5) + "," + std::to_string(i % 2 - 0.5) + "\n";
    spit(t / "x3.csv", csv);
    Run r = run("train --data " + (t / "x3.csv") + " --steps 4 --log-every 2 --batch 16 --layers 2 --hidden 8 "
                "--n-eval 50 --quiet --out " + (t / "p"));
    INFO(r.out);
    REQUIRE(r.code == 0);
    const std::string svg = slurp(t / "p/pairs.svg");
    CHECK_THAT(svg, Catch::Contains(">x3.csv · mle: flow samples against the training data</text>"));
    CHECK_THAT(svg, Catch::Contains(">x1</text>") && Catch::Contains(">x3</text>"));
    CHECK(!fs::exists(t / "p/density.png"));
    spit(t / "p/config.json", "{}");  // another run's directory now
    r = run("train --data moons --steps 2 --log-every 2 " + std::string(SMALL) + " --force --out " + (t / "p"));
    REQUIRE(r.code == 0);
    CHECK(!fs::exists(t / "p/pairs.svg"));  // a run file: removed with the old run
}

// stderr alone (stdout to /dev/null) and the exit code
static Run run_stderr(const std::string& args) { return run_cli(args, " 2>&1 >/dev/null"); }

TEST_CASE("cli: 'symkl help CMD' is CMD's help, -V the version, bare symkl a short usage on stderr", "[cli]") {
    for (const char* cmd : {"train", "plot", "eval"}) {
        INFO(cmd);
        Run h = run(std::string("help ") + cmd);
        CHECK(h.code == 0);
        CHECK(h.out == run(std::string(cmd) + " --help").out);
        CHECK_THAT(h.out, Catch::StartsWith(std::string("usage: symkl ") + cmd));
    }
    Run bad = run("help frobnicate");
    CHECK(bad.code == 2);
    CHECK_THAT(bad.out, Catch::Contains("no command 'frobnicate'"));
    CHECK(run("help").out == run("--help").out);
    Run v = run("-V");
    CHECK(v.code == 0);
    CHECK(v.out == run("--version").out);
    CHECK_THAT(v.out, Catch::StartsWith("symkl "));
    Run bare = run_stderr("");
    CHECK(bare.code == 2);
    CHECK_THAT(bare.out, Catch::StartsWith("usage: symkl COMMAND"));
    CHECK(count_lines(bare.out) <= 4);
    CHECK(run("").out == bare.out);  // nothing on stdout
}

TEST_CASE("cli: an unknown flag suggests only a close match", "[cli]") {
    struct Case { const char* args; const char* hint; };
    const Case cases[] = {{"train -o x", nullptr},          {"train --stpes 5", "--steps"}, {"train --hiden 8", "--hidden"},
                          {"train --n-trian 5", "--n-train"}, {"train --epochs 5", nullptr},  {"plot --metric a", "--metrics"},
                          {"train --learning-rate 1", nullptr}};
    for (const Case& c : cases) {
        Run r = run(c.args);
        INFO(c.args << " -> " << r.out);
        CHECK(r.code == 2);
        if (c.hint) CHECK_THAT(r.out, Catch::Contains(std::string("(did you mean ") + c.hint + "?)"));
        else CHECK_THAT(r.out, !Catch::Contains("did you mean"));
    }
}

TEST_CASE("cli: printed numbers carry 6 significant digits; eps says entropy and margin", "[cli]") {
    TempDir t;
    Run r = run("train --method jeffreys --steps 4 --log-every 2 --samples 32 --ebm-hidden 8 --eps-margin -0.5 " +
                std::string(SMALL) + " --out " + (t / "j"));
    INFO(r.out);
    REQUIRE(r.code == 0);
    const size_t at = r.out.find(", u ");
    REQUIRE(at != std::string::npos);
    const std::string u = r.out.substr(at + 4, r.out.find('\n', at) - at - 4);
    // significant digits: those of the mantissa from its first non-zero one
    std::string mantissa;
    for (char c : u.substr(0, u.find('e'))) if (std::isdigit((unsigned char)c)) mantissa += c;
    mantissa.erase(0, std::min(mantissa.find_first_not_of('0'), mantissa.size()));
    CHECK(mantissa.size() <= 6);
    CHECK(mantissa.size() >= 1);
    CHECK(std::isfinite(std::strtod(u.c_str(), nullptr)));
    CHECK_THAT(r.out, !Catch::Contains("(kNN entropy of the training set)"));
    CHECK_THAT(r.out, Catch::Contains("(kNN entropy of the training set ") && Catch::Contains(" - margin 0.5)"));
    // eps = entropy + margin, both as printed
    const size_t e = r.out.find("eps ");
    const double eps = std::strtod(r.out.c_str() + e + 4, nullptr);
    const size_t h = r.out.find("training set ", e);
    const double entropy = std::strtod(r.out.c_str() + h + 13, nullptr);
    CHECK(eps == Approx(entropy - 0.5).margin(1e-5));
    // config.json and metrics.csv keep every digit
    const std::string cfg = slurp(t / "j/config.json");
    const size_t k = cfg.find("\"eps\": ");
    REQUIRE(k != std::string::npos);
    CHECK(cfg.find_first_of(",\n", k) - (k + 7) > 10);
}

TEST_CASE("cli: progress shows no ETA before the rate is measured", "[cli]") {
    TempDir t;
    // without --quiet: progress lines on stderr (not a terminal: one line per tenth)
    Run r = run_stderr("train --data moons --steps 30 --log-every 10 --n-train 64 --batch 32 --layers 2 --hidden 8 "
                       "--n-test 500 --n-eval 500 --no-figures --out " + (t / "r"));
    INFO(r.out);
    REQUIRE(r.code == 0);
    const std::string first = r.out.substr(0, r.out.find('\n'));
    CHECK_THAT(first, Catch::StartsWith("step 1/30"));
    CHECK_THAT(first, !Catch::Contains("eta"));
    CHECK_THAT(r.out, Catch::Contains("step 30/30") && Catch::Contains("took"));
}

TEST_CASE("progress: the rate is smoothed and the ETA waits until it is stable", "[cli]") {
    Progress p;
    p.begin(10000, true);
    // a slow start (5 s of set-up before step 1), then 100 steps per second
    auto t_of = [](long step) { return 5.0 + (step - 1) / 100.0; };
    p.observe(1, t_of(1));
    CHECK_THAT(p.line(1, t_of(1), "loss 3"), !Catch::Contains("eta") && !Catch::Contains("steps/s"));
    for (long s = 2; s <= 100; s++) p.observe(s, t_of(s));
    CHECK_THAT(p.line(100, t_of(100), "loss 3"), !Catch::Contains("eta"));  // two windows, 1 s in: not yet
    for (long s = 101; s <= 400; s++) p.observe(s, t_of(s));
    const std::string l = p.line(400, t_of(400), "loss 3");
    INFO(l);
    CHECK(p.rate == Approx(100).epsilon(0.02));
    CHECK_THAT(l, Catch::Contains("100.0 steps/s") && Catch::Contains("eta 1m36s"));  // 9600 steps at 100/s
    // a slow window moves the estimate by 30% of the difference, not all the way
    p.observe(401, t_of(401));        // closes the window that began at step 351
    CHECK(p.rate == Approx(100).epsilon(0.02));
    p.observe(426, t_of(401) + 0.5);  // 50 steps/s for half a second
    CHECK(p.rate == Approx(85).epsilon(0.02));
    CHECK_THAT(p.line(10000, 120, ""), Catch::Contains("took 2m00s"));
}

TEST_CASE("cli: train --config repeats a run byte for byte; a bad config names file and key", "[cli]") {
    TempDir t;
    Run r = run("train --method jeffreys --steps 30 --log-every 10 --alpha inf --eps-margin 0.3 --samples 32 --seed 5 " +
                std::string(SMALL) + " --out " + (t / "a"));
    REQUIRE(r.code == 0);
    r = run("train --config " + (t / "a/config.json") + " --quiet --no-figures --out " + (t / "b"));
    INFO(r.out);
    REQUIRE(r.code == 0);
    for (const char* f : {"metrics.csv", "model.safetensors", "proxy.safetensors", "config.json"})
        CHECK(slurp(t / ("a/" + std::string(f))) == slurp(t / ("b/" + std::string(f))));
    // the command line wins over the file
    r = run("train --config " + (t / "a/config.json") + " --steps 10 --quiet --no-figures --out " + (t / "c"));
    REQUIRE(r.code == 0);
    CHECK_THAT(slurp(t / "c/config.json"), Catch::Contains("\"steps\": 10,"));
    spit(t / "bad.json", "{\"data\": \"moons\", \"colour\": 3}");
    r = run("train --config " + (t / "bad.json") + " --out " + (t / "d"));
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("bad.json") && Catch::Contains("'colour'"));
    CHECK(count_lines(r.out) == 1);
    CHECK(!fs::exists(t / "d"));
}

TEST_CASE("cli: experiment names its choices; a tiny E3 writes its tables and figures", "[cli]") {
    Run r = run("experiment");
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("E1, E2, E3, E4, E5 or all"));
    r = run("experiment E9");
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("unknown experiment 'E9'"));
    TempDir t;
    r = run("experiment e3 --quick --steps 4 --log-every 2 --n-train 64 --batch 32 --layers 2 --hidden 8 "
            "--ebm-hidden 8 --proxy-layers 2 --proxy-hidden 8 --n-test 300 --n-eval 300 --no-figures --out " +
            (t / "x"));
    INFO(r.out);
    REQUIRE(r.code == 0);
    const std::string csv = slurp(t / "x/E3/results.csv");
    CHECK(count_lines(csv) == 1 + 6);  // header, 5 jeffreys configurations and mle, one seed each
    CHECK_THAT(slurp(t / "x/E3/summary.md"), Catch::Contains("| alpha | inf |"));
    CHECK(fs::exists(t / "x/E3/fig/alpha-test-nll.svg"));
    CHECK(fs::exists(t / "x/E3/runs/mle/seed0/config.json"));
}

// ===== output paths, non-finite results, messages and exit codes ==========================
// (stdout and stdin as '-', FIFOs and /proc/self/fd/1 written in place, exit code 4)

#include <limits>
#include <sys/stat.h>

#include "fifo_reader.h"
#include "io/checkpoint.h"

// Runs a shell command line (its own redirections, no 2>&1 added); returns the exit code.
static int shell(const std::string& line) {
    const int status = std::system(line.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static std::string bin() { return std::string("'") + SYMKL_BIN + "'"; }

// A small trained model in `dir`/m/model.safetensors.
static std::string small_model(const TempDir& t) {
    Run tr = run("train --data moons --steps 5 --log-every 5 " + std::string(SMALL) + " --out " + (t / "m"));
    INFO(tr.out);
    REQUIRE(tr.code == 0);
    return t / "m/model.safetensors";
}

TEST_CASE("cli: '-' is stdout for --out and stdin for --in and --data", "[cli][io]") {
    TempDir t;
    const std::string model = small_model(t), cd = "cd '" + t.dir.string() + "' && ";
    // the reference outputs, written to files
    REQUIRE(run("sample --model " + model + " --n 7 --seed 2 --out " + (t / "s.csv")).code == 0);
    REQUIRE(run("logprob --model " + model + " --in " + (t / "s.csv") + " --out " + (t / "lp.csv")).code == 0);
    REQUIRE(run("generate --data rings --n 9 --out " + (t / "g.csv")).code == 0);

    CHECK(shell(cd + bin() + " sample --model " + model + " --n 7 --seed 2 --out - > s.out 2> s.err") == 0);
    CHECK(slurp(t / "s.out") == slurp(t / "s.csv"));  // only the CSV on stdout
    CHECK_THAT(slurp(t / "s.err"), Catch::Contains("wrote 7 points to stdout"));
    CHECK(shell(cd + bin() + " logprob --model " + model + " --in - --out - < s.csv > lp.out 2> lp.err") == 0);
    CHECK(slurp(t / "lp.out") == slurp(t / "lp.csv"));
    CHECK_THAT(slurp(t / "lp.err"), Catch::Contains("of 7 points to stdout"));
    CHECK(shell(cd + bin() + " generate --data rings --n 9 --out - > g.out 2> /dev/null") == 0);
    CHECK(slurp(t / "g.out") == slurp(t / "g.csv"));
    CHECK(shell(cd + bin() + " eval --model " + model + " --data - < s.csv > e.out 2>&1") == 0);
    CHECK_THAT(slurp(t / "e.out"), Catch::Contains("data      stdin (7 points)"));
    // a bad row read from stdin is named as such
    CHECK(shell(cd + "printf '1,2\\n3,x\\n' | " + bin() + " logprob --model " + model + " --in - --out - > b.out 2>&1") == 2);
    CHECK_THAT(slurp(t / "b.out"), Catch::StartsWith("symkl: error: stdin:2: column 2: 'x' is not a number"));
    CHECK(!fs::exists(t / "-"));  // no file named '-' was made
}

TEST_CASE("cli: --out into a FIFO or onto stdout's own file writes through it, never replaces it", "[cli][io]") {
    TempDir t;
    const std::string model = small_model(t);
    REQUIRE(run("sample --model " + model + " --n 2000 --seed 3 --out " + (t / "want.csv")).code == 0);
    const std::string want = slurp(t / "want.csv");  // larger than a pipe's buffer
    {
        FifoReader fifo(t / "fifo.csv");
        Run r = run("sample --model " + model + " --n 2000 --seed 3 --out " + fifo.path);
        INFO(r.out);
        CHECK(r.code == 0);
        CHECK(fifo.finish() == want);
        CHECK(fifo.still_a_fifo());
    }
    // /proc/self/fd/1 is the binary's stdout (what /dev/stdout links to): a pipe here, then a file
    if (fs::exists("/proc/self/fd/1")) {
        Run r = run("sample --model " + model + " --n 2000 --seed 3 --out /proc/self/fd/1");
        CHECK(r.code == 0);
        CHECK_THAT(r.out, Catch::StartsWith(want));  // the note follows on stderr
        const std::string cd = "cd '" + t.dir.string() + "' && ";
        CHECK(shell(cd + bin() + " sample --model " + model + " --n 2000 --seed 3 --out /proc/self/fd/1 > o.csv 2> o.err") == 0);
        CHECK(slurp(t / "o.csv") == want);
        CHECK_THAT(slurp(t / "o.err"), Catch::Contains("wrote 2000 points"));
    }
}

TEST_CASE("cli: a result that is not finite is exit 4, names the rows, and writes nothing", "[cli]") {
    TempDir t;
    const std::string model = small_model(t);
    // points beyond the range where log N(z) is representable: log p(x) = -inf
    const std::string far = sizeof(Real) == sizeof(double) ? "1e300" : "3e38";
    spit(t / "far.csv", "x0,x1\n0.1,0.2\n" + far + ",0\n0,0\n-" + far + "," + far + "\n");
    Run r = run("logprob --model " + model + " --in " + (t / "far.csv") + " --out " + (t / "lp.csv"));
    INFO(r.out);
    CHECK(r.code == 4);
    CHECK_THAT(r.out, Catch::StartsWith("symkl: error: symkl logprob: log p(x) is NaN or infinite at 2 of 4 rows "
                                        "(first: row 2) of " + (t / "far.csv")));
    CHECK(count_lines(r.out) == 1);
    CHECK(!fs::exists(t / "lp.csv"));
    r = run("eval --model " + model + " --data " + (t / "far.csv"));
    CHECK(r.code == 4);
    CHECK_THAT(r.out, Catch::Contains("test NLL is not finite") && Catch::Contains("2 of 4 rows (first: row 2)"));
    CHECK(count_lines(r.out) == 1);

    // a model whose weights are finite but overflow every sample
    Flow f;
    load_flow(model, f);
    for (Real& w : f.params.value) w = std::numeric_limits<Real>::max();
    const std::string bad = t / "bad.safetensors";
    save_flow(bad, f, {});
    r = run("sample --model " + bad + " --n 10 --out " + (t / "s.csv"));
    CHECK(r.code == 4);
    CHECK_THAT(r.out, Catch::Contains("symkl sample: ") && Catch::Contains(" of 10 points (first: point ") &&
                          Catch::Contains("nothing written"));
    CHECK(count_lines(r.out) == 1);
    CHECK(!fs::exists(t / "s.csv"));
    r = run("sample --model " + bad + " --n 10 --with-logprob --out -");
    CHECK(r.code == 4);
    CHECK(count_lines(r.out) == 1);  // no CSV on stdout either
    r = run("eval --model " + bad + " --data moons --n-test 200 --n-eval 200");
    CHECK(r.code == 4);
    CHECK_THAT(r.out, Catch::Contains("symkl eval: the test NLL is not finite"));
    // and the good model still works on the finite rows
    spit(t / "near.csv", "0.1,0.2\n0,0\n");
    CHECK(run("logprob --model " + model + " --in " + (t / "near.csv") + " --out " + (t / "lp.csv")).code == 0);
}

TEST_CASE("cli: --help and README list every exit code", "[cli]") {
    const std::string help = run("--help").out;
    for (const char* code : {"  0  success", "  1  out of memory", "  2  bad input", "  3  training stopped",
                             "  4  a result is not finite"})
        CHECK_THAT(help, Catch::Contains(code));
    const std::string readme = slurp(std::string(SYMKL_SOURCE_DIR) + "/README.md");
    for (const char* code : {"exit code 1", "exit code 2", "exit code 3", "exit code 4"})
        CHECK_THAT(readme, Catch::Contains(code, Catch::CaseSensitive::No));
}

TEST_CASE("cli: a flag's value is echoed escaped and cut: one short line", "[cli]") {
    Run r = run("train --steps \"$(printf 'a\\tb')\"");
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("--steps must be an integer from 0 to 1000000000, got 'a\\tb'"));
    CHECK(count_lines(r.out) == 1);
    r = run("train --lr " + std::string(5000, '9') + "x");
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("got '" + std::string(60, '9') + "\xE2\x80\xA6'"));
    CHECK(r.out.size() < 300);
    TempDir t;
    r = run("sample --model x.safetensors --n \"$(printf '1\\n2')\" --out " + (t / "s.csv"));
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("got '1\\n2'"));
    CHECK(count_lines(r.out) == 1);
}
