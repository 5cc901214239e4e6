// files.h — threads and directories for the tools that write runs.
#pragma once
#include <string>

// Sets the OpenMP thread count (0 = the runtime's default); a no-op without OpenMP.
void set_threads(long threads);
// Creates a directory and its parents; throws symkl::Error naming the path on failure.
void make_dirs(const std::string& path);
