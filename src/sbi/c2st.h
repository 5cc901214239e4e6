// c2st.h — the classifier two-sample test as sbibm computes it (Lopez-Paz & Oquab 2017;
// sbibm.metrics.c2st): how well can a classifier tell two samples apart?
//
//   1. z-score both samples by the first (reference) sample's mean and standard deviation
//      per coordinate;
//   2. label the reference 0 and the other sample 1;
//   3. 5-fold cross-validation (shuffled folds, as scikit-learn's KFold) of an MLP
//      classifier, two hidden layers of 10·D ReLU units, a logistic output, trained by
//      Adam (lr 10⁻³, batches of min(200, n)) on the cross-entropy plus scikit-learn's L2
//      term α/2·‖W‖²/batch (α = 10⁻⁴), stopping as scikit-learn's MLPClassifier does: when
//      the epoch's training loss has not fallen by tol = 10⁻⁴ for 10 epochs in a row, or
//      after max_epochs;
//   4. the mean held-out accuracy over the folds.
//
// 0.5: the classifier cannot tell the samples apart (the ideal for a posterior estimate);
// 1.0: it separates them perfectly. Built from symkl's MLP (nn/mlp.h) and Adam (nn/adam.h);
// the weights start as PyTorch's defaults (scikit-learn's Glorot start differs: the
// numbers agree with sbibm's in distribution, not digit for digit). Deterministic for a
// seed, whatever the thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

struct C2stOptions {
    int folds = 5;
    int hidden_factor = 10;   // hidden width = hidden_factor · D
    int max_epochs = 10000;   // scikit-learn's max_iter
    int patience = 10;        // scikit-learn's n_iter_no_change
    double tol = 1e-4;        // scikit-learn's tol
    int batch = 200;          // scikit-learn's batch_size = min(200, n)
    double lr = 1e-3;
    double alpha = 1e-4;      // L2 penalty on the weights (not the biases)
    bool z_score = true;
    uint64_t seed = 1;
};

struct C2stResult {
    double accuracy = 0;                // mean over the folds
    std::vector<double> fold_accuracy;  // one per fold
    std::vector<int> epochs;            // epochs trained in each fold
};

// Both samples (rows are points) must have the same number of columns and at least
// `folds` rows together; throws symkl::Error otherwise.
C2stResult c2st(const Tensor& reference, const Tensor& other, const C2stOptions& opt = C2stOptions{});
