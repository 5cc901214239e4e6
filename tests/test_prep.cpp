// test_prep.cpp — the data path of real-data runs (data/prep.h, app/data_prep.h):
// standardisation as the model's first map (its round trip, its log-determinant against
// the Gaussian worked by hand, a constant column refused with its name), the map in the
// checkpoint (logprob and eval in the data's units against a hand computation), scaled
// columns training to the same NLL after the Jacobian term, and dequantisation (its rule,
// its warning, determinism).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_run.h"
#include "data/prep.h"
#include "io/checkpoint.h"
#include "io/csv.h"
#include "io/dataset.h"
#include "io/safetensors.h"
#include "tempdir.h"
#include "tensor/error.h"
#include "tensor/rng.h"

namespace fs = std::filesystem;
using Catch::Contains;

namespace {

int lines_of(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

// n rows of three correlated columns (a, b, c), on scales 1, 1, 1 around (1, -2, 0.5).
Tensor correlated(int n, uint64_t seed) {
    Rng rng(seed);
    Tensor x(n, 3);
    for (int i = 0; i < n; i++) {
        const double z0 = rng.normal(), z1 = rng.normal(), z2 = rng.normal();
        x.at(i, 0) = (Real)(1 + z0);
        x.at(i, 1) = (Real)(-2 + 0.6 * z0 + 0.8 * z1);
        x.at(i, 2) = (Real)(0.5 + 0.5 * z1 + std::sin(2 * z0) + 0.3 * z2);
    }
    return x;
}

// The test NLL of the last row of a run's metrics.csv (its fourth column).
double last_test_nll(const std::string& metrics) {
    std::istringstream in(slurp(metrics));
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty()) last = line;
    std::istringstream fields(last);
    std::string f;
    for (int k = 0; k < 4; k++) std::getline(fields, f, ',');
    return std::stod(f);
}

// The number after `key` in the output of symkl eval ("test_nll  3.124617").
double printed(const std::string& out, const std::string& key) {
    const size_t at = out.find(key + " ");
    REQUIRE(at != std::string::npos);
    return std::stod(out.substr(at + key.size()));
}

// Agreement of two computations of the same log-density: the float build rounds each to ~1e-7.
const double LP_TOL = sizeof(Real) == sizeof(double) ? 1e-9 : 1e-4;

const std::string TINY = " --batch 32 --layers 2 --hidden 16 --steps 60 --log-every 30 --quiet --no-figures";

}  // namespace

TEST_CASE("prep: standardising gives columns of mean 0 and std 1, and unstandardising gives the data back",
          "[prep]") {
    Tensor x = correlated(300, 1);
    for (int i = 0; i < x.rows; i++) x.at(i, 0) *= (Real)1000, x.at(i, 2) *= (Real)0.01;
    const Standardizer s = standardizer_fit(x, {"a", "b", "c"});
    REQUIRE(s.shift.size() == 3);
    Tensor u = x;
    standardize(u, s);
    const double tol = sizeof(Real) == sizeof(double) ? 1e-12 : 1e-5;
    for (int j = 0; j < 3; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < u.rows; i++) m += (double)u.at(i, j);
        m /= u.rows;
        for (int i = 0; i < u.rows; i++) v += ((double)u.at(i, j) - m) * ((double)u.at(i, j) - m);
        CHECK(std::fabs(m) < tol);
        CHECK(std::fabs(v / u.rows - 1) < tol);
    }
    Tensor back = u;
    unstandardize(back, s);
    for (size_t k = 0; k < x.data.size(); k++)
        CHECK(std::fabs((double)back.data[k] - (double)x.data[k]) <= 4 * tol * (1 + std::fabs((double)x.data[k])));
    // the empty map is the identity, with log-det 0
    Tensor same = x;
    standardize(same, Standardizer{});
    CHECK(same.data == x.data);
    CHECK(standardizer_log_det(Standardizer{}) == 0);
}

TEST_CASE("prep: the log-determinant on columns worked by hand, and the Gaussian it makes exact", "[prep]") {
    // column a: 1, 3 -> mean 2, std 1; column b: 0, 10 -> mean 5, std 5
    Tensor x(2, 2);
    x.at(0, 0) = 1, x.at(1, 0) = 3, x.at(0, 1) = 0, x.at(1, 1) = 10;
    const Standardizer s = standardizer_fit(x, {});
    CHECK(s.shift == std::vector<double>{2, 5});
    CHECK(s.scale == std::vector<double>{1, 5});
    CHECK(standardizer_log_det(s) == Approx(std::log(5.0)).epsilon(1e-15));
    // a standard normal in u is N(mean, diag std²) in x: log N(u; 0, I) − Σ log σ_j
    // equals the Gaussian's log-density written out
    const double pt[2] = {2.5, -1.0};
    Real u[2] = {(Real)pt[0], (Real)pt[1]};
    standardize_row(u, s);
    const double lhs = -0.5 * ((double)u[0] * u[0] + (double)u[1] * u[1]) - std::log(2 * M_PI) - standardizer_log_det(s);
    const double rhs = -0.5 * ((pt[0] - 2) * (pt[0] - 2) / 1 + (pt[1] - 5) * (pt[1] - 5) / 25) -
                       0.5 * std::log(2 * M_PI * 1) - 0.5 * std::log(2 * M_PI * 25);
    CHECK(lhs == Approx(rhs).epsilon(1e-6));
}

TEST_CASE("prep: a constant column is refused by name and number, with the fix", "[prep][cli]") {
    Tensor x(4, 3);
    for (int i = 0; i < 4; i++) x.at(i, 0) = (Real)i, x.at(i, 1) = (Real)7.5, x.at(i, 2) = (Real)(i * i);
    try {
        standardizer_fit(x, {"a", "flat", "c"});
        FAIL("a constant column was standardised");
    } catch (const symkl::Error& e) {
        CHECK_THAT(e.what(), Contains("column 2 ('flat') is constant (7.5 in every training row)") &&
                                 Contains("drop the column") && Contains("--standardize off"));
    }
    // the same through symkl train: one line, exit 2, nothing written; --standardize off trains
    TempDir t;
    std::string rows = "a,flat,c\n";
    for (int i = 0; i < 40; i++) rows += std::to_string(0.37 * i) + ",7.5," + std::to_string(std::sin(i)) + "\n";
    const std::string csv = t.put("flat.csv", rows);
    Run r = run_cli("train --data " + csv + TINY + " --out " + (t / "a"));
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Contains("flat.csv': column 2 ('flat') is constant") && Contains("--standardize off"));
    CHECK(lines_of(r.out) == 1);
    CHECK(!fs::exists(t / "a"));
    r = run_cli("train --data " + csv + " --standardize off" + TINY + " --out " + (t / "b"));
    CHECK(r.code == 0);
}

TEST_CASE("prep: checkpoint metadata of the map: exact round trip, old files without it, corrupt values refused",
          "[prep][checkpoint]") {
    Standardizer s;
    s.shift = {0.1, -3e7, 1.0 / 3};
    s.scale = {1e-9, 2.5, std::sqrt(2.0)};
    SafeTensors st;
    st.metadata = standardizer_metadata(s);
    const Standardizer back = checkpoint_standardizer(st, 3, "m.safetensors");
    CHECK(back.shift == s.shift);  // bit for bit
    CHECK(back.scale == s.scale);
    CHECK(standardizer_metadata(Standardizer{}).empty());
    CHECK(checkpoint_standardizer(SafeTensors{}, 3, "old.safetensors").empty());  // a file from before the keys
    auto refused = [](const Metadata& meta, int dim, const std::string& what) {
        SafeTensors bad;
        bad.metadata = meta;
        INFO(what);
        CHECK_THROWS_WITH(checkpoint_standardizer(bad, dim, "m.safetensors"), Contains("m.safetensors") && Contains(what));
    };
    refused({{"standardize_shift", "1,2"}}, 2, "without 'standardize_scale'");
    refused({{"standardize_shift", "1,2"}, {"standardize_scale", "1,2,3"}}, 2, "'standardize_scale' holds more than 2");
    refused({{"standardize_shift", "1"}, {"standardize_scale", "1"}}, 2, "'standardize_shift' holds 1 numbers");
    refused({{"standardize_shift", "1,2"}, {"standardize_scale", "1,0"}}, 2, "value 2 = '0' is not a positive number");
    refused({{"standardize_shift", "1,nan"}, {"standardize_scale", "1,1"}}, 2, "value 2 = 'nan' is not a finite number");
    refused({{"standardize_shift", "1,,2"}, {"standardize_scale", "1,1"}}, 2, "value 2 = '' is not a finite number");
}

TEST_CASE("prep: integer columns, the discrete rule, and dequantisation's noise", "[prep]") {
    Tensor x(30, 4);
    for (int i = 0; i < 30; i++) {
        x.at(i, 0) = (Real)(i % 2);        // binary: discrete
        x.at(i, 1) = (Real)(i);            // 30 integer values: integer, not discrete
        x.at(i, 2) = (Real)(0.5 * i);      // not integer
        x.at(i, 3) = (Real)(i % 20 - 10);  // 20 values, negative too: discrete (the bound is inclusive)
    }
    const IntegerColumns c = integer_columns(x);
    CHECK(c.integer == std::vector<int>{0, 1, 3});
    CHECK(c.discrete == std::vector<int>{0, 3});
    CHECK(c.levels == std::vector<int>{2, 30, 30, 20});
    Tensor a = x, b = x, other = x;
    Rng r1(9), r2(9), r3(10);
    dequantize(a, c.discrete, r1);
    dequantize(b, c.discrete, r2);
    dequantize(other, c.discrete, r3);
    CHECK(a.data == b.data);  // same stream, same noise
    CHECK(a.data != other.data);
    Rng again(9);
    for (int i = 0; i < 30; i++)
        for (int j : c.discrete) {
            const double v = (double)x.at(i, j) + again.uniform();  // row by row, columns in order
            CHECK((double)a.at(i, j) == (double)(Real)v);
            CHECK((double)a.at(i, j) >= (double)x.at(i, j));
            CHECK((double)a.at(i, j) <= (double)x.at(i, j) + 1);
        }
    for (int i = 0; i < 30; i++) CHECK(a.at(i, 1) == x.at(i, 1));  // other columns untouched
}

TEST_CASE("prep: discrete CSV columns are named in one warning and dequantised the same way every run",
          "[prep][cli]") {
    TempDir t;
    std::string rows = "flag,score,w\n";
    Rng rng(3);
    for (int i = 0; i < 120; i++)
        rows += std::to_string(rng.below(2)) + "," + std::to_string(rng.below(5)) + "," +
                std::to_string(rng.normal()) + "\n";
    const std::string csv = t.put("mixed.csv", rows);
    Run a = run_cli("train --data " + csv + TINY + " --out " + (t / "a"));
    INFO(a.out);
    REQUIRE(a.code == 0);
    CHECK_THAT(a.out, Contains("warning: " + csv + ": 2 columns of few integer values (at most 20 distinct): "
                               "flag (2 values), score (5 values); dequantised with U(0,1) noise"));
    Run b = run_cli("train --data " + csv + TINY + " --out " + (t / "b"));
    REQUIRE(b.code == 0);
    CHECK(slurp(t / "a/metrics.csv") == slurp(t / "b/metrics.csv"));
    CHECK(slurp(t / "a/model.safetensors") == slurp(t / "b/model.safetensors"));
    // another seed draws other noise (and another split); --dequantize off is another model
    Run off = run_cli("train --data " + csv + " --dequantize off" + TINY + " --out " + (t / "off"));
    REQUIRE(off.code == 0);
    CHECK_THAT(off.out, Contains("not dequantised (--dequantize off)"));
    CHECK(slurp(t / "off/metrics.csv") != slurp(t / "a/metrics.csv"));
    // replay from config.json repeats the dequantised, standardised run byte for byte
    Run re = run_cli("train --config " + (t / "a/config.json") + " --quiet --no-figures --out " + (t / "re"));
    REQUIRE(re.code == 0);
    for (const char* f : {"metrics.csv", "model.safetensors", "config.json"})
        CHECK(slurp(t / (std::string("a/") + f)) == slurp(t / (std::string("re/") + f)));
    CHECK_THAT(slurp(t / "a/config.json"), Contains("\"standardize\": \"auto\"") && Contains("\"dequantize\": \"auto\""));
    Run re_off = run_cli("train --config " + (t / "off/config.json") + " --quiet --no-figures --out " + (t / "re_off"));
    REQUIRE(re_off.code == 0);
    CHECK(slurp(t / "off/model.safetensors") == slurp(t / "re_off/model.safetensors"));
}

TEST_CASE("prep: a column x1000 and another x0.01 train to the same NLL after the Jacobian term", "[prep][cli]") {
    TempDir t;
    const Tensor x = correlated(400, 2);
    Tensor scaled = x;
    for (int i = 0; i < x.rows; i++) scaled.at(i, 0) *= (Real)1000, scaled.at(i, 1) *= (Real)0.01;
    write_csv(t / "x.csv", x, {"a", "b", "c"});
    write_csv(t / "scaled.csv", scaled, {"a", "b", "c"});
    // log|det| of the rescaling: NLL(scaled) = NLL(x) + log 1000 + log 0.01
    const double jacobian = std::log(1000.0) + std::log(0.01);
    for (const char* mode : {"on", "off"}) {
        const std::string opts = std::string(" --standardize ") + mode + " --method mle" + TINY;
        REQUIRE(run_cli("train --data " + (t / "x.csv") + opts + " --out " + (t / (std::string("x-") + mode))).code == 0);
        REQUIRE(run_cli("train --data " + (t / "scaled.csv") + opts + " --out " + (t / (std::string("s-") + mode))).code == 0);
    }
    const double nll_x = last_test_nll(t / "x-on/metrics.csv"), nll_s = last_test_nll(t / "s-on/metrics.csv");
    INFO("test NLL " << nll_x << " unscaled, " << nll_s << " scaled; Jacobian term " << jacobian);
    CHECK(std::fabs(nll_s - jacobian - nll_x) < 0.1);
    // the flow alone, on raw columns, does not manage it in the same steps: the comparison has teeth
    const double raw_x = last_test_nll(t / "x-off/metrics.csv"), raw_s = last_test_nll(t / "s-off/metrics.csv");
    INFO("without standardisation: " << raw_x << " unscaled, " << raw_s << " scaled");
    CHECK(std::fabs(raw_s - jacobian - raw_x) > 0.1);
}

TEST_CASE("prep: the checkpoint carries the map; logprob, eval and sample are in the data's units",
          "[prep][cli][checkpoint]") {
    TempDir t;
    const Tensor x = correlated(200, 4);
    Tensor data = x;
    for (int i = 0; i < x.rows; i++) data.at(i, 0) *= (Real)50, data.at(i, 2) += (Real)100;
    write_csv(t / "d.csv", data, {"a", "b", "c"});
    const std::string model = t / "run/model.safetensors";
    REQUIRE(run_cli("train --data " + (t / "d.csv") + " --seed 5 --val-frac 0" + TINY + " --out " + (t / "run")).code == 0);
    // the map is the training rows' mean and std: the same split as symkl train's (no validation rows)
    DataSpec spec;
    spec.data = t / "d.csv";
    const Dataset d = load_dataset(spec, 5, "test");
    const Standardizer want = standardizer_fit(d.train, {});
    const SafeTensors st = load_safetensors(model);
    const Standardizer s = checkpoint_standardizer(st, 3, model);
    CHECK(s.shift == want.shift);
    CHECK(s.scale == want.scale);
    // log p(x) by hand: the flow at u = (x − μ)/σ, minus Σ log σ_j
    Flow f;
    load_flow(model, f);
    Tensor u = data;
    standardize(u, s);
    FlowCache c;
    flow_cache_init(c, f, u.rows);
    std::vector<Real> lp((size_t)u.rows);
    flow_log_prob(lp.data(), u.ptr(), f, c, u.rows);
    double log_det = 0, nll = 0;
    for (double v : want.scale) log_det += std::log(v);
    for (Real& v : lp) v = (Real)((double)v - log_det), nll -= (double)v / u.rows;
    Run r = run_cli("logprob --model " + model + " --in " + (t / "d.csv") + " --out " + (t / "lp.csv"));
    REQUIRE(r.code == 0);
    const Tensor got = read_csv(t / "lp.csv");
    REQUIRE(got.rows == u.rows);
    for (int i = 0; i < u.rows; i++) CHECK((double)got.at(i, 0) == Approx((double)lp[(size_t)i]).margin(LP_TOL));
    r = run_cli("eval --model " + model + " --data " + (t / "d.csv"));
    REQUIRE(r.code == 0);
    CHECK(printed(r.out, "test_nll") == Approx(nll).margin(1e-6 + LP_TOL));
    // samples come out in the data's units: column a spread ~50, c around 100
    r = run_cli("sample --model " + model + " --n 2000 --with-logprob --out " + (t / "s.csv"));
    REQUIRE(r.code == 0);
    const Tensor smp = read_csv(t / "s.csv");
    double m0 = 0, m2 = 0, v0 = 0;
    for (int i = 0; i < smp.rows; i++) m0 += (double)smp.at(i, 0) / smp.rows, m2 += (double)smp.at(i, 2) / smp.rows;
    for (int i = 0; i < smp.rows; i++) v0 += ((double)smp.at(i, 0) - m0) * ((double)smp.at(i, 0) - m0) / smp.rows;
    CHECK(std::sqrt(v0) == Approx(want.scale[0]).epsilon(0.2));
    CHECK(m2 == Approx(want.shift[2]).epsilon(0.01));
    // the logp column of sample is log p(x) of the written points: logprob agrees
    Tensor pts(smp.rows, 3);
    for (int i = 0; i < smp.rows; i++)
        for (int j = 0; j < 3; j++) pts.at(i, j) = smp.at(i, j);
    write_csv(t / "pts.csv", pts, {"a", "b", "c"});
    REQUIRE(run_cli("logprob --model " + model + " --in " + (t / "pts.csv") + " --out " + (t / "lp2.csv")).code == 0);
    const Tensor lp2 = read_csv(t / "lp2.csv");
    for (int i = 0; i < smp.rows; i += 97)
        CHECK((double)lp2.at(i, 0) == Approx((double)smp.at(i, 3)).margin(sizeof(Real) == sizeof(double) ? 1e-6 : 1e-2));
}

TEST_CASE("prep: generated data are not standardised by default (auto), and can be", "[prep][cli]") {
    TempDir t;
    const std::string opts = " --data moons --n-train 128 --n-test 200 --n-eval 200" + TINY;
    REQUIRE(run_cli("train" + opts + " --out " + (t / "auto")).code == 0);
    CHECK(!load_safetensors(t / "auto/model.safetensors").meta("standardize_shift"));
    Run r = run_cli("train" + opts + " --standardize on --out " + (t / "on"));
    REQUIRE(r.code == 0);
    CHECK(load_safetensors(t / "on/model.safetensors").meta("standardize_shift"));
    // eval of the standardised model repeats the run's last logged row, KLs included
    r = run_cli("eval --model " + (t / "on/model.safetensors") + " --data moons --n-test 200 --n-eval 200");
    REQUIRE(r.code == 0);
    std::istringstream in(slurp(t / "on/metrics.csv"));
    std::string line, last;
    while (std::getline(in, line)) last = line;
    std::vector<std::string> f;
    std::istringstream fs_(last);
    for (std::string v; std::getline(fs_, v, ',');) f.push_back(v);
    CHECK(printed(r.out, "test_nll") == Approx(std::stod(f[3])).margin(2e-6));
    CHECK(printed(r.out, "fwd_kl") == Approx(std::stod(f[4])).margin(2e-6));
    CHECK(printed(r.out, "rev_kl") == Approx(std::stod(f[5])).margin(2e-6));
}

TEST_CASE("prep: --columns picks CSV columns by name, number or range, or leaves some out", "[prep]") {
    const std::vector<std::string> names = {"a", "b", "label", "d"};
    using V = std::vector<int>;
    CHECK(select_columns("all", names, 4, "f.csv") == V{0, 1, 2, 3});
    CHECK(select_columns("d,a", names, 4, "f.csv") == V{3, 0});
    CHECK(select_columns("2-4,1", names, 4, "f.csv") == V{1, 2, 3, 0});
    CHECK(select_columns("-label", names, 4, "f.csv") == V{0, 1, 3});
    CHECK(select_columns("-3,-a", names, 4, "f.csv") == V{1, 3});
    CHECK(select_columns("1-4,-label", names, 4, "f.csv") == V{0, 1, 3});
    CHECK(select_columns("2,3", {}, 4, "f.csv") == V{1, 2});  // no header: numbers
    CHECK_THROWS_WITH(select_columns("a,zz", names, 4, "f.csv"),
                      Contains("--columns 'a,zz': 'zz' is not a column of f.csv") && Contains("a, b, label, d") &&
                          Contains("a number from 1 to 4"));
    CHECK_THROWS_WITH(select_columns("5", names, 4, "f.csv"), Contains("'5' is not a column of f.csv"));
    CHECK_THROWS_WITH(select_columns("3-2", names, 4, "f.csv"), Contains("'3-2' is not a column"));
    CHECK_THROWS_WITH(select_columns("b,2", names, 4, "f.csv"), Contains("column 2 is given twice"));
    CHECK_THROWS_WITH(select_columns("-1-4", names, 4, "f.csv"), Contains("selects no column of f.csv"));
    CHECK_THROWS_WITH(select_columns("a", {}, 4, "f.csv"), Contains("(it has none)"));
}

TEST_CASE("prep: the training CSV's column names go into the checkpoint, sample's header and logprob's input",
          "[prep][cli][checkpoint]") {
    TempDir t;
    const Tensor x = correlated(150, 6);
    Tensor with_label(x.rows, 4), plain(x.rows, 3);
    for (int i = 0; i < x.rows; i++) {
        with_label.at(i, 0) = x.at(i, 2), with_label.at(i, 1) = (Real)(i % 3), with_label.at(i, 2) = x.at(i, 0);
        with_label.at(i, 3) = x.at(i, 1);
        plain.at(i, 0) = x.at(i, 0), plain.at(i, 1) = x.at(i, 1), plain.at(i, 2) = x.at(i, 2);
    }
    write_csv(t / "full.csv", with_label, {"c", "label", "a", "b"});
    write_csv(t / "plain.csv", plain, {"x0", "x1", "x2"});  // the same points, other names, the model's order
    const std::string model = t / "run/model.safetensors";
    Run r = run_cli("train --data " + (t / "full.csv") + " --columns a,b,c" + TINY + " --out " + (t / "run"));
    INFO(r.out);
    REQUIRE(r.code == 0);
    CHECK_THAT(slurp(t / "run/config.json"), Contains("\"columns\": \"a,b,c\""));
    const SafeTensors st = load_safetensors(model);
    CHECK(checkpoint_columns(st, 3, model) == std::vector<std::string>{"a", "b", "c"});
    r = run_cli("sample --model " + model + " --n 3 --with-logprob --out " + (t / "s.csv"));
    REQUIRE(r.code == 0);
    CHECK(slurp(t / "s.csv").rfind("a,b,c,logp\n", 0) == 0);
    // logprob of the full file picks a, b, c by name; of a file without those names, by position
    REQUIRE(run_cli("logprob --model " + model + " --in " + (t / "full.csv") + " --out " + (t / "lp1.csv")).code == 0);
    REQUIRE(run_cli("logprob --model " + model + " --in " + (t / "plain.csv") + " --out " + (t / "lp2.csv")).code == 0);
    CHECK(slurp(t / "lp1.csv") == slurp(t / "lp2.csv"));
    r = run_cli("eval --model " + model + " --data " + (t / "full.csv"));
    CHECK(r.code == 0);
    // a names list of the wrong length is a corrupt checkpoint
    SafeTensors bad;
    bad.metadata = {{"columns", "a,b"}};
    CHECK_THROWS_WITH(checkpoint_columns(bad, 3, "m.safetensors"),
                      Contains("m.safetensors: metadata 'columns' holds 2 names, but the model is 3-dimensional"));
    CHECK(columns_metadata({"a", "b,c"}).empty());  // a name with a comma would not split back
}

TEST_CASE("prep: eval adds the training's dequantisation noise to the same columns, from its seed",
          "[prep][cli][checkpoint]") {
    TempDir t;
    Tensor x(300, 3);
    Rng rng(8);
    for (int i = 0; i < x.rows; i++)  // every column discrete: bits per dimension is printed
        for (int j = 0; j < 3; j++) x.at(i, j) = (Real)rng.below((uint64_t)(3 + 2 * j));
    write_csv(t / "grid.csv", x, {"p", "q", "r"});
    const std::string model = t / "run/model.safetensors";
    Run r = run_cli("train --data " + (t / "grid.csv") + TINY + " --out " + (t / "run"));
    INFO(r.out);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Contains("bits per dimension (test NLL / (D ln 2), D = 3, dequantised data)"));
    CHECK(checkpoint_dequantized(load_safetensors(model), 3, model) == std::vector<int>{0, 1, 2});
    Run a = run_cli("eval --model " + model + " --data " + (t / "grid.csv"));
    Run b = run_cli("eval --model " + model + " --data " + (t / "grid.csv"));
    Run c = run_cli("eval --model " + model + " --data " + (t / "grid.csv") + " --seed 99");
    REQUIRE(a.code == 0);
    CHECK(a.out == b.out);  // the same noise for the same seed
    CHECK(printed(a.out, "test_nll") != printed(c.out, "test_nll"));
    CHECK(printed(a.out, "bits_per_dim") == Approx(printed(a.out, "test_nll") / (3 * std::log(2.0))).epsilon(1e-5));
    CHECK_THAT(a.out, Contains("note: U(0,1) noise added to the 3 dequantised columns"));
    // on all rows, dequantised as in training, the NLL is close to the run's test NLL
    const double run_nll = last_test_nll(t / "run/metrics.csv");
    INFO("eval " << printed(a.out, "test_nll") << ", the run's test NLL " << run_nll);
    CHECK(std::fabs(printed(a.out, "test_nll") - run_nll) < 0.25);
    // a corrupt list is refused
    SafeTensors bad;
    for (const char* v : {"0,0", "2,1", "3", "x", ""}) {
        bad.metadata = {{"dequantized", v}};
        CHECK_THROWS_WITH(checkpoint_dequantized(bad, 3, "m.safetensors"),
                          Contains("m.safetensors: metadata 'dequantized'") && Contains("ascending order"));
    }
    CHECK(dequantized_metadata({}).empty());
}
