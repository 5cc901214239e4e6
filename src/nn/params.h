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
    Real* v(size_t offset) { return value.data() + offset; }
    const Real* v(size_t offset) const { return value.data() + offset; }
    Real* g(size_t offset) { return grad.data() + offset; }
    void zero_grad() { grad.assign(grad.size(), Real(0)); }
};
