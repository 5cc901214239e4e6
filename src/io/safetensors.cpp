// safetensors.cpp — safetensors writer and validating reader (see safetensors.h).
//
// All multi-byte numbers are assembled byte by byte in little-endian order, so
// the files are the same on any host. A double (float) is moved to a uint64_t
// (uint32_t) with memcpy of the scalar, which assumes IEEE 754 floats with the
// same byte order as integers — true of every platform symkl targets.
//
// The reader trusts nothing: the checksums (when present) are checked first, then
// every field of the header, the tensors must tile the data section exactly
// (sorted by offset: no overlap, no gap, no trailing bytes), and every value must
// be finite. Its memory stays proportional to the file's size.
#include "io/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "io/file.h"
#include "io/json.h"
#include "tensor/error.h"

const char* const kCrcDataKey = "crc32c_data";
const char* const kCrcHeaderKey = "crc32c_header";

namespace {

// The CRC-32C table: entry i is the remainder of byte i, bits reflected (LSB first).
struct CrcTable {
    uint32_t t[256];
};
constexpr CrcTable make_crc_table() {
    CrcTable c{};
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t r = i;
        for (int k = 0; k < 8; k++) r = (r >> 1) ^ (0x82F63B78u & (0u - (r & 1u)));
        c.t[i] = r;
    }
    return c;
}
constexpr CrcTable kCrc = make_crc_table();

}  // namespace

uint32_t crc32c(const void* data, size_t n, uint32_t crc) {
    const unsigned char* p = (const unsigned char*)data;
    uint32_t c = ~crc;
    for (size_t i = 0; i < n; i++) c = kCrc.t[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return ~c;
}

const NamedTensor* SafeTensors::find(const std::string& name) const {
    for (const NamedTensor& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

const std::string* SafeTensors::meta(const std::string& key) const {
    for (const auto& kv : metadata)
        if (kv.first == key) return &kv.second;
    return nullptr;
}

namespace {

const char* kCorrupt = " (the file is truncated or corrupt, or not a safetensors file; save it again)";

// "(2, 3)" as PyTorch prints a shape; "()" for a scalar.
template <class Int>
std::string shape_str(const std::vector<Int>& shape) {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); i++) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + ")";
}

// True when v converts to float without overflowing (see csv.cpp: the
// conversion of a larger double is undefined behaviour, so test first).
bool fits_float(double v) { return std::fabs(v) < std::ldexp(1.0, 128) - std::ldexp(1.0, 103); }

bool fits_real(double v) { return sizeof(Real) == sizeof(double) ? std::isfinite(v) : fits_float(v); }

// A value for a message: "nan", "inf", "-inf" or all 17 significant digits.
std::string number_str(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

void put_le(std::string& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) out += (char)((v >> (8 * i)) & 0xFF);
}

uint64_t get_le(const unsigned char* p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

uint64_t f64_bits(double v) {
    uint64_t u;
    std::memcpy(&u, &v, sizeof u);
    return u;
}
double f64_from_bits(uint64_t u) {
    double v;
    std::memcpy(&v, &u, sizeof v);
    return v;
}
uint32_t f32_bits(float v) {
    uint32_t u;
    std::memcpy(&u, &v, sizeof u);
    return u;
}
float f32_from_bits(uint32_t u) {
    float v;
    std::memcpy(&v, &u, sizeof v);
    return v;
}

// Bytes per element of a dtype symkl reads, 0 for one it does not.
int dtype_size(const std::string& dtype) {
    if (dtype == "F64") return 8;
    if (dtype == "F32") return 4;
    return 0;
}

// A JSON number that is a whole number in [0, 2^53] (exact in a double).
bool as_count(const Json& j, uint64_t& out) {
    if (!j.is_number() || !(j.number >= 0) || j.number > 9007199254740992.0 || j.number != std::floor(j.number))
        return false;
    out = (uint64_t)j.number;
    return true;
}

// Where one tensor's bytes lie in the data section.
struct Span {
    uint64_t begin, end;
    size_t index;  // into SafeTensors::tensors
};

// A checksum as symkl writes it: 8 lowercase hex digits.
std::string hex8(uint32_t v) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", (unsigned)v);
    return buf;
}

bool parse_hex8(const std::string& s, uint32_t& out) {
    if (s.size() != 8) return false;
    uint32_t v = 0;
    for (char c : s) {
        if (c >= '0' && c <= '9') v = (v << 4) | (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v = (v << 4) | (uint32_t)(c - 'a' + 10);
        else return false;
    }
    out = v;
    return true;
}

// What precedes the header checksum's 8 digits in a header symkl wrote: the key
// follows crc32c_data in __metadata__, so a comma comes first. (Inside a JSON
// string every quote is escaped, so this text can only be that key: a metadata
// key such as `x"crc32c_header` is written `"x\"crc32c_header":"`, without the comma.)
std::string header_crc_field() { return std::string(",\"") + kCrcHeaderKey + "\":\""; }

// CRC-32C of bytes [0, end) with the 8 bytes at `digits` read as "00000000".
uint32_t header_crc(const std::string& bytes, size_t digits, size_t end) {
    uint32_t c = crc32c(bytes.data(), digits);
    c = crc32c("00000000", 8, c);
    return crc32c(bytes.data() + digits + 8, end - digits - 8, c);
}

// Checks the checksums named in st.metadata against the file's bytes (n: the
// header length) and removes them from the metadata; sets st.verified. A file
// with neither loads unverified; one with only one of them is corrupt (symkl
// writes both, so a flipped key name shows up here).
void verify_checksums(SafeTensors& st, const std::string& bytes, uint64_t n, const std::string& path) {
    const std::string at = path + ": ";
    const std::string* data_crc = st.meta(kCrcDataKey);
    const std::string* header_crc_text = st.meta(kCrcHeaderKey);
    if (!data_crc && !header_crc_text) return;
    if (!data_crc || !header_crc_text)
        throw symkl::Error(at + "__metadata__ has '" + (data_crc ? kCrcDataKey : kCrcHeaderKey) + "' but not '" +
                           (data_crc ? kCrcHeaderKey : kCrcDataKey) + "' (symkl writes both)" + kCorrupt);
    uint32_t want_data = 0, want_header = 0;
    for (const std::string* v : {data_crc, header_crc_text})
        if (!parse_hex8(*v, v == data_crc ? want_data : want_header))
            throw symkl::Error(at + "__metadata__ field '" + (v == data_crc ? kCrcDataKey : kCrcHeaderKey) + "' = '" + *v +
                               "' is not 8 lowercase hex digits" + kCorrupt);

    const size_t end = (size_t)(8 + n);
    const std::string field = header_crc_field();
    const size_t found = bytes.find(field, 8);
    const size_t digits = found == std::string::npos ? end : found + field.size();
    if (digits + 8 > end || bytes.compare(digits, 8, *header_crc_text) != 0)
        throw symkl::Error(at + "the header does not hold " + field.substr(1) + *header_crc_text +
                           "\" as symkl writes it (a file rewritten by another program: drop the checksum keys "
                           "from its metadata to load it unverified)");
    const uint32_t got_header = header_crc(bytes, digits, end);
    if (got_header != want_header)
        throw symkl::Error(at + "header checksum mismatch: " + kCrcHeaderKey + " is " + *header_crc_text +
                           " but the header hashes to " + hex8(got_header) +
                           " (the file is corrupt: restore it from a copy or retrain)");
    const uint32_t got_data = crc32c(bytes.data() + end, bytes.size() - end);
    if (got_data != want_data)
        throw symkl::Error(at + "data checksum mismatch: " + kCrcDataKey + " is " + *data_crc + " but the tensor data hashes to " +
                           hex8(got_data) + " (the file is corrupt: restore it from a copy or retrain)");

    std::vector<std::pair<std::string, std::string>> kept;
    for (auto& kv : st.metadata)
        if (kv.first != kCrcDataKey && kv.first != kCrcHeaderKey) kept.push_back(std::move(kv));
    st.metadata = std::move(kept);
    st.verified = true;
}

}  // namespace

void save_safetensors(const std::string& path, const SafeTensors& st, const std::string& dtype) {
    const int elem = dtype_size(dtype);
    if (!elem) throw std::logic_error("save_safetensors(" + path + "): dtype must be F64 or F32, not '" + dtype + "'");

    Json header = Json::make_object();
    header.set("__metadata__", Json::make_object());  // filled in at the end, with the checksums
    Json meta = Json::make_object();
    for (const auto& kv : st.metadata) {
        if (kv.first == kCrcDataKey || kv.first == kCrcHeaderKey)
            throw std::logic_error("save_safetensors(" + path + "): metadata key '" + kv.first + "' is reserved for the checksum");
        if (meta.find(kv.first))
            throw std::logic_error("save_safetensors(" + path + "): duplicate metadata key '" + kv.first + "'");
        meta.set(kv.first, Json::make_string(kv.second));
    }
    uint64_t offset = 0;
    for (const NamedTensor& t : st.tensors) {
        if (t.name.empty() || t.name == "__metadata__" || header.find(t.name))
            throw std::logic_error("save_safetensors(" + path + "): tensor name '" + t.name + "' is empty, reserved or repeated");
        uint64_t count = 1;
        Json shape = Json::make_array();
        for (int64_t s : t.shape) {
            if (s < 0) throw std::logic_error("save_safetensors(" + path + "): tensor '" + t.name + "' has shape " + shape_str(t.shape));
            count *= (uint64_t)s;
            shape.push(Json::make_number((double)s));
        }
        if (count != t.values.size())
            throw std::logic_error("save_safetensors(" + path + "): tensor '" + t.name + "' has " +
                                   std::to_string(t.values.size()) + " values but shape " + shape_str(t.shape));
        Json offsets = Json::make_array();
        offsets.push(Json::make_number((double)offset));
        offset += count * (uint64_t)elem;
        offsets.push(Json::make_number((double)offset));
        Json entry = Json::make_object();
        entry.set("dtype", Json::make_string(dtype));
        entry.set("shape", shape);
        entry.set("data_offsets", offsets);
        header.set(t.name, entry);
    }

    std::string data;
    data.reserve((size_t)offset);
    for (const NamedTensor& t : st.tensors) {
        for (size_t i = 0; i < t.values.size(); i++) {
            double v = t.values[i];
            // A value that cannot be loaded again must not be saved either.
            bool finite = std::isfinite(v) && (elem == 8 || fits_float(v));
            if (!finite)
                throw symkl::Error("cannot save '" + path + "': tensor '" + t.name + "' element " + std::to_string(i) +
                                   " is " + number_str(v) + (std::isfinite(v) ? ", which overflows F32" : "") +
                                   " (training diverged: lower the learning rate or retrain)");
            if (elem == 8) put_le(data, f64_bits(v), 8);
            else put_le(data, f32_bits((float)v), 4);
        }
    }

    // The checksums go last in __metadata__, which comes first in the header; the
    // header's own is written as zeros, hashed, then filled in.
    meta.set(kCrcDataKey, Json::make_string(hex8(crc32c(data.data(), data.size()))));
    meta.set(kCrcHeaderKey, Json::make_string("00000000"));
    header.items[0] = meta;

    // Padding the header to a multiple of 8 bytes aligns the data section, so a
    // reader can map F64 values in place.
    std::string json = json_write(header, JsonStyle::Compact);
    json.append((8 - json.size() % 8) % 8, ' ');

    std::string out;
    out.reserve(8 + json.size() + data.size());
    put_le(out, json.size(), 8);
    out += json;
    const std::string field = header_crc_field();
    const size_t at = out.find(field, 8);
    if (at == std::string::npos || at + field.size() + 8 > out.size())
        throw std::logic_error("save_safetensors(" + path + "): the header checksum field was not written compactly");
    const size_t digits = at + field.size();
    out.replace(digits, 8, hex8(header_crc(out, digits, out.size())));
    out += data;
    write_file_atomic(path, out);
}

SafeTensors parse_safetensors(const std::string& bytes, const std::string& path) {
    const std::string at = path + ": ";
    const size_t size = bytes.size();
    if (size < 8)
        throw symkl::Error(at + "file is " + std::to_string(size) + " bytes, shorter than the 8-byte header length" + kCorrupt);
    const unsigned char* raw = (const unsigned char*)bytes.data();
    const uint64_t n = get_le(raw, 8);
    if (n > size - 8)
        throw symkl::Error(at + "header length " + std::to_string(n) + " is larger than the " + std::to_string(size - 8) +
                           " bytes after it" + kCorrupt);
    const unsigned char* data = raw + 8 + n;
    const uint64_t data_size = size - 8 - n;

    Json header;
    try {
        header = json_parse(bytes.substr(8, (size_t)n), path + ": header");
    } catch (const symkl::Error& e) {
        throw symkl::Error(e.what() + std::string(kCorrupt));
    }
    if (!header.is_object())
        throw symkl::Error(at + "header is a JSON " + json_type_name(header.type) + ", expected an object" + kCorrupt);

    SafeTensors st;
    std::vector<Span> spans;
    std::vector<int> sizes;  // bytes per element of each tensor
    for (size_t k = 0; k < header.keys.size(); k++) {
        const std::string& name = header.keys[k];
        const Json& entry = header.items[k];
        if (name == "__metadata__") {
            if (!entry.is_object())
                throw symkl::Error(at + "__metadata__ is a JSON " + json_type_name(entry.type) + ", expected an object of strings" + kCorrupt);
            for (size_t m = 0; m < entry.keys.size(); m++) {
                if (!entry.items[m].is_string())
                    throw symkl::Error(at + "__metadata__ field '" + entry.keys[m] + "' is a JSON " +
                                       json_type_name(entry.items[m].type) + ", expected a string" + kCorrupt);
                st.metadata.emplace_back(entry.keys[m], entry.items[m].string);
            }
            continue;
        }
    }
    verify_checksums(st, bytes, n, path);

    for (size_t k = 0; k < header.keys.size(); k++) {
        const std::string& name = header.keys[k];
        const Json& entry = header.items[k];
        if (name == "__metadata__") continue;
        const std::string tname = at + "tensor '" + name + "': ";
        if (!entry.is_object())
            throw symkl::Error(tname + "entry is a JSON " + json_type_name(entry.type) +
                               ", expected an object with dtype, shape and data_offsets" + kCorrupt);
        for (const std::string& key : entry.keys)
            if (key != "dtype" && key != "shape" && key != "data_offsets")
                throw symkl::Error(tname + "unexpected field '" + key + "' (a tensor entry has only dtype, shape and data_offsets)" + kCorrupt);
        const Json* dtype = entry.find("dtype");
        const Json* shape = entry.find("shape");
        const Json* offsets = entry.find("data_offsets");
        if (!dtype || !shape || !offsets)
            throw symkl::Error(tname + "missing field '" + (!dtype ? "dtype" : !shape ? "shape" : "data_offsets") + "'" + kCorrupt);

        if (!dtype->is_string()) throw symkl::Error(tname + "dtype is not a string" + kCorrupt);
        const int elem = dtype_size(dtype->string);
        if (!elem)
            throw symkl::Error(tname + "dtype " + dtype->string +
                               " is not supported; symkl reads F64 and F32 (convert it first, e.g. tensor.double() in PyTorch)");

        if (!shape->is_array()) throw symkl::Error(tname + "shape is not an array" + kCorrupt);
        NamedTensor t;
        t.name = name;
        // count stays <= data_size, so count * 8 cannot overflow; a larger
        // product (or one that would overflow) only sets too_big.
        uint64_t count = 1;
        bool too_big = false;
        for (size_t i = 0; i < shape->size(); i++) {
            uint64_t d;
            if (!as_count(shape->items[i], d))
                throw symkl::Error(tname + "shape[" + std::to_string(i) + "] is not a non-negative integer" + kCorrupt);
            if (d != 0 && count > data_size / d) too_big = true;
            else count *= d;
            t.shape.push_back((int64_t)d);
        }
        for (int64_t d : t.shape)
            if (d == 0) {  // a zero dimension: no elements at all
                too_big = false;
                count = 0;
            }

        uint64_t begin, end;
        if (!offsets->is_array() || offsets->size() != 2 || !as_count(offsets->items[0], begin) || !as_count(offsets->items[1], end))
            throw symkl::Error(tname + "data_offsets must be two non-negative integers [begin, end]" + kCorrupt);
        if (begin > end || end > data_size)
            throw symkl::Error(tname + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                               "] out of range: the data section has " + std::to_string(data_size) + " bytes" + kCorrupt);
        if (too_big || end - begin != count * (uint64_t)elem)
            throw symkl::Error(tname + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] hold " +
                               std::to_string(end - begin) + " bytes but shape " + shape_str(t.shape) + " of " +
                               dtype->string + " needs " +
                               (too_big ? "more than the whole data section" : std::to_string(count * (uint64_t)elem) + " bytes") +
                               kCorrupt);
        spans.push_back({begin, end, st.tensors.size()});
        sizes.push_back(elem);
        st.tensors.push_back(std::move(t));
    }

    // The tensors must tile [0, data_size) exactly.
    std::vector<Span> sorted = spans;
    std::sort(sorted.begin(), sorted.end(),
              [](const Span& a, const Span& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
    uint64_t covered = 0;
    for (size_t i = 0; i < sorted.size(); i++) {
        const Span& s = sorted[i];
        if (s.begin < covered)
            throw symkl::Error(at + "tensors '" + st.tensors[sorted[i - 1].index].name + "' and '" + st.tensors[s.index].name +
                               "' overlap (data_offsets end at " + std::to_string(covered) + " and begin at " +
                               std::to_string(s.begin) + ")" + kCorrupt);
        if (s.begin > covered)
            throw symkl::Error(at + "data bytes [" + std::to_string(covered) + ", " + std::to_string(s.begin) +
                               ") are not covered by any tensor" + kCorrupt);
        covered = s.end;
    }
    if (covered != data_size)
        throw symkl::Error(at + "trailing data bytes [" + std::to_string(covered) + ", " + std::to_string(data_size) +
                           ") are not covered by any tensor" + kCorrupt);

    for (const Span& s : spans) {
        NamedTensor& t = st.tensors[s.index];
        const int elem = sizes[s.index];
        const size_t count = (size_t)((s.end - s.begin) / (uint64_t)elem);
        t.values.resize(count);
        const unsigned char* p = data + s.begin;
        for (size_t i = 0; i < count; i++, p += elem) {
            double v = elem == 8 ? f64_from_bits(get_le(p, 8)) : (double)f32_from_bits((uint32_t)get_le(p, 4));
            if (!std::isfinite(v))
                throw symkl::Error(at + "tensor '" + t.name + "' element " + std::to_string(i) + " is " + number_str(v) +
                                   " (the checkpoint is corrupt or was saved after training diverged; retrain)");
            t.values[i] = v;
        }
    }
    return st;
}

SafeTensors load_safetensors(const std::string& path) {
    SafeTensors st = parse_safetensors(read_file(path), path);
    if (!st.verified)
        std::fprintf(stderr,
                     "symkl: warning: %s has no checksum (written by another program or an older symkl): "
                     "its data cannot be verified; save it again with symkl to add one\n",
                     path.c_str());
    return st;
}

void params_to_safetensors(const Params& p, SafeTensors& st, const std::string& prefix) {
    if (p.value.size() != p.total) throw std::logic_error("params_to_safetensors: Params not allocated");
    for (const ParamInfo& info : p.info) {
        NamedTensor t;
        t.name = prefix + info.name;
        if (st.find(t.name)) throw std::logic_error("params_to_safetensors: tensor '" + t.name + "' is already present");
        for (int s : info.shape) t.shape.push_back(s);
        const Real* v = p.v(info.offset);
        t.values.assign(v, v + info.count);
        st.tensors.push_back(std::move(t));
    }
}

namespace {

// "a, b, c and 4 more": a name list that keeps the message to one readable line.
std::string name_list(const std::vector<std::string>& names) {
    const size_t shown = 6;
    std::string s;
    for (size_t i = 0; i < names.size() && i < shown; i++) s += (i ? ", " : "") + names[i];
    if (names.size() > shown) s += " and " + std::to_string(names.size() - shown) + " more";
    return s;
}

const char* kOtherModel = " (the checkpoint was written for a different model; compare its metadata with the model settings)";

// For each tensor declared in `p`, the tensor prefix + name of `st`; throws when
// any is missing or `st` has others under `prefix`. Hash lookups: a file with
// many tensors costs linear time.
std::vector<const NamedTensor*> match_tensors(const Params& p, const SafeTensors& st, const std::string& prefix,
                                              const std::string& path) {
    std::unordered_map<std::string, const NamedTensor*> by_name;
    for (const NamedTensor& t : st.tensors)
        if (t.name.compare(0, prefix.size(), prefix) == 0) by_name.emplace(t.name, &t);

    // Names first: the whole list of differences is more useful than the first one.
    std::unordered_set<std::string> expected;
    std::vector<std::string> missing, unexpected;
    std::vector<const NamedTensor*> source;
    for (const ParamInfo& info : p.info) {
        const std::string name = prefix + info.name;
        expected.insert(name);
        auto it = by_name.find(name);
        const NamedTensor* t = it == by_name.end() ? nullptr : it->second;
        if (!t) missing.push_back(name);
        source.push_back(t);
    }
    for (const NamedTensor& t : st.tensors)
        if (t.name.compare(0, prefix.size(), prefix) == 0 && !expected.count(t.name)) unexpected.push_back(t.name);
    if (!missing.empty() || !unexpected.empty()) {
        std::string msg = path + ": tensors do not match the model:";
        if (!missing.empty()) msg += " missing " + name_list(missing);
        if (!missing.empty() && !unexpected.empty()) msg += ";";
        if (!unexpected.empty()) msg += " unexpected " + name_list(unexpected);
        throw symkl::Error(msg + kOtherModel);
    }
    return source;
}

}  // namespace

void params_check_safetensors(const Params& p, const SafeTensors& st, const std::string& prefix, const std::string& path) {
    const std::vector<const NamedTensor*> source = match_tensors(p, st, prefix, path);
    // Then shapes and values.
    for (size_t k = 0; k < p.info.size(); k++) {
        const ParamInfo& info = p.info[k];
        const NamedTensor& t = *source[k];
        bool same = t.shape.size() == info.shape.size();
        for (size_t i = 0; same && i < t.shape.size(); i++) same = t.shape[i] == (int64_t)info.shape[i];
        if (!same || t.values.size() != info.count)
            throw symkl::Error(path + ": tensor '" + t.name + "' has shape " + shape_str(t.shape) +
                               " in the file but the model expects " + shape_str(info.shape) + kOtherModel);
        for (size_t i = 0; i < t.values.size(); i++)
            if (!fits_real(t.values[i]))
                throw symkl::Error(path + ": tensor '" + t.name + "' element " + std::to_string(i) + " = " +
                                   number_str(t.values[i]) + " overflows " + SYMKL_REAL_NAME +
                                   " (use a double build of symkl for this checkpoint)");
    }
}

void params_from_safetensors(Params& p, const SafeTensors& st, const std::string& prefix, const std::string& path) {
    if (p.value.size() != p.total) throw std::logic_error("params_from_safetensors: Params not allocated");
    // Everything is checked before anything is copied.
    params_check_safetensors(p, st, prefix, path);
    const std::vector<const NamedTensor*> source = match_tensors(p, st, prefix, path);
    for (size_t k = 0; k < p.info.size(); k++) {
        Real* v = p.v(p.info[k].offset);
        const std::vector<double>& src = source[k]->values;
        for (size_t i = 0; i < src.size(); i++) v[i] = (Real)src[i];
    }
}
