// fifo_reader.h — a FIFO in a temporary directory and a thread that reads it,
// for tests of writes that must go through a FIFO rather than replace it.
//
// The FIFO is also held open read-write while the test runs, so neither side
// blocks forever: the reader's open returns at once, and if the code under test
// never opens the FIFO (it replaced it instead), closing that handle still gives
// the reader its end of file. finish() returns what the reader got.
#pragma once
#include <catch2/catch.hpp>

#include <atomic>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

struct FifoReader {
    std::string path, got;
    int keep = -1;
    std::atomic<bool> opened{false};
    std::thread reader;

    explicit FifoReader(const std::string& p) : path(p) {
        REQUIRE(mkfifo(path.c_str(), 0600) == 0);
        keep = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
        REQUIRE(keep >= 0);
        reader = std::thread([this] {
            const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
            opened = true;
            if (fd < 0) return;
            char buf[4096];
            for (;;) {
                const ssize_t n = read(fd, buf, sizeof buf);
                if (n > 0) got.append(buf, (size_t)n);
                else if (n == 0 || errno != EINTR) break;
            }
            close(fd);
        });
        while (!opened) std::this_thread::yield();
    }
    // Call after the write under test has finished: the reader sees end of file.
    std::string finish() {
        if (keep >= 0) close(keep), keep = -1;
        if (reader.joinable()) reader.join();
        return got;
    }
    ~FifoReader() { finish(); }
    bool still_a_fifo() const {
        struct stat st;
        return lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
    }
};
