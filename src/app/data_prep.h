// data_prep.h — the data path of a training run after loading: --dequantize, then
// --standardize (docs/data.md#real-tabular-data), applied to the loaded rows in place.
//
//   1. integer columns: found on the training rows; the discrete ones (every value an
//      integer, at most kDiscreteMaxLevels distinct values) are named in a warning
//   2. dequantisation: U[0, 1) noise on the chosen integer columns of the training and
//      test rows (auto: the discrete columns of a CSV; on: every integer column)
//   3. standardisation: the map fitted on the (dequantised) training rows, applied to
//      the training and test rows (auto: on for a CSV file, off for generated data)
//
// The model is then trained on the standardised rows; the map travels with it
// (checkpoints), and NLLs are reported in the data's own units.
#pragma once
#include <vector>

#include "app/options.h"
#include "data/prep.h"

struct DataPrep {
    Standardizer standardizer;     // empty: not standardised
    std::vector<int> dequantized;  // columns (from 0) that got U[0, 1) noise
    IntegerColumns columns;        // integer and discrete columns of the training rows (CSV data)
    double log_det = 0;            // standardizer_log_det: NLL in the data's units = NLL of u + log_det
};

// Whether --standardize is on for this run (auto resolved; never for the gaussian and kde
// baselines, which are fitted in the data's units: both are scale-equivariant).
bool standardize_on(const RunSettings& s);

// Applies steps 1–3 to d (its train and test rows) and to the validation rows `val` (held
// out of the training rows before; the map is fitted on d.train alone) with the run's
// seed: the noise comes from a stream of its own, training rows first, then test rows,
// then (its fourth child) validation rows, row by row. Prints the
// discrete-column warning on stderr. Throws symkl::Error naming the data and the column
// for a constant column when standardising.
DataPrep prepare_data(Dataset& d, Tensor& val, const RunSettings& s);
