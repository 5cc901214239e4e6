// activation.h — element-wise nonlinearities and their derivatives.
//
//   relu(x) = max(0, x)            relu'(x) = [x > 0]
//   tanh(x)                        tanh'(x) = 1 − tanh(x)²        (from the saved output)
//   silu(x) = x σ(x)               silu'(x) = σ(x) (1 + x (1 − σ(x)))
#pragma once
#include <string>

#include "tensor/real.h"

enum class Act { relu, tanh, silu };

bool act_from_name(const std::string& name, Act* out);
const char* act_name(Act a);

// y[i] = act(x[i]) for i < n
void act_forward(Real* y, const Real* x, long n, Act a);
// dx[i] = dy[i] · act'(x[i]); x is the saved input, y the saved output (dx may be dy)
void act_backward(Real* dx, const Real* dy, const Real* x, const Real* y, long n, Act a);

// The same on one span, serially: for callers already inside a parallel loop (the
// matmul kernels apply them to each finished tile).
void act_forward_span(Real* y, const Real* x, long n, Act a);
void act_backward_span(Real* dx, const Real* dy, const Real* x, const Real* y, long n, Act a);
