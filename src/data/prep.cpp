// prep.cpp — standardisation and dequantisation of tabular data (see prep.h).
#include "data/prep.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tensor/error.h"

static std::string column_label(int j, const std::vector<std::string>& names) {
    std::string s = "column " + std::to_string(j + 1);
    if ((size_t)j < names.size() && !names[(size_t)j].empty()) s += " ('" + names[(size_t)j] + "')";
    return s;
}

static std::string number_text(double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
}

Standardizer standardizer_fit(const Tensor& x, const std::vector<std::string>& names) {
    const int N = x.rows, D = x.cols;
    if (N < 1) throw symkl::Error("standardisation needs at least one training row");
    Standardizer s;
    s.shift.assign((size_t)D, 0.0);
    s.scale.assign((size_t)D, 0.0);
    for (int j = 0; j < D; j++) {
        // a column whose values are all equal: tested exactly, not through a variance
        // that rounding can leave a little above 0
        bool constant = true;
        double sum = 0;
        for (int i = 0; i < N; i++) {
            const double v = (double)x.at(i, j);
            constant = constant && v == (double)x.at(0, j);
            sum += v;
        }
        if (constant)
            throw symkl::Error(column_label(j, names) + " is constant (" + number_text((double)x.at(0, j)) +
                               " in every training row), so standardising it would divide by a standard deviation "
                               "of 0: drop the column, or pass --standardize off");
        const double mean = sum / N;
        double ss = 0;
        for (int i = 0; i < N; i++) {
            const double d = (double)x.at(i, j) - mean;
            ss += d * d;
        }
        s.shift[(size_t)j] = mean;
        s.scale[(size_t)j] = std::sqrt(ss / N);
    }
    return s;
}

void standardize_row(Real* x, const Standardizer& s) {
    for (size_t j = 0; j < s.shift.size(); j++) x[j] = (Real)(((double)x[j] - s.shift[j]) / s.scale[j]);
}

void unstandardize_row(Real* x, const Standardizer& s) {
    for (size_t j = 0; j < s.shift.size(); j++) x[j] = (Real)(s.shift[j] + s.scale[j] * (double)x[j]);
}

void standardize(Tensor& x, const Standardizer& s) {
    if (s.empty()) return;
    for (int i = 0; i < x.rows; i++) standardize_row(x.row(i), s);
}

void unstandardize(Tensor& x, const Standardizer& s) {
    if (s.empty()) return;
    for (int i = 0; i < x.rows; i++) unstandardize_row(x.row(i), s);
}

double standardizer_log_det(const Standardizer& s) {
    double ld = 0;
    for (double v : s.scale) ld += std::log(v);
    return ld;
}

IntegerColumns integer_columns(const Tensor& x, int max_levels) {
    IntegerColumns c;
    std::vector<double> col((size_t)x.rows);
    for (int j = 0; j < x.cols; j++) {
        bool integer = true;
        for (int i = 0; i < x.rows; i++) {
            col[(size_t)i] = (double)x.at(i, j);
            integer = integer && col[(size_t)i] == std::floor(col[(size_t)i]);
        }
        std::sort(col.begin(), col.end());
        const int levels = (int)(std::unique(col.begin(), col.end()) - col.begin());
        c.levels.push_back(levels);
        if (!integer) continue;
        c.integer.push_back(j);
        if (levels <= max_levels) c.discrete.push_back(j);
    }
    return c;
}

void dequantize(Tensor& x, const std::vector<int>& cols, Rng& rng) {
    for (int i = 0; i < x.rows; i++)
        for (int j : cols) x.at(i, j) = (Real)((double)x.at(i, j) + rng.uniform());
}

Rng dequantize_rng(uint64_t seed) { return Rng(seed ^ 0xde9a7712e5e0ULL); }
