// activation.cpp — relu, tanh, silu: forward and backward side by side.
#include "nn/activation.h"
#include "tensor/parallel.h"

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

static inline Real sigmoid(Real x) { return Real(1) / (Real(1) + std::exp(-x)); }

void act_forward(Real* y, const Real* x, long n, Act a) {
    switch (a) {
        case Act::relu:
            #pragma omp parallel for if (n >= PAR_MIN_ELEMS)
            for (long i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : Real(0);
            break;
        case Act::tanh:
            #pragma omp parallel for if (n * 8 >= PAR_MIN_ELEMS)
            for (long i = 0; i < n; i++) y[i] = std::tanh(x[i]);
            break;
        case Act::silu:
            #pragma omp parallel for if (n * 8 >= PAR_MIN_ELEMS)
            for (long i = 0; i < n; i++) y[i] = x[i] * sigmoid(x[i]);
            break;
    }
}

void act_backward(Real* dx, const Real* dy, const Real* x, const Real* y, long n, Act a) {
    switch (a) {
        case Act::relu:
            // forward: y = max(0, x)  →  dx = dy · [x > 0]  (the kink at 0 gets 0)
            #pragma omp parallel for if (n >= PAR_MIN_ELEMS)
            for (long i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : Real(0);
            break;
        case Act::tanh:
            // forward: y = tanh(x)  →  dx = dy · (1 − y²), reusing the saved output
            #pragma omp parallel for if (n >= PAR_MIN_ELEMS)
            for (long i = 0; i < n; i++) dx[i] = dy[i] * (Real(1) - y[i] * y[i]);
            break;
        case Act::silu:
            // forward: y = x σ(x)  →  dx = dy · σ(x) (1 + x (1 − σ(x)))
            #pragma omp parallel for if (n * 8 >= PAR_MIN_ELEMS)
            for (long i = 0; i < n; i++) {
                const Real s = sigmoid(x[i]);
                dx[i] = dy[i] * s * (Real(1) + x[i] * (Real(1) - s));
            }
            break;
    }
}
