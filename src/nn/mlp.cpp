// mlp.cpp — forward and backward of a stack of Linear + activation layers.
#include "nn/mlp.h"

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
    c.pre.assign(m.depth, Tensor(cap, m.hidden));
    c.post.assign(m.depth, Tensor(cap, m.hidden));
    c.dpost.resize(cap, m.hidden);
    c.dpre.resize(cap, m.hidden);
}

void mlp_forward(Real* y, const Real* x, const MLP& m, const Params& p, MLPCache& c, int B) {
    const Real* h = x;
    for (int l = 0; l < m.depth; l++) {
        const Linear& L = m.layers[l];
        linear_forward(c.pre[l].ptr(), h, p.v(L.W), p.v(L.b), B, L.in, L.out);
        act_forward(c.post[l].ptr(), c.pre[l].ptr(), (long)B * m.hidden, m.act);
        h = c.post[l].ptr();
    }
    const Linear& L = m.layers[m.depth];
    linear_forward(y, h, p.v(L.W), p.v(L.b), B, L.in, L.out);
}

void mlp_backward(Real* dx, const Real* dy, const Real* x, const MLP& m, Params& p, MLPCache& c, int B) {
    // output layer: y = h_L W_Lᵀ + b_L
    const Linear& Lo = m.layers[m.depth];
    const Real* h_last = m.depth > 0 ? c.post[m.depth - 1].ptr() : x;
    linear_backward(c.dpost.ptr(), p.g(Lo.W), p.g(Lo.b), dy, h_last, p.v(Lo.W), B, Lo.in, Lo.out);
    // hidden layers, last to first: h_l = act(pre_l), pre_l = h_{l-1} W_{l-1}ᵀ + b_{l-1}
    for (int l = m.depth - 1; l >= 0; l--) {
        act_backward(c.dpre.ptr(), c.dpost.ptr(), c.pre[l].ptr(), c.post[l].ptr(),
                     (long)B * m.hidden, m.act);
        const Linear& L = m.layers[l];
        const Real* h_in = l > 0 ? c.post[l - 1].ptr() : x;
        Real* dh_in = l > 0 ? c.dpost.ptr() : dx;  // dpost is free again: dpre holds the gradient
        linear_backward(dh_in, p.g(L.W), p.g(L.b), c.dpre.ptr(), h_in, p.v(L.W), B, L.in, L.out);
    }
}
