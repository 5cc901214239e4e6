// test_json.cpp — the JSON value, its strict parser and its writer.
#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "io/json.h"
#include "tensor/error.h"

using Catch::Contains;

TEST_CASE("json: parses every type and keeps key order", "[io]") {
    Json v = json_parse(" {\"b\": [1, -2.5e3, true, false, null], \"a\": {\"s\": \"x\"}, \"e\": {}, \"f\": []}\n",
                        "test");
    REQUIRE(v.is_object());
    REQUIRE(v.keys == std::vector<std::string>{"b", "a", "e", "f"});
    const Json* b = v.find("b");
    REQUIRE(b);
    REQUIRE(b->is_array());
    REQUIRE(b->size() == 5);
    CHECK(b->items[0].number == 1.0);
    CHECK(b->items[1].number == -2500.0);
    CHECK((b->items[2].is_bool() && b->items[2].boolean));
    CHECK((b->items[3].is_bool() && !b->items[3].boolean));
    CHECK(b->items[4].is_null());
    REQUIRE(v.find("a")->find("s")->string == "x");
    CHECK(v.find("e")->is_object());
    CHECK(v.find("f")->size() == 0);
    CHECK(v.find("zz") == nullptr);
    CHECK(json_parse("42", "t").number == 42.0);
}

TEST_CASE("json: set replaces in place, appends new keys at the end", "[io]") {
    Json o = Json::make_object();
    o.set("x", Json::make_number(1));
    o.set("y", Json::make_number(2));
    o.set("x", Json::make_number(3));
    CHECK(json_write(o, JsonStyle::Compact) == "{\"x\":3,\"y\":2}");
}

TEST_CASE("json: doubles round-trip exactly, integers print without exponent", "[io]") {
    const double values[] = {0.1, 1.0 / 3.0, -2.0 / 3.0, 1e-300, 5e-324, DBL_MAX, -DBL_MIN, 123456.789, 1e22, 6.02214076e23};
    for (double x : values) {
        std::string s = json_write(Json::make_number(x), JsonStyle::Compact);
        double y = json_parse(s, "t").number;
        REQUIRE(std::memcmp(&x, &y, sizeof x) == 0);
    }
    CHECK(json_number(3) == "3");
    CHECK(json_number(-42) == "-42");
    CHECK(json_number(1e15) == "1000000000000000");
    CHECK(json_number(9007199254740992.0) == "9007199254740992");
    CHECK(json_number(-1e18) == "-1000000000000000000");
    CHECK(json_number(0.5) == "0.5");
    double z = json_parse(json_number(-0.0), "t").number;
    CHECK((z == 0.0 && std::signbit(z)));
    REQUIRE_THROWS_AS(json_number(std::nan("")), symkl::Error);
    REQUIRE_THROWS_AS(json_write(Json::make_number(std::numeric_limits<double>::infinity()), JsonStyle::Compact),
                      symkl::Error);
}

TEST_CASE("json: strings are escaped and unescaped", "[io]") {
    const std::string raw = std::string("q\"b\\s/n\nt\tc") + '\x01' + '\x1f' + "\xc3\xa9";
    std::string text = json_quote(raw);
    CHECK(text == "\"q\\\"b\\\\s/n\\nt\\tc\\u0001\\u001f\xc3\xa9\"");
    CHECK(json_parse(text, "t").string == raw);
    // \u escapes, including a surrogate pair, become UTF-8.
    CHECK(json_parse("\"\\u00e9\\u20AC\\ud83d\\ude00\\/\\b\\f\\r\"", "t").string ==
          "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/\b\f\r");
}

TEST_CASE("json: pretty and compact output", "[io]") {
    Json o = Json::make_object();
    o.set("name", Json::make_string("flow"));
    Json arr = Json::make_array();
    arr.push(Json::make_number(1));
    arr.push(Json::make_number(2.5));
    o.set("list", arr);
    o.set("empty", Json::make_array());
    Json inner = Json::make_object();
    inner.set("ok", Json::make_bool(true));
    inner.set("none", Json::make_null());
    o.set("inner", inner);
    CHECK(json_write(o, JsonStyle::Compact) ==
          "{\"name\":\"flow\",\"list\":[1,2.5],\"empty\":[],\"inner\":{\"ok\":true,\"none\":null}}");
    CHECK(json_write(o, JsonStyle::Pretty) ==
          "{\n"
          "  \"name\": \"flow\",\n"
          "  \"list\": [\n"
          "    1,\n"
          "    2.5\n"
          "  ],\n"
          "  \"empty\": [],\n"
          "  \"inner\": {\n"
          "    \"ok\": true,\n"
          "    \"none\": null\n"
          "  }\n"
          "}");
    // Both read back to the same value.
    CHECK(json_write(json_parse(json_write(o, JsonStyle::Pretty), "t"), JsonStyle::Compact) ==
          json_write(o, JsonStyle::Compact));
}

TEST_CASE("json: malformed input names the context, the byte offset and what was expected", "[io]") {
    struct Bad {
        const char* text;
        const char* message;
    };
    const Bad cases[] = {
        {"", "at byte 0: expected a value"},
        {"   ", "at byte 3: expected a value"},
        {"[1, 2,]", "at byte 6: expected a value"},
        {"{\"a\": 1,}", "at byte 8: expected a string key"},
        {"{\"a\" 1}", "at byte 5: expected ':' after object key, found '1'"},
        {"{\"a\": 1 \"b\": 2}", "at byte 8: expected ',' or '}' after object member"},
        {"[1 2]", "at byte 3: expected ',' or ']'"},
        {"{a: 1}", "at byte 1: expected a string key, found 'a'"},
        {"01", "at byte 1: leading zero"},
        {"1.", "at byte 2: expected a digit after '.'"},
        {"-", "at byte 1: expected a digit"},
        {"1e+", "at byte 3: expected a digit in the exponent"},
        {"NaN", "at byte 0: expected a value"},
        {"1e999", "out of range"},
        {"tru", "at byte 0: expected a value"},
        {"\"abc", "at byte 0: string is not closed"},
        {"\"a\nb\"", "at byte 2: control character"},
        {"\"\\x\"", "at byte 1: invalid escape '\\x'"},
        {"\"\\u12g4\"", "expected 4 hex digits"},
        {"\"\\udc00\"", "lone low surrogate"},
        {"\"\\ud800x\"", "not followed by a low surrogate"},
        {"\"\xff\"", "at byte 1: invalid UTF-8 byte 0xff"},
        {"\"\xc3\"", "invalid UTF-8"},
        {"\"\xed\xa0\x80\"", "invalid UTF-8"},
        {"{\"a\": 1, \"a\": 2}", "at byte 9: duplicate key \"a\""},
        {"{} x", "at byte 3: expected end of input"},
        {"[1] [2]", "at byte 4: expected end of input"},
        {"// c\n1", "at byte 0: expected a value"},
    };
    for (const Bad& b : cases) {
        INFO("input: " << b.text);
        REQUIRE_THROWS_AS(json_parse(b.text, "cfg.json"), symkl::Error);
        REQUIRE_THROWS_WITH(json_parse(b.text, "cfg.json"), Contains("cfg.json: invalid JSON") && Contains(b.message));
    }
    // Deep nesting is an error, not a stack overflow.
    std::string deep(100000, '[');
    REQUIRE_THROWS_WITH(json_parse(deep, "deep"), Contains("nested deeper than"));
}

// ---- exact integers and one-line messages ---------------------------------------------

TEST_CASE("json: integer tokens beyond 2^53 round-trip exactly through parse and write", "[io]") {
    // 2^53 + 1, 2^64 - 1, -2^63, and a 30-digit integer: a double would round all four
    const std::string text = "[9007199254740993,18446744073709551615,-9223372036854775808,"
                             "123456789012345678901234567890,-0,0,7]";
    CHECK(json_write(json_parse(text, "t"), JsonStyle::Compact) == text);
    // inside an object, pretty-printed, as a config file holds a seed
    const std::string cfg = "{\n  \"seed\": 18446744073709551615\n}";
    CHECK(json_write(json_parse(cfg, "t"), JsonStyle::Pretty) == cfg);
}

TEST_CASE("json: make_int64 / make_uint64 write exactly; get_int64 / get_uint64 read exactly", "[io]") {
    const uint64_t u_max = UINT64_MAX, two53p1 = (1ull << 53) + 1;
    CHECK(json_write(Json::make_uint64(u_max), JsonStyle::Compact) == "18446744073709551615");
    CHECK(json_write(Json::make_uint64(two53p1), JsonStyle::Compact) == "9007199254740993");
    CHECK(json_write(Json::make_int64(INT64_MIN), JsonStyle::Compact) == "-9223372036854775808");
    CHECK(json_write(Json::make_int64(-7), JsonStyle::Compact) == "-7");
    // the double is the nearest one, for code that reads .number
    CHECK(Json::make_uint64(two53p1).number == 9007199254740992.0);
    CHECK(Json::make_uint64(two53p1).is_number());

    for (uint64_t v : {uint64_t(0), uint64_t(1), two53p1, u_max - 1, u_max}) {
        Json o = Json::make_object();
        o.set("seed", Json::make_uint64(v));
        const Json back = json_parse(json_write(o, JsonStyle::Pretty), "config.json");
        uint64_t got = 0;
        REQUIRE(back.find("seed")->get_uint64(&got));
        CHECK(got == v);
    }
    for (int64_t v : {INT64_MIN, INT64_MIN + 1, int64_t(-1), int64_t(0), int64_t(1) << 62, INT64_MAX}) {
        int64_t got = 1;
        REQUIRE(json_parse(json_write(Json::make_int64(v), JsonStyle::Compact), "t").get_int64(&got));
        CHECK(got == v);
    }

    // what is not an integer in range: false, *out untouched
    uint64_t u = 42;
    int64_t i = 42;
    CHECK(!json_parse("18446744073709551616", "t").get_uint64(&u));  // 2^64
    CHECK(!json_parse("-1", "t").get_uint64(&u));
    CHECK(!json_parse("9223372036854775808", "t").get_int64(&i));     // 2^63
    CHECK(!json_parse("-9223372036854775809", "t").get_int64(&i));
    CHECK(!json_parse("1e3", "t").get_uint64(&u));
    CHECK(!json_parse("2.0", "t").get_uint64(&u));
    CHECK(!json_parse("\"5\"", "t").get_uint64(&u));
    CHECK(!Json::make_number(5).get_uint64(&u));
    CHECK((u == 42 && i == 42));
    CHECK(json_parse("-0", "t").get_uint64(&u));
    CHECK(u == 0);
    CHECK(json_parse("18446744073709551616", "t").is_integer());
    CHECK(!json_parse("1e3", "t").is_integer());
    CHECK(json_parse("1e3", "t").number == 1000.0);

    // a number changed through .number afterwards is written as the double it now holds
    Json j = Json::make_uint64(u_max);
    j.number = 3;
    CHECK(json_write(j, JsonStyle::Compact) == "3");
    j = Json::make_number(2.5);
    CHECK(json_write(j, JsonStyle::Compact) == "2.5");
}

TEST_CASE("json: a bad escape or key is shown escaped, so the message stays on one line", "[io]") {
    struct Bad {
        std::string text, message;
    };
    const Bad cases[] = {
        {"\"a\\\nb\"", "invalid escape '\\\\n'"},           // a backslash, then a raw line break
        {std::string("\"\\\0\"", 4), "invalid escape '\\\\x00'"},
        {"\"\\\t\"", "invalid escape '\\\\t'"},
        {"{\"k\\n\": 1, \"k\\n\": 2}", "duplicate key \"k\\n\""},
        {"{\"" + std::string(500, 'k') + "\": 1, \"" + std::string(500, 'k') + "\": 2}", std::string(60, 'k') + "\xE2\x80\xA6\""},
        {"1" + std::string(400, '0') + "", "out of range"},
    };
    for (const Bad& b : cases) {
        INFO("input: " << b.text.substr(0, 80));
        std::string m;
        try {
            json_parse(b.text, "cfg.json");
        } catch (const symkl::Error& e) {
            m = e.what();
        }
        CHECK_THAT(m, Contains("cfg.json: invalid JSON") && Contains(b.message));
        CHECK(m.find('\n') == std::string::npos);
        CHECK(m.size() < 300);
    }
}
