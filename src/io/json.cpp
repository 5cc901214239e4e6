// json.cpp — strict recursive-descent JSON parser and writer (see json.h).
//
// Grammar (RFC 8259):
//   value  = object | array | string | number | true | false | null
//   object = '{' [ string ':' value { ',' string ':' value } ] '}'
//   array  = '[' [ value { ',' value } ] ']'
//   number = [ '-' ] ( '0' | [1-9][0-9]* ) [ '.' [0-9]+ ] [ ( 'e' | 'E' ) [ '+' | '-' ] [0-9]+ ]
// Each parse function starts at its first byte and leaves `pos` just after it.
#include "io/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "io/text.h"
#include "tensor/error.h"

Json Json::make_int64(int64_t v) {
    Json j = make_number((double)v);
    j.integer = std::to_string(v);
    return j;
}

Json Json::make_uint64(uint64_t v) {
    Json j = make_number((double)v);
    j.integer = std::to_string(v);
    return j;
}

// The magnitude of an integer text ("-123" -> 123, negative = true); false if
// it overflows 64 bits.
static bool integer_magnitude(const std::string& text, uint64_t* mag, bool* negative) {
    size_t i = 0;
    *negative = !text.empty() && text[0] == '-';
    if (*negative) i++;
    if (i == text.size()) return false;
    uint64_t m = 0;
    for (; i < text.size(); i++) {
        const unsigned d = (unsigned)(text[i] - '0');
        if (d > 9 || m > (UINT64_MAX - d) / 10) return false;
        m = m * 10 + d;
    }
    *mag = m;
    return true;
}

bool Json::get_int64(int64_t* out) const {
    uint64_t m;
    bool neg;
    if (!is_integer() || !integer_magnitude(integer, &m, &neg)) return false;
    const uint64_t limit = (uint64_t)INT64_MAX + (neg ? 1 : 0);
    if (m > limit) return false;
    // -2^63 has no positive counterpart: negate in unsigned arithmetic
    *out = neg ? (int64_t)(0 - m) : (int64_t)m;
    return true;
}

bool Json::get_uint64(uint64_t* out) const {
    uint64_t m;
    bool neg;
    if (!is_integer() || !integer_magnitude(integer, &m, &neg) || (neg && m != 0)) return false;
    *out = m;
    return true;
}

const Json* Json::find(const std::string& key) const {
    if (type != Type::Object) return nullptr;
    for (size_t i = 0; i < keys.size(); i++)
        if (keys[i] == key) return &items[i];
    return nullptr;
}

void Json::set(const std::string& key, const Json& value) {
    for (size_t i = 0; i < keys.size(); i++)
        if (keys[i] == key) {
            items[i] = value;
            return;
        }
    keys.push_back(key);
    items.push_back(value);
}

const char* json_type_name(Json::Type t) {
    switch (t) {
        case Json::Type::Null: return "null";
        case Json::Type::Bool: return "bool";
        case Json::Type::Number: return "number";
        case Json::Type::String: return "string";
        case Json::Type::Array: return "array";
        case Json::Type::Object: return "object";
    }
    return "?";
}

// ---------------------------------------------------------------------------
// Parser

namespace {

// Deep nesting would overflow the C++ stack; no symkl file nests beyond 3.
const int kMaxDepth = 256;

struct Parser {
    const std::string& s;
    const std::string& context;
    size_t pos = 0;
    int depth = 0;

    Parser(const std::string& text, const std::string& ctx) : s(text), context(ctx) {}

    // What sits at byte `at`, for "found ..." in messages.
    std::string describe(size_t at) const {
        if (at >= s.size()) return "end of input";
        unsigned char c = (unsigned char)s[at];
        char buf[32];
        if (c >= 0x20 && c < 0x7f) std::snprintf(buf, sizeof buf, "'%c'", c);
        else std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
        return buf;
    }
    [[noreturn]] void fail(size_t at, const std::string& what) const {
        throw symkl::Error(context + ": invalid JSON at byte " + std::to_string(at) + ": " + what);
    }
    [[noreturn]] void expected(const std::string& what) const {
        fail(pos, "expected " + what + ", found " + describe(pos));
    }

    void skip_ws() {
        while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) pos++;
    }
    bool eat(char c) {
        if (pos < s.size() && s[pos] == c) {
            pos++;
            return true;
        }
        return false;
    }

    Json value() {
        skip_ws();
        if (pos >= s.size()) expected("a value");
        char c = s[pos];
        if (c == '{') return object();
        if (c == '[') return array();
        if (c == '"') return Json::make_string(string());
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        if (literal("true")) return Json::make_bool(true);
        if (literal("false")) return Json::make_bool(false);
        if (literal("null")) return Json::make_null();
        expected("a value (object, array, string, number, true, false or null)");
    }

    bool literal(const char* word) {
        size_t n = std::char_traits<char>::length(word);
        if (s.compare(pos, n, word) != 0) return false;
        pos += n;
        return true;
    }

    void enter() {
        if (++depth > kMaxDepth) fail(pos, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }

    Json object() {
        enter();
        Json obj = Json::make_object();
        pos++;  // '{'
        skip_ws();
        if (eat('}')) {
            depth--;
            return obj;
        }
        for (;;) {
            skip_ws();
            if (pos >= s.size() || s[pos] != '"') expected("a string key");
            size_t key_at = pos;
            std::string key = string();
            if (obj.find(key)) fail(key_at, "duplicate key \"" + excerpt(key) + "\"");
            skip_ws();
            if (!eat(':')) expected("':' after object key");
            Json v = value();
            obj.keys.push_back(key);
            obj.items.push_back(std::move(v));
            skip_ws();
            if (eat(',')) continue;
            if (eat('}')) break;
            expected("',' or '}' after object member");
        }
        depth--;
        return obj;
    }

    Json array() {
        enter();
        Json arr = Json::make_array();
        pos++;  // '['
        skip_ws();
        if (eat(']')) {
            depth--;
            return arr;
        }
        for (;;) {
            arr.items.push_back(value());
            skip_ws();
            if (eat(',')) continue;
            if (eat(']')) break;
            expected("',' or ']' after array element");
        }
        depth--;
        return arr;
    }

    bool digit_at(size_t i) const { return i < s.size() && s[i] >= '0' && s[i] <= '9'; }

    Json number() {
        size_t start = pos;
        eat('-');
        if (!digit_at(pos)) expected("a digit");
        if (s[pos] == '0') {
            pos++;
            if (digit_at(pos)) fail(pos, "leading zero in a number");
        } else {
            while (digit_at(pos)) pos++;
        }
        bool is_integer = true;
        if (eat('.')) {
            is_integer = false;
            if (!digit_at(pos)) expected("a digit after '.'");
            while (digit_at(pos)) pos++;
        }
        if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
            is_integer = false;
            pos++;
            if (!eat('+')) eat('-');
            if (!digit_at(pos)) expected("a digit in the exponent");
            while (digit_at(pos)) pos++;
        }
        // The text is now known to be a valid number, so strtod reads all of it.
        std::string text = s.substr(start, pos - start);
        double v = std::strtod(text.c_str(), nullptr);
        if (!std::isfinite(v)) fail(start, "number " + excerpt(text) + " is out of range for a double");
        Json j = Json::make_number(v);
        if (is_integer) j.integer = std::move(text);
        return j;
    }

    unsigned hex4() {
        unsigned v = 0;
        for (int i = 0; i < 4; i++) {
            if (pos >= s.size()) expected("4 hex digits after \\u");
            char c = s[pos];
            unsigned d;
            if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
            else expected("4 hex digits after \\u");
            v = v * 16 + d;
            pos++;
        }
        return v;
    }

    static void put_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += (char)cp;
        } else if (cp < 0x800) {
            out += (char)(0xC0 | (cp >> 6));
            out += (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += (char)(0xE0 | (cp >> 12));
            out += (char)(0x80 | ((cp >> 6) & 0x3F));
            out += (char)(0x80 | (cp & 0x3F));
        } else {
            out += (char)(0xF0 | (cp >> 18));
            out += (char)(0x80 | ((cp >> 12) & 0x3F));
            out += (char)(0x80 | ((cp >> 6) & 0x3F));
            out += (char)(0x80 | (cp & 0x3F));
        }
    }

    std::string string() {
        size_t start = pos;
        pos++;  // '"'
        std::string out;
        for (;;) {
            if (pos >= s.size()) fail(start, "string is not closed (missing '\"')");
            unsigned char c = (unsigned char)s[pos];
            if (c == '"') {
                pos++;
                return out;
            }
            if (c < 0x20) fail(pos, "control character " + describe(pos) + " in a string (must be escaped)");
            if (c >= 0x80) {
                size_t n = utf8_length(s, pos);
                if (n == 0) fail(pos, "invalid UTF-8 " + describe(pos) + " in a string");
                out.append(s, pos, n);
                pos += n;
                continue;
            }
            if (c != '\\') {
                out += (char)c;
                pos++;
                continue;
            }
            size_t esc_at = pos;
            pos++;
            if (pos >= s.size()) expected("an escape character after '\\'");
            char e = s[pos++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned cp = hex4();
                    // Characters beyond U+FFFF come as a UTF-16 surrogate pair.
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (!literal("\\u")) fail(esc_at, "high surrogate \\u" + s.substr(esc_at + 2, 4) + " not followed by a low surrogate");
                        unsigned lo = hex4();
                        if (lo < 0xDC00 || lo > 0xDFFF) fail(esc_at, "high surrogate \\u" + s.substr(esc_at + 2, 4) + " not followed by a low surrogate");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        fail(esc_at, "lone low surrogate \\u" + s.substr(esc_at + 2, 4));
                    }
                    put_utf8(out, cp);
                    break;
                }
                default: fail(esc_at, "invalid escape '\\" + excerpt(std::string(1, e)) + "' (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
            }
        }
    }
};

}  // namespace

Json json_parse(const std::string& text, const std::string& context) {
    Parser p(text, context);
    Json v = p.value();
    p.skip_ws();
    if (p.pos != text.size()) p.expected("end of input after the JSON value");
    return v;
}

// ---------------------------------------------------------------------------
// Writer

std::string json_number(double v) {
    if (!std::isfinite(v))
        throw symkl::Error(std::string("cannot write ") + (std::isnan(v) ? "nan" : "an infinite number") +
                           " as JSON (JSON has only finite numbers; check the value for divergence)");
    char buf[64];
    // Integers up to 2^63 print in full without exponent (%.0f is exact for them);
    // everything else with 17 significant digits, enough to read back the same double.
    if (v == std::floor(v) && std::fabs(v) < 9.2e18) std::snprintf(buf, sizeof buf, "%.0f", v);
    else std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string json_quote(const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
        unsigned char c = (unsigned char)ch;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += ch;  // UTF-8 bytes pass through unchanged
                }
        }
    }
    out += '"';
    return out;
}

namespace {

void write_value(std::string& out, const Json& v, JsonStyle style, int indent) {
    bool pretty = style == JsonStyle::Pretty;
    auto newline = [&](int level) {
        if (!pretty) return;
        out += '\n';
        out.append((size_t)level * 2, ' ');
    };
    switch (v.type) {
        case Json::Type::Null: out += "null"; break;
        case Json::Type::Bool: out += v.boolean ? "true" : "false"; break;
        case Json::Type::Number:
            // integer text, exact beyond 2^53, unless `number` no longer matches it
            if (!v.integer.empty() && std::strtod(v.integer.c_str(), nullptr) == v.number) out += v.integer;
            else out += json_number(v.number);
            break;
        case Json::Type::String: out += json_quote(v.string); break;
        case Json::Type::Array:
            out += '[';
            for (size_t i = 0; i < v.items.size(); i++) {
                if (i) out += ',';
                newline(indent + 1);
                write_value(out, v.items[i], style, indent + 1);
            }
            if (!v.items.empty()) newline(indent);
            out += ']';
            break;
        case Json::Type::Object:
            out += '{';
            for (size_t i = 0; i < v.items.size(); i++) {
                if (i) out += ',';
                newline(indent + 1);
                out += json_quote(v.keys[i]);
                out += pretty ? ": " : ":";
                write_value(out, v.items[i], style, indent + 1);
            }
            if (!v.items.empty()) newline(indent);
            out += '}';
            break;
    }
}

}  // namespace

std::string json_write(const Json& v, JsonStyle style) {
    std::string out;
    write_value(out, v, style, 0);
    return out;
}
