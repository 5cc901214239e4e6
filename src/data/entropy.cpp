// entropy.cpp — Kozachenko–Leonenko entropy estimate by brute-force kNN.
#include "data/entropy.h"

#include <cmath>
#include <vector>

#include "tensor/error.h"

// ψ(n) for a positive integer n: −γ + Σ_{i<n} 1/i
static double digamma_int(int n) {
    double s = -0.57721566490153286061;
    for (int i = 1; i < n; i++) s += 1.0 / i;
    return s;
}

double knn_entropy(const Tensor& x, int k, int max_points) {
    const int N = x.rows < max_points ? x.rows : max_points, D = x.cols;
    if (N < k + 1) throw symkl::Error("knn_entropy: need at least k + 1 points");
    std::vector<double> log_r(N);
    #pragma omp parallel for
    for (int i = 0; i < N; i++) {
        // the k smallest squared distances, kept sorted (k is small)
        double best[64];
        int found = 0;
        for (int j = 0; j < N; j++) {
            if (j == i) continue;
            double d2 = 0;
            for (int c = 0; c < D; c++) {
                const double d = (double)x.at(i, c) - (double)x.at(j, c);
                d2 += d * d;
            }
            if (d2 == 0) continue;  // a duplicate point is no neighbour
            if (found < k) {
                int p = found++;
                while (p > 0 && best[p - 1] > d2) best[p] = best[p - 1], p--;
                best[p] = d2;
            } else if (d2 < best[k - 1]) {
                int p = k - 1;
                while (p > 0 && best[p - 1] > d2) best[p] = best[p - 1], p--;
                best[p] = d2;
            }
        }
        log_r[i] = found == k ? 0.5 * std::log(best[k - 1]) : NAN;
    }
    double s = 0;
    int n_used = 0;
    for (int i = 0; i < N; i++)
        if (std::isfinite(log_r[i])) s += log_r[i], n_used++;
    if (n_used < k + 1) throw symkl::Error("knn_entropy: too few distinct points");
    const double log_vd = 0.5 * D * std::log(M_PI) - std::lgamma(0.5 * D + 1);
    return digamma_int(n_used) - digamma_int(k) + log_vd + (double)D * s / n_used;
}
