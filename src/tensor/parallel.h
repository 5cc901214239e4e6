// parallel.h — when a loop is worth an OpenMP parallel region.
//
// A parallel region costs microseconds to start and join, and far more when the
// machine is busy and a worker thread must wait for a core. Small loops (the 2-D
// toy models: B·H ≈ 16k) therefore run serially; large ones (D = 16, H = 512,
// B = 4096) split across threads. Which branch runs never changes a result: every
// parallel loop writes disjoint outputs, each summed in a fixed order.
#pragma once

constexpr long PAR_MIN_MACS = 1L << 21;   // multiply-adds of a matmul-like loop
constexpr long PAR_MIN_ELEMS = 1L << 17;  // elements of an element-wise loop
