// test_safetensors.cpp — the checkpoint format: exact round trips, the bytes of
// one file pinned by hand, the checksums, and one test per corruption the reader
// must reject.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <stdexcept>

#include "io/file.h"
#include "io/safetensors.h"
#include "tempdir.h"
#include "tensor/error.h"

namespace fs = std::filesystem;
using Catch::Contains;

namespace {

std::string le64(uint64_t v) {
    std::string s;
    for (int i = 0; i < 8; i++) s += (char)((v >> (8 * i)) & 0xFF);
    return s;
}

// A safetensors file from a header text and raw data (no padding needed to read).
std::string st_bytes(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

// n little-endian F64 values of 1.5 (bytes 00 .. 00 f8 3f).
std::string f64_data(size_t n) {
    std::string one("\x00\x00\x00\x00\x00\x00\xf8\x3f", 8);
    std::string s;
    for (size_t i = 0; i < n; i++) s += one;
    return s;
}

SafeTensors sample() {
    SafeTensors st;
    // The last key holds the text that precedes the header checksum, but escaped.
    st.metadata = {{"format", "symkl-flow-1"}, {"dim", "2"}, {"note", "quote \" and \\ and \xc3\xa9"},
                   {"x\"crc32c_header", "00000000"}};
    std::mt19937_64 gen(7);
    std::normal_distribution<double> normal(0.0, 1.0);
    NamedTensor w{"couplings.0.net.0.weight", {3, 2}, {}};
    NamedTensor b{"couplings.0.net.0.bias", {3}, {}};
    NamedTensor s{"scalar", {}, {0.1}};
    NamedTensor e{"empty", {0, 4}, {}};
    for (int i = 0; i < 6; i++) w.values.push_back(normal(gen) * 1e3);
    for (int i = 0; i < 3; i++) b.values.push_back(normal(gen) * 1e-4);
    w.values[0] = 1.0 / 3.0;
    w.values[1] = -0.0;
    st.tensors = {w, b, s, e};
    return st;
}

}  // namespace

TEST_CASE("safetensors: F64 save then load is exact, F32 within float rounding", "[io]") {
    TempDir tmp;
    const SafeTensors st = sample();
    for (const char* dtype : {"F64", "F32"}) {
        INFO("dtype " << dtype);
        std::string p = tmp.file(std::string("m_") + dtype + ".safetensors");
        save_safetensors(p, st, dtype);
        SafeTensors r = load_safetensors(p);
        REQUIRE(r.verified);
        REQUIRE(r.metadata == st.metadata);  // the checksums are not part of it
        REQUIRE(r.tensors.size() == st.tensors.size());
        for (size_t k = 0; k < st.tensors.size(); k++) {
            const NamedTensor &a = st.tensors[k], &b = r.tensors[k];
            REQUIRE(b.name == a.name);
            REQUIRE(b.shape == a.shape);
            REQUIRE(b.values.size() == a.values.size());
            for (size_t i = 0; i < a.values.size(); i++) {
                double want = std::string(dtype) == "F64" ? a.values[i] : (double)(float)a.values[i];
                REQUIRE(b.values[i] == want);
                REQUIRE(std::signbit(b.values[i]) == std::signbit(a.values[i]));
            }
        }
        REQUIRE(r.find("scalar"));
        REQUIRE(r.find("scalar")->shape.empty());
        REQUIRE(r.find("nope") == nullptr);
        REQUIRE(*r.meta("format") == "symkl-flow-1");
        REQUIRE(r.meta("nope") == nullptr);
        // Header padded so the data starts at a multiple of 8.
        std::string bytes = read_file(p);
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--) n = (n << 8) | (unsigned char)bytes[(size_t)i];
        REQUIRE(n % 8 == 0);
    }
    REQUIRE(tmp.entries() == 2);  // no temporary files left
}

TEST_CASE("safetensors: the bytes of a tiny file are pinned", "[io]") {
    TempDir tmp;
    SafeTensors st;
    st.metadata = {{"format", "t"}};
    st.tensors = {{"w", {2}, {1.0, -2.0}}};
    std::string p = tmp.file("tiny.safetensors");
    save_safetensors(p, st, "F32");
    // The checksums: CRC-32C of the 8 data bytes, and of bytes 0 .. 144 with the
    // header's own 8 digits as zeros (values computed independently, in Python).
    const std::string header = "{\"__metadata__\":{\"format\":\"t\",\"crc32c_data\":\"aa36f2c9\",\"crc32c_header\":\"2fc1af6f\"},"
                               "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    REQUIRE(header.size() == 136);
    const std::string expected = std::string("\x88\0\0\0\0\0\0\0", 8) +  // 136, already a multiple of 8
                                 header +                                 // no padding needed
                                 std::string("\x00\x00\x80\x3f", 4) +    // 1.0f little-endian
                                 std::string("\x00\x00\x00\xc0", 4);     // -2.0f
    REQUIRE(read_file(p) == expected);

    // And a hand-made F64 file (as another writer might produce: spaces, data
    // in a different order from the header, no metadata) loads.
    std::string q = tmp.put("hand.safetensors",
                            st_bytes("{ \"b\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [16, 24]},\n"
                                     "  \"a\": {\"shape\": [2], \"dtype\": \"F64\", \"data_offsets\": [0, 16]} }  ",
                                     f64_data(2) + std::string("\0\0\0\0\0\0\0\xc0", 8)));
    SafeTensors r = parse_safetensors(read_file(q), q);
    REQUIRE(!r.verified);  // no checksums: loads unverified
    REQUIRE(r.metadata.empty());
    REQUIRE(r.tensors.size() == 2);
    CHECK(r.tensors[0].name == "b");
    CHECK(r.tensors[0].values == std::vector<double>{-2.0});
    CHECK(r.tensors[1].values == std::vector<double>{1.5, 1.5});
}

TEST_CASE("safetensors: truncated and structurally broken files are rejected", "[io]") {
    TempDir tmp;
    std::string p = tmp.put("short.safetensors", std::string("\x10\0\0", 3));
    REQUIRE_THROWS_WITH(load_safetensors(p), Contains(p + ": file is 3 bytes, shorter than the 8-byte header length"));

    p = tmp.put("long.safetensors", le64(1000) + "{}");
    REQUIRE_THROWS_WITH(load_safetensors(p), Contains(p + ": header length 1000 is larger than the 2 bytes after it"));
    p = tmp.put("huge.safetensors", le64(~0ULL) + "{}");
    REQUIRE_THROWS_WITH(load_safetensors(p), Contains(p + ": header length") && Contains("larger than"));

    p = tmp.put("json.safetensors", st_bytes("{\"a\": {\"dtype\": \"F64\",}", ""));
    REQUIRE_THROWS_WITH(load_safetensors(p), Contains(p + ": header: invalid JSON at byte 22") && Contains("corrupt"));
    p = tmp.put("array.safetensors", st_bytes("[]", ""));
    REQUIRE_THROWS_WITH(load_safetensors(p), Contains(p + ": header is a JSON array, expected an object"));

    p = tmp.file("missing.safetensors");
    REQUIRE_THROWS_WITH(load_safetensors(p), Contains("cannot open '" + p + "': No such file or directory"));

    // A valid file cut short anywhere after the header-length bytes.
    std::string good = tmp.file("good.safetensors");
    save_safetensors(good, sample(), "F64");
    const std::string bytes = read_file(good);
    for (size_t cut : {(size_t)0, (size_t)7, (size_t)8, (size_t)20, bytes.size() / 2, bytes.size() - 1}) {
        INFO("cut at " << cut);
        p = tmp.put("cut.safetensors", bytes.substr(0, cut));
        REQUIRE_THROWS_AS(load_safetensors(p), symkl::Error);
    }
    p = tmp.put("extra.safetensors", bytes + "x");  // the data checksum sees the extra byte first
    REQUIRE_THROWS_WITH(load_safetensors(p), Contains(p + ": data checksum mismatch"));
}

TEST_CASE("safetensors: bad tensor entries are rejected with the tensor named", "[io]") {
    TempDir tmp;
    struct Bad {
        const char* header;
        size_t data_bytes;
        const char* message;
    };
    const Bad cases[] = {
        {"{\"w\": {\"shape\": [1], \"data_offsets\": [0, 8]}}", 8, "tensor 'w': missing field 'dtype'"},
        {"{\"w\": {\"dtype\": \"F64\", \"data_offsets\": [0, 8]}}", 8, "tensor 'w': missing field 'shape'"},
        {"{\"w\": {\"dtype\": \"F64\", \"shape\": [1]}}", 8, "tensor 'w': missing field 'data_offsets'"},
        {"{\"w\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8], \"x\": 1}}", 8, "tensor 'w': unexpected field 'x'"},
        {"{\"w\": [1]}", 8, "tensor 'w': entry is a JSON array"},
        {"{\"w\": {\"dtype\": \"BF16\", \"shape\": [4], \"data_offsets\": [0, 8]}}", 8, "tensor 'w': dtype BF16 is not supported; symkl reads F64 and F32"},
        {"{\"w\": {\"dtype\": 64, \"shape\": [1], \"data_offsets\": [0, 8]}}", 8, "tensor 'w': dtype is not a string"},
        {"{\"w\": {\"dtype\": \"F64\", \"shape\": [-1], \"data_offsets\": [0, 8]}}", 8, "tensor 'w': shape[0] is not a non-negative integer"},
        {"{\"w\": {\"dtype\": \"F64\", \"shape\": [1, 0.5], \"data_offsets\": [0, 8]}}", 8, "tensor 'w': shape[1] is not a non-negative integer"},
        {"{\"w\": {\"dtype\": \"F64\", \"shape\": 1, \"data_offsets\": [0, 8]}}", 8, "tensor 'w': shape is not an array"},
        {"{\"w\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 8, "tensor 'w': data_offsets [0, 8] hold 8 bytes but shape (2) of F64 needs 16 bytes"},
        {"{\"w\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0]}}", 8, "tensor 'w': data_offsets must be two non-negative integers"},
        {"{\"w\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [8, 0]}}", 8, "tensor 'w': data_offsets [8, 0] out of range"},
        {"{\"w\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [8, 16]}}", 8, "tensor 'w': data_offsets [8, 16] out of range: the data section has 8 bytes"},
        {"{\"w\": {\"dtype\": \"F64\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 8]}}", 8, "tensor 'w': data_offsets [0, 8] hold 8 bytes but shape (4294967296, 4294967296) of F64 needs more than the whole data section"},
        {"{\"a\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [0, 16]}, "
         "\"b\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [8, 24]}}", 24, "tensors 'a' and 'b' overlap"},
        {"{\"a\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [8, 16]}}", 16, "data bytes [0, 8) are not covered by any tensor"},
        {"{\"a\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 16, "trailing data bytes [8, 16) are not covered"},
        {"{\"__metadata__\": {\"dim\": 2}}", 0, "__metadata__ field 'dim' is a JSON number, expected a string"},
        {"{\"__metadata__\": [\"x\"]}", 0, "__metadata__ is a JSON array"},
    };
    for (const Bad& b : cases) {
        INFO("header: " << b.header);
        std::string p = tmp.put("bad.safetensors", st_bytes(b.header, f64_data(b.data_bytes / 8)));
        REQUIRE_THROWS_AS(load_safetensors(p), symkl::Error);
        REQUIRE_THROWS_WITH(load_safetensors(p), Contains(p + ": ") && Contains(b.message));
    }
}

TEST_CASE("safetensors: non-finite values are rejected with tensor and index", "[io]") {
    TempDir tmp;
    // F64 NaN at element 1 of 'w'.
    std::string nan64("\x00\x00\x00\x00\x00\x00\xf8\x7f", 8);
    std::string p = tmp.put("nan.safetensors",
                            st_bytes("{\"w\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [0, 16]}}", f64_data(1) + nan64));
    REQUIRE_THROWS_WITH(load_safetensors(p), Contains(p + ": tensor 'w' element 1 is nan"));
    // F32 -inf at element 0 of 'v'.
    p = tmp.put("inf.safetensors",
                st_bytes("{\"v\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", std::string("\x00\x00\x80\xff", 4)));
    REQUIRE_THROWS_WITH(load_safetensors(p), Contains(p + ": tensor 'v' element 0 is -inf"));

    // Saving refuses them too, and leaves an existing file alone.
    std::string good = tmp.file("good.safetensors");
    save_safetensors(good, sample(), "F64");
    const std::string before = read_file(good);
    SafeTensors st = sample();
    st.tensors[1].values[2] = std::nan("");
    REQUIRE_THROWS_WITH(save_safetensors(good, st, "F64"),
                        Contains("cannot save '" + good + "': tensor 'couplings.0.net.0.bias' element 2 is nan"));
    st = sample();
    st.tensors[0].values[4] = 1e300;
    REQUIRE_THROWS_WITH(save_safetensors(good, st, "F32"), Contains("element 4 is 1.0000000000000001e+300, which overflows F32"));
    REQUIRE(read_file(good) == before);
    REQUIRE(tmp.entries() == 3);
}

TEST_CASE("safetensors: CRC-32C matches the published check values", "[io][checksum]") {
    // The check value of the CRC catalogue and the test vectors of RFC 3720, B.4.
    REQUIRE(crc32c("123456789", 9) == 0xE3069283u);
    REQUIRE(crc32c("", 0) == 0u);
    std::string zeros(32, '\0'), ones(32, '\xff'), inc, dec;
    for (int i = 0; i < 32; i++) inc += (char)i, dec += (char)(31 - i);
    REQUIRE(crc32c(zeros.data(), 32) == 0x8A9136AAu);
    REQUIRE(crc32c(ones.data(), 32) == 0x62A8AB43u);
    REQUIRE(crc32c(inc.data(), 32) == 0x46DD794Eu);
    REQUIRE(crc32c(dec.data(), 32) == 0x113FDB5Cu);
    // Continuing a CRC over a second piece gives the CRC of the whole.
    REQUIRE(crc32c("6789", 4, crc32c("12345", 5)) == 0xE3069283u);
}

TEST_CASE("safetensors: every single-bit flip anywhere in a file is rejected", "[io][checksum]") {
    TempDir tmp;
    SafeTensors st;
    st.metadata = {{"format", "t"}, {"note", "x"}};
    st.tensors = {{"a", {2}, {1.0, 2.0}}, {"b", {1}, {3.0}}};
    std::string p = tmp.file("m.safetensors");
    save_safetensors(p, st, "F64");
    const std::string bytes = read_file(p);
    REQUIRE(parse_safetensors(bytes, p).verified);

    // Header (length, JSON, padding, the checksums themselves) and data alike:
    // the header checksum covers every header byte but its own digits, which
    // must equal the recomputed value; the data checksum covers the data.
    size_t rejected = 0, trials = 0;
    std::string other;  // the first message that is not a checksum mismatch, for the record
    for (size_t i = 0; i < bytes.size(); i++)
        for (int bit = 0; bit < 8; bit++) {
            trials++;
            std::string flipped = bytes;
            flipped[i] = (char)(flipped[i] ^ (1 << bit));
            try {
                parse_safetensors(flipped, p);
                INFO("byte " << i << " bit " << bit << " loaded");
                CHECK(false);
            } catch (const symkl::Error& e) {
                rejected++;
                CHECK(std::string(e.what()).rfind(p + ": ", 0) == 0);
            }
        }
    REQUIRE(trials == 8 * bytes.size());
    REQUIRE(rejected == trials);

    // The messages of a few.
    std::string f = bytes;
    f[f.size() - 3] ^= 0x10;
    REQUIRE_THROWS_WITH(parse_safetensors(f, p), Contains(p + ": data checksum mismatch: crc32c_data is "));
    f = bytes;
    const size_t at = f.find("\"note\":\"x\"");
    REQUIRE(at != std::string::npos);
    f[at + 8] = 'y';
    REQUIRE_THROWS_WITH(parse_safetensors(f, p), Contains(p + ": header checksum mismatch: crc32c_header is "));
    f = bytes;
    f[f.find("crc32c_data") + 10] = 'b';
    REQUIRE_THROWS_WITH(parse_safetensors(f, p), Contains("has 'crc32c_header' but not 'crc32c_data' (symkl writes both)"));
    f = bytes;
    f[f.find("crc32c_header") + 16] = 'G';
    REQUIRE_THROWS_WITH(parse_safetensors(f, p), Contains("'crc32c_header' = '") && Contains("is not 8 lowercase hex digits"));
}

TEST_CASE("safetensors: checksum fields another writer spaced out, or one alone, are rejected", "[io][checksum]") {
    TempDir tmp;
    const std::string data = f64_data(1);
    char crc[9];
    std::snprintf(crc, sizeof crc, "%08x", (unsigned)crc32c(data.data(), data.size()));
    const std::string tensor = "\"w\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}";
    // Spaced "key": "value": the header checksum cannot be located as symkl writes it.
    std::string p = tmp.put("spaced.safetensors", st_bytes("{\"__metadata__\": {\"crc32c_data\": \"" + std::string(crc) +
                                                               "\", \"crc32c_header\": \"00000000\"}, " + tensor + "}",
                                                           data));
    REQUIRE_THROWS_WITH(load_safetensors(p), Contains(p + ": the header does not hold \"crc32c_header\":\"00000000\""));
    p = tmp.put("one.safetensors", st_bytes("{\"__metadata__\": {\"crc32c_data\": \"" + std::string(crc) + "\"}, " + tensor + "}", data));
    REQUIRE_THROWS_WITH(load_safetensors(p), Contains("has 'crc32c_data' but not 'crc32c_header'"));
    // Neither: loads, unverified.
    p = tmp.put("none.safetensors", st_bytes("{" + tensor + "}", data));
    SafeTensors r = parse_safetensors(read_file(p), p);
    CHECK(!r.verified);
    CHECK(r.tensors.size() == 1);
    // Callers cannot set the checksum keys themselves.
    SafeTensors st;
    st.metadata = {{"crc32c_data", "00000000"}};
    CHECK_THROWS_AS(save_safetensors(tmp.file("x"), st, "F64"), std::logic_error);
}

TEST_CASE("safetensors: writing into a missing directory throws and creates nothing", "[io]") {
    TempDir tmp;
    std::string p = (tmp.dir / "nodir" / "m.safetensors").string();
    REQUIRE_THROWS_WITH(save_safetensors(p, sample(), "F64"),
                        Contains("cannot write '" + p + "'") && Contains("No such file or directory"));
    REQUIRE(tmp.entries() == 0);
    CHECK_THROWS_AS(save_safetensors(tmp.file("x"), sample(), "F16"), std::logic_error);
    SafeTensors dup = sample();
    dup.tensors.push_back(dup.tensors[0]);
    CHECK_THROWS_AS(save_safetensors(tmp.file("x"), dup, "F64"), std::logic_error);
    SafeTensors wrong = sample();
    wrong.tensors[0].values.pop_back();
    CHECK_THROWS_AS(save_safetensors(tmp.file("x"), wrong, "F64"), std::logic_error);
    REQUIRE(tmp.entries() == 0);
}

TEST_CASE("safetensors: Params round trip, and mismatches name every tensor", "[io]") {
    TempDir tmp;
    auto make = [](int hidden) {
        Params p;
        p.declare("net.0.weight", {hidden, 2});
        p.declare("net.0.bias", {hidden});
        p.declare("net.2.weight", {4, hidden});
        p.allocate();
        return p;
    };
    Params p = make(3);
    for (size_t i = 0; i < p.size(); i++) p.value[i] = (Real)(0.25 * (double)i - 1.0 / 7.0);
    SafeTensors st;
    st.metadata = {{"format", "symkl-flow-1"}};
    params_to_safetensors(p, st, "couplings.0.");
    REQUIRE(st.tensors.size() == 3);
    REQUIRE(st.tensors[0].name == "couplings.0.net.0.weight");
    REQUIRE(st.tensors[0].shape == std::vector<int64_t>{3, 2});
    REQUIRE_THROWS_AS(params_to_safetensors(p, st, "couplings.0."), std::logic_error);

    std::string path = tmp.file("m.safetensors");
    save_safetensors(path, st, SYMKL_SAFETENSORS_DTYPE);
    SafeTensors loaded = load_safetensors(path);

    Params q = make(3);
    params_from_safetensors(q, loaded, "couplings.0.", path);
    for (size_t i = 0; i < p.size(); i++) REQUIRE(q.value[i] == p.value[i]);

    // Shape mismatch: the tensor and both shapes; nothing copied.
    Params r = make(5);
    REQUIRE_THROWS_WITH(params_from_safetensors(r, loaded, "couplings.0.", path),
                        Contains(path + ": tensor 'couplings.0.net.0.weight' has shape (3, 2) in the file but the model expects (5, 2)"));
    for (Real v : r.value) REQUIRE(v == Real(0));

    // Missing and unexpected names, all listed.
    Params s;
    s.declare("net.0.weight", {3, 2});
    s.declare("net.4.weight", {4, 3});
    s.declare("net.4.bias", {4});
    s.allocate();
    REQUIRE_THROWS_WITH(params_from_safetensors(s, loaded, "couplings.0.", path),
                        Contains(path + ": tensors do not match the model: missing couplings.0.net.4.weight, couplings.0.net.4.bias; "
                                        "unexpected couplings.0.net.0.bias, couplings.0.net.2.weight"));
    // A different prefix sees none of them.
    REQUIRE_THROWS_WITH(params_from_safetensors(q, loaded, "couplings.1.", path),
                        Contains("missing couplings.1.net.0.weight, couplings.1.net.0.bias, couplings.1.net.2.weight") &&
                            !Contains("unexpected"));
}
