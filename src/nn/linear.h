// linear.h — the affine layer y = x Wᵀ + b, forward and backward.
//
// Shapes: x (B, in), W (out, in) as in PyTorch's nn.Linear, b (out), y (B, out).
// Argument order follows llm.c: outputs, inputs, parameters, sizes.
//
// Every product exists twice. The *_naive functions are the reference: the textbook
// loops, short enough to check by eye (as llm.c keeps matmul_forward_naive beside its
// fast path). The functions without the suffix are what the layers call: the blocked
// kernels of nn/kernels.cpp, or the naive loops themselves in a build with
// -DSYMKL_NAIVE (`make NAIVE=1`). Each output element is one sum in the same order in
// both, so they agree bit for bit where the kernels do not fuse multiply-adds (make
// FMA=0, or a CPU without FMA) and to rounding otherwise (tests/test_kernels.cpp).
#pragma once
#include <cstddef>
#include <string>

#include "nn/activation.h"
#include "nn/params.h"

// Whether the layers run the reference loops (a build with -DSYMKL_NAIVE).
#ifdef SYMKL_NAIVE
constexpr bool LINEAR_NAIVE = true;
#else
constexpr bool LINEAR_NAIVE = false;
#endif

// A Linear layer is two named tensors in a Params buffer.
struct Linear {
    int in = 0, out = 0;
    size_t W = 0, b = 0;  // offsets of weight (out, in) and bias (out)
};

void linear_declare(Linear& l, Params& p, const std::string& name, int in, int out);
// PyTorch's default: W, b ~ U(-1/sqrt(in), 1/sqrt(in)).
struct Rng;
void linear_init(const Linear& l, Params& p, Rng& rng);
void linear_init_zero(const Linear& l, Params& p);

// The reference loops. The backward is two products, each usable alone.
//   y (B, out) = x (B, in) · Wᵀ + b             (b null: no bias)
void linear_forward_naive(Real* y, const Real* x, const Real* W, const Real* b, int B, int in, int out);
//   dx (B, in) = dy (B, out) · W                (written)
void linear_backward_dx_naive(Real* dx, const Real* dy, const Real* W, int B, int in, int out);
//   dW (out, in) += dyᵀ · x,  db (out) += Σ_i dy[i]   (accumulated; db null: skipped)
void linear_backward_dw_naive(Real* dW, Real* db, const Real* dy, const Real* x, int B, int in, int out);

// The same products as the layers run them (kernels, or the reference under SYMKL_NAIVE).
void linear_forward(Real* y, const Real* x, const Real* W, const Real* b, int B, int in, int out);
void linear_backward_dx(Real* dx, const Real* dy, const Real* W, int B, int in, int out);
void linear_backward_dw(Real* dW, Real* db, const Real* dy, const Real* x, int B, int in, int out);

// Both backward products (one parallel pass in the kernels): dx is written (skipped
// when null), dW and db are accumulated (skipped when dW is null).
void linear_backward(Real* dx, Real* dW, Real* db, const Real* dy, const Real* x, const Real* W,
                     int B, int in, int out);

// The same, fused with the activation next to the layer (one pass less over memory;
// the values are those of the separate calls, bit for bit):
//   y = x Wᵀ + b and h = act(y)   (h = y: act applied in place, y not kept)
void linear_act_forward(Real* y, Real* h, const Real* x, const Real* W, const Real* b, int B, int in,
                        int out, Act act);
//   for an input x = act(pre) (post = x): dpre (B, in) = (dy · W) ⊙ act'(pre) is written;
//   dW += dyᵀ · post and db += Σ_b dy are accumulated.
void linear_act_backward(Real* dpre, Real* dW, Real* db, const Real* dy, const Real* pre, const Real* post,
                         const Real* W, int B, int in, int out, Act act);
