// fuzz_safetensors.cpp — the safetensors reader: any bytes either give symkl::Error
// or tensors whose values match their shapes, are finite, and survive a save and
// load unchanged. Each input is tried as it is and with its checksums repaired
// (a mutation almost always breaks them; repaired, it reaches the checks behind).
#include <cmath>

#include "fuzz_util.h"
#include "tensor/error.h"

static void check(const std::string& bytes) {
    SafeTensors st;
    try {
        st = parse_safetensors(bytes, "fuzz");
    } catch (const symkl::Error&) {
        return;
    }
    for (const auto& kv : st.metadata) FUZZ_CHECK(kv.first != kCrcDataKey && kv.first != kCrcHeaderKey);
    size_t values = 0;
    for (const NamedTensor& t : st.tensors) {
        size_t count = 1;
        for (int64_t d : t.shape) count *= (size_t)d;
        FUZZ_CHECK(t.values.size() == count);
        for (double v : t.values) FUZZ_CHECK(std::isfinite(v));
        values += count;
    }
    FUZZ_CHECK(values <= bytes.size() / 4);

    // A file symkl reads, symkl writes (as F64: every F32 value is exact in it),
    // except a tensor name it may not write: "" (empty).
    for (const NamedTensor& t : st.tensors)
        if (t.name.empty()) return;
    static const std::string path = scratch_file("round.safetensors");
    save_safetensors(path, st, "F64");
    const SafeTensors back = load_safetensors(path);
    std::remove(path.c_str());  // see put_file
    FUZZ_CHECK(back.verified);
    FUZZ_CHECK(back.metadata == st.metadata);
    FUZZ_CHECK(back.tensors.size() == st.tensors.size());
    for (size_t k = 0; k < st.tensors.size(); k++) {
        FUZZ_CHECK(back.tensors[k].name == st.tensors[k].name);
        FUZZ_CHECK(back.tensors[k].shape == st.tensors[k].shape);
        FUZZ_CHECK(back.tensors[k].values == st.tensors[k].values);
    }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string bytes((const char*)data, size);
    check(bytes);
    const std::string fixed = fix_checksums(bytes);
    if (fixed != bytes) check(fixed);
    return 0;
}
