// entropy.h — the differential entropy of a sample, by the Kozachenko–Leonenko
// k-nearest-neighbour estimator:
//
//   Ĥ = ψ(N) − ψ(k) + log V_D + (D/N) Σ_i log r_i
//
// r_i the distance from x_i to its k-th nearest neighbour, V_D the volume of the
// unit ball in D dimensions, ψ the digamma function. It needs only the points, no
// density, which is why symkl uses it to set the default ε (docs/method.md): the
// NLL a perfect model would reach on the data is H(π).
#pragma once

#include "tensor/tensor.h"

// Ĥ in nats for the rows of x (N ≥ k + 1). Points identical to x_i are not counted
// as its neighbours. At most `max_points` rows are used (the first ones), so the
// O(N²) search stays cheap on large CSV files.
double knn_entropy(const Tensor& x, int k = 5, int max_points = 5000);  // k ≤ 64
