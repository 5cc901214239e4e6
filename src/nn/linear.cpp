// linear.cpp — y = x Wᵀ + b and its three gradient products.
//
// The products run in nn/kernels.cpp: cache-blocked, vectorised, parallel over
// blocks of the outputs so that each thread owns what it writes (rows of y and dx,
// blocks of dW and db). Each output element is a sum in a fixed order, so results
// are bit-identical for any number of threads.
#include "nn/linear.h"
#include "nn/kernels.h"

#include <cmath>

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

void linear_forward(Real* y, const Real* x, const Real* W, const Real* b, int B, int in, int out) {
    // y[i][o] = b[o] + Σ_k x[i][k] W[o][k]
    matmul_forward(y, nullptr, x, W, b, B, in, out, Act::relu);
}

void linear_act_forward(Real* y, Real* h, const Real* x, const Real* W, const Real* b, int B, int in,
                        int out, Act act) {
    matmul_forward(y, h, x, W, b, B, in, out, act);
}

void linear_backward(Real* dx, Real* dW, Real* db, const Real* dy, const Real* x, const Real* W,
                     int B, int in, int out) {
    // in the forward pass this was: y[i][o] = b[o] + Σ_k x[i][k] W[o][k], so now we have:
    //   dx[i][k] = Σ_o dy[i][o] W[o][k]                       (threads own rows i of dx)
    //   dW[o][k] += Σ_i dy[i][o] x[i][k],  db[o] += Σ_i dy[i][o]  (threads own blocks of dW)
    matmul_backward(dx, dW, db, dy, x, W, B, in, out, nullptr, Act::relu);
}

void linear_act_backward(Real* dpre, Real* dW, Real* db, const Real* dy, const Real* pre, const Real* post,
                         const Real* W, int B, int in, int out, Act act) {
    // as linear_backward with x = post, then through post = act(pre): dpre = dx ⊙ act'(pre)
    matmul_backward(dpre, dW, db, dy, post, W, B, in, out, pre, act);
}
