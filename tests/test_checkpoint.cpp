// test_checkpoint.cpp — loading a flow or an EBM checkpoint defensively: every bit
// flip in the data is caught, metadata describing a huge model costs neither time
// nor memory, every metadata number is checked, and a file without checksums
// still loads (with a warning).
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fcntl.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "cli_run.h"
#include "io/checkpoint.h"
#include "io/file.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "tempdir.h"
#include "tensor/error.h"
#include "tensor/rng.h"

using Catch::Contains;

// AddressSanitizer reserves terabytes of address space, so RLIMIT_AS cannot bound
// a sanitized child; it gets ASan's own hard_rss_limit_mb instead.
#if defined(__SANITIZE_ADDRESS__)
#define SYMKL_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SYMKL_TEST_ASAN 1
#endif
#endif

namespace {

// A small flow and EBM with every weight non-zero.
Flow small_flow() {
    FlowConfig cfg;
    cfg.dim = 2, cfg.layers = 2, cfg.hidden = 3, cfg.depth = 1;
    Flow f;
    flow_build(f, cfg);
    Rng rng(5);
    for (Real& v : f.params.value) v = (Real)rng.normal();
    return f;
}

EBM small_ebm() {
    EBMConfig cfg;
    cfg.dim = 2, cfg.hidden = 3, cfg.depth = 1;
    EBM e;
    ebm_build(e, cfg);
    Rng rng(6);
    for (Real& v : e.params.value) v = (Real)rng.normal();
    return e;
}

Metadata ebm_metadata(const EBM& e) {
    return {{"format", "symkl-ebm-1"},
            {"dim", std::to_string(e.cfg.dim)},
            {"hidden", std::to_string(e.cfg.hidden)},
            {"depth", std::to_string(e.cfg.depth)},
            {"act", "silu"},
            {"sigma0", "3"},
            {"real", SYMKL_REAL_NAME}};
}

// The small model's tensors under the given metadata (written by symkl, so with
// whatever checksums symkl writes).
std::string save_with(TempDir& tmp, const std::string& name, const Params& p, const Metadata& meta) {
    SafeTensors st;
    st.metadata = meta;
    params_to_safetensors(p, st, "");
    const std::string path = tmp.file(name);
    save_safetensors(path, st, SYMKL_SAFETENSORS_DTYPE);
    return path;
}

Metadata with(Metadata m, const std::string& key, const std::string& value) {
    for (auto& kv : m)
        if (kv.first == key) return kv.second = value, m;
    m.push_back({key, value});
    return m;
}

uint64_t header_length(const std::string& bytes) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | (unsigned char)bytes[(size_t)i];
    return n;
}

// The same file with the header rewritten: `edit` changes the parsed header.
template <class Edit>
std::string rewrite_header(const std::string& bytes, Edit edit) {
    const uint64_t n = header_length(bytes);
    Json header = json_parse(bytes.substr(8, (size_t)n), "test header");
    edit(header);
    std::string text = json_write(header, JsonStyle::Compact);
    text.append((8 - text.size() % 8) % 8, ' ');
    std::string out;
    for (int i = 0; i < 8; i++) out += (char)((text.size() >> (8 * i)) & 0xFF);
    return out + text + bytes.substr(8 + (size_t)n);
}

// Runs the symkl binary with `args` in a child process with bounded memory:
// RLIMIT_AS (or ASan's hard RSS limit) of `limit_mb`. Its exit code, output,
// peak resident memory (from wait4) and wall time.
struct Limited {
    int code = -1;
    std::string out;
    long maxrss_kb = 0;
    double seconds = 0;
};

Limited run_limited(const std::vector<std::string>& args, const std::string& out_path, long limit_mb) {
    std::vector<std::string> argv_s = {SYMKL_BIN};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& s : argv_s) argv.push_back(&s[0]);
    argv.push_back(nullptr);
#ifdef SYMKL_TEST_ASAN
    const char* prev = std::getenv("ASAN_OPTIONS");
    const std::string asan = std::string(prev ? prev : "") + (prev && *prev ? ":" : "") +
                             "hard_rss_limit_mb=" + std::to_string(limit_mb);
#endif
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) _exit(126);
        dup2(fd, 1);
        dup2(fd, 2);
#ifdef SYMKL_TEST_ASAN
        setenv("ASAN_OPTIONS", asan.c_str(), 1);
#else
        const rlim_t bytes = (rlim_t)limit_mb << 20;
        const struct rlimit lim = {bytes, bytes};
        if (setrlimit(RLIMIT_AS, &lim) != 0) _exit(125);
#endif
        execv(argv[0], argv.data());
        _exit(127);
    }
    int status = 0;
    struct rusage ru = {};
    REQUIRE(wait4(pid, &status, 0, &ru) == pid);
    Limited r;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.maxrss_kb = ru.ru_maxrss;
    r.out = read_file(out_path);
    return r;
}

size_t count_of(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) n++;
    return n;
}

size_t line_count(const std::string& s) {
    size_t n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

}  // namespace

TEST_CASE("checkpoint: an EBM with a Gaussian base saves and loads its mean and whitening matrix", "[checkpoint]") {
    TempDir tmp;
    EBMConfig cfg;
    cfg.dim = 3, cfg.hidden = 4, cfg.depth = 1, cfg.sigma0 = 1.0;
    cfg.base_mean = {0.5, -1, 2};
    cfg.base_whiten = {1.5, 0, 0, -0.25, 0.75, 0, 0.125, 0.5, 2};
    EBM e;
    ebm_build(e, cfg);
    Rng rng(9);
    for (Real& v : e.params.value) v = (Real)rng.normal();
    const std::string path = tmp.file("ebm.safetensors");
    save_ebm(path, e, {});
    EBM g;
    ebm_from_safetensors(g, load_safetensors(path), path);
    CHECK(g.cfg.base_mean == cfg.base_mean);
    CHECK(g.cfg.base_whiten == cfg.base_whiten);
    CHECK(g.params.value == e.params.value);
    // without the base tensors the metadata's "base" is a corrupt file, named
    SafeTensors st = load_safetensors(path);
    st.tensors.pop_back();
    const std::string cut = tmp.file("cut.safetensors");
    save_safetensors(cut, st, "F64");
    EBM h;
    CHECK_THROWS_WITH(ebm_from_safetensors(h, load_safetensors(cut), cut),
                      Catch::Contains("cut.safetensors") && Catch::Contains("base.whiten"));
    // an isotropic EBM writes neither (files from before the Gaussian base load as they did)
    const EBM iso = small_ebm();
    save_ebm(cut, iso, {});
    const SafeTensors iso_st = load_safetensors(cut);
    CHECK((iso_st.meta("base") == nullptr && iso_st.find("base.mean") == nullptr));
}

TEST_CASE("checkpoint: every single-bit flip in the tensor data is rejected", "[checkpoint][checksum]") {
    TempDir tmp;
    const Flow f = small_flow();
    const EBM e = small_ebm();
    const std::string flow_path = tmp.file("flow.safetensors"), ebm_path = tmp.file("ebm.safetensors");
    save_flow(flow_path, f, {});
    save_ebm(ebm_path, e, {{"log_z", "1.5"}});
    for (const std::string& path : {flow_path, ebm_path}) {
        const bool is_flow = path == flow_path;
        const std::string bytes = read_file(path);
        const size_t begin = 8 + (size_t)header_length(bytes);
        REQUIRE(bytes.size() - begin == (is_flow ? f.params.size() : e.params.size()) * sizeof(Real));
        size_t flips = 0, rejected = 0;
        for (size_t i = begin; i < bytes.size(); i++)
            for (int bit = 0; bit < 8; bit++) {
                std::string flipped = bytes;
                flipped[i] = (char)(flipped[i] ^ (1 << bit));
                const std::string q = tmp.put("flipped.safetensors", flipped);
                flips++;
                try {
                    if (is_flow) {
                        Flow g;
                        load_flow(q, g);
                    } else {
                        EBM g;
                        ebm_from_safetensors(g, load_safetensors(q), q);
                    }
                } catch (const symkl::Error&) {
                    rejected++;
                }
                // A new file each time: rewriting one in place makes ext4 flush it to disk.
                std::filesystem::remove(q);
            }
        INFO((is_flow ? "flow" : "EBM") << ": " << rejected << " of " << flips << " single-bit flips in the data rejected");
        CHECK(flips == 8 * (bytes.size() - begin));
        CHECK(rejected == flips);
    }
}

TEST_CASE("checkpoint: metadata describing a huge model is rejected at once, in bounded memory", "[checkpoint][cli]") {
    TempDir tmp;
    const Flow f = small_flow();
    const EBM e = small_ebm();
    const Metadata fm = flow_metadata(f.cfg), em = ebm_metadata(e);
    struct Case {
        std::string name;
        Metadata meta;
        bool ebm;
    };
    const std::vector<Case> cases = {
        // 4.3 GB of zeros before the check (and 12 s), then exit 2
        {"wide.safetensors", with(with(with(fm, "hidden", "2048"), "layers", "64"), "depth", "2"), false},
        // 8.6 GB, or "out of memory" (exit 1) where that is not available
        {"wider.safetensors", with(with(fm, "hidden", "16384"), "depth", "2"), false},
        // every dimension at its maximum: far more than any machine holds
        {"max.safetensors", with(with(with(with(fm, "dim", "1048576"), "hidden", "1048576"), "layers", "65536"), "depth", "1024"), false},
        {"ebm.safetensors", with(with(em, "hidden", "65536"), "depth", "64"), true},
    };
    const long limit_mb = 1024;
    // The baseline: the same command on the model's own checkpoint (a few MB; about
    // 160 MB under ASan, whose allocator maps its own).
    const std::string good = save_with(tmp, "good.safetensors", f.params, fm);
    const Limited base = run_limited({"eval", "--model", good, "--data", "8gaussians", "--n-test", "50"}, tmp.file("out.txt"), limit_mb);
    INFO("baseline: exit " << base.code << ", peak RSS " << base.maxrss_kb / 1024 << " MB: " << base.out);
    REQUIRE(base.code == 0);
    for (const Case& c : cases) {
        const std::string path = save_with(tmp, c.name, c.ebm ? e.params : f.params, c.meta);
        const Limited r = run_limited({"eval", c.ebm ? "--proxy-model" : "--model", path, "--data", "8gaussians", "--n-test", "50"},
                                      tmp.file("out.txt"), limit_mb);
        INFO(c.name << ": exit " << r.code << ", " << r.seconds << " s, peak RSS " << r.maxrss_kb / 1024 << " MB: " << r.out);
        CHECK(r.code == 2);
        CHECK_THAT(r.out, Contains("symkl: error: " + path + ": metadata describes ") &&
                              Contains(c.ebm ? "an energy-based model (dim 2, hidden 65536, depth 64)" : "a flow (dim "));
        CHECK(line_count(r.out) == 1);
        CHECK(r.maxrss_kb < base.maxrss_kb + 64 * 1024);  // no more than a small file needs
        CHECK(r.seconds < 2.0);                           // milliseconds, with room for a loaded machine
    }
}

TEST_CASE("checkpoint: every metadata number is parsed exactly and range checked", "[checkpoint]") {
    TempDir tmp;
    const Flow f = small_flow();
    const EBM e = small_ebm();
    const Metadata fm = flow_metadata(f.cfg), em = with(ebm_metadata(e), "log_z", "1.25");
    struct Case {
        bool ebm;
        const char* key;
        const char* value;
    };
    const Case bad[] = {
        {false, "seed", "banana"}, {false, "seed", "18446744073709551616"}, {false, "seed", "-1"},
        {false, "seed", " 7"},     {false, "seed", "+7"},                   {false, "seed", "7e0"},
        {false, "seed", ""},       {false, "step", "x"},                    {false, "step", "-5"},
        {false, "n_train", "1.5"}, {false, "dim", " 2"},                    {false, "dim", "+2"},
        {false, "dim", "2.0"},     {false, "layers", "0x2"},                {false, "hidden", ""},
        {false, "hidden", "1048577"}, {false, "depth", "0"},                {false, "clamp", "nan"},
        {false, "clamp", "inf"},   {false, "clamp", "-1"},                  {false, "clamp", "0x1p1"},
        {false, "clamp", " 2"},    {false, "real", "quad"},                 {false, "role", "other"},
        {true, "log_z", "nan"},    {true, "log_z", "banana"},               {true, "log_z", "inf"},
        {true, "log_z", "-inf"},   {true, "log_z", ""},                     {true, "log_z", "1.5x"},
        {true, "log_z", "1e999"},  {true, "log_z_ess", "2"},                {true, "log_z_ess", "nan"},
        {true, "log_z_samples", "0"}, {true, "log_z_samples", "-3"},        {true, "sigma0", "nan"},
        {true, "seed", "banana"},  {true, "dim", "0"},
    };
    for (const Case& c : bad) {
        INFO((c.ebm ? "EBM" : "flow") << " metadata '" << c.key << "' = '" << c.value << "'");
        const std::string path = save_with(tmp, "bad.safetensors", c.ebm ? e.params : f.params,
                                           with(c.ebm ? em : fm, c.key, c.value));
        const std::string named = path + ": metadata '" + c.key + "' = '" + c.value + "' is not ";
        if (c.ebm) {
            EBM g;
            REQUIRE_THROWS_WITH(ebm_from_safetensors(g, load_safetensors(path), path), Contains(named));
        } else {
            Flow g;
            REQUIRE_THROWS_WITH(load_flow(path, g), Contains(named));
        }
    }
    // The extremes that are fine.
    const Case good[] = {{false, "seed", "18446744073709551615"}, {false, "seed", "0"}, {false, "step", "9223372036854775807"},
                         {false, "clamp", "1e-300"}, {true, "log_z", "-1.0000000000000001e+300"}, {true, "log_z_ess", "0"},
                         {true, "log_z_ess", "1"}};
    for (const Case& c : good) {
        INFO((c.ebm ? "EBM" : "flow") << " metadata '" << c.key << "' = '" << c.value << "'");
        const std::string path = save_with(tmp, "good.safetensors", c.ebm ? e.params : f.params,
                                           with(c.ebm ? em : fm, c.key, c.value));
        if (c.ebm) {
            EBM g;
            REQUIRE_NOTHROW(ebm_from_safetensors(g, load_safetensors(path), path));
        } else {
            Flow g;
            REQUIRE_NOTHROW(load_flow(path, g));
        }
    }
}

TEST_CASE("checkpoint: the CLI rejects a bad log_z or seed with exit 2 and the field named", "[checkpoint][cli]") {
    TempDir tmp;
    const Flow f = small_flow();
    const EBM e = small_ebm();
    struct Case {
        bool ebm;
        const char* key;
        const char* value;
    };
    const Case cases[] = {{true, "log_z", "nan"},
                          {true, "log_z", "banana"},
                          {false, "seed", "banana"},
                          {false, "seed", "18446744073709551616"},
                          {false, "seed", "-1"}};
    for (const Case& c : cases) {
        INFO(c.key << " = " << c.value);
        const std::string path =
            save_with(tmp, "m.safetensors", c.ebm ? e.params : f.params,
                      with(c.ebm ? ebm_metadata(e) : with(flow_metadata(f.cfg), "step", "10"), c.key, c.value));
        const Run r = c.ebm ? run_cli("eval --proxy-model " + path + " --data 8gaussians --n-test 50")
                            : run_cli("sample --model " + path + " --n 3 --out " + tmp.file("x.csv"));
        CHECK(r.code == 2);
        CHECK_THAT(r.out, Contains("symkl: error: " + path + ": metadata '" + c.key + "' = '" + c.value + "'"));
        CHECK(line_count(r.out) == 1);
    }
}

TEST_CASE("checkpoint: a file without checksums loads, with a one-line warning", "[checkpoint][cli]") {
    TempDir tmp;
    const Flow f = small_flow();
    const EBM e = small_ebm();
    const std::string flow_path = tmp.file("flow.safetensors"), ebm_path = tmp.file("ebm.safetensors");
    save_flow(flow_path, f, {{"seed", "3"}});
    save_ebm(ebm_path, e, {{"log_z", "1.5"}});
    // As another writer (or an older symkl) would write them: no checksum keys.
    auto strip = [](Json& header) {
        Json& meta = header.items[0];
        REQUIRE(header.keys[0] == "__metadata__");
        Json kept = Json::make_object();
        for (size_t k = 0; k < meta.keys.size(); k++)
            if (meta.keys[k].rfind("crc32c", 0) != 0) kept.set(meta.keys[k], meta.items[k]);
        meta = kept;
    };
    const std::string bare_flow = tmp.put("bare-flow.safetensors", rewrite_header(read_file(flow_path), strip));
    const std::string bare_ebm = tmp.put("bare-ebm.safetensors", rewrite_header(read_file(ebm_path), strip));

    Flow g;
    REQUIRE_NOTHROW(load_flow(bare_flow, g));
    REQUIRE(g.params.value == f.params.value);

    const Run s = run_cli("sample --model " + bare_flow + " --n 3 --out " + tmp.file("x.csv"));
    CHECK(s.code == 0);
    CHECK_THAT(s.out, Contains("symkl: warning: " + bare_flow + " has no checksum"));
    CHECK(count_of(s.out, "warning") == 1);
    const Run ev = run_cli("eval --proxy-model " + bare_ebm + " --data 8gaussians --n-test 50");
    CHECK(ev.code == 0);
    CHECK_THAT(ev.out, Contains("symkl: warning: " + bare_ebm + " has no checksum"));
    // The files symkl writes itself load without it.
    const Run quiet = run_cli("sample --model " + flow_path + " --n 3 --out " + tmp.file("y.csv"));
    CHECK(quiet.code == 0);
    CHECK_THAT(quiet.out, !Contains("warning"));
}
