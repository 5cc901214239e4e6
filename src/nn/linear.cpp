// linear.cpp — y = x Wᵀ + b and its gradient products: the reference loops, and the
// entry points the layers call.
//
// The fast path runs in nn/kernels.cpp: cache-blocked, vectorised, parallel over
// blocks of the outputs so that each thread owns what it writes (rows of y and dx,
// blocks of dW and db). Each output element is a sum in a fixed order, the order of
// the loops below, so results are bit-identical for any number of threads.
#include "nn/linear.h"
#include "nn/kernels.h"

#include <cmath>

#include "tensor/parallel.h"
#include "tensor/rng.h"

void linear_declare(Linear& l, Params& p, const std::string& name, int in, int out) {
    l.in = in;
    l.out = out;
    l.W = p.declare(name + ".weight", {out, in});
    l.b = p.declare(name + ".bias", {out});
}

void linear_init(const Linear& l, Params& p, Rng& rng) {
    const double bound = 1.0 / std::sqrt((double)l.in);
    Real* W = p.v(l.W);
    Real* b = p.v(l.b);
    for (int i = 0; i < l.out * l.in; i++) W[i] = (Real)(bound * (2.0 * rng.uniform() - 1.0));
    for (int o = 0; o < l.out; o++) b[o] = (Real)(bound * (2.0 * rng.uniform() - 1.0));
}

void linear_init_zero(const Linear& l, Params& p) {
    Real* W = p.v(l.W);
    Real* b = p.v(l.b);
    for (int i = 0; i < l.out * l.in; i++) W[i] = 0;
    for (int o = 0; o < l.out; o++) b[o] = 0;
}

// ----------------------------------------------------------------------------
// The reference. Rows of the output are independent, so the outer loop may run in
// parallel (each thread writes its own rows) without changing a bit.

void linear_forward_naive(Real* y, const Real* x, const Real* W, const Real* b, int B, int in, int out) {
    // x is (B, in), W is (out, in), b is (out), y is (B, out)
    // y[i][o] = b[o] + Σ_k x[i][k] W[o][k]
    #pragma omp parallel for if ((long)B * in * out >= PAR_MIN_MACS)
    for (int i = 0; i < B; i++) {
        const Real* x_i = x + (size_t)i * in;
        Real* y_i = y + (size_t)i * out;
        for (int o = 0; o < out; o++) {
            const Real* w_o = W + (size_t)o * in;
            Real acc = b ? b[o] : Real(0);
            for (int k = 0; k < in; k++) acc += x_i[k] * w_o[k];
            y_i[o] = acc;
        }
    }
}

void linear_backward_dx_naive(Real* dx, const Real* dy, const Real* W, int B, int in, int out) {
    // in the forward pass this was: y[i][o] = b[o] + Σ_k x[i][k] W[o][k], so
    //   dx[i][k] = Σ_o dy[i][o] W[o][k]        dy is (B, out), W is (out, in), dx is (B, in)
    #pragma omp parallel for if ((long)B * in * out >= PAR_MIN_MACS)
    for (int i = 0; i < B; i++) {
        const Real* dy_i = dy + (size_t)i * out;
        Real* dx_i = dx + (size_t)i * in;
        for (int k = 0; k < in; k++) dx_i[k] = 0;
        for (int o = 0; o < out; o++) {
            const Real* w_o = W + (size_t)o * in;
            const Real d = dy_i[o];
            for (int k = 0; k < in; k++) dx_i[k] += d * w_o[k];
        }
    }
}

void linear_backward_dw_naive(Real* dW, Real* db, const Real* dy, const Real* x, int B, int in, int out) {
    // in the forward pass this was: y[i][o] = b[o] + Σ_k x[i][k] W[o][k], so
    //   dW[o][k] += Σ_i dy[i][o] x[i][k]       dy is (B, out), x is (B, in), dW is (out, in)
    //   db[o]    += Σ_i dy[i][o]               (the sum over i first, then added)
    #pragma omp parallel for if ((long)B * in * out >= PAR_MIN_MACS)
    for (int o = 0; o < out; o++) {
        Real* dw_o = dW + (size_t)o * in;
        Real sum = 0;
        for (int i = 0; i < B; i++) {
            const Real* x_i = x + (size_t)i * in;
            const Real d = dy[(size_t)i * out + o];
            sum += d;
            for (int k = 0; k < in; k++) dw_o[k] += d * x_i[k];
        }
        if (db) db[o] += sum;
    }
}

// ----------------------------------------------------------------------------
// What the layers call.

#ifdef SYMKL_NAIVE

void linear_forward(Real* y, const Real* x, const Real* W, const Real* b, int B, int in, int out) {
    linear_forward_naive(y, x, W, b, B, in, out);
}

void linear_backward_dx(Real* dx, const Real* dy, const Real* W, int B, int in, int out) {
    linear_backward_dx_naive(dx, dy, W, B, in, out);
}

void linear_backward_dw(Real* dW, Real* db, const Real* dy, const Real* x, int B, int in, int out) {
    linear_backward_dw_naive(dW, db, dy, x, B, in, out);
}

void linear_backward(Real* dx, Real* dW, Real* db, const Real* dy, const Real* x, const Real* W,
                     int B, int in, int out) {
    if (dW) linear_backward_dw_naive(dW, db, dy, x, B, in, out);
    if (dx) linear_backward_dx_naive(dx, dy, W, B, in, out);
}

void linear_act_forward(Real* y, Real* h, const Real* x, const Real* W, const Real* b, int B, int in,
                        int out, Act act) {
    linear_forward_naive(y, x, W, b, B, in, out);
    act_forward(h, y, (long)B * out, act);
}

void linear_act_backward(Real* dpre, Real* dW, Real* db, const Real* dy, const Real* pre, const Real* post,
                         const Real* W, int B, int in, int out, Act act) {
    // the layer's input was post = act(pre): dpre = (dy · W) ⊙ act'(pre)
    if (dW) linear_backward_dw_naive(dW, db, dy, post, B, in, out);
    linear_backward_dx_naive(dpre, dy, W, B, in, out);
    act_backward(dpre, dpre, pre, post, (long)B * in, act);
}

#else  // the blocked kernels

void linear_forward(Real* y, const Real* x, const Real* W, const Real* b, int B, int in, int out) {
    matmul_forward(y, nullptr, x, W, b, B, in, out, Act::relu);  // h null: the act is not applied
}

void linear_backward_dx(Real* dx, const Real* dy, const Real* W, int B, int in, int out) {
    matmul_backward(dx, nullptr, nullptr, dy, nullptr, W, B, in, out, nullptr, Act::relu);
}

void linear_backward_dw(Real* dW, Real* db, const Real* dy, const Real* x, int B, int in, int out) {
    matmul_backward(nullptr, dW, db, dy, x, nullptr, B, in, out, nullptr, Act::relu);
}

void linear_backward(Real* dx, Real* dW, Real* db, const Real* dy, const Real* x, const Real* W,
                     int B, int in, int out) {
    matmul_backward(dx, dW, db, dy, x, W, B, in, out, nullptr, Act::relu);
}

void linear_act_forward(Real* y, Real* h, const Real* x, const Real* W, const Real* b, int B, int in,
                        int out, Act act) {
    matmul_forward(y, h, x, W, b, B, in, out, act);
}

void linear_act_backward(Real* dpre, Real* dW, Real* db, const Real* dy, const Real* pre, const Real* post,
                         const Real* W, int B, int in, int out, Act act) {
    // as linear_backward with x = post, then through post = act(pre): dpre = dx ⊙ act'(pre)
    matmul_backward(dpre, dW, db, dy, post, W, B, in, out, pre, act);
}

#endif
