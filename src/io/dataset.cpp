// dataset.cpp — toy draws or a shuffled CSV split.
#include "io/dataset.h"

#include <cmath>
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "io/csv.h"
#include "io/text.h"
#include "tensor/error.h"

bool is_toy_name(const std::string& data) {
    Toy t;
    return toy_from_name(data, &t);
}

static bool parse_index(const std::string& s, int cols, int& out) {
    if (s.empty() || s.size() > 9) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    out = std::atoi(s.c_str());
    return out >= 1 && out <= cols;
}

std::vector<int> select_columns(const std::string& list, const std::vector<std::string>& names, int cols,
                                const std::string& file) {
    std::vector<int> picked;
    if (list == "all") {
        for (int j = 0; j < cols; j++) picked.push_back(j);
        return picked;
    }
    const std::string where = "--columns '" + excerpt(list) + "': ";
    auto numbers = [&](const std::string& item, std::vector<int>& out) {
        int a = 0, b = 0;
        const size_t dash = item.find('-', 1);
        if (parse_index(item, cols, a)) {
            out.push_back(a - 1);
            return true;
        }
        if (dash != std::string::npos && parse_index(item.substr(0, dash), cols, a) &&
            parse_index(item.substr(dash + 1), cols, b) && a <= b) {
            for (int j = a; j <= b; j++) out.push_back(j - 1);
            return true;
        }
        for (size_t j = 0; j < names.size(); j++)
            if (names[j] == item) {
                out.push_back((int)j);
                return true;
            }
        return false;
    };
    size_t begin = 0;
    bool first = true;
    for (;;) {
        const size_t comma = list.find(',', begin);
        std::string item = list.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
        const bool drop = !item.empty() && item[0] == '-';
        if (drop) item = item.substr(1);
        if (drop && first)
            for (int j = 0; j < cols; j++) picked.push_back(j);
        std::vector<int> these;
        if (!numbers(item, these)) {
            std::string known;
            for (size_t j = 0; j < names.size() && j < 8; j++) known += (j ? ", " : "") + excerpt(names[j], 30);
            if (names.size() > 8) known += ", ...";
            throw symkl::Error(where + "'" + excerpt(item) + "' is not a column of " + file + " (give a name of its header" +
                               (names.empty() ? " (it has none)" : ": " + known) + ", a number from 1 to " +
                               std::to_string(cols) + ", or a range such as 1-" + std::to_string(cols) + ")");
        }
        for (int j : these) {
            auto at = std::find(picked.begin(), picked.end(), j);
            if (drop) {
                if (at != picked.end()) picked.erase(at);
            } else if (at != picked.end()) {
                throw symkl::Error(where + "column " + std::to_string(j + 1) + " is given twice (name each column once)");
            } else {
                picked.push_back(j);
            }
        }
        first = false;
        if (comma == std::string::npos) break;
        begin = comma + 1;
    }
    if (picked.empty()) throw symkl::Error(where + "selects no column of " + file + " (keep at least two)");
    return picked;
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
    Tensor all = read_csv(spec.data, &d.columns);
    if (spec.columns != "all") {  // --columns: keep the chosen columns, in the order given
        const std::vector<int> keep = select_columns(spec.columns, d.columns, all.cols, spec.data);
        Tensor kept(all.rows, (int)keep.size());
        for (int i = 0; i < all.rows; i++)
            for (size_t k = 0; k < keep.size(); k++) kept.at(i, (int)k) = all.at(i, keep[k]);
        std::vector<std::string> names;
        for (int j : keep)
            if (!d.columns.empty()) names.push_back(d.columns[(size_t)j]);
        all = std::move(kept);
        d.columns = names;
    }
    const int N = all.rows, D = all.cols;
    if (D < 2)
        throw symkl::Error(spec.data + ": has " + std::to_string(D) + " column" +
                           (spec.columns != "all" ? " selected (--columns)" : "") +
                           "; a flow needs at least 2 dimensions (add a column, or pad with noise)");
    int n_test = (int)std::lround(spec.test_frac * N);
    if (n_test < 1 && spec.test_frac > 0) n_test = 1;  // --test-frac 0: no test rows
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
