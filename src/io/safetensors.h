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
// See docs/checkpoint.md for the tensor names and a Python reader.
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
    std::vector<std::pair<std::string, std::string>> metadata;  // order kept
    std::vector<NamedTensor> tensors;                           // order kept

    const NamedTensor* find(const std::string& name) const;   // or nullptr
    const std::string* meta(const std::string& key) const;    // or nullptr
};

// Writes `st` atomically with every tensor stored as `dtype` ("F64" or "F32").
// Throws symkl::Error for a non-finite value or one that overflows F32 (naming
// tensor and index), std::logic_error for a caller's mistake (dtype other than
// F64/F32, empty or duplicate names, values not matching the shape).
void save_safetensors(const std::string& path, const SafeTensors& st, const std::string& dtype);

// Reads and validates a safetensors file with F64 and F32 tensors. Throws
// symkl::Error with a one-line message naming the file and what is wrong
// (truncation, bad header JSON, missing or bad fields, other dtypes, offsets
// that overlap, leave gaps or run past the end, non-finite values).
SafeTensors load_safetensors(const std::string& path);

// Appends every tensor of `p` as prefix + name (same shape, values as double).
void params_to_safetensors(const Params& p, SafeTensors& st, const std::string& prefix);

// Copies the tensors prefix + name of `st` into `p` (allocated). Every name
// must be present with the same shape and no tensor under `prefix` may be left
// over; otherwise symkl::Error names `path`, the missing/unexpected tensors or
// the tensor and both shapes, and `p` is left unchanged.
void params_from_safetensors(Params& p, const SafeTensors& st, const std::string& prefix, const std::string& path);
