// metrics_file.h — reading the metrics.csv files that training runs write, for plotting.
//
// A metrics file is a header of column names (step, loss, train_nll, test_nll, ...) and
// one row per logged step. Unlike data sets (io/csv.h, which rejects them on purpose),
// metrics hold 'nan' wherever a value does not exist — the loss at step 0, the KLs of
// a data set without a known density — and 'inf' where one blew up; this reader keeps
// them as NaN and ±infinity. Anything else that is not a number is an error naming the
// file, the line and the column.
#pragma once
#include <string>
#include <vector>

struct MetricsTable {
    std::string path;
    std::vector<std::string> names;  // the header, in file order
    int rows = 0;
    std::vector<double> values;      // (cols, rows), column-major: column c is values[c·rows .. (c+1)·rows)

    int column(const std::string& name) const;  // index of the column, or -1
    const double* col(int c) const { return values.data() + (size_t)c * rows; }
};

// Reads and validates a metrics file: a header of distinct non-numeric names, then at
// least one row with as many fields, each a number, nan, inf or -inf (any case). CR LF
// line ends, a UTF-8 byte-order mark and blank lines at the end are accepted. Throws
// symkl::Error naming the file (and line and column) otherwise.
MetricsTable read_metrics(const std::string& path);

// Column `name` of t; throws symkl::Error "runs/a/metrics.csv: no column 'jeffrys'
// (columns: step, loss, ...)" when it is missing.
const double* metrics_column(const MetricsTable& t, const std::string& name);
