// metrics_file.cpp — the tolerant metrics.csv reader (see metrics_file.h).
#include "plot/metrics_file.h"

#include <cmath>
#include <cstdlib>

#include "io/file.h"
#include "tensor/error.h"

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && is_space(s[b])) b++;
    while (e > b && is_space(s[e - 1])) e--;
    return s.substr(b, e - b);
}

std::vector<std::string> split_fields(const std::string& line) {
    std::vector<std::string> f;
    size_t start = 0;
    for (;;) {
        const size_t comma = line.find(',', start);
        f.push_back(trim(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
        if (comma == std::string::npos) return f;
        start = comma + 1;
    }
}

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    return s;
}

// A decimal number ([+-] digits [. digits] [e [+-] digits]), nan, inf or infinity with an
// optional sign. strtod alone would also take hex floats and "1.5abc"'s prefix.
bool parse_value(const std::string& f, double& out) {
    const std::string w = lower(f);
    const size_t sign = !w.empty() && (w[0] == '+' || w[0] == '-');
    const std::string word = w.substr(sign);
    if (word == "nan" || word == "inf" || word == "infinity") {
        out = word == "nan" ? NAN : w[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    size_t i = sign, digits = 0;
    while (i < w.size() && w[i] >= '0' && w[i] <= '9') i++, digits++;
    if (i < w.size() && w[i] == '.') {
        i++;
        while (i < w.size() && w[i] >= '0' && w[i] <= '9') i++, digits++;
    }
    if (digits == 0) return false;
    if (i < w.size() && w[i] == 'e') {
        i++;
        if (i < w.size() && (w[i] == '+' || w[i] == '-')) i++;
        size_t exp_digits = 0;
        while (i < w.size() && w[i] >= '0' && w[i] <= '9') i++, exp_digits++;
        if (exp_digits == 0) return false;
    }
    if (i != w.size()) return false;
    out = std::strtod(w.c_str(), nullptr);  // overflow gives ±HUGE_VAL = ±inf, kept as such
    return true;
}

}  // namespace

int MetricsTable::column(const std::string& name) const {
    for (size_t c = 0; c < names.size(); c++)
        if (names[c] == name) return (int)c;
    return -1;
}

MetricsTable read_metrics(const std::string& path) {
    const std::string text = read_file(path);
    size_t pos = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;  // UTF-8 byte-order mark
    std::vector<std::string> lines;
    while (pos < text.size()) {
        const size_t nl = text.find('\n', pos);
        size_t end = nl == std::string::npos ? text.size() : nl;
        const size_t next = nl == std::string::npos ? text.size() : nl + 1;
        if (end > pos && text[end - 1] == '\r') end--;
        lines.push_back(text.substr(pos, end - pos));
        pos = next;
    }
    while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
    if (lines.empty())
        throw symkl::Error(path + ": is empty (expected a metrics file: a header such as 'step,loss,train_nll,"
                                  "test_nll,...' and one row per logged step)");

    MetricsTable t;
    t.path = path;
    t.names = split_fields(lines[0]);
    for (size_t c = 0; c < t.names.size(); c++) {
        double v;
        if (t.names[c].empty())
            throw symkl::Error(path + ":1: column " + std::to_string(c + 1) + " of the header has no name");
        if (parse_value(t.names[c], v))
            throw symkl::Error(path + ":1: the first line is numbers, not a header of column names "
                                      "(a metrics file starts with 'step,loss,...')");
        for (size_t d = 0; d < c; d++)
            if (t.names[d] == t.names[c])
                throw symkl::Error(path + ":1: column '" + t.names[c] + "' appears twice in the header");
    }
    t.rows = (int)lines.size() - 1;
    if (t.rows == 0) throw symkl::Error(path + ": has a header but no rows (has the run logged a step yet?)");
    const size_t cols = t.names.size();
    t.values.assign(cols * t.rows, 0.0);
    for (int r = 0; r < t.rows; r++) {
        const std::string where = path + ":" + std::to_string(r + 2);
        if (trim(lines[r + 1]).empty()) throw symkl::Error(where + ": blank line between rows");
        const std::vector<std::string> f = split_fields(lines[r + 1]);
        if (f.size() != cols)
            throw symkl::Error(where + ": has " + std::to_string(f.size()) + " fields but the header has " +
                               std::to_string(cols) + " (a truncated line, or rows from different versions?)");
        for (size_t c = 0; c < cols; c++)
            if (!parse_value(f[c], t.values[c * t.rows + r]))
                throw symkl::Error(where + ": column '" + t.names[c] + "': '" + f[c] +
                                   "' is not a number (numbers, nan, inf and -inf are accepted)");
    }
    return t;
}

const double* metrics_column(const MetricsTable& t, const std::string& name) {
    const int c = t.column(name);
    if (c < 0) {
        std::string list;
        for (const std::string& n : t.names) list += (list.empty() ? "" : ", ") + n;
        throw symkl::Error(t.path + ": no column '" + name + "' (columns: " + list + ")");
    }
    return t.col(c);
}
