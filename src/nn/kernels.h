// kernels.h — the three matrix products of a Linear layer, cache-blocked and vectorisable:
// the fast path of nn/linear.h, whose *_naive functions are the reference.
//
//   forward:   y (B, out) = x (B, in) · Wᵀ + b        optionally also h = act(y)
//   backward:  dW (out, in) += dyᵀ · x,  db (out) += Σ_i dy[i],
//              dx (B, in) = dy (B, out) · W           optionally times act'(pre) of the input
//
// W is (out, in) as in PyTorch. Every output element is one sum over k in ascending
// order, started from the bias (forward), zero (dx) or the old value (dW), exactly as
// the textbook loops write it: the blocking only decides *when* each term is added,
// never in which order. So the results do not depend on the number of threads or on
// OpenMP, and equal the naive loops' up to FMA rounding (the AVX2 and AVX-512 versions
// fuse each multiply-add; the portable version gives the naive loops' exact bits).
// kernels.cpp explains the blocking.
#pragma once

#include "nn/activation.h"

// y = x Wᵀ + b (b null: no bias). When h is not null, also h = act(y) (y keeps the
// pre-activation); h = y applies act in place (for ReLU as the tiles are stored).
void matmul_forward(Real* y, Real* h, const Real* x, const Real* W, const Real* b, int B, int in, int out,
                    Act act);

// The backward of a Linear layer, both products in one parallel pass:
//   dW += dyᵀ x and db += column sums of dy (accumulated; skipped when dW is null;
//   db may be null), dx = dy W (written; skipped when dx is null). When pre is not
//   null, the layer's input was x = act(pre) and dx becomes the gradient on pre:
//   (dy W) ⊙ act'(pre).
void matmul_backward(Real* dx, Real* dW, Real* db, const Real* dy, const Real* x, const Real* W, int B, int in,
                     int out, const Real* pre, Act act);

// Which version of the kernels this CPU runs (for the benchmark's header).
const char* matmul_version();
