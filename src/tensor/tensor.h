// tensor.h — a row-major 2-D array of Real: the only container symkl's maths needs.
//
// A batch of B points in D dimensions is a Tensor of shape (B, D); element (i, j)
// lives at data[i * cols + j]. Tensors are allocated once (workspaces, data sets)
// and then only read and written through raw pointers in the hot loops.
#pragma once
#include <cstddef>
#include <vector>

#include "tensor/real.h"

struct Tensor {
    int rows = 0, cols = 0;
    std::vector<Real> data;

    Tensor() = default;
    Tensor(int rows_, int cols_) : rows(rows_), cols(cols_), data((size_t)rows_ * cols_, Real(0)) {}

    void resize(int rows_, int cols_) {
        rows = rows_;
        cols = cols_;
        data.assign((size_t)rows_ * cols_, Real(0));
    }
    size_t size() const { return data.size(); }
    Real* ptr() { return data.data(); }
    const Real* ptr() const { return data.data(); }
    Real* row(int i) { return data.data() + (size_t)i * cols; }
    const Real* row(int i) const { return data.data() + (size_t)i * cols; }
    Real& at(int i, int j) { return data[(size_t)i * cols + j]; }
    Real at(int i, int j) const { return data[(size_t)i * cols + j]; }
    void zero() { data.assign(data.size(), Real(0)); }
};
