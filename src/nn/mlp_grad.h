// mlp_grad.h — the input gradient of a scalar MLP, g = ∇ₓ D(x), and the backward of
// that gradient ("double backprop"): the weight and input gradients of a loss that
// depends on g. WGAN-GP's gradient penalty needs both (src/objectives/wgan.h).
//
// For the MLP of mlp.h with out = 1, as cached by mlp_forward (l = 0 … L−1):
//
//   forward   pre[l]  = in_l W_lᵀ + b_l,     in_0 = x,  in_l = post[l−1]
//             post[l] = act(pre[l])
//             D       = post[L−1] W_Lᵀ + b_L
//
//   g-pass    gpost[L−1] = 1 · W_L                       backprop with dD = 1
//             gpre[l]    = gpost[l] ⊙ act′(pre[l])
//             gpost[l−1] = gpre[l] W_l,   g = gpre[0] W_0
//
// The g-pass is itself a computation with inputs W and pre[l]. Its backward, given
// dg = ∂loss/∂g, runs the other way (l = 0 up to L), accumulating into every W_l and
// sending, through act″, a gradient into each pre[l]; an ordinary backward of the
// forward pass then carries those down to W_l, b_l and x. docs/wgan.md derives
// every line. The products are nn/linear.h's (linear_forward without a bias,
// linear_backward_dx, linear_backward_dw: each pass calls only the product it needs),
// so faster Linear kernels speed this file up too.
#pragma once
#include <vector>

#include "nn/mlp.h"

// What the backward of the g-pass needs, allocated once for batches of up to cap rows.
struct MLPGradCache {
    int cap = 0;
    // written by mlp_input_grad, read by mlp_input_grad_backward
    std::vector<Tensor> gpre;    // L of (cap, H): ∂D/∂pre[l], row by row
    std::vector<Tensor> gpost;   // L of (cap, H): ∂D/∂post[l]; gpost[L−1] is W_L in every row
    // scratch of mlp_input_grad_backward
    std::vector<Tensor> dpre_g;  // L of (cap, H): ∂loss/∂pre[l] through the g-pass (the act″ term)
    Tensor dgpre, dgpost;        // (cap, H): ∂loss/∂gpre[l], ∂loss/∂gpost[l] of the current layer
    Tensor dpre, dpost;          // (cap, H): ∂loss/∂pre[l], ∂loss/∂post[l] in the forward pass
};

// Sizes the cache for m, which must have one output (throws symkl::Error otherwise).
void mlp_grad_cache_init(MLPGradCache& gc, const MLP& m, int cap);

// g (B, in) = ∇ₓ D(x) for each row of x (B, in), where c holds mlp_forward's pass on
// this x. Reads the parameters only (p.grad is untouched); fills gc for the backward.
// B ≤ c.cap and B ≤ gc.cap.
void mlp_input_grad(Real* g, const Real* x, const MLP& m, const Params& p, const MLPCache& c,
                    MLPGradCache& gc, int B);

// Given dg (B, in) = ∂loss/∂g: accumulates ∂/∂w Σ dg ⊙ g into p.grad and writes
// dx (B, in) = ∂/∂x Σ dg ⊙ g when dx is not null. c and gc must hold mlp_forward's and
// mlp_input_grad's passes on the same x; neither is changed except gc's scratch.
void mlp_input_grad_backward(Real* dx, const Real* dg, const Real* x, const MLP& m, Params& p,
                             const MLPCache& c, MLPGradCache& gc, int B);

// The activation's second derivative, as the g-pass's backward needs it. act_backward
// computed out = dy ⊙ act′(x); given dout = ∂loss/∂out, the part of ∂loss/∂x is
//
//   dx[i] = dout[i] · dy[i] · act″(x[i])              (written)
//
//   relu″ = 0 (almost everywhere)   tanh″ = −2y(1 − y²)   silu″ = σ(1 − σ)(2 + x(1 − 2σ))
//
// with x the saved input and y the saved output. (The part of ∂loss/∂dy is
// act_backward(dout).) Kept beside its only user so that activation.* is unchanged.
void act_second_backward(Real* dx, const Real* dout, const Real* dy, const Real* x, const Real* y,
                         long n, Act a);
