// mlp.cpp — forward and backward of a stack of Linear + activation layers.
#include "nn/mlp.h"

#include <utility>

#include "tensor/check.h"
#include "tensor/rng.h"

void mlp_declare(MLP& m, Params& p, const std::string& prefix, int in, int hidden, int out,
                 int depth, Act act) {
    m.in = in;
    m.hidden = hidden;
    m.out = out;
    m.depth = depth;
    m.act = act;
    m.layers.assign(depth + 1, Linear{});
    for (int l = 0; l <= depth; l++) {
        const int fan_in = l == 0 ? in : hidden;
        const int fan_out = l == depth ? out : hidden;
        linear_declare(m.layers[l], p, prefix + "." + std::to_string(2 * l), fan_in, fan_out);
    }
}

void mlp_init(const MLP& m, Params& p, Rng& rng, LastLayer last) {
    for (int l = 0; l <= m.depth; l++) {
        if (l == m.depth && last == LastLayer::zero) linear_init_zero(m.layers[l], p);
        else linear_init(m.layers[l], p, rng);
    }
}

void mlp_cache_init(MLPCache& c, const MLP& m, int cap) {
    c.cap = cap;
    c.pre.assign(m.act == Act::relu ? 0 : m.depth, Tensor(cap, m.hidden));
    c.post.assign(m.depth, Tensor(cap, m.hidden));
    c.dpost.resize(cap, m.hidden);
    c.dpre.resize(cap, m.hidden);
}

void mlp_forward(Real* y, const Real* x, const MLP& m, const Params& p, MLPCache& c, int B) {
    SYMKL_CHECK(B <= c.cap, "mlp_forward: batch larger than the cache");
    const Real* h = x;
    for (int l = 0; l < m.depth; l++) {
        // pre_l = h_{l-1} W_{l-1}ᵀ + b_{l-1} and h_l = act(pre_l) in one pass (ReLU: in place)
        const Linear& L = m.layers[l];
        Real* pre = m.act == Act::relu ? c.post[l].ptr() : c.pre[l].ptr();
        linear_act_forward(pre, c.post[l].ptr(), h, p.v(L.W), p.v(L.b), B, L.in, L.out, m.act);
        h = c.post[l].ptr();
    }
    const Linear& L = m.layers[m.depth];
    linear_forward(y, h, p.v(L.W), p.v(L.b), B, L.in, L.out);
}

void mlp_backward(Real* dx, const Real* dy, const Real* x, const MLP& m, Params& p, MLPCache& c, int B,
                  bool params) {
    SYMKL_CHECK(B <= c.cap, "mlp_backward: batch larger than the cache");
    // Layer l (from the top) reads h_l = act(pre_l): its backward returns the gradient
    // on pre_l directly (dx ⊙ act'(pre_l)). The gradients ping-pong between dpre and dpost.
    const Real* g = dy;
    Real* g_next = c.dpre.ptr();
    Real* g_spare = c.dpost.ptr();
    for (int l = m.depth; l >= 1; l--) {
        const Linear& L = m.layers[l];
        linear_act_backward(g_next, params ? p.g(L.W) : nullptr, params ? p.g(L.b) : nullptr, g,
                            mlp_act_in(m, c, l - 1), c.post[l - 1].ptr(),
                            p.v(L.W), B, L.in, L.out, m.act);
        g = g_next;
        std::swap(g_next, g_spare);
    }
    // first layer: pre_0 = x W_0ᵀ + b_0, and x is the MLP's input
    const Linear& L = m.layers[0];
    linear_backward(dx, params ? p.g(L.W) : nullptr, params ? p.g(L.b) : nullptr, g, x, p.v(L.W), B, L.in, L.out);
}
