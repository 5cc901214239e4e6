// commands.h — the subcommands of the symkl binary. Each returns the exit code:
// 0 success, 2 bad input (flags, files), 3 training stopped on a non-finite value,
// 4 a result (eval, sample, logprob) is not finite; main.cpp adds 1 for out of memory.
#pragma once
#include <string>

int cmd_train(int argc, char** argv);
int cmd_demo(int argc, char** argv);
int cmd_compare(int argc, char** argv);
int cmd_experiment(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_sample(int argc, char** argv);
int cmd_logprob(int argc, char** argv);
int cmd_generate(int argc, char** argv);
int cmd_plot(int argc, char** argv);

// Sets the OpenMP thread count (0 = the runtime's default); a no-op without OpenMP.
void set_threads(long threads);
// Creates a directory and its parents; throws symkl::Error naming the path on failure.
void make_dirs(const std::string& path);
