// tempdir.h — a fresh directory per test, removed with everything in it.
#pragma once
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

// The bytes of a file ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

struct TempDir {
    std::filesystem::path dir;
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "symkl-test-XXXXXX").string();
        REQUIRE(mkdtemp(&tmpl[0]));
        dir = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string file(const std::string& name) const { return (dir / name).string(); }
    std::string operator/(const std::string& name) const { return file(name); }
    // Writes raw bytes (no atomic rename: this is the test's own fixture).
    std::string put(const std::string& name, const std::string& bytes) const {
        const std::string p = file(name);
        std::ofstream(p, std::ios::binary) << bytes;
        return p;
    }
    size_t entries() const {
        return (size_t)std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator());
    }
};
