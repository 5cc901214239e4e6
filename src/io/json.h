// json.h — a minimal JSON value, a strict parser and a writer.
//
// Enough JSON for symkl's files: the safetensors header and run settings.
// Objects keep their keys in insertion order (a written file reads in the
// order it was built) and reject duplicate keys when parsed. Numbers are
// doubles; the writer prints integers without an exponent and everything else
// with %.17g, so every finite double reads back exactly.
//
// Integers beyond 2^53 (seeds are 64-bit) do not fit a double exactly, so a
// number also keeps the exact decimal text of an integer token: the parser
// sets it for every number written with digits only ("-12", not "1e3" or
// "2.0"), make_int64 / make_uint64 set it, and the writer prints it as it is.
// get_int64 / get_uint64 read it back exactly:
//
//   Json j = Json::make_uint64(18446744073709551615u);   // writes 18446744073709551615
//   uint64_t seed;
//   if (!json_parse(text, ctx).get_uint64(&seed)) ...    // not an integer token in range
#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct Json {
    enum class Type { Null, Bool, Number, String, Array, Object };

    Type type = Type::Null;
    bool boolean = false;            // Type::Bool
    double number = 0.0;             // Type::Number (the nearest double for a big integer)
    std::string integer;             // Type::Number from an integer token: its exact text, else ""
                                     // (the writer ignores it once `number` is changed to another value)
    std::string string;              // Type::String
    std::vector<std::string> keys;   // Type::Object: keys[i] names items[i]
    std::vector<Json> items;         // Type::Array elements, or Type::Object values

    static Json make_null() { return Json(); }
    static Json make_bool(bool b) { Json j; j.type = Type::Bool; j.boolean = b; return j; }
    static Json make_number(double v) { Json j; j.type = Type::Number; j.number = v; return j; }
    static Json make_int64(int64_t v);    // an integer, written exactly
    static Json make_uint64(uint64_t v);
    static Json make_string(const std::string& s) { Json j; j.type = Type::String; j.string = s; return j; }
    static Json make_array() { Json j; j.type = Type::Array; return j; }
    static Json make_object() { Json j; j.type = Type::Object; return j; }

    bool is_null() const { return type == Type::Null; }
    bool is_bool() const { return type == Type::Bool; }
    bool is_number() const { return type == Type::Number; }
    bool is_string() const { return type == Type::String; }
    bool is_array() const { return type == Type::Array; }
    bool is_object() const { return type == Type::Object; }
    // A number written as an integer token (or made by make_int64 / make_uint64).
    bool is_integer() const { return type == Type::Number && !integer.empty(); }

    // The exact value of an integer token, when it is one and fits the type;
    // false otherwise (a string, 1e3 or 2.0, -1 for get_uint64, 2^63 for get_int64),
    // leaving *out as it was.
    bool get_int64(int64_t* out) const;
    bool get_uint64(uint64_t* out) const;

    // Object member by key, or nullptr (also when this is not an object).
    const Json* find(const std::string& key) const;
    // Object: replaces the value of `key`, or appends it at the end.
    void set(const std::string& key, const Json& value);
    // Array: appends.
    void push(const Json& value) { items.push_back(value); }
    size_t size() const { return items.size(); }
};

// "null", "bool", "number", ... for error messages.
const char* json_type_name(Json::Type t);

// Parses exactly one JSON value (RFC 8259: no comments, no trailing commas, no
// NaN, UTF-8 checked, duplicate object keys rejected; surrounding whitespace
// allowed). On error throws symkl::Error
// "<context>: invalid JSON at byte 17: expected ':' after object key, found 'x'".
Json json_parse(const std::string& text, const std::string& context);

enum class JsonStyle { Pretty, Compact };

// Pretty: 2-space indent, one member per line, `"key": value`.
// Compact: no whitespace at all. Throws symkl::Error for a NaN or infinite
// number (JSON cannot represent them). A number with integer text prints that
// text (unless `number` was changed since and no longer matches it).
std::string json_write(const Json& v, JsonStyle style);

// The JSON text of one number or one string (used by json_write).
std::string json_number(double v);
std::string json_quote(const std::string& s);
