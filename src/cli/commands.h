// commands.h — the subcommands of the symkl binary. Each returns the exit code:
// 0 success, 2 bad input (flags, files), 3 training stopped on a non-finite value,
// 4 a result (eval, sample, logprob) is not finite; main.cpp adds 1 for out of memory.
#pragma once
#include <string>

#include "app/files.h"  // set_threads, make_dirs

int cmd_train(int argc, char** argv);
int cmd_demo(int argc, char** argv);
int cmd_compare(int argc, char** argv);
int cmd_experiment(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_sample(int argc, char** argv);
int cmd_logprob(int argc, char** argv);
int cmd_generate(int argc, char** argv);
int cmd_plot(int argc, char** argv);
int cmd_sbi(int argc, char** argv);
int cmd_c2st(int argc, char** argv);
