// params.h — all parameters of a model in one flat buffer, gradients in a twin.
//
// As in llm.c, every layer's weights are views into `value` and its gradients
// views into `grad` at the same offsets. The optimiser, the gradient checks and
// the checkpoint code are then plain loops over one array. Each tensor has a
// name and shape that mirror the equivalent PyTorch module (a Linear's weight is
// (out, in)), so a checkpoint loads into PyTorch by name.
//
// Use: declare every tensor (offsets are returned), allocate() once, then
// take pointers with v(offset) / g(offset). The buffers never move afterwards.
//
// A gradient view (params_view) has no values of its own: v() reads those of the Params it
// was made from, g() writes its own gradient buffer. Threads that take slices of one batch
// through a model each run the backward into a view of it; the views' gradients are then
// summed into the model's in a fixed order (objectives/jeffreys.h, StepSlices).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "tensor/real.h"

struct ParamInfo {
    std::string name;
    std::vector<int> shape;
    size_t offset = 0, count = 0;
};

struct Params {
    std::vector<Real> value, grad;
    std::vector<ParamInfo> info;
    size_t total = 0;
    const Params* shared = nullptr;  // a view: whose values v() reads (null: its own)

    size_t declare(const std::string& name, const std::vector<int>& shape) {
        size_t count = 1;
        for (int s : shape) count *= (size_t)s;
        info.push_back({name, shape, total, count});
        total += count;
        return total - count;
    }
    void allocate() {
        value.assign(total, Real(0));
        grad.assign(total, Real(0));
    }
    size_t size() const { return total; }
    // (a view's values are the shared model's; writing through a view's v() writes those)
    Real* v(size_t offset) { return (shared ? const_cast<Real*>(shared->value.data()) : value.data()) + offset; }
    const Real* v(size_t offset) const { return (shared ? shared->value.data() : value.data()) + offset; }
    Real* g(size_t offset) { return grad.data() + offset; }
    void zero_grad() { grad.assign(grad.size(), Real(0)); }
};

// A gradient view of p: p's layout and values, gradients of its own (zero). p must stay where
// it is while the view is used.
inline Params params_view(const Params& p) {
    Params g;
    g.total = p.total;
    g.shared = &p;
    g.grad.assign(p.total, Real(0));
    return g;
}
