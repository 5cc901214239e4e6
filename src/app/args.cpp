// args.cpp — parsing, validation and help generation for the option tables.
#include "app/args.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstdint>

#include "io/text.h"
#include "tensor/error.h"

std::string command_help(const CommandSpec& c) {
    std::string s = std::string("usage: ") + c.usage + "\n\n" + c.summary + "\n\noptions:\n";
    for (const OptSpec& o : c.opts) {
        std::string left = std::string("  ") + o.flag + (o.metavar ? std::string(" ") + o.metavar : "");
        if (left.size() < 26) left.resize(26, ' ');
        else left += "\n" + std::string(26, ' ');
        s += left + o.help;
        if (o.metavar && o.def && *o.def) s += std::string(" [default: ") + o.def + "]";
        s += "\n";
    }
    s += "  -h, --help              show this help\n";
    if (c.details && *c.details) s += std::string("\n") + c.details;
    return s;
}

// The optimal-string-alignment distance: insertions, deletions, substitutions and swaps
// of two neighbours each count 1 ("--stpes" is one edit from "--steps").
static size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); i++) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); j++) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); i++)
        for (size_t j = 1; j <= b.size(); j++) {
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

static std::string without_dashes(const std::string& s) { return s.substr(std::min(s.find_first_not_of('-'), s.size())); }

std::string closest_flag(const CommandSpec& spec, const std::string& arg) {
    // Close means a typo: at most 1 edit, plus 1 per 8 characters of the longer name
    // (dashes not counted), so '--stpes' finds --steps but '-o' finds nothing.
    const std::string a = without_dashes(arg);
    std::string best;
    size_t best_d = SIZE_MAX;
    for (const OptSpec& c : spec.opts) {
        const std::string b = without_dashes(c.flag);
        const size_t d = edit_distance(a, b), allowed = 1 + std::max(a.size(), b.size()) / 8;
        if (d <= allowed && d < best_d && d < std::max(a.size(), b.size())) best_d = d, best = c.flag;
    }
    return best;
}

static const OptSpec* find_opt(const CommandSpec& spec, const std::string& flag) {
    for (const OptSpec& o : spec.opts)
        if (flag == o.flag) return &o;
    return nullptr;
}

Args parse_args(const CommandSpec& spec, int argc, char** argv, int first, bool* help) {
    Args a;
    a.spec = &spec;
    *help = false;
    const std::string cmd = std::string("symkl ") + spec.name;
    for (const OptSpec& o : spec.opts)
        if (o.metavar && o.def && *o.def) a.values[o.flag] = o.def;
    for (int i = first; i < argc; i++) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            *help = true;
            continue;
        }
        std::string value;
        bool inline_value = false;
        const size_t eq = arg.find('=');
        if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            inline_value = true;
        }
        const OptSpec* o = find_opt(spec, arg);
        if (!o) {
            const std::string close = closest_flag(spec, arg);
            const std::string hint = close.empty() ? "" : " (did you mean " + close + "?)";
            if (arg.rfind("-", 0) != 0)
                throw symkl::Error(cmd + ": unexpected argument '" + excerpt(arg) + "' (options are written --name value; see '" +
                                   cmd + " --help')");
            throw symkl::Error(cmd + ": unknown option '" + excerpt(arg) + "'" + hint + "; see '" + cmd + " --help'");
        }
        if (a.given.count(arg))
            throw symkl::Error(cmd + ": option " + arg + " is given twice; keep one");
        if (!o->metavar) {
            if (inline_value) throw symkl::Error(cmd + ": option " + arg + " takes no value");
            a.values[arg] = "1";
        } else {
            if (!inline_value) {
                // a missing value: the end of the line, or the next option ("--steps --out x")
                if (i + 1 >= argc || (argv[i + 1][0] == '-' && argv[i + 1][1] == '-'))
                    throw symkl::Error(cmd + ": option " + arg + " needs a value (" + o->metavar + ")");
                value = argv[++i];
            }
            a.values[arg] = value;
        }
        a.given[arg] = true;
    }
    return a;
}

bool Args::has(const std::string& flag) const { return given.count(flag) > 0; }
bool Args::on(const std::string& flag) const { return given.count(flag) > 0; }

std::string Args::str(const std::string& flag) const {
    auto it = values.find(flag);
    return it == values.end() ? std::string() : it->second;
}

void Args::fail(const std::string& flag, const std::string& what) const {
    throw symkl::Error(std::string("symkl ") + spec->name + ": " + flag + " " + what);
}

long Args::integer(const std::string& flag, long lo, long hi) const {
    const std::string v = str(flag);
    errno = 0;
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno != 0 || n < lo || n > hi)
        fail(flag, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got '" + excerpt(v) + "'");
    return n;
}

double Args::real(const std::string& flag, double lo, double hi) const {
    const std::string v = str(flag);
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !std::isfinite(x) || x < lo || x > hi) {
        char buf[128];
        std::snprintf(buf, sizeof buf, "must be a number from %g to %g, got '", lo, hi);
        fail(flag, buf + excerpt(v) + "'");
    }
    return x;
}

uint64_t Args::seed(const std::string& flag) const {
    const std::string v = str(flag);
    errno = 0;
    char* end = nullptr;
    const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-')
        fail(flag, "must be a non-negative integer, got '" + excerpt(v) + "'");
    return (uint64_t)n;
}
