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
#include <filesystem>
#include <fstream>
#include <regex>
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

void add_words(std::set<std::string>& words, const std::string& text) {
    static const std::regex word("[A-Za-z_][A-Za-z0-9_]*");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), word); it != std::sregex_iterator(); ++it)
        words.insert(it->str());
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

struct Finding {
    int line;
    std::string what;
};

// The stale names of one markdown text (the rules above); `words` is the code's vocabulary.
std::vector<Finding> stale_names(const std::string& md, const std::set<std::string>& words) {
    static const std::regex snake("[a-z][a-z0-9]*(_[a-z0-9]+)+");
    static const std::regex long_part("(^|_)[a-z0-9]{3,}(_|$)");
    static const std::regex call("(^|[^.A-Za-z0-9_])([a-z][a-z0-9]*(_[a-z0-9]+)+)\\(");
    static const std::regex scoped("([A-Za-z_][A-Za-z0-9_]*)::([A-Za-z_][A-Za-z0-9_]*)");
    static const std::regex camel("[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*|[A-Z]+[a-z]+[A-Z][A-Za-z0-9]*");
    static const std::regex path("(src|tests|bench|docs|data)/[A-Za-z0-9_./-]*");
    static const std::regex span("`([^`\\n]+)`");
    static const std::regex in_file("`([A-Za-z_][A-Za-z0-9_:]*)` in `((src|tests|bench)/[A-Za-z0-9_./-]+)`");
    std::vector<Finding> found;
    auto missing = [&](const std::string& n) { return words.count(n) == 0; };
    std::istringstream in(md);
    std::string line;
    bool fenced = false;
    for (int ln = 1; std::getline(in, line); ln++) {
        if (line.rfind("```", 0) == 0 || line.rfind("    ```", 0) == 0) {
            fenced = !fenced;
            continue;
        }
        if (fenced) continue;
        for (auto it = std::sregex_iterator(line.begin(), line.end(), span); it != std::sregex_iterator(); ++it) {
            const std::string s = (*it)[1].str();
            std::smatch m;
            if (std::regex_match(s, snake) && std::regex_search(s, long_part) && missing(s)) found.push_back({ln, "`" + s + "` is not in the code"});
            for (auto c = std::sregex_iterator(s.begin(), s.end(), call); c != std::sregex_iterator(); ++c)
                if (s != (*c)[2].str() && missing((*c)[2].str()))
                    found.push_back({ln, "`" + (*c)[2].str() + "(` is not in the code"});
            for (auto c = std::sregex_iterator(s.begin(), s.end(), scoped); c != std::sregex_iterator(); ++c)
                for (int part : {1, 2})
                    if (missing((*c)[part].str()))
                        found.push_back({ln, "`" + (*c)[part].str() + "` (of `" + (*c)[0].str() + "`) is not in the code"});
            if (std::regex_match(s, camel) && missing(s)) found.push_back({ln, "`" + s + "` is not in the code"});
            if (std::regex_match(s, path) && s.find("..") == std::string::npos && !fs::exists(ROOT + "/" + s))
                found.push_back({ln, "`" + s + "`: no such file or folder"});
        }
        for (auto it = std::sregex_iterator(line.begin(), line.end(), in_file); it != std::sregex_iterator(); ++it) {
            const std::string name = (*it)[1].str(), file = (*it)[2].str();
            const std::string last = name.substr(name.rfind(':') == std::string::npos ? 0 : name.rfind(':') + 1);
            if (!fs::exists(ROOT + "/" + file)) found.push_back({ln, "`" + file + "`: no such file"});
            else if (!occurs_in(last, read(ROOT + "/" + file)))
                found.push_back({ln, "`" + name + "` is not in " + file});
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
