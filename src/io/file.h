// file.h — whole-file reads and all-or-nothing writes.
//
// Every file symkl writes (checkpoints, CSVs, metrics) goes through
// write_file_atomic: the bytes go to a fresh temporary file in the same
// directory, which is flushed, closed and then renamed over the target. A crash
// or a full disk leaves either the old file or the new one, never half of one.
#pragma once
#include <string>

// Writes `bytes` to `path` atomically (temp file + rename). On any failure the
// temporary file is removed, the target is left as it was, and symkl::Error is
// thrown naming the path and the OS reason.
void write_file_atomic(const std::string& path, const std::string& bytes);

// Returns the whole content of `path`; throws symkl::Error
// ("cannot open 'x': No such file or directory ...") when it cannot be read.
std::string read_file(const std::string& path);
