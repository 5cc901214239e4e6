// grid.cpp — folds and the choice of a grid point.
#include "baseline/grid.h"

#include <cmath>
#include <cstring>

#include "tensor/error.h"

const int kGridFolds = 5;

Tensor fold_rows(const Tensor& x, int k, int fold, bool keep) {
    int n = 0;
    for (int i = 0; i < x.rows; i++) n += ((i % k) != fold) == keep;
    Tensor out(n, x.cols);
    for (int i = 0, r = 0; i < x.rows; i++)
        if (((i % k) != fold) == keep) std::memcpy(out.row(r++), x.row(i), sizeof(Real) * (size_t)x.cols);
    return out;
}

size_t grid_best(const std::vector<GridPoint>& points, const std::string& what) {
    size_t best = points.size();
    for (size_t i = 0; i < points.size(); i++)
        if (std::isfinite(points[i].val_nll) && (best == points.size() || points[i].val_nll < points[best].val_nll))
            best = i;
    if (best == points.size())
        throw symkl::Error(what + ": no value of the grid gives a finite validation NLL (too few rows for the "
                                  "dimension, or a validation row far outside the training rows)");
    return best;
}
