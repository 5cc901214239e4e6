// grid.h — choosing one hyperparameter of a baseline from a grid by held-out NLL.
//
// With validation rows each grid value is fitted on the training rows and scored on the
// validation rows. Without them (0 rows) the score is K-fold cross-validation on the
// training rows: row i is in fold i mod K (K = 5, or fewer when there are fewer rows), each
// fold is scored by the model fitted on the other folds, and the score is the mean NLL over
// every row. The chosen value is the first with the lowest score; a value that cannot be
// fitted (a covariance that is not positive definite) scores +inf.
#pragma once
#include <string>
#include <vector>

#include "tensor/tensor.h"

struct GridPoint {
    double value = 0;     // the hyperparameter (α, h)
    double train_nll = 0; // of the model fitted on the training rows, on those rows
    double val_nll = 0;   // on the validation rows, or the K-fold CV NLL
};

struct GridChoice {
    std::vector<GridPoint> points;  // in grid order
    size_t best = 0;                // index of the chosen point
    bool cross_validated = false;   // no validation rows: val_nll is the K-fold CV NLL
    int folds = 0;                  // K when cross-validated
};

extern const int kGridFolds;  // 5

// Rows i with i mod k != fold (keep = true) or == fold (keep = false).
Tensor fold_rows(const Tensor& x, int k, int fold, bool keep);

// The index of the first lowest score; throws symkl::Error("<what>: no value of the grid
// gives a finite validation NLL ...") when none is finite.
size_t grid_best(const std::vector<GridPoint>& points, const std::string& what);

// −(1/n) Σ_i log p(x_i) over the rows of x, for a baseline's log_prob(out, x) that writes one
// log-density per row (summed in row order).
template <class LogProb>
double baseline_mean_nll(const Tensor& x, LogProb log_prob) {
    std::vector<double> lp((size_t)x.rows);
    log_prob(lp.data(), x);
    double s = 0;
    for (double v : lp) s += v;
    return -s / x.rows;
}
