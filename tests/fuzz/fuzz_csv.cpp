// fuzz_csv.cpp — the CSV reader: any bytes either read as a finite table of at
// least 2 rows that writes and reads back bit for bit, or give symkl::Error.
#include <cmath>
#include <cstring>

#include "fuzz_util.h"
#include "io/csv.h"
#include "tensor/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string in = scratch_file("in.csv"), out = scratch_file("out.csv");
    put_file(in, data, size);
    Tensor t;
    try {
        t = read_csv(in);
    } catch (const symkl::Error&) {
        std::remove(in.c_str());
        return 0;
    }
    std::remove(in.c_str());
    FUZZ_CHECK(t.rows >= 2 && t.cols >= 1);
    FUZZ_CHECK(t.data.size() == (size_t)t.rows * (size_t)t.cols);
    for (Real v : t.data) FUZZ_CHECK(std::isfinite(v));

    write_csv(out, t, {});
    const Tensor u = read_csv(out);
    FUZZ_CHECK(u.rows == t.rows && u.cols == t.cols);
    FUZZ_CHECK(std::memcmp(u.data.data(), t.data.data(), t.data.size() * sizeof(Real)) == 0);
    std::remove(out.c_str());
    return 0;
}
