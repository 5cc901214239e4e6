// cli_run.h — run the symkl binary from a test: its exit code and its output
// (stdout and stderr together). SYMKL_BIN is defined by the build.
#pragma once
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <sys/wait.h>

#ifndef SYMKL_BIN
#error "SYMKL_BIN (path of the symkl binary) must be defined by the build"
#endif

struct Run {
    int code = -1;
    std::string out;  // stdout and stderr together
};

// `redirect` says what the output is: stdout and stderr together (the default), or e.g.
// " 2>&1 >/dev/null" for stderr alone.
inline Run run_cli(const std::string& args, const char* redirect = " 2>&1") {
    Run r;
    FILE* p = popen((std::string(SYMKL_BIN) + " " + args + redirect).c_str(), "r");
    REQUIRE(p);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}
