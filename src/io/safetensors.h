// safetensors.h — checkpoints in the safetensors format (readable from Python).
//
// Layout of a file:
//   bytes 0..7     N, the header length, unsigned 64-bit little-endian
//   bytes 8..8+N   UTF-8 JSON header, padded with spaces to a multiple of 8:
//                  {"__metadata__": {"key": "value", ...},
//                   "name": {"dtype": "F64", "shape": [2, 3], "data_offsets": [0, 48]}, ...}
//   bytes 8+N..    the tensors' raw little-endian values, row-major, back to back;
//                  data_offsets [begin, end) count from the first byte after the header.
// symkl writes F64 or F32 and reads both; values are held as double in between.
//
// Checksums: symkl adds two metadata strings, each a CRC-32C as 8 lowercase hex digits:
//   crc32c_data    of the data section, bytes 8+N .. end of file;
//   crc32c_header  of bytes 0 .. 8+N (the length and the header), read with the 8
//                  digits of this value itself as "00000000".
// The reader checks both when present (any single-bit error anywhere in the file is
// caught), and loads a file without them (another writer's, an older symkl's) unverified.
// See docs/checkpoint.md for the tensor names, the checksums and a Python reader.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nn/params.h"

struct NamedTensor {
    std::string name;
    std::vector<int64_t> shape;   // () for a scalar
    std::vector<double> values;   // row-major, product(shape) values
};

struct SafeTensors {
    std::vector<std::pair<std::string, std::string>> metadata;  // order kept, without the checksums
    std::vector<NamedTensor> tensors;                           // order kept
    bool verified = false;  // loaded from a file whose checksums matched

    const NamedTensor* find(const std::string& name) const;   // or nullptr
    const std::string* meta(const std::string& key) const;    // or nullptr
};

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of n bytes; pass a previous
// result as `crc` to continue it over more bytes. crc32c("123456789") = 0xE3069283.
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);

// The metadata keys of the two checksums (reserved: callers may not set them).
extern const char* const kCrcDataKey;    // "crc32c_data"
extern const char* const kCrcHeaderKey;  // "crc32c_header"

// Writes `st` atomically with every tensor stored as `dtype` ("F64" or "F32"),
// and the two checksums in the metadata. Throws symkl::Error for a non-finite
// value or one that overflows F32 (naming tensor and index), std::logic_error
// for a caller's mistake (dtype other than F64/F32, empty or duplicate names,
// values not matching the shape, a reserved metadata key).
void save_safetensors(const std::string& path, const SafeTensors& st, const std::string& dtype);

// Validates the bytes of a safetensors file with F64 and F32 tensors (`path`
// only names it in messages). Throws symkl::Error with a one-line message naming
// the file and what is wrong (truncation, bad header JSON, a checksum that does
// not match, missing or bad fields, other dtypes, offsets that overlap, leave
// gaps or run past the end, non-finite values). Memory stays proportional to
// bytes.size(). Prints nothing: `verified` says whether the file had
// checksums (a file without them loads all the same).
SafeTensors parse_safetensors(const std::string& bytes, const std::string& path);

// Reads `path` and parses it as above; a file without checksums loads with a
// one-line warning on stderr.
SafeTensors load_safetensors(const std::string& path);

// Appends every tensor of `p` as prefix + name (same shape, values as double).
void params_to_safetensors(const Params& p, SafeTensors& st, const std::string& prefix);

// Checks that the tensors prefix + name of `st` match the tensors declared in
// `p` (which need not be allocated): every name present with the same shape,
// every value representable in Real, and no tensor under `prefix` left over;
// otherwise symkl::Error names `path`, the missing/unexpected tensors or the
// tensor and both shapes.
void params_check_safetensors(const Params& p, const SafeTensors& st, const std::string& prefix, const std::string& path);

// Checks as above, then copies the tensors into `p` (allocated). On an error
// `p` is left unchanged.
void params_from_safetensors(Params& p, const SafeTensors& st, const std::string& prefix, const std::string& path);
