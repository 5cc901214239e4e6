// c2st.cpp — classifier two-sample test: z-scoring, folds, and the classifier's training.
#include "sbi/c2st.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "nn/adam.h"
#include "nn/mlp.h"
#include "tensor/error.h"
#include "tensor/rng.h"

// One fold: train on the rows `train`, return the accuracy on the rows `test`.
static double fold_accuracy(const Tensor& X, const std::vector<Real>& y, const std::vector<int>& train,
                            const std::vector<int>& test, const C2stOptions& opt, Rng& rng, int* epochs_out) {
    const int D = X.cols, H = opt.hidden_factor * D, n = (int)train.size();
    const int B = std::min(opt.batch, n);
    Params p;
    MLP net;
    mlp_declare(net, p, "net", D, H, 1, 2, Act::relu);
    p.allocate();
    mlp_init(net, p, rng, LastLayer::random);
    MLPCache cache;
    mlp_cache_init(cache, net, std::max(B, (int)test.size()));
    Adam adam;
    AdamConfig acfg;
    acfg.lr = opt.lr;
    adam_init(adam, acfg, p.size());
    Tensor xb(std::max(B, (int)test.size()), D), logit(std::max(B, (int)test.size()), 1), dlogit(B, 1);
    std::vector<int> order = train;
    double best = std::numeric_limits<double>::infinity();
    int stale = 0, epoch = 0;
    for (epoch = 1; epoch <= opt.max_epochs; epoch++) {
        for (int i = n - 1; i > 0; i--) std::swap(order[i], order[(size_t)rng.below((uint64_t)i + 1)]);
        double epoch_loss = 0;
        for (int s = 0; s < n; s += B) {
            const int b = std::min(B, n - s);
            for (int i = 0; i < b; i++) std::copy(X.row(order[s + i]), X.row(order[s + i]) + D, xb.row(i));
            mlp_forward(logit.ptr(), xb.ptr(), net, p, cache, b);
            // cross-entropy with logits: softplus(s) − y·s; its gradient σ(s) − y (mean over the batch)
            double loss = 0;
            for (int i = 0; i < b; i++) {
                const double sv = logit.ptr()[i], yi = y[order[s + i]];
                loss += std::max(sv, 0.0) + std::log1p(std::exp(-std::fabs(sv))) - yi * sv;
                dlogit.ptr()[i] = (Real)((1 / (1 + std::exp(-sv)) - yi) / b);
            }
            loss /= b;
            p.zero_grad();
            mlp_backward(nullptr, dlogit.ptr(), xb.ptr(), net, p, cache, b);
            double l2 = 0;  // scikit-learn's penalty: α/2·‖W‖²/b, gradient α·W/b
            for (const Linear& l : net.layers) {
                const size_t cnt = (size_t)l.in * l.out;
                const Real* w = p.v(l.W);
                Real* g = p.g(l.W);
                for (size_t k = 0; k < cnt; k++) {
                    l2 += (double)w[k] * w[k];
                    g[k] += (Real)(opt.alpha * w[k] / b);
                }
            }
            loss += 0.5 * opt.alpha * l2 / b;
            adam_step(adam, p);
            epoch_loss += loss * b;
        }
        epoch_loss /= n;
        // scikit-learn's rule: a loss not below best − tol counts as no improvement
        if (epoch_loss > best - opt.tol) stale++;
        else stale = 0;
        best = std::min(best, epoch_loss);
        if (stale > opt.patience) break;
    }
    *epochs_out = std::min(epoch, opt.max_epochs);
    const int m = (int)test.size();
    for (int i = 0; i < m; i++) std::copy(X.row(test[i]), X.row(test[i]) + D, xb.row(i));
    mlp_forward(logit.ptr(), xb.ptr(), net, p, cache, m);
    int right = 0;
    for (int i = 0; i < m; i++) right += (logit.ptr()[i] > 0 ? 1.0 : 0.0) == y[test[i]];
    return m > 0 ? (double)right / m : 0.0;
}

C2stResult c2st(const Tensor& reference, const Tensor& other, const C2stOptions& opt) {
    const int D = reference.cols, n0 = reference.rows, n1 = other.rows, N = n0 + n1;
    if (other.cols != D)
        throw symkl::Error("c2st: the two samples have " + std::to_string(D) + " and " + std::to_string(other.cols) +
                           " columns; they must have the same");
    if (D < 1) throw symkl::Error("c2st: the samples have no columns");
    if (opt.folds < 2) throw symkl::Error("c2st: at least 2 folds are needed");
    if (n0 < 2 || n1 < 1 || N < opt.folds)
        throw symkl::Error("c2st: too few points (" + std::to_string(n0) + " and " + std::to_string(n1) +
                           "): the reference needs 2 and both together at least one per fold");
    if (opt.hidden_factor < 1 || opt.max_epochs < 1 || opt.batch < 1 || !(opt.lr > 0))
        throw symkl::Error("c2st: hidden factor, epochs, batch and learning rate must be positive");
    // z-score by the reference's mean and standard deviation (unbiased, as torch.std)
    std::vector<double> mean(D, 0.0), sd(D, 1.0);
    if (opt.z_score) {
        for (int j = 0; j < D; j++) {
            double s = 0, ss = 0;
            for (int i = 0; i < n0; i++) s += reference.at(i, j);
            mean[j] = s / n0;
            for (int i = 0; i < n0; i++) ss += (reference.at(i, j) - mean[j]) * (reference.at(i, j) - mean[j]);
            sd[j] = std::sqrt(ss / (n0 - 1));
            if (!(sd[j] > 0)) sd[j] = 1;  // a constant column: centred only
        }
    }
    Tensor X(N, D);
    std::vector<Real> y(N);
    for (int i = 0; i < N; i++) {
        const Real* src = i < n0 ? reference.row(i) : other.row(i - n0);
        for (int j = 0; j < D; j++) X.at(i, j) = (Real)((src[j] - mean[j]) / sd[j]);
        y[i] = i < n0 ? Real(0) : Real(1);
    }
    for (size_t k = 0; k < X.size(); k++)
        if (!std::isfinite((double)X.data[k]))
            throw symkl::Error("c2st: a sample has a non-finite value (row " + std::to_string(k / D + 1) + ")");
    // shuffled folds: the first N mod k folds have one row more (scikit-learn's KFold)
    Rng rng(opt.seed);
    std::vector<int> perm(N);
    for (int i = 0; i < N; i++) perm[i] = i;
    for (int i = N - 1; i > 0; i--) std::swap(perm[i], perm[(size_t)rng.below((uint64_t)i + 1)]);
    C2stResult r;
    int start = 0;
    for (int f = 0; f < opt.folds; f++) {
        const int size = N / opt.folds + (f < N % opt.folds ? 1 : 0);
        std::vector<int> train, test;
        for (int i = 0; i < N; i++) (i >= start && i < start + size ? test : train).push_back(perm[i]);
        start += size;
        Rng frng = rng.split();
        int epochs = 0;
        r.fold_accuracy.push_back(fold_accuracy(X, y, train, test, opt, frng, &epochs));
        r.epochs.push_back(epochs);
    }
    double s = 0;
    for (double a : r.fold_accuracy) s += a;
    r.accuracy = s / opt.folds;
    return r;
}
