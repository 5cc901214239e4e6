// test_docs.cpp — the docs name only code that exists.
//
// Every `inline code` span of README.md and docs/*.md is read, and the spans that look
// like code are checked against the sources (src/, tests/, bench/, the Makefile, CMake
// and CI files):
//
//   snake_case      a span that is one lower-case identifier with an underscore and a
//                   part of three or more characters, such as `flow_sample_backward` or
//                   `test_nll` (a metrics column is a string in the code, so it is found
//                   too); `x_b` or `d_a` are maths (subscripts), not names
//   name(...)       a snake_case name with an underscore right before "(", such as
//                   `mlp_backward(dxa, dh, xa)`, unless it follows a "." (a Python method)
//   Type::member    both parts, such as `Params::zero_grad` or `Scale::tanh`
//   CamelCase       a span that is one identifier with an upper-case letter after the
//                   first lower-case run, such as `FlowCache` or `StepResult`
//   path            a span that starts with src/, tests/, bench/, docs/ or data/ and has
//                   no wildcard: the file or folder must exist
//
// and where a doc says "`name` in `path`", name must occur in that file. A name
// "occurs" when it is a whole word of the text (comments included). Spans with
// spaces, dashes, dots or maths (flags, commands, formulas, tensor names) match none
// of the patterns and are left alone. The second test shows the rule catching a stale
// name. README's demo numbers are checked by tests/check_readme_demo.sh (it runs the
// demo, ~30 s), which .ci/run calls.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const std::string ROOT = SYMKL_SOURCE_DIR;

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool word_char(char c) { return std::isalnum((unsigned char)c) || c == '_'; }
bool lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

void add_words(std::set<std::string>& words, const std::string& text) {
    for (size_t i = 0; i < text.size();) {
        if (!word_char(text[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < text.size() && word_char(text[j])) j++;
        words.insert(text.substr(i, j - i));
        i = j;
    }
}

bool is_source(const fs::path& p) {
    const std::string e = p.extension().string();
    return e == ".h" || e == ".cpp" || e == ".py" || e == ".sh";
}

// Every word of the code the docs may name.
const std::set<std::string>& code_words() {
    static std::set<std::string> words = [] {
        std::set<std::string> w;
        for (const char* dir : {"src", "tests", "bench"}) {
            if (!fs::exists(ROOT + "/" + dir)) continue;
            for (const auto& e : fs::recursive_directory_iterator(ROOT + "/" + dir))
                if (e.is_regular_file() && is_source(e.path()) && e.path().filename() != "test_docs.cpp")
                    add_words(w, read(e.path()));  // not this file: it plants stale names
        }
        for (const char* f : {"Makefile", "CMakeLists.txt", ".ci/run"})
            if (fs::exists(ROOT + "/" + f)) add_words(w, read(ROOT + "/" + f));
        return w;
    }();
    return words;
}

bool occurs_in(const std::string& name, const std::string& text) {
    std::set<std::string> w;
    add_words(w, text);
    return w.count(name) > 0;
}

// snake_case with an underscore: [a-z][a-z0-9]*(_[a-z0-9]+)+
bool is_snake(const std::string& s) {
    if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z') || s.back() == '_' || s.find('_') == std::string::npos) return false;
    for (size_t i = 0; i < s.size(); i++)
        if (!(lower_or_digit(s[i]) || (s[i] == '_' && s[i - 1] != '_'))) return false;
    return true;
}

// ... with a part of three or more characters (`x_b`, `d_a` are subscripts)
bool has_long_part(const std::string& s) {
    size_t run = 0;
    for (char c : s) {
        run = c == '_' ? 0 : run + 1;
        if (run >= 3) return true;
    }
    return false;
}

// one identifier, upper-case first, with an upper-case letter after a lower-case one
bool is_camel(const std::string& s) {
    if (s.empty() || !std::isupper((unsigned char)s[0])) return false;
    bool lower_seen = false, camel = false;
    for (char c : s) {
        if (!std::isalnum((unsigned char)c)) return false;
        if (std::islower((unsigned char)c)) lower_seen = true;
        else if (std::isupper((unsigned char)c) && lower_seen) camel = true;
    }
    return camel;
}

bool is_path(const std::string& s) {
    bool prefix = false;
    for (const char* p : {"src/", "tests/", "bench/", "docs/", "data/"})
        if (s.rfind(p, 0) == 0) prefix = true;
    if (!prefix || s.find("..") != std::string::npos) return false;
    for (char c : s)
        if (!(word_char(c) || c == '.' || c == '/' || c == '-')) return false;
    return true;
}

// the identifier that ends just before position `end` of s (may be empty), and where it starts
std::string ident_before(const std::string& s, size_t end, size_t* start) {
    size_t i = end;
    while (i > 0 && word_char(s[i - 1])) i--;
    *start = i;
    return s.substr(i, end - i);
}

std::string ident_after(const std::string& s, size_t begin) {
    size_t j = begin;
    while (j < s.size() && word_char(s[j])) j++;
    return s.substr(begin, j - begin);
}

struct Finding {
    int line;
    std::string what;
};

// The stale names of one markdown text (the rules above); `words` is the code's vocabulary.
std::vector<Finding> stale_names(const std::string& md, const std::set<std::string>& words) {
    std::vector<Finding> found;
    auto missing = [&](const std::string& n) { return words.count(n) == 0; };
    std::istringstream in(md);
    std::string line;
    bool fenced = false;
    for (int ln = 1; std::getline(in, line); ln++) {
        const size_t first = line.find_first_not_of(' ');
        if (first != std::string::npos && line.compare(first, 3, "```") == 0) {
            fenced = !fenced;
            continue;
        }
        if (fenced) continue;
        // the inline code spans of the line, in order
        std::vector<std::string> spans;
        std::vector<size_t> ends;
        for (size_t a = line.find('`'); a != std::string::npos;) {
            const size_t b = line.find('`', a + 1);
            if (b == std::string::npos) break;
            spans.push_back(line.substr(a + 1, b - a - 1));
            ends.push_back(b + 1);
            a = line.find('`', b + 1);
        }
        for (size_t k = 0; k < spans.size(); k++) {
            const std::string& s = spans[k];
            if (is_snake(s) && has_long_part(s) && missing(s)) found.push_back({ln, "`" + s + "` is not in the code"});
            for (size_t p = s.find('('); p != std::string::npos; p = s.find('(', p + 1)) {
                size_t start = 0;
                const std::string name = ident_before(s, p, &start);
                const bool method = start > 0 && s[start - 1] == '.';
                if (!method && is_snake(name) && missing(name))
                    found.push_back({ln, "`" + name + "(` is not in the code"});
            }
            for (size_t p = s.find("::"); p != std::string::npos; p = s.find("::", p + 2)) {
                size_t start = 0;
                const std::string type = ident_before(s, p, &start), member = ident_after(s, p + 2);
                for (const std::string& part : {type, member})
                    if (!part.empty() && missing(part))
                        found.push_back({ln, "`" + part + "` (of `" + type + "::" + member + "`) is not in the code"});
            }
            if (is_camel(s) && missing(s)) found.push_back({ln, "`" + s + "` is not in the code"});
            if (is_path(s) && !fs::exists(ROOT + "/" + s)) found.push_back({ln, "`" + s + "`: no such file or folder"});
            // "`name` in `path`": name must be in that file
            if (k + 1 < spans.size() && line.compare(ends[k], 4, " in ") == 0 && ends[k] + 5 == ends[k + 1] - spans[k + 1].size() - 1 &&
                is_path(spans[k + 1]) && spans[k + 1].rfind("docs/", 0) != 0 && spans[k + 1].rfind("data/", 0) != 0) {
                const std::string& file = spans[k + 1];
                const size_t colon = s.rfind(':');
                const std::string last = colon == std::string::npos ? s : s.substr(colon + 1);
                bool ident = !last.empty();
                for (char c : last) ident = ident && word_char(c);
                if (!ident) continue;
                if (!fs::exists(ROOT + "/" + file)) continue;  // reported as a path above
                if (!occurs_in(last, read(ROOT + "/" + file))) found.push_back({ln, "`" + s + "` is not in " + file});
            }
        }
    }
    return found;
}

std::vector<fs::path> doc_files() {
    std::vector<fs::path> docs = {ROOT + "/README.md"};
    for (const auto& e : fs::directory_iterator(ROOT + "/docs"))
        if (e.is_regular_file() && e.path().extension() == ".md") docs.push_back(e.path());
    return docs;
}

}  // namespace

TEST_CASE("docs: every name in backticks exists in the code", "[docs]") {
    const std::set<std::string>& words = code_words();
    REQUIRE(words.count("flow_sample_backward") == 1);  // the vocabulary was read
    int spans = 0;
    for (const fs::path& doc : doc_files()) {
        const std::string md = read(doc);
        spans += (int)std::count(md.begin(), md.end(), '`') / 2;
        for (const Finding& f : stale_names(md, words))
            FAIL_CHECK(fs::relative(doc, ROOT).string() << ":" << f.line << ": " << f.what);
    }
    CHECK(spans > 500);  // the docs were found and read
}

TEST_CASE("docs: the check catches stale names, paths and file references", "[docs]") {
    const std::set<std::string>& words = code_words();
    const std::string md =
        "The NLL's gradient is set by `mle_step` in `src/train/train.cpp`.\n"  // a stale name in a file
        "Call `coupling_forward_backward(dx, dz, dld)` then read `FlowCache::acts_old`.\n"
        "See `src/nn/naive.cpp` and `NoSuchCache`; `flow_typo_backward` too.\n"
        "```\nfenced_blocks_are_skipped(x)\n```\n"
        "These are fine: `flow_log_prob_backward` in `src/flow/flow.cpp`, `--n-train`, `make NAIVE=1`,\n"
        "`x_b ⊙ e`, `couplings.3.net.2.weight`, `torch.load_file(f)`, `FlowCache`, `Params::zero_grad`.\n";
    const std::vector<Finding> found = stale_names(md, words);
    std::string all;
    for (const Finding& f : found) all += std::to_string(f.line) + ": " + f.what + "\n";
    INFO(all);
    CHECK(found.size() == 6);
    CHECK(all.find("1: `mle_step` is not in src/train/train.cpp") != std::string::npos);
    CHECK(all.find("2: `coupling_forward_backward(` is not in the code") != std::string::npos);
    CHECK(all.find("2: `acts_old` (of `FlowCache::acts_old`)") != std::string::npos);
    CHECK(all.find("3: `src/nn/naive.cpp`: no such file") != std::string::npos);
    CHECK(all.find("3: `NoSuchCache`") != std::string::npos);
    CHECK(all.find("3: `flow_typo_backward`") != std::string::npos);
}
