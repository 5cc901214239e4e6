// dataset.h — a training set and a held-out test set, from a toy generator or a CSV file.
//
// Generated data (docs/data.md): n_train points for training and n_test fresh points
// for testing, drawn from separate streams of the run's seed, so the training set is
// the same for every method given the same seed.
// CSV data: the rows are shuffled with the seed; a fraction test_frac is held out and
// the rest (or the first n_train of it) trains (test_frac 0: every row trains, the test set
// is empty). There is no true density.
#pragma once
#include <string>
#include <vector>

#include "data/toy.h"
#include "tensor/rng.h"

struct Dataset {
    std::string name;      // "8gaussians" or the CSV path
    bool is_toy = false;
    Toy toy = Toy::gaussians8;
    Tensor train, test;
    std::vector<std::string> columns;  // a CSV's header names (empty without a header, and for generated data)
};

struct DataSpec {
    std::string data = "8gaussians";  // a toy name or a CSV path
    long n_train = 0;                 // 0: 200 for toy data, every non-test row for CSV
    long n_test = 10000;              // toy data only
    double test_frac = 0.2;           // CSV only
    std::string columns = "all";      // CSV only: the columns to use (select_columns)
};

// True when `data` names a generator (as opposed to a CSV file).
bool is_toy_name(const std::string& data);

// The columns a --columns list picks from a CSV of `cols` columns with header `names`
// (empty without a header), as numbers from 0 in the order given. The list is "all", or
// comma-separated items: a column's name, its number counted from 1, or a range of
// numbers "A-B". Items add columns; an item with a leading '-' ("-label", "-3") removes
// one, and a list that starts with such an item starts from all the columns. Throws
// symkl::Error naming `file`, the item and the fix for an unknown name, a number out of
// range, a column given twice, or an empty selection.
std::vector<int> select_columns(const std::string& list, const std::vector<std::string>& names, int cols,
                                const std::string& file);

// Throws symkl::Error (naming `who`, e.g. "symkl train") for unknown names, bad CSVs,
// or a CSV too small to split.
Dataset load_dataset(const DataSpec& spec, uint64_t seed, const std::string& who);
