// text.h — user text quoted in error messages.
//
// A message echoes what the user wrote (a CSV field, a JSON escape, a flag's
// value) so they can find it, but the echo must stay one readable line: a NUL
// byte would end the C string early, a newline would split the message, and a
// 200 kB field would bury it. excerpt() makes any bytes safe to print.
#pragma once
#include <cstddef>
#include <string>

// At most `max_chars` characters of `s`, then "…" when cut. Control bytes and
// DEL are escaped as \n, \r, \t or \xNN, bytes that are not well-formed UTF-8
// as \xNN; well-formed UTF-8 passes through and counts one character per code
// point. Backslashes are left as they are. No quotes are added:
//   excerpt("a\tb") == "a\\tb",  excerpt(std::string(200, 'x')) == 60 x's + "…".
std::string excerpt(const std::string& s, size_t max_chars = 60);

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode table 3-7), or 0
// (also 0 past the end). The JSON parser checks its strings with it.
size_t utf8_length(const std::string& s, size_t i);
