// test_file.cpp — where write_file_atomic writes: a rename for regular files,
// in place for FIFOs and devices, through a symbolic link without replacing it;
// and excerpt(), which makes user text safe to quote in a one-line message.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <sys/stat.h>

#include "fifo_reader.h"
#include "io/csv.h"
#include "io/file.h"
#include "io/text.h"
#include "tempdir.h"
#include "tensor/error.h"

namespace fs = std::filesystem;
using Catch::Contains;

TEST_CASE("file: a FIFO is written through, never replaced", "[io]") {
    TempDir tmp;
    FifoReader fifo(tmp / "pipe");
    // larger than a pipe's buffer, so the writer waits for the reader on the way
    std::string bytes;
    for (int i = 0; i < 20000; i++) bytes += std::to_string(i) + "\n";
    write_file_atomic(fifo.path, bytes);
    CHECK(fifo.finish() == bytes);
    CHECK(fifo.still_a_fifo());
    CHECK(tmp.entries() == 1);  // no temporary file either
}

TEST_CASE("file: write_csv into a FIFO, and a device, leaves them in place", "[io]") {
    TempDir tmp;
    Tensor t(3, 2);
    t.at(0, 0) = 1.5;
    t.at(2, 1) = -2;
    FifoReader fifo(tmp / "pipe.csv");
    write_csv(fifo.path, t, {"x0", "x1"});
    CHECK(fifo.finish() == "x0,x1\n1.5,0\n0,0\n0,-2\n");
    CHECK(fifo.still_a_fifo());
    // /dev/null through a link in the temporary directory: written, link and device kept
    fs::create_symlink("/dev/null", tmp / "null");
    write_csv(tmp / "null", t, {});
    CHECK(fs::is_symlink(tmp / "null"));
    CHECK(fs::is_character_file("/dev/null"));
    CHECK(tmp.entries() == 2);
}

TEST_CASE("file: a symbolic link to a regular file stays a link; the file it names is replaced", "[io]") {
    TempDir tmp;
    fs::create_directory(tmp.dir / "real");
    const std::string target = tmp.put("real/data.csv", "old\n");
    fs::create_symlink("real/data.csv", tmp / "link.csv");
    write_file_atomic(tmp / "link.csv", "new\n");
    CHECK(fs::is_symlink(tmp / "link.csv"));
    CHECK(read_file(target) == "new\n");
    CHECK(read_file(tmp / "link.csv") == "new\n");
    CHECK(tmp.entries() == 2);  // real/ and the link: no temporary file left
    // a link to nothing: an error naming it, nothing created
    fs::create_symlink("real/missing.csv", tmp / "dangling.csv");
    REQUIRE_THROWS_WITH(write_file_atomic(tmp / "dangling.csv", "x"),
                        Contains("dangling.csv") && Contains("symbolic link to a missing file"));
    CHECK(!fs::exists(tmp.dir / "real/missing.csv"));
}

TEST_CASE("file: '-' names stdout and stdin only where the command line means it", "[io]") {
    CHECK(output_is_stdout("-"));
    CHECK(output_name("-") == "stdout");
    CHECK(input_name("-") == "stdin");
    CHECK(output_name("a.csv") == "a.csv");
    TempDir tmp;
    CHECK(!output_is_stdout(tmp / "a.csv"));
    CHECK(!output_is_stdout(tmp.put("b.csv", "x")));
}

TEST_CASE("text: excerpt escapes control bytes and cuts long text", "[io]") {
    CHECK(excerpt("plain") == "plain");
    CHECK(excerpt("a\nb\tc\rd") == "a\\nb\\tc\\rd");
    CHECK(excerpt(std::string("a\0b", 3)) == "a\\x00b");
    CHECK(excerpt("\x7f\x1b[31m") == "\\x7f\\x1b[31m");
    CHECK(excerpt("caf\xc3\xa9 \xe2\x80\x96") == "caf\xc3\xa9 \xe2\x80\x96");  // UTF-8 passes
    CHECK(excerpt("bad \xff\xc3") == "bad \\xff\\xc3");                     // broken UTF-8 does not
    CHECK(excerpt(std::string(60, 'x')) == std::string(60, 'x'));
    CHECK(excerpt(std::string(200000, 'x')) == std::string(60, 'x') + "\xE2\x80\xA6");
    CHECK(excerpt("abcdef", 3) == "abc\xE2\x80\xA6");
    // a cut never splits a UTF-8 character; each counts once
    std::string e;
    for (int i = 0; i < 100; i++) e += "\xc3\xa9";
    std::string want;
    for (int i = 0; i < 60; i++) want += "\xc3\xa9";
    CHECK(excerpt(e) == want + "\xE2\x80\xA6");
}
