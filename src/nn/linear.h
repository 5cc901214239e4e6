// linear.h — the affine layer y = x Wᵀ + b, forward and backward.
//
// Shapes: x (B, in), W (out, in) as in PyTorch's nn.Linear, b (out), y (B, out).
// Argument order follows llm.c: outputs, inputs, parameters, sizes.
#pragma once
#include <cstddef>
#include <string>

#include "nn/activation.h"
#include "nn/params.h"

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

// y (B, out) = x (B, in) · Wᵀ + b
void linear_forward(Real* y, const Real* x, const Real* W, const Real* b, int B, int in, int out);

// Given dy (B, out): dx (B, in) = dy · W (written, skipped when dx is null);
// dW (out, in) += dyᵀ · x and db (out) += Σ_b dy (accumulated).
void linear_backward(Real* dx, Real* dW, Real* db, const Real* dy, const Real* x, const Real* W,
                     int B, int in, int out);

// The same, fused with the activation next to the layer (one pass less over memory;
// the values are those of the separate calls, bit for bit):
//   y = x Wᵀ + b and h = act(y)
void linear_act_forward(Real* y, Real* h, const Real* x, const Real* W, const Real* b, int B, int in,
                        int out, Act act);
//   for an input x = act(pre) (post = x): dpre (B, in) = (dy · W) ⊙ act'(pre) is written;
//   dW += dyᵀ · post and db += Σ_b dy are accumulated.
void linear_act_backward(Real* dpre, Real* dW, Real* db, const Real* dy, const Real* pre, const Real* post,
                         const Real* W, int B, int in, int out, Act act);
