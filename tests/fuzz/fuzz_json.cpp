// fuzz_json.cpp — the JSON parser: any bytes either parse, and then write (compact
// and pretty) to text that parses to the same value, or give symkl::Error.
#include "fuzz_util.h"
#include "io/json.h"
#include "tensor/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text((const char*)data, size);
    Json v;
    try {
        v = json_parse(text, "fuzz");
    } catch (const symkl::Error&) {
        return 0;
    }
    const std::string compact = json_write(v, JsonStyle::Compact);
    const std::string pretty = json_write(v, JsonStyle::Pretty);
    FUZZ_CHECK(json_write(json_parse(compact, "compact"), JsonStyle::Compact) == compact);
    FUZZ_CHECK(json_write(json_parse(pretty, "pretty"), JsonStyle::Compact) == compact);
    return 0;
}
