// error.h — the one exception symkl throws for bad input.
//
// Everything a user can get wrong (a flag, a CSV field, a checkpoint) is
// checked at the boundary and reported by throwing symkl::Error with a message
// that names the file, line and field (or the flag) and says how to fix it.
// The CLI prints "symkl: error: <message>" on one line and exits with code 2.
// Hot loops never throw.
#pragma once
#include <stdexcept>
#include <string>

namespace symkl {
struct Error : std::runtime_error {
    explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};
}  // namespace symkl
