// files.cpp — threads and directories.
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/stat.h>

#include "app/files.h"
#include "tensor/error.h"

#ifdef _OPENMP
#include <omp.h>
#endif

void set_threads(long threads) {
#ifdef _OPENMP
    if (threads > 0) omp_set_num_threads((int)threads);
#else
    (void)threads;
#endif
}

void make_dirs(const std::string& path) {
    for (size_t i = 1; i <= path.size(); i++) {
        if (i < path.size() && path[i] != '/') continue;
        const std::string prefix = path.substr(0, i);
        if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
            throw symkl::Error("cannot create directory '" + prefix + "': " + std::strerror(errno));
    }
    struct stat st;
    if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw symkl::Error("'" + path + "' exists and is not a directory (choose another --out)");
}
