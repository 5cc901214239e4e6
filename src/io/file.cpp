// file.cpp — whole-file reads and all-or-nothing writes (see file.h).
//
// The temporary file is opened with the C11 exclusive mode "wbx", so two
// writers never share one; its name is the target's plus ".tmp-" and random
// hex digits, which keeps it in the target's directory (rename is atomic only
// within one file system). std::rename replaces an existing target in one step
// on POSIX systems, which is what makes the write all-or-nothing.
#include "io/file.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>

#include "tensor/error.h"

namespace {

std::string os_reason(int err) { return err ? std::strerror(err) : "unknown error"; }

// A suffix unlikely to collide: random_device mixed with the clock (on some
// platforms random_device is deterministic, the clock then still differs).
std::string temp_suffix(unsigned attempt) {
    std::random_device rd;
    unsigned long long r = ((unsigned long long)rd() << 32) ^ rd();
    r ^= (unsigned long long)std::chrono::steady_clock::now().time_since_epoch().count();
    r += attempt * 0x9e3779b97f4a7c15ULL;
    char buf[32];
    std::snprintf(buf, sizeof buf, ".tmp-%016llx", r);
    return buf;
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
    const std::string fix = " (check that the directory exists, is writable and has free space)";
    std::string tmp;
    std::FILE* f = nullptr;
    for (unsigned attempt = 0; attempt < 100 && !f; attempt++) {
        tmp = path + temp_suffix(attempt);
        errno = 0;
        f = std::fopen(tmp.c_str(), "wbx");
        if (!f && errno != EEXIST)
            throw symkl::Error("cannot write '" + path + "': " + os_reason(errno) + fix);
    }
    if (!f) throw symkl::Error("cannot write '" + path + "': no free temporary file name" + fix);

    // Each step records the first failure; the temp file is removed on any of them.
    errno = 0;
    bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    int err = ok ? 0 : errno;
    if (std::fflush(f) != 0 && ok) { ok = false; err = errno; }
    if (std::fclose(f) != 0 && ok) { ok = false; err = errno; }
    if (!ok) {
        std::remove(tmp.c_str());
        throw symkl::Error("cannot write '" + path + "': " + os_reason(err) + fix);
    }
    errno = 0;
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        err = errno;
        std::remove(tmp.c_str());
        throw symkl::Error("cannot write '" + path + "': " + os_reason(err) +
                           " (is it a directory, or on a read-only file system?)");
    }
}

std::string read_file(const std::string& path) {
    errno = 0;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw symkl::Error("cannot open '" + path + "': " + os_reason(errno) + " (check the path)");
    std::string out;
    char buf[1 << 16];
    size_t n;
    errno = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    bool failed = std::ferror(f) != 0;
    int err = errno;
    std::fclose(f);
    // A directory opens fine on POSIX but fails here with EISDIR.
    if (failed) throw symkl::Error("cannot read '" + path + "': " + os_reason(err) + " (pass a regular file)");
    return out;
}
