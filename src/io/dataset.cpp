// dataset.cpp — toy draws or a shuffled CSV split.
#include "io/dataset.h"

#include <cmath>
#include <cstring>

#include "io/csv.h"
#include "tensor/error.h"

bool is_toy_name(const std::string& data) {
    Toy t;
    return toy_from_name(data, &t);
}

static bool looks_like_path(const std::string& s) {
    return s.find('/') != std::string::npos || s.find('.') != std::string::npos;
}

Dataset load_dataset(const DataSpec& spec, uint64_t seed, const std::string& who) {
    Dataset d;
    d.name = spec.data;
    // Streams derived from the seed in a fixed order: training points, test points, shuffle.
    Rng master(seed ^ 0x5eed0da7a5e7ULL);
    Rng train_rng = master.split(), test_rng = master.split(), shuffle_rng = master.split();
    if (toy_from_name(spec.data, &d.toy)) {
        d.is_toy = true;
        toy_sample(d.toy, train_rng, (int)(spec.n_train > 0 ? spec.n_train : 200), d.train);
        toy_sample(d.toy, test_rng, (int)spec.n_test, d.test);
        return d;
    }
    if (!looks_like_path(spec.data))
        throw symkl::Error(who + ": --data '" + spec.data + "' is neither a data set (" + toy_names() +
                           ") nor a CSV file path");
    const Tensor all = read_csv(spec.data, &d.columns);
    const int N = all.rows, D = all.cols;
    if (D < 2)
        throw symkl::Error(spec.data + ": has " + std::to_string(D) +
                           " column; a flow needs at least 2 dimensions (add a column, or pad with noise)");
    int n_test = (int)std::lround(spec.test_frac * N);
    if (n_test < 1) n_test = 1;
    if (N - n_test < 1)
        throw symkl::Error(spec.data + ": " + std::to_string(N) + " rows leave no training row after holding out " +
                           std::to_string(n_test) + " for testing (lower --test-frac or add rows)");
    // Fisher–Yates shuffle of the row order, with the project's RNG
    std::vector<int> order(N);
    for (int i = 0; i < N; i++) order[i] = i;
    for (int i = N - 1; i > 0; i--) std::swap(order[i], order[shuffle_rng.below((uint64_t)i + 1)]);
    int n_train = N - n_test;
    if (spec.n_train > 0) {
        if (spec.n_train > n_train)
            throw symkl::Error(who + ": --n-train " + std::to_string(spec.n_train) + " is more than the " +
                               std::to_string(n_train) + " training rows of " + spec.data +
                               " (after holding out " + std::to_string(n_test) + "); lower it");
        n_train = (int)spec.n_train;
    }
    d.test.resize(n_test, D);
    d.train.resize(n_train, D);
    for (int i = 0; i < n_test; i++) std::memcpy(d.test.row(i), all.row(order[i]), sizeof(Real) * D);
    for (int i = 0; i < n_train; i++) std::memcpy(d.train.row(i), all.row(order[n_test + i]), sizeof(Real) * D);
    return d;
}
