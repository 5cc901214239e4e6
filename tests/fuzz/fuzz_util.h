// fuzz_util.h — what the libFuzzer harnesses share: a private scratch directory
// for readers that take a path, and checksum repair so that mutated checkpoints
// get past the checksums to the checks behind them.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "io/safetensors.h"

// Any check that fails is a bug the fuzzer found: abort with a message.
#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            std::abort();                                                                 \
        }                                                                                 \
    } while (0)

// A file in a fresh directory of its own under $TMPDIR, removed at exit.
inline std::string scratch_file(const std::string& name) {
    static const std::string* dir = [] {  // never destroyed: the atexit handler reads it
        std::string tmpl = (std::filesystem::temp_directory_path() / "symkl-fuzz-XXXXXX").string();
        if (!mkdtemp(&tmpl[0])) std::abort();
        return new std::string(tmpl);
    }();
    static const bool cleanup = std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(*dir, ec);
    }) == 0;
    (void)cleanup;
    return *dir + "/" + name;
}

// Writes a new file (remove it after use: rewriting a file in place, or renaming
// over one, makes ext4 flush it to disk, which costs milliseconds).
inline void put_file(const std::string& path, const uint8_t* data, size_t size) {
    FILE* f = std::fopen(path.c_str(), "wb");
    FUZZ_CHECK(f);
    FUZZ_CHECK(std::fwrite(data, 1, size, f) == size);
    FUZZ_CHECK(std::fclose(f) == 0);
}

// Writes the 8 hex digits that follow `field` in the header (if it is there).
inline bool put_hex(std::string& bytes, const std::string& field, size_t header_end, uint32_t value) {
    const size_t at = bytes.find(field, 8);
    if (at == std::string::npos || at + field.size() + 8 > header_end) return false;
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", (unsigned)value);
    bytes.replace(at + field.size(), 8, hex);
    return true;
}

// The same bytes with crc32c_data and crc32c_header (where present) set to the
// values that match, as symkl would have written them.
inline std::string fix_checksums(std::string bytes) {
    if (bytes.size() < 8) return bytes;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | (unsigned char)bytes[(size_t)i];
    if (n > bytes.size() - 8) return bytes;
    const size_t end = (size_t)(8 + n);
    put_hex(bytes, "\"crc32c_data\":\"", end, crc32c(bytes.data() + end, bytes.size() - end));
    const std::string field = ",\"crc32c_header\":\"";  // as safetensors.cpp finds it
    const size_t at = bytes.find(field, 8);
    if (at == std::string::npos || at + field.size() + 8 > end) return bytes;
    const size_t digits = at + field.size();
    bytes.replace(digits, 8, "00000000");
    put_hex(bytes, field, end, crc32c(bytes.data(), end));
    return bytes;
}
