// csv.h — numeric CSV files: data sets in, samples and metrics out.
//
// A data set is one point per line, D comma-separated numbers per point, with
// an optional header line (taken as a header when none of its fields is a
// number). Windows line ends (CR LF), a UTF-8 byte-order mark, spaces around
// fields and blank lines at the end are accepted; anything else that is not a
// finite number is rejected with "file:line: column c: ..." and the fix; the
// message shows at most 60 characters of the field, control bytes escaped
// (io/text.h). The path "-" reads standard input (named "stdin" in messages)
// and writes standard output (io/file.h).
//
// Values are written with %.17g (double Real) or %.9g (float Real) unless a
// shorter form (%.15g / %.6g) reads back to the same value: written data
// always reads back bit for bit.
#pragma once
#include <string>
#include <vector>

#include "tensor/tensor.h"

// Reads a numeric CSV into a (rows, cols) Tensor. Throws symkl::Error for
// non-numeric, empty, NaN/Inf or overflowing fields, ragged rows, blank lines
// before the end, an empty or header-only file, and fewer than 2 data rows.
// `header` (when not null) receives the header's names, or nothing without a header.
Tensor read_csv(const std::string& path, std::vector<std::string>* header = nullptr);

// read_csv, then checks the column count against `expected_cols`; `what` names
// the consumer for the message: "x.csv: has 3 columns but the model is
// 2-dimensional (pass a CSV with 2 numeric columns)" for what = "the model".
Tensor read_csv_dim(const std::string& path, int expected_cols, const std::string& what);
// The check of read_csv_dim on a table already read.
void require_cols(const Tensor& t, const std::string& path, int expected_cols, const std::string& what);

// Writes `t` atomically, one row per line, with `header` as the first line
// unless it is empty (it must then have t.cols plain names: no comma, quote
// or line break, and not numbers, or the file would not read back). A NaN or
// infinite value throws symkl::Error and writes nothing: read_csv would reject it.
void write_csv(const std::string& path, const Tensor& t, const std::vector<std::string>& header);

// One CSV field, formatted as write_csv does; NaN and infinities as
// "nan", "inf", "-inf" (for metrics logs; read_csv rejects them).
std::string csv_format(double v);
