// prep.h — fixed maps applied to tabular data before a flow sees it: per-column
// standardisation (an affine bijector, part of the model) and dequantisation of
// integer columns (a data transformation, docs/data.md#real-tabular-data).
//
// Standardisation is the first, fixed bijector of the model:
//
//   u_j = (x_j − μ_j) / σ_j,       log p(x) = log p_u(u) − Σ_j log σ_j
//
// with μ_j, σ_j the mean and standard deviation (1/N, not 1/(N−1)) of column j over
// the training rows. The flow is trained on u; NLLs in the data's own units add
// Σ_j log σ_j, and samples are mapped back by x_j = μ_j + σ_j u_j.
//
// Dequantisation adds uniform noise to integer-valued columns, x_j + v with
// v ~ U[0, 1), so a continuous density can be fitted to data that take a few values
// (a density on a set of points can grow without bound). Its NLL is a density on the
// continuous space: E_v[−log p(k + v)] ≥ −log P(k), the discrete NLL.
#pragma once
#include <string>
#include <vector>

#include "tensor/rng.h"
#include "tensor/tensor.h"

// The per-column affine map u = (x − shift) / scale. Empty (no columns): the identity.
struct Standardizer {
    std::vector<double> shift, scale;  // (D) each; scale > 0
    bool empty() const { return shift.empty(); }
};

// Fits shift = column means, scale = column standard deviations over the rows of x, in
// double. `names` (one per column, or empty) name the columns in messages. Throws
// symkl::Error naming a constant column by number (from 1) and name, with the fix
// (drop the column, or turn standardisation off), since its scale would be 0.
Standardizer standardizer_fit(const Tensor& x, const std::vector<std::string>& names);

// In place, every row of x (B, D): x ← (x − shift) / scale, and its inverse
// x ← shift + scale · x. The identity when s is empty.
void standardize(Tensor& x, const Standardizer& s);
void unstandardize(Tensor& x, const Standardizer& s);
// One row of D values, the same maps.
void standardize_row(Real* x, const Standardizer& s);
void unstandardize_row(Real* x, const Standardizer& s);

// log|det ∂u/∂x|⁻¹ = Σ_j log scale_j (0 when empty): log p(x) = log p_u(u) − this.
double standardizer_log_det(const Standardizer& s);

// The columns of x whose every value is an integer, and of those the ones with at most
// max_levels distinct values ("discrete": a binary flag, grey levels). Column numbers
// from 0, in order.
struct IntegerColumns {
    std::vector<int> integer;   // every value an integer
    std::vector<int> discrete;  // ... and at most max_levels distinct values
    std::vector<int> levels;    // distinct values of each column of x
};
const int kDiscreteMaxLevels = 20;
IntegerColumns integer_columns(const Tensor& x, int max_levels = kDiscreteMaxLevels);

// Adds v ~ U[0, 1) (rng.uniform()) to the given columns of x, row by row, the columns
// in the order given: integer k becomes a point of [k, k + 1).
void dequantize(Tensor& x, const std::vector<int>& cols, Rng& rng);

// The stream of a run's dequantisation noise, of its own (the run's other draws do not
// change): its first child stream for the training rows, the second for the test rows,
// the third for the rows `symkl eval` is given.
Rng dequantize_rng(uint64_t seed);
