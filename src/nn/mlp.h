// mlp.h — a multilayer perceptron: depth hidden layers of width H, then a linear output.
//
//   h_1 = act(x W_0ᵀ + b_0),  h_l = act(h_{l-1} W_{l-1}ᵀ + b_{l-1}),  y = h_L W_Lᵀ + b_L
//
// Shapes: x (B, in), every h_l (B, H), y (B, out). Parameter names mirror a PyTorch
// nn.Sequential(Linear, Act, Linear, Act, ..., Linear): the Linear layers sit at
// even indices, "<prefix>.0", "<prefix>.2", ... "<prefix>.{2L}".
#pragma once
#include <string>
#include <vector>

#include "nn/activation.h"
#include "nn/linear.h"
#include "tensor/tensor.h"

struct MLP {
    int in = 0, hidden = 0, out = 0, depth = 0;  // depth = number of hidden layers L ≥ 1
    Act act = Act::relu;
    std::vector<Linear> layers;                  // L + 1 Linear layers
};

// What backward needs, allocated once for batches of up to `cap` rows.
struct MLPCache {
    int cap = 0;
    std::vector<Tensor> pre;   // pre-activations, L of (cap, H); none for ReLU (mlp_act_in)
    std::vector<Tensor> post;  // activations h_l, L of (cap, H)
    Tensor dpost, dpre;        // scratch gradients (cap, H); backward alternates between them
};

// What act′ of hidden layer l reads as its input: pre[l], or for ReLU post[l], as
// [h > 0] = [pre > 0] for every pre (NaN and −0 included: their h is +0). A ReLU network
// so keeps one array per hidden layer, not two: its forward computes pre in post's place
// and applies max(·, 0) there (the blocked kernels as they store each tile), which saves
// writing and reading back B·H values per layer (at B 4096, H 512 that is 8 MB in float).
inline const Real* mlp_act_in(const MLP& m, const MLPCache& c, int l) {
    return (m.act == Act::relu ? c.post[l] : c.pre[l]).ptr();
}

void mlp_declare(MLP& m, Params& p, const std::string& prefix, int in, int hidden, int out,
                 int depth, Act act);
enum class LastLayer { random, zero };
void mlp_init(const MLP& m, Params& p, Rng& rng, LastLayer last);
void mlp_cache_init(MLPCache& c, const MLP& m, int cap);

// y (B, out) = MLP(x (B, in)); fills the cache. B ≤ cache.cap.
void mlp_forward(Real* y, const Real* x, const MLP& m, const Params& p, MLPCache& c, int B);

// Given dy (B, out) and the same x as the forward: parameter gradients are
// accumulated into p.grad, dx (B, in) is written (skipped when null). B ≤ cache.cap
// (checked in SYMKL_CHECKS builds, as in every pass that uses a cache: tensor/check.h).
// params = false: dx alone, p.grad untouched (the weight products are skipped).
void mlp_backward(Real* dx, const Real* dy, const Real* x, const MLP& m, Params& p, MLPCache& c, int B,
                  bool params = true);
