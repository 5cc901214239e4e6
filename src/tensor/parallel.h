// parallel.h — when a loop is worth an OpenMP parallel region, and which loops get
// one compiled version per vector width.
//
// A parallel region costs microseconds to start and join, and far more when the
// machine is busy and a worker thread must wait for a core. Small loops (the 2-D
// toy models: B·H ≈ 16k) therefore run serially; large ones (D = 16, H = 512,
// B = 4096) split across threads. Which branch runs never changes a result: every
// parallel loop writes disjoint outputs, each summed in a fixed order.
#pragma once

constexpr long PAR_MIN_MACS = 1L << 21;   // multiply-adds of a matmul-like loop
constexpr long PAR_MIN_ELEMS = 1L << 17;  // elements of an element-wise loop

// Function multiversioning for the hot serial loops (the matmul tiles, the Adam update):
// with GCC on x86-64 Linux such a function is compiled for the baseline (SSE2),
// x86-64-v3 (AVX2) and x86-64-v4 (AVX-512), and the loader picks the best one the CPU
// has. With FMA contraction off (-ffp-contract=off, set by the Makefile and CMake) the
// versions perform the same roundings in the same order and give identical results;
// they differ in speed only. Other compilers and targets compile the portable version.
// (Not under AddressSanitizer, whose start-up runs after the loader resolves them.)
// Define SYMKL_NO_CLONES to compile the portable version alone (to measure it).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(SYMKL_NO_CLONES)
#define SYMKL_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SYMKL_CLONES
#endif
