// file.h — whole-file reads and all-or-nothing writes.
//
// Every file symkl writes (checkpoints, CSVs, metrics) goes through
// write_file_atomic: the bytes go to a fresh temporary file in the same
// directory, which is flushed, closed and then renamed over the target. A crash
// or a full disk leaves either the old file or the new one, never half of one.
//
// A rename replaces the directory entry it names, so three kinds of target are
// written differently, never replaced:
//   - a path that names the file open as standard output or error (/dev/stdout,
//     /proc/self/fd/1, also when that is a regular file the shell redirected
//     to) is written through that stream, as the shell set it up;
//   - any other existing target that is not a regular file (a terminal, a
//     device such as /dev/null, a FIFO, a socket) is opened and written in
//     place: it has no "old content" to keep;
//   - a symbolic link to a regular file stays a link: the file it points to is
//     replaced (temp file beside that file, then rename).
//
// On the command line "-" means standard output for --out and standard input
// for --in; write_output and read_input give it that meaning, and the CSV
// reader and writer use them.
#pragma once
#include <string>

// Writes `bytes` to `path` atomically (temp file + rename), or through the
// stream or device it names (above). On any failure the temporary file is
// removed, the target is left as it was, and symkl::Error is thrown naming the
// path and the OS reason.
void write_file_atomic(const std::string& path, const std::string& bytes);

// write_file_atomic, except that "-" writes to standard output.
void write_output(const std::string& path, const std::string& bytes);

// True when write_output(path, ...) ends on standard output: "-", or a path
// naming the file open as stdout. A command then prints its own notes
// ("wrote 1000 points") to stderr, so they never mix into the data.
bool output_is_stdout(const std::string& path);

// How messages name a path: "stdout" / "stdin" for "-", else the path itself.
std::string output_name(const std::string& path);
std::string input_name(const std::string& path);

// Returns the whole content of `path`; throws symkl::Error
// ("cannot open 'x': No such file or directory ...") when it cannot be read.
std::string read_file(const std::string& path);

// read_file, except that "-" reads standard input to its end.
std::string read_input(const std::string& path);
