// csv.cpp — numeric CSV reader and writer (see csv.h).
//
// The reader works on the whole file in memory: split into lines, strip one
// trailing CR, split each line on ',', trim spaces and tabs, then classify
// each field with a small decimal grammar before handing it to strtod (which
// alone would also accept hex floats, "nan" and partial numbers like "1.5abc").
// Numbers are read in the "C" locale, which symkl never changes.
#include "io/csv.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "io/file.h"
#include "io/text.h"
#include "tensor/error.h"

namespace {

enum class Field { Number, NonFinite, Overflow, Empty, Text };

// True when v converts to Real without overflowing. Converting a double beyond
// the float range is undefined behaviour in C++, so the bound is tested first:
// IEEE rounding takes anything below 2^128 - 2^103 to at most FLT_MAX.
bool fits_real(double v) {
    if (sizeof(Real) == sizeof(double)) return std::isfinite(v);
    return std::fabs(v) < std::ldexp(1.0, 128) - std::ldexp(1.0, 103);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

bool equals_nocase(const std::string& s, size_t from, const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (s.size() - from != n) return false;
    for (size_t i = 0; i < n; i++)
        if (lower(s[from + i]) != word[i]) return false;
    return true;
}

// Classifies one trimmed field; for Field::Number stores the value in `out`.
//   number = [+-] ( digits [ '.' [digits] ] | '.' digits ) [ (e|E) [+-] digits ]
Field classify(const std::string& f, double& out) {
    if (f.empty()) return Field::Empty;
    size_t i = 0, n = f.size();
    if (f[i] == '+' || f[i] == '-') i++;
    if (equals_nocase(f, i, "nan") || equals_nocase(f, i, "inf") || equals_nocase(f, i, "infinity"))
        return Field::NonFinite;
    size_t int_digits = 0, frac_digits = 0;
    while (i < n && is_digit(f[i])) i++, int_digits++;
    if (i < n && f[i] == '.') {
        i++;
        while (i < n && is_digit(f[i])) i++, frac_digits++;
    }
    if (int_digits + frac_digits == 0) return Field::Text;
    if (i < n && (f[i] == 'e' || f[i] == 'E')) {
        i++;
        if (i < n && (f[i] == '+' || f[i] == '-')) i++;
        size_t exp_digits = 0;
        while (i < n && is_digit(f[i])) i++, exp_digits++;
        if (exp_digits == 0) return Field::Text;
    }
    if (i != n) return Field::Text;
    // Underflow to 0 or a denormal is fine; only overflow loses the value.
    double v = std::strtod(f.c_str(), nullptr);
    if (!fits_real(v)) return Field::Overflow;
    out = v;
    return Field::Number;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Splits `line` on ',' into trimmed fields (reusing `fields`' storage).
void split_fields(const std::string& line, std::vector<std::string>& fields) {
    fields.clear();
    size_t start = 0;
    for (;;) {
        size_t comma = line.find(',', start);
        size_t end = comma == std::string::npos ? line.size() : comma;
        size_t b = start, e = end;
        while (b < e && is_space(line[b])) b++;
        while (e > b && is_space(line[e - 1])) e--;
        fields.emplace_back(line, b, e - b);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
}

bool is_blank(const std::string& line) {
    for (char c : line)
        if (!is_space(c)) return false;
    return true;
}

}  // namespace

Tensor read_csv(const std::string& path_arg, std::vector<std::string>* header) {
    std::string text = read_input(path_arg);
    const std::string path = input_name(path_arg);  // "stdin" for "-"
    if (text.empty())
        throw symkl::Error(path + ": file is empty (expected comma-separated numeric columns, one point per line)");
    size_t pos = 0;
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) pos = 3;  // UTF-8 byte-order mark (spreadsheets write it)

    // Split into lines; line_no[k] is the 1-based line number of lines[k].
    std::vector<std::string> lines;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        size_t end = nl == std::string::npos ? text.size() : nl;
        size_t e = end;
        if (e > pos && text[e - 1] == '\r') e--;
        lines.emplace_back(text, pos, e - pos);
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
    // Blank lines are allowed only at the end.
    size_t used = lines.size();
    while (used > 0 && is_blank(lines[used - 1])) used--;
    if (used == 0)
        throw symkl::Error(path + ": has no data rows, only blank lines (expected comma-separated numeric columns, one point per line)");
    for (size_t k = 0; k < used; k++)
        if (is_blank(lines[k]))
            throw symkl::Error(path + ":" + std::to_string(k + 1) +
                               ": blank line before the end of the file (remove it; blank lines are allowed only at the end)");

    std::vector<std::string> fields;
    double v = 0.0;

    // Header: the first line, if none of its fields reads as a number (NaN and
    // overflowing numbers count as numbers here, so they get their own message).
    split_fields(lines[0], fields);
    bool has_header = true;
    for (const std::string& f : fields) {
        Field kind = classify(f, v);
        if (kind == Field::Number || kind == Field::NonFinite || kind == Field::Overflow) has_header = false;
    }
    const size_t cols = fields.size();
    const size_t first = has_header ? 1 : 0;
    if (header) *header = has_header ? fields : std::vector<std::string>();
    const size_t rows = used - first;
    if (rows == 0)
        throw symkl::Error(path + ": has a header on line 1 but no data rows (add at least two rows of numbers below it)");
    if (rows > (size_t)INT_MAX || cols > (size_t)INT_MAX / rows)
        throw symkl::Error(path + ": has " + std::to_string(rows) + " rows of " + std::to_string(cols) +
                           " columns, more values than symkl can hold (split the file)");

    std::vector<Real> values;
    values.reserve(rows * cols);
    for (size_t k = first; k < used; k++) {
        const std::string where = path + ":" + std::to_string(k + 1) + ": ";
        split_fields(lines[k], fields);
        if (fields.size() != cols)
            throw symkl::Error(where + "expected " + std::to_string(cols) + " fields as on line 1, found " +
                               std::to_string(fields.size()) +
                               " (every row needs the same number of comma-separated columns)");
        for (size_t c = 0; c < cols; c++) {
            const std::string col = "column " + std::to_string(c + 1);
            switch (classify(fields[c], v)) {
                case Field::Number: values.push_back((Real)v); break;
                case Field::Empty:
                    throw symkl::Error(where + col + " is empty (write a number in every column; a trailing comma adds an empty column)");
                case Field::NonFinite:
                    throw symkl::Error(where + col + ": '" + excerpt(fields[c]) +
                                       "' is not a finite number (remove or fix rows with NaN or Inf)");
                case Field::Overflow:
                    throw symkl::Error(where + col + ": '" + excerpt(fields[c]) + "' overflows " + SYMKL_REAL_NAME +
                                       " (rescale the data)");
                case Field::Text:
                    throw symkl::Error(where + col + ": '" + excerpt(fields[c]) +
                                       "' is not a number (write plain decimals such as -1.5 or 2e-3; only the first line may be a header)");
            }
        }
    }
    if (rows < 2)
        throw symkl::Error(path + ": has only 1 data row (line " + std::to_string(first + 1) +
                           "); training needs at least two points (add more rows)");

    Tensor t;
    t.rows = (int)rows;
    t.cols = (int)cols;
    t.data = std::move(values);
    return t;
}

Tensor read_csv_dim(const std::string& path, int expected_cols, const std::string& what) {
    Tensor t = read_csv(path);
    require_cols(t, path, expected_cols, what);
    return t;
}

void require_cols(const Tensor& t, const std::string& path, int expected_cols, const std::string& what) {
    if (t.cols != expected_cols)
        throw symkl::Error(input_name(path) + ": has " + std::to_string(t.cols) + (t.cols == 1 ? " column" : " columns") +
                           " but " + what + " is " + std::to_string(expected_cols) + "-dimensional (pass a CSV with " +
                           std::to_string(expected_cols) + " numeric columns)");
}

std::string csv_format(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    // The short form when it reads back to the same Real (0.1 rather than
    // 0.10000000000000001), else the digits that always do.
    const bool is_float = sizeof(Real) < sizeof(double);
    const int short_digits = is_float ? 6 : 15, full_digits = is_float ? 9 : 17;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*g", short_digits, v);
    if ((Real)std::strtod(buf, nullptr) == (Real)v) return buf;
    std::snprintf(buf, sizeof buf, "%.*g", full_digits, v);
    return buf;
}

void write_csv(const std::string& path, const Tensor& t, const std::vector<std::string>& header) {
    std::string out;
    if (!header.empty()) {
        if (header.size() != (size_t)t.cols)
            throw std::logic_error("write_csv(" + path + "): " + std::to_string(header.size()) +
                                   " header names for " + std::to_string(t.cols) + " columns");
        for (size_t c = 0; c < header.size(); c++) {
            double v;
            Field kind = classify(header[c], v);
            if (header[c].find_first_of(",\"\r\n") != std::string::npos || kind == Field::Number ||
                kind == Field::NonFinite || kind == Field::Overflow)
                throw std::logic_error("write_csv(" + path + "): header name '" + header[c] +
                                       "' would not read back as a header");
            if (c) out += ',';
            out += header[c];
        }
        out += '\n';
    }
    for (int i = 0; i < t.rows; i++) {
        const Real* r = t.row(i);
        for (int j = 0; j < t.cols; j++) {
            if (!std::isfinite((double)r[j]))
                throw symkl::Error("not writing " + output_name(path) + ": row " + std::to_string(i + 1) + " column " +
                                   std::to_string(j + 1) + " is " + csv_format((double)r[j]) +
                                   ", and a data CSV holds finite numbers only (it would not read back)");
            if (j) out += ',';
            out += csv_format((double)r[j]);
        }
        out += '\n';
    }
    write_output(path, out);
}
