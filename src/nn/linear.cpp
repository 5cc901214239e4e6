// linear.cpp — y = x Wᵀ + b and its three gradient products.
//
// Parallelism: every loop is split so that each thread owns what it writes —
// rows of y and dx (over the batch), rows of dW and db (over output features).
// Each output element is a sum in a fixed order, so results are bit-identical
// for any number of threads.
#include "nn/linear.h"
#include "tensor/parallel.h"

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
    #pragma omp parallel for if ((long)B * in * out >= PAR_MIN_MACS)
    for (int i = 0; i < B; i++) {
        const Real* xi = x + (size_t)i * in;
        Real* yi = y + (size_t)i * out;
        for (int o = 0; o < out; o++) {
            const Real* wo = W + (size_t)o * in;
            Real acc = b[o];
            for (int k = 0; k < in; k++) acc += xi[k] * wo[k];
            yi[o] = acc;
        }
    }
}

void linear_backward(Real* dx, Real* dW, Real* db, const Real* dy, const Real* x, const Real* W,
                     int B, int in, int out) {
    // in the forward pass this was: y[i][o] = b[o] + Σ_k x[i][k] W[o][k], so now we have:
    // dx[i][k] = Σ_o dy[i][o] W[o][k]  (each thread owns rows i of dx)
    if (dx) {
        #pragma omp parallel for if ((long)B * in * out >= PAR_MIN_MACS)
        for (int i = 0; i < B; i++) {
            const Real* dyi = dy + (size_t)i * out;
            Real* dxi = dx + (size_t)i * in;
            for (int k = 0; k < in; k++) dxi[k] = 0;
            for (int o = 0; o < out; o++) {
                const Real d = dyi[o];
                const Real* wo = W + (size_t)o * in;
                for (int k = 0; k < in; k++) dxi[k] += d * wo[k];
            }
        }
    }
    // dW[o][k] += Σ_i dy[i][o] x[i][k],  db[o] += Σ_i dy[i][o]  (each thread owns rows o of dW)
    #pragma omp parallel for if ((long)B * in * out >= PAR_MIN_MACS)
    for (int o = 0; o < out; o++) {
        Real* dwo = dW + (size_t)o * in;
        Real dbo = 0;
        for (int i = 0; i < B; i++) {
            const Real d = dy[(size_t)i * out + o];
            const Real* xi = x + (size_t)i * in;
            dbo += d;
            for (int k = 0; k < in; k++) dwo[k] += d * xi[k];
        }
        db[o] += dbo;
    }
}
