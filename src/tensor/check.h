// check.h — internal consistency checks, compiled in only where they are wanted.
//
// SYMKL_CHECK(cond, what) guards a precondition of the library that a caller can break
// without any bad input: a batch larger than the capacity its cache was built for, a
// backward run on a cache that holds the other direction's pass. It costs one
// comparison at the start of a pass, never inside a loop.
//
// On in the builds made for finding mistakes: `make SAN=1` (`make debug`), `make
// NAIVE=1`, `make CHECKS=1`, and CMake's Debug build or -DSYMKL_CHECKS=ON (each
// defines SYMKL_CHECKS). A failed check prints the file, line and condition to stderr
// and aborts: it is a bug in the calling code, not an input error. Off elsewhere: the
// condition is not even evaluated.
#pragma once

#ifdef SYMKL_CHECKS
#include <cstdio>
#include <cstdlib>

namespace symkl {
[[noreturn]] inline void check_failed(const char* file, int line, const char* what) {
    std::fprintf(stderr, "symkl: internal check failed at %s:%d: %s\n", file, line, what);
    std::abort();
}
}  // namespace symkl

#define SYMKL_CHECK(cond, what) ((cond) ? (void)0 : symkl::check_failed(__FILE__, __LINE__, what))
#else
#define SYMKL_CHECK(cond, what) ((void)0)
#endif
