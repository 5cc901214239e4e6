// activation.cpp — relu, tanh, silu: forward and backward side by side.
#include "nn/activation.h"
#include "tensor/parallel.h"
#include "tensor/vmath.h"

#include <algorithm>
#include <cmath>

bool act_from_name(const std::string& name, Act* out) {
    if (name == "relu") *out = Act::relu;
    else if (name == "tanh") *out = Act::tanh;
    else if (name == "silu") *out = Act::silu;
    else return false;
    return true;
}

const char* act_name(Act a) {
    switch (a) {
        case Act::relu: return "relu";
        case Act::tanh: return "tanh";
        case Act::silu: return "silu";
    }
    return "?";
}

static inline Real sigmoid(Real x) { return vsigmoid(x); }

SYMKL_CLONES
void act_forward_span(Real* y, const Real* x, long n, Act a) {
    switch (a) {
        case Act::relu:
            #pragma omp simd
            for (long i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : Real(0);
            break;
        case Act::tanh:
            #pragma omp simd
            for (long i = 0; i < n; i++) y[i] = vtanh(x[i]);
            break;
        case Act::silu:
            #pragma omp simd
            for (long i = 0; i < n; i++) y[i] = x[i] * sigmoid(x[i]);
            break;
    }
}

SYMKL_CLONES
void act_backward_span(Real* dx, const Real* dy, const Real* x, const Real* y, long n, Act a) {
    switch (a) {
        case Act::relu:
            // forward: y = max(0, x)  →  dx = dy · [x > 0]  (the kink at 0 gets 0)
            #pragma omp simd
            for (long i = 0; i < n; i++) {
                const Real g = dy[i];  // read unconditionally, so the loop vectorises
                dx[i] = x[i] > 0 ? g : Real(0);
            }
            break;
        case Act::tanh:
            // forward: y = tanh(x)  →  dx = dy · (1 − y²), reusing the saved output
            #pragma omp simd
            for (long i = 0; i < n; i++) dx[i] = dy[i] * (Real(1) - y[i] * y[i]);
            break;
        case Act::silu:
            // forward: y = x σ(x)  →  dx = dy · σ(x) (1 + x (1 − σ(x)))
            #pragma omp simd
            for (long i = 0; i < n; i++) {
                const Real s = sigmoid(x[i]);
                dx[i] = dy[i] * s * (Real(1) + x[i] * (Real(1) - s));
            }
            break;
    }
}

// The whole arrays: chunks of a fixed size, in parallel when there are enough elements.
// Element-wise, so the split never changes a value. relu is a few cycles per element,
// tanh and silu evaluate vexp/vtanh (tensor/vmath.h): they pay for threads at an eighth of the size.
static const long ACT_CHUNK = 1L << 13;

static long act_par_min(Act a) { return a == Act::relu ? PAR_MIN_ELEMS : PAR_MIN_ELEMS / 8; }

void act_forward(Real* y, const Real* x, long n, Act a) {
    const long chunks = (n + ACT_CHUNK - 1) / ACT_CHUNK;
    parallel_rows((int)chunks, n >= act_par_min(a), [&](int c0, int c1) {
        for (long c = c0; c < c1; c++) {
            const long i = c * ACT_CHUNK;
            act_forward_span(y + i, x + i, std::min(ACT_CHUNK, n - i), a);
        }
    });
}

void act_backward(Real* dx, const Real* dy, const Real* x, const Real* y, long n, Act a) {
    const long chunks = (n + ACT_CHUNK - 1) / ACT_CHUNK;
    parallel_rows((int)chunks, n >= act_par_min(a), [&](int c0, int c1) {
        for (long c = c0; c < c1; c++) {
            const long i = c * ACT_CHUNK;
            act_backward_span(dx + i, dy + i, x + i, y + i, std::min(ACT_CHUNK, n - i), a);
        }
    });
}
