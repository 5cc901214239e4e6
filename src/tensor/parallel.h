// parallel.h — when a loop is worth an OpenMP parallel region, and which loops get
// one compiled version per vector width.
//
// A parallel region costs microseconds to start and join, and far more when the
// machine is busy and a worker thread must wait for a core. Small loops (the 2-D
// toy models: B·H ≈ 16k) therefore run serially; large ones (D = 16, H = 512,
// B = 4096) split across threads. Which branch runs never changes a result: every
// parallel loop writes disjoint outputs, each summed in a fixed order.
#pragma once

#ifdef _OPENMP
#include <omp.h>
#endif

constexpr long PAR_MIN_MACS = 1L << 21;   // multiply-adds of a matmul-like loop
constexpr long PAR_MIN_ELEMS = 1L << 17;  // elements of an element-wise loop

// Versions per instruction set for the hot serial loops. With GCC on x86-64 Linux
// (SYMKL_X86_VERSIONS) such a function is compiled for the baseline (SSE2), x86-64-v3
// (AVX2, FMA) and x86-64-v4 (AVX-512), and the best one the CPU has runs. SYMKL_CLONES
// lets GCC make and pick the versions (target_clones: the activation spans, Adam;
// compiled without FMA contraction, they give identical values); nn/kernels.cpp picks
// its own, to give each a micro-tile of its own shape. Other compilers and targets
// compile one version for the build's flags, as does -DSYMKL_NO_CLONES (make NATIVE=1
// sets it; without -march it measures the portable version).
// (Not under AddressSanitizer, whose start-up runs after the loader picks versions.)
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(SYMKL_NO_CLONES)
#define SYMKL_X86_VERSIONS 1
#define SYMKL_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SYMKL_X86_VERSIONS 0
#define SYMKL_CLONES
#endif

// A helper that must be compiled into each version of its caller (GCC, Clang).
#if defined(__GNUC__)
#define SYMKL_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define SYMKL_ALWAYS_INLINE inline
#endif

// body(i0, i1) over the rows [0, n): split among the threads of one parallel region (each
// thread a contiguous block; `threads` of them, 0: OpenMP's default) when `wide`, else
// body(0, n) on the calling thread. Unlike `#pragma omp parallel for if (wide)`, the
// narrow case enters no region at all: an inactive region still sets up a team of one,
// about 0.6 µs, which a small training step would pay some 60 times. For loops whose rows
// are independent: the split never changes a value.
template <class Body>
inline void parallel_rows(int n, bool wide, const Body& body, int threads = 0) {
#ifdef _OPENMP
    if (wide && threads != 1) {
        #pragma omp parallel num_threads(threads > 0 ? threads : omp_get_max_threads())
        {
            const long t = omp_get_thread_num(), T = omp_get_num_threads();
            body((int)(n * t / T), (int)(n * (t + 1) / T));
        }
        return;
    }
#endif
    (void)wide, (void)threads;
    body(0, n);
}
