// text.cpp — excerpt() for error messages and the UTF-8 check it shares with the JSON parser (see text.h).
#include "io/text.h"

#include <cstdio>

size_t utf8_length(const std::string& s, size_t i) {
    auto byte = [&](size_t k) { return k < s.size() ? (unsigned char)s[k] : 0u; };
    auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
    const unsigned b0 = byte(i), b1 = byte(i + 1), b2 = byte(i + 2), b3 = byte(i + 3);
    if (in(b0, 0xC2, 0xDF)) return in(b1, 0x80, 0xBF) ? 2 : 0;
    if (b0 == 0xE0) return in(b1, 0xA0, 0xBF) && in(b2, 0x80, 0xBF) ? 3 : 0;
    if (in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) return in(b1, 0x80, 0xBF) && in(b2, 0x80, 0xBF) ? 3 : 0;
    if (b0 == 0xED) return in(b1, 0x80, 0x9F) && in(b2, 0x80, 0xBF) ? 3 : 0;
    if (b0 == 0xF0) return in(b1, 0x90, 0xBF) && in(b2, 0x80, 0xBF) && in(b3, 0x80, 0xBF) ? 4 : 0;
    if (in(b0, 0xF1, 0xF3)) return in(b1, 0x80, 0xBF) && in(b2, 0x80, 0xBF) && in(b3, 0x80, 0xBF) ? 4 : 0;
    if (b0 == 0xF4) return in(b1, 0x80, 0x8F) && in(b2, 0x80, 0xBF) && in(b3, 0x80, 0xBF) ? 4 : 0;
    return 0;
}


std::string excerpt(const std::string& s, size_t max_chars) {
    std::string out;
    size_t i = 0, chars = 0;
    while (i < s.size()) {
        if (chars == max_chars) return out + "\xE2\x80\xA6";  // "…"
        const unsigned char c = (unsigned char)s[i];
        if (c == '\n') out += "\\n", i++;
        else if (c == '\r') out += "\\r", i++;
        else if (c == '\t') out += "\\t", i++;
        else if (c >= 0x20 && c < 0x7F) out += (char)c, i++;
        else if (size_t n = c >= 0x80 ? utf8_length(s, i) : 0) out.append(s, i, n), i += n;
        else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
            i++;
        }
        chars++;
    }
    return out;
}
