// file.cpp — whole-file reads and all-or-nothing writes (see file.h).
//
// The temporary file is opened with the C11 exclusive mode "wbx", so two
// writers never share one; its name is the target's plus ".tmp-" and random
// hex digits, which keeps it in the target's directory (rename is atomic only
// within one file system). std::rename replaces an existing target in one step
// on POSIX systems, which is what makes the write all-or-nothing.
//
// Before any of that, stat() (which follows symbolic links) says what the
// target is: only a missing path or a regular file is ever renamed over.
#include "io/file.h"

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

#include "tensor/error.h"

namespace {

std::string os_reason(int err) { return err ? std::strerror(err) : "unknown error"; }

const char* const kFix = " (check that the directory exists, is writable and has free space)";

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

// The standard stream (stdout or stderr) whose open file is the one `st`
// describes, or nullptr.
std::FILE* same_as_std_stream(const struct stat& st) {
    for (int fd : {1, 2}) {
        struct stat s;
        if (fstat(fd, &s) == 0 && s.st_dev == st.st_dev && s.st_ino == st.st_ino) return fd == 1 ? stdout : stderr;
    }
    return nullptr;
}

void write_stream(std::FILE* f, const std::string& name, const std::string& bytes) {
    errno = 0;
    bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    int err = ok ? 0 : errno;
    if (std::fflush(f) != 0 && ok) { ok = false; err = errno; }
    if (!ok) throw symkl::Error("cannot write to " + name + ": " + os_reason(err));
}

// Opens an existing non-regular file (device, FIFO, socket) and writes in
// place; returns false, writing nothing, if it turned into a regular file
// since stat() looked at it. A FIFO's open waits for a reader, as `cat > fifo` does.
bool write_in_place(const std::string& path, const std::string& bytes) {
    int fd;
    do fd = open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) throw symkl::Error("cannot write '" + path + "': " + os_reason(errno) + " (check the path and its permissions)");
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        close(fd);
        return false;
    }
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : EIO;
            close(fd);
            throw symkl::Error("cannot write '" + path + "': " + os_reason(err));
        }
        done += (size_t)n;
    }
    if (close(fd) != 0 && errno != EINTR)
        throw symkl::Error("cannot write '" + path + "': " + os_reason(errno));
    return true;
}

// The temp-file-and-rename write of `bytes` to `target`; messages name `path`.
void write_replacing(const std::string& path, const std::string& target, const std::string& bytes) {
    std::string tmp;
    std::FILE* f = nullptr;
    for (unsigned attempt = 0; attempt < 100 && !f; attempt++) {
        tmp = target + temp_suffix(attempt);
        errno = 0;
        f = std::fopen(tmp.c_str(), "wbx");
        if (!f && errno != EEXIST)
            throw symkl::Error("cannot write '" + path + "': " + os_reason(errno) + kFix);
    }
    if (!f) throw symkl::Error("cannot write '" + path + "': no free temporary file name" + kFix);

    // Each step records the first failure; the temp file is removed on any of them.
    errno = 0;
    bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    int err = ok ? 0 : errno;
    if (std::fflush(f) != 0 && ok) { ok = false; err = errno; }
    if (std::fclose(f) != 0 && ok) { ok = false; err = errno; }
    if (!ok) {
        std::remove(tmp.c_str());
        throw symkl::Error("cannot write '" + path + "': " + os_reason(err) + kFix);
    }
    errno = 0;
    if (std::rename(tmp.c_str(), target.c_str()) != 0) {
        err = errno;
        std::remove(tmp.c_str());
        throw symkl::Error("cannot write '" + path + "': " + os_reason(err) +
                           " (is it a directory, or on a read-only file system?)");
    }
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
    struct stat st;
    const bool exists = stat(path.c_str(), &st) == 0;
    if (exists) {
        if (std::FILE* f = same_as_std_stream(st)) return write_stream(f, f == stdout ? "stdout" : "stderr", bytes);
        if (S_ISDIR(st.st_mode))
            throw symkl::Error("cannot write '" + path + "': it is a directory (pass a file name)");
        if (!S_ISREG(st.st_mode) && write_in_place(path, bytes)) return;
    }
    // A symbolic link stays: the file it points to is the one replaced.
    struct stat lst;
    if (lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
        if (!exists)
            throw symkl::Error("cannot write '" + path +
                               "': it is a symbolic link to a missing file (remove the link or create its target)");
        char real[PATH_MAX];
        if (!realpath(path.c_str(), real))
            throw symkl::Error("cannot write '" + path + "': cannot resolve the symbolic link: " + os_reason(errno));
        return write_replacing(path, real, bytes);
    }
    write_replacing(path, path, bytes);
}

void write_output(const std::string& path, const std::string& bytes) {
    if (path == "-") return write_stream(stdout, "stdout", bytes);
    write_file_atomic(path, bytes);
}

bool output_is_stdout(const std::string& path) {
    if (path == "-") return true;
    struct stat st;
    return stat(path.c_str(), &st) == 0 && same_as_std_stream(st) == stdout;
}

std::string output_name(const std::string& path) { return path == "-" ? "stdout" : path; }
std::string input_name(const std::string& path) { return path == "-" ? "stdin" : path; }

namespace {

// Reads `f` to its end; `name` says what it is in the message of a failure.
std::string read_all(std::FILE* f, const std::string& name, bool close_it) {
    std::string out;
    char buf[1 << 16];
    size_t n;
    errno = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    const bool failed = std::ferror(f) != 0;
    const int err = errno;
    if (close_it) std::fclose(f);
    // A directory opens fine on POSIX but fails here with EISDIR.
    if (failed) throw symkl::Error("cannot read " + name + ": " + os_reason(err) + " (pass a regular file)");
    return out;
}

}  // namespace

std::string read_file(const std::string& path) {
    errno = 0;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw symkl::Error("cannot open '" + path + "': " + os_reason(errno) + " (check the path)");
    return read_all(f, "'" + path + "'", true);
}

std::string read_input(const std::string& path) {
    if (path == "-") return read_all(stdin, "stdin", false);
    return read_file(path);
}
