// test_csv.cpp — numeric CSV: exact round trips, accepted variants, and one
// test per rejected input checking that the message names file, line, column.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <iterator>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <stdexcept>

#include "io/csv.h"
#include "io/file.h"
#include "tempdir.h"
#include "tensor/error.h"

namespace fs = std::filesystem;
using Catch::Contains;


TEST_CASE("csv: write then read gives the same values bit for bit", "[io]") {
    TempDir tmp;
    std::mt19937_64 gen(42);
    std::normal_distribution<double> normal(0.0, 1.0);
    Tensor t(50, 3);
    for (size_t i = 0; i < t.size(); i++) t.data[i] = (Real)(normal(gen) * std::pow(10.0, (double)(i % 13) - 6));
    // Values that need all digits, and edge cases.
    t.at(0, 0) = (Real)0.1;
    t.at(0, 1) = (Real)(1.0 / 3.0);
    t.at(0, 2) = (Real)-0.0;
    t.at(1, 0) = std::numeric_limits<Real>::max();
    t.at(1, 1) = std::numeric_limits<Real>::denorm_min();
    t.at(1, 2) = -std::numeric_limits<Real>::min();
    const std::string p = tmp.file("data.csv");

    SECTION("with a header") {
        write_csv(p, t, {"x", "y", "z"});
        Tensor r = read_csv(p);
        REQUIRE(r.rows == t.rows);
        REQUIRE(r.cols == t.cols);
        for (size_t i = 0; i < t.size(); i++) REQUIRE(r.data[i] == t.data[i]);
        REQUIRE(std::signbit(r.at(0, 2)));
    }
    SECTION("without a header") {
        write_csv(p, t, {});
        Tensor r = read_csv(p);
        REQUIRE(r.rows == t.rows);
        for (size_t i = 0; i < t.size(); i++) REQUIRE(r.data[i] == t.data[i]);
    }
    // The write left exactly one file behind: no temporary.
    REQUIRE(tmp.entries() == 1);
}

TEST_CASE("csv: accepted variants (CRLF, BOM, spaces, blank lines at end)", "[io]") {
    TempDir tmp;
    SECTION("header, CRLF, spaces, blank lines at the end") {
        Tensor t = read_csv(tmp.put("a.csv", " x , y\r\n1, 2\r\n -3.5 ,\t4e-1 \r\n\r\n  \n"));
        REQUIRE(t.rows == 2);
        REQUIRE(t.cols == 2);
        CHECK(t.at(0, 0) == Real(1));
        CHECK(t.at(1, 0) == Real(-3.5));
        CHECK(t.at(1, 1) == Real(0.4));
    }
    SECTION("no header, no final newline, UTF-8 byte-order mark, signs and forms") {
        Tensor t = read_csv(tmp.put("b.csv", "\xEF\xBB\xBF+1.,.5\n-0,2E+2\n7,1e-400"));
        REQUIRE(t.rows == 3);
        CHECK(t.at(0, 0) == Real(1));
        CHECK(t.at(0, 1) == Real(0.5));
        CHECK(t.at(1, 1) == Real(200));
        CHECK(t.at(2, 1) == Real(0));  // underflows to zero: not an error
    }
    SECTION("one column") {
        Tensor t = read_csv(tmp.put("c.csv", "v\n1\n2\n3\n"));
        CHECK(t.rows == 3);
        CHECK(t.cols == 1);
    }
}

TEST_CASE("csv: a non-numeric field names file, line and column", "[io]") {
    TempDir tmp;
    std::string p = tmp.put("x.csv", "x,y\n1,2\n3,abc\n");
    REQUIRE_THROWS_AS(read_csv(p), symkl::Error);
    REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ":3:") && Contains("column 2") && Contains("'abc'") &&
                                         Contains("is not a number"));
    // A first line with one numeric field is data, so its text field is an error.
    p = tmp.put("y.csv", "1,b\n2,3\n");
    REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ":1:") && Contains("column 2") && Contains("'b'"));
    // Things strtod alone would accept.
    for (const char* bad : {"0x10", "1.5abc", "1e", "5e+", "--1", "1 2", ".", "\"3\""}) {
        p = tmp.put("z.csv", std::string("a,b\n1,") + bad + "\n");
        REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ":2:") && Contains("column 2"));
    }
}

TEST_CASE("csv: a ragged row says how many fields were expected and where", "[io]") {
    TempDir tmp;
    std::string p = tmp.put("r.csv", "x,y,z\n1,2,3\n4,5\n");
    REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ":3:") && Contains("expected 3 fields as on line 1") &&
                                         Contains("found 2"));
    p = tmp.put("s.csv", "1,2\n3,4\n5,6,7\n");
    REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ":3:") && Contains("expected 2 fields") && Contains("found 3"));
}

TEST_CASE("csv: NaN, Inf and overflowing values are rejected", "[io]") {
    TempDir tmp;
    for (const char* bad : {"nan", "NaN", "-inf", "Infinity", "+INF"}) {
        std::string p = tmp.put("n.csv", std::string("1,2\n3,") + bad + "\n");
        REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ":2:") && Contains("column 2") && Contains(bad) &&
                                             Contains("not a finite number"));
    }
    // NaN on the first line must not make it look like a header.
    std::string p = tmp.put("f.csv", "nan,1\n2,3\n");
    REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ":1:") && Contains("column 1"));
    p = tmp.put("o.csv", "1,2\n1e999,3\n");
    REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ":2:") && Contains("column 1") && Contains("'1e999' overflows"));
    if (sizeof(Real) == sizeof(float)) {
        p = tmp.put("g.csv", "1,2\n3,4e38\n");
        REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ":2:") && Contains("column 2") && Contains("overflows float"));
    }
}

TEST_CASE("csv: empty fields and trailing commas", "[io]") {
    TempDir tmp;
    std::string p = tmp.put("e.csv", "1,2\n3, \n");
    REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ":2:") && Contains("column 2 is empty"));
    p = tmp.put("t.csv", "1,2,\n3,4,\n");
    REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ":1:") && Contains("column 3 is empty") && Contains("trailing comma"));
}

TEST_CASE("csv: empty, blank, header-only and one-row files", "[io]") {
    TempDir tmp;
    std::string p = tmp.put("empty.csv", "");
    REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ": file is empty"));
    p = tmp.put("blank.csv", "\n \r\n\n");
    REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ": has no data rows"));
    p = tmp.put("header.csv", "x,y\n\n");
    REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ": has a header on line 1 but no data rows"));
    p = tmp.put("one.csv", "x,y\n1,2\n");
    REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ": has only 1 data row (line 2)") && Contains("at least two points"));
    p = tmp.put("gap.csv", "1,2\n\n3,4\n");
    REQUIRE_THROWS_WITH(read_csv(p), Contains(p + ":2:") && Contains("blank line"));
    p = tmp.file("missing.csv");
    REQUIRE_THROWS_WITH(read_csv(p), Contains("cannot open '" + p + "': No such file or directory"));
}

TEST_CASE("csv: read_csv_dim checks the column count", "[io]") {
    TempDir tmp;
    std::string p = tmp.put("x.csv", "1,2,3\n4,5,6\n");
    REQUIRE(read_csv_dim(p, 3, "the model").cols == 3);
    REQUIRE_THROWS_WITH(read_csv_dim(p, 2, "the model"),
                        p + ": has 3 columns but the model is 2-dimensional (pass a CSV with 2 numeric columns)");
}

TEST_CASE("csv: csv_format", "[io]") {
    CHECK(csv_format(std::nan("")) == "nan");
    CHECK(csv_format(-std::numeric_limits<double>::infinity()) == "-inf");
    CHECK(csv_format(std::numeric_limits<double>::infinity()) == "inf");
    CHECK(csv_format(3.0) == "3");
    CHECK(csv_format(-2.5) == "-2.5");
    CHECK(csv_format(0.1) == "0.1");
    const double third = (double)(Real)(1.0 / 3.0);
    CHECK((Real)std::strtod(csv_format(third).c_str(), nullptr) == (Real)third);
}

TEST_CASE("csv: write_csv is atomic and rejects bad headers", "[io]") {
    TempDir tmp;
    Tensor t(2, 2);
    t.at(0, 0) = 1;
    t.at(1, 1) = 2;
    SECTION("into a missing directory: throws, creates nothing") {
        std::string p = (tmp.dir / "no" / "such" / "out.csv").string();
        REQUIRE_THROWS_WITH(write_csv(p, t, {}), Contains("cannot write '" + p + "'") && Contains("No such file or directory"));
        REQUIRE(tmp.entries() == 0);
    }
    SECTION("over an existing file: replaced whole") {
        std::string p = tmp.put("out.csv", "old\n");
        write_csv(p, t, {"a", "b"});
        REQUIRE(read_file(p) == "a,b\n1,0\n0,2\n");
        REQUIRE(tmp.entries() == 1);
    }
    SECTION("header names that would not read back") {
        std::string p = tmp.file("h.csv");
        CHECK_THROWS_AS(write_csv(p, t, {"a"}), std::logic_error);
        CHECK_THROWS_AS(write_csv(p, t, {"a", "b,c"}), std::logic_error);
        CHECK_THROWS_AS(write_csv(p, t, {"a", "2"}), std::logic_error);
        REQUIRE(tmp.entries() == 0);
    }
}

TEST_CASE("file: a failed atomic write leaves the target and the directory as they were", "[io]") {
    TempDir tmp;
    // The target is a non-empty directory: the final rename fails.
    fs::create_directory(tmp.dir / "target");
    std::string inside = tmp.put("target/keep.txt", "keep");
    std::string p = (tmp.dir / "target").string();
    REQUIRE_THROWS_WITH(write_file_atomic(p, "new"), Contains("cannot write '" + p + "'"));
    REQUIRE(fs::is_directory(p));
    REQUIRE(read_file(inside) == "keep");
    REQUIRE(tmp.entries() == 1);  // no temporary file left next to it
    // Reading a directory is an error too, not an empty string.
    REQUIRE_THROWS_WITH(read_file(p), Contains("cannot read '" + p + "'"));
    // And a successful write is complete.
    std::string q = tmp.file("ok.bin");
    std::string bytes("a\0b\xff", 4);
    write_file_atomic(q, bytes);
    REQUIRE(read_file(q) == bytes);
    REQUIRE(tmp.entries() == 2);
}

// ---- messages and outputs that read back --------------------------------------------

// The message of the symkl::Error that `f` throws.
template <class F>
static std::string error_of(F f) {
    try {
        f();
    } catch (const symkl::Error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST_CASE("csv: a bad field is echoed escaped and cut, so the message stays one short line", "[io]") {
    TempDir tmp;
    // a NUL byte: the old message ended at it, and the field's end and the fix were lost
    std::string p = tmp.put("nul.csv", std::string("1,2\n3,4\x00x\n", 10));
    std::string m = error_of([&] { read_csv(p); });
    CHECK_THAT(m, Contains(p + ":2: column 2: '4\\x00x' is not a number") && Contains("(write plain decimals"));
    // a line break inside a field cannot occur (it ends the line), but a CR or a tab can
    p = tmp.put("cr.csv", "1,2\n3,4\r5\n");
    m = error_of([&] { read_csv(p); });
    CHECK_THAT(m, Contains("'4\\r5'"));
    CHECK(m.find('\r') == std::string::npos);
    // a 200 kB field: 60 characters of it, then "…"
    p = tmp.put("long.csv", "1,2\n3," + std::string(200000, '7') + "a\n");
    m = error_of([&] { read_csv(p); });
    CHECK_THAT(m, Contains("column 2: '" + std::string(60, '7') + "\xE2\x80\xA6' is not a number"));
    CHECK(m.size() < 400);
    // the same for a non-finite and an overflowing field
    p = tmp.put("nan.csv", "1,2\n3,nan" + std::string(100, ' ') + "\t\n");  // trailing spaces and tab are trimmed
    CHECK_THAT(error_of([&] { read_csv(p); }), Contains("'nan' is not a finite number"));
    p = tmp.put("big.csv", "1,2\n3,1e" + std::string(300, '9') + "\n");
    m = error_of([&] { read_csv(p); });
    CHECK_THAT(m, Contains("\xE2\x80\xA6' overflows"));
    CHECK(m.size() < 400);
}

TEST_CASE("csv: write_csv refuses NaN and infinities: the file would not read back", "[io]") {
    TempDir tmp;
    Tensor t(3, 2);
    for (Real bad : {std::numeric_limits<Real>::quiet_NaN(), -std::numeric_limits<Real>::infinity()}) {
        t.at(1, 1) = bad;
        const std::string p = tmp.file("x.csv");
        REQUIRE_THROWS_WITH(write_csv(p, t, {"a", "b"}),
                            Contains("not writing " + p) && Contains("row 2 column 2") && Contains("would not read back"));
        CHECK(tmp.entries() == 0);
    }
    t.at(1, 1) = std::numeric_limits<Real>::max();  // the largest finite value is fine, and reads back
    const std::string p = tmp.file("ok.csv");
    write_csv(p, t, {"a", "b"});
    CHECK(read_csv(p).at(1, 1) == std::numeric_limits<Real>::max());
}
