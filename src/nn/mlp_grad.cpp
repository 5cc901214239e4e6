// mlp_grad.cpp — g = ∇ₓ D(x) for a scalar MLP, and the backward of that computation.
//
// Notation as in mlp_grad.h: pre[l], post[l] from mlp_forward; gpre[l], gpost[l] the
// g-pass (∂D/∂pre[l], ∂D/∂post[l]); a `d` prefix is ∂loss/∂ of the quantity, where the
// loss depends on g (for WGAN-GP, the gradient penalty). docs/wgan.md §3 derives it.
#include "nn/mlp_grad.h"

#include <cmath>
#include <cstring>

#include "tensor/check.h"
#include "tensor/error.h"
#include "tensor/parallel.h"
#include "tensor/vmath.h"

void mlp_grad_cache_init(MLPGradCache& gc, const MLP& m, int cap) {
    if (m.out != 1) throw symkl::Error("mlp_grad: the input gradient needs a scalar MLP (out = 1), not out = " +
                                       std::to_string(m.out));
    const int H = m.hidden, L = m.depth;
    gc.cap = cap;
    gc.gpre.assign(L, Tensor(cap, H));
    gc.gpost.assign(L, Tensor(cap, H));
    gc.dpre_g.assign(L, Tensor(cap, H));
    gc.dgpre.resize(cap, H);
    gc.dgpost.resize(cap, H);
    gc.dpre.resize(cap, H);
    gc.dpost.resize(cap, H);
}

void mlp_input_grad(Real* g, const Real* x, const MLP& m, const Params& p, const MLPCache& c,
                    MLPGradCache& gc, int B) {
    SYMKL_CHECK(B <= c.cap && B <= gc.cap, "mlp_input_grad: batch larger than the cache");
    (void)x;  // the g-pass reads W and the cached pre[l], post[l] of this x, not x itself
    const int L = m.depth, H = m.hidden;
    // in the forward pass this was: D = post[L−1] W_Lᵀ + b_L, so with dD = 1:
    //   gpost[L−1] = 1 · W_L          (the same row W_L, (1, H), for every sample)
    const Real* W_L = p.v(m.layers[L].W);
    for (int i = 0; i < B; i++) std::memcpy(gc.gpost[L - 1].row(i), W_L, sizeof(Real) * H);
    for (int l = L - 1; l >= 0; l--) {
        // post[l] = act(pre[l])  →  gpre[l] = gpost[l] ⊙ act′(pre[l])
        act_backward(gc.gpre[l].ptr(), gc.gpost[l].ptr(), mlp_act_in(m, c, l), c.post[l].ptr(),
                     (long)B * m.hidden, m.act);
        // pre[l] = in_l W_lᵀ + b_l  →  gpost[l−1] = gpre[l] W_l   (g itself when l = 0)
        const Linear& Ll = m.layers[l];
        Real* g_in = l > 0 ? gc.gpost[l - 1].ptr() : g;
        linear_backward_dx(g_in, gc.gpre[l].ptr(), p.v(Ll.W), B, Ll.in, Ll.out);
    }
}

void mlp_input_grad_backward(Real* dx, const Real* dg, const Real* x, const MLP& m, Params& p,
                             const MLPCache& c, MLPGradCache& gc, int B) {
    SYMKL_CHECK(B <= c.cap && B <= gc.cap, "mlp_input_grad_backward: batch larger than the cache");
    const int L = m.depth, H = m.hidden;
    const long n = (long)B * H;

    // 1. Backward of the g-pass. It ran from the top down to g, so its backward runs from g
    //    up. dgpost holds ∂loss/∂gpost[l−1], starting with ∂loss/∂g = dg (gpost[−1] = g).
    const Real* dgpost_below = dg;
    for (int l = 0; l < L; l++) {
        const Linear& Ll = m.layers[l];
        // in the g-pass this was: gpost[l−1] = gpre[l] W_l, i.e. Σ_o gpre[l][o] W_l[o][k], so
        //   dW_l     += gpre[l]ᵀ · dgpost[l−1]             (the bias is not used: no db)
        //   dgpre[l]  = dgpost[l−1] · W_lᵀ                  (a forward product, no bias)
        linear_backward_dw(p.g(Ll.W), nullptr, gc.gpre[l].ptr(), dgpost_below, B, Ll.in, Ll.out);
        linear_forward(gc.dgpre.ptr(), dgpost_below, p.v(Ll.W), nullptr, B, Ll.in, Ll.out);
        // in the g-pass this was: gpre[l] = gpost[l] ⊙ act′(pre[l]), so
        //   dpre_g[l] = dgpre[l] ⊙ gpost[l] ⊙ act″(pre[l])  (the g-pass depends on pre[l])
        //   dgpost[l] = dgpre[l] ⊙ act′(pre[l])
        act_second_backward(gc.dpre_g[l].ptr(), gc.dgpre.ptr(), gc.gpost[l].ptr(), mlp_act_in(m, c, l),
                            c.post[l].ptr(), n, m.act);
        act_backward(gc.dgpost.ptr(), gc.dgpre.ptr(), mlp_act_in(m, c, l), c.post[l].ptr(), n, m.act);
        dgpost_below = gc.dgpost.ptr();
    }
    // in the g-pass this was: gpost[L−1] = 1 · W_L, so dW_L += 1ᵀ · dgpost[L−1], the column
    // sums of dgpost, added row by row (the order of linear_backward_dw with dy = 1);
    // b_L does not appear in the g-pass and gets nothing
    Real* dW_L = p.g(m.layers[L].W);
    for (int i = 0; i < B; i++) {
        const Real* dgp = gc.dgpost.row(i);
        for (int k = 0; k < H; k++) dW_L[k] += dgp[k];
    }

    // relu″ = 0: the g-pass does not depend on pre[l] (away from the kinks), nothing reaches
    // the forward pass, and the loss does not depend on x or on any bias.
    if (m.act == Act::relu) {
        if (dx) std::memset(dx, 0, sizeof(Real) * (size_t)B * m.in);
        return;
    }

    // 2. Backward of the forward pass, with dpre_g[l] entering at every pre[l]. post[L−1]
    //    reaches the loss only through D, which the loss does not contain: dpost[L−1] = 0.
    for (int l = L - 1; l >= 0; l--) {
        // post[l] = act(pre[l])  →  dpre[l] = dpost[l] ⊙ act′(pre[l]) + dpre_g[l]
        const Real* dpre_g = gc.dpre_g[l].ptr();
        const Real* dpre = dpre_g;  // at the top dpost[L−1] = 0
        if (l < L - 1) {
            Real* sum = gc.dpre.ptr();
            act_backward(sum, gc.dpost.ptr(), mlp_act_in(m, c, l), c.post[l].ptr(), n, m.act);
            #pragma omp parallel for if (n >= PAR_MIN_ELEMS)
            for (long i = 0; i < n; i++) sum[i] += dpre_g[i];
            dpre = sum;
        }
        // pre[l] = in_l W_lᵀ + b_l  →  dW_l += dpre[l]ᵀ in_l,  db_l += Σ dpre[l],  d in_l = dpre[l] W_l
        const Linear& Ll = m.layers[l];
        const Real* in = l > 0 ? c.post[l - 1].ptr() : x;
        Real* d_in = l > 0 ? gc.dpost.ptr() : dx;  // dpost is free again: dpre holds the gradient
        linear_backward(d_in, p.g(Ll.W), p.g(Ll.b), dpre, in, p.v(Ll.W), B, Ll.in, Ll.out);
    }
}

static inline Real sigmoid(Real x) { return vsigmoid(x); }

void act_second_backward(Real* dx, const Real* dout, const Real* dy, const Real* x, const Real* y,
                         long n, Act a) {
    switch (a) {
        case Act::relu:
            // act_backward was: out = dy · [x > 0], constant in x away from 0  →  dx = 0
            #pragma omp parallel for if (n >= PAR_MIN_ELEMS)
            for (long i = 0; i < n; i++) dx[i] = 0;
            break;
        case Act::tanh:
            // act_backward was: out = dy · (1 − y²), y = tanh(x); d(1 − y²)/dx = −2y (1 − y²)
            #pragma omp parallel for if (n >= PAR_MIN_ELEMS)
            for (long i = 0; i < n; i++) dx[i] = dout[i] * dy[i] * (Real(-2) * y[i] * (Real(1) - y[i] * y[i]));
            break;
        case Act::silu:
            // act_backward was: out = dy · (σ + xσ(1 − σ)); with σ′ = σ(1 − σ) its derivative is
            // σ(1 − σ) + σ(1 − σ) + xσ(1 − σ)(1 − 2σ) = σ(1 − σ)(2 + x(1 − 2σ))
            #pragma omp parallel for if (n * 8 >= PAR_MIN_ELEMS)
            for (long i = 0; i < n; i++) {
                const Real s = sigmoid(x[i]);
                dx[i] = dout[i] * dy[i] * (s * (Real(1) - s) * (Real(2) + x[i] * (Real(1) - Real(2) * s)));
            }
            break;
    }
}
