// data_prep.cpp — dequantise and standardise a run's data (see data_prep.h).
#include "app/data_prep.h"

#include <cstdio>

#include "io/file.h"
#include "io/text.h"
#include "tensor/error.h"

bool standardize_on(const RunSettings& s) {
    if (is_baseline(s.trainer.method)) return false;  // both are scale-equivariant: fitted in the data's units
    return s.standardize == "on" || (s.standardize == "auto" && !is_toy_name(s.data.data));
}

// "pixel_0_0 (1 value), pixel_0_1 (9 values), ... and 59 more"
static std::string column_list(const Dataset& d, const IntegerColumns& c, const std::vector<int>& cols) {
    std::string s;
    const size_t shown = cols.size() <= 6 ? cols.size() : 5;
    for (size_t k = 0; k < shown; k++) {
        const int j = cols[k], levels = c.levels[(size_t)j];
        const std::string name = (size_t)j < d.columns.size() ? excerpt(d.columns[(size_t)j], 40)
                                                              : "column " + std::to_string(j + 1);
        s += (k ? ", " : "") + name + " (" + std::to_string(levels) + (levels == 1 ? " value)" : " values)");
    }
    if (shown < cols.size()) s += " and " + std::to_string(cols.size() - shown) + " more";
    return s;
}

DataPrep prepare_data(Dataset& d, Tensor& val, const RunSettings& s) {
    DataPrep p;
    const bool csv = !d.is_toy;
    if (csv || s.dequantize == "on") p.columns = integer_columns(d.train);
    if (s.dequantize == "on") p.dequantized = p.columns.integer;
    else if (s.dequantize == "auto" && csv) p.dequantized = p.columns.discrete;
    if (csv && !p.columns.discrete.empty()) {
        const size_t n = p.columns.discrete.size();
        std::fprintf(stderr, "symkl: warning: %s: %zu column%s of few integer values (at most %d distinct): %s; %s\n",
                     input_name(d.name).c_str(), n, n == 1 ? "" : "s", kDiscreteMaxLevels,
                     column_list(d, p.columns, p.columns.discrete).c_str(),
                     p.dequantized.empty() ? "not dequantised (--dequantize off): a density can grow without bound on them"
                                           : "dequantised with U(0,1) noise (--dequantize)");
    }
    if (!p.dequantized.empty()) {
        Rng master = dequantize_rng(s.seed);  // a stream of its own: the other draws of the run are unchanged
        Rng train_rng = master.split(), test_rng = master.split();
        dequantize(d.train, p.dequantized, train_rng);
        dequantize(d.test, p.dequantized, test_rng);
        if (val.rows > 0) {  // the fourth stream (the third is symkl eval's)
            master.split();
            Rng val_rng = master.split();
            dequantize(val, p.dequantized, val_rng);
        }
    }
    if (standardize_on(s)) {
        try {
            p.standardizer = standardizer_fit(d.train, d.columns);
        } catch (const symkl::Error& e) {
            throw symkl::Error("--data '" + excerpt(d.name) + "': " + e.what());
        }
        standardize(d.train, p.standardizer);
        standardize(d.test, p.standardizer);
        if (val.rows > 0) standardize(val, p.standardizer);
        p.log_det = standardizer_log_det(p.standardizer);
    }
    return p;
}
