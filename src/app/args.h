// args.h — command-line options: one table per command drives parsing,
// validation and --help, so the help text can never drift from the code.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

struct OptSpec {
    const char* flag;     // "--steps"
    const char* metavar;  // "N"; nullptr for a switch that takes no value
    const char* def;      // default shown in --help and used when absent ("" = none)
    const char* help;
};

struct CommandSpec {
    const char* name;     // "train"
    const char* summary;  // one line
    const char* usage;    // "symkl train [options]"
    const char* details;  // paragraphs printed after the options (may be "")
    std::vector<OptSpec> opts;
};

std::string command_help(const CommandSpec& c);

// Parsed options of one command. Every getter validates and throws symkl::Error
// with a one-line message naming the command, the flag, the rule and the value.
struct Args {
    const CommandSpec* spec = nullptr;
    std::map<std::string, std::string> values;  // given or default
    std::map<std::string, bool> given;

    bool has(const std::string& flag) const;    // given on the command line
    bool on(const std::string& flag) const;     // a switch
    std::string str(const std::string& flag) const;
    long integer(const std::string& flag, long lo, long hi) const;
    double real(const std::string& flag, double lo, double hi) const;  // finite, in [lo, hi]
    uint64_t seed(const std::string& flag) const;
    [[noreturn]] void fail(const std::string& flag, const std::string& what) const;
};

// The option of spec an unknown flag is most likely a typo of ("" when none is close):
// closest_flag(train, "--stpes") == "--steps", closest_flag(train, "-o") == "".
std::string closest_flag(const CommandSpec& spec, const std::string& arg);

// Parses argv[first..argc) against the spec; `help` is set when --help/-h is present.
Args parse_args(const CommandSpec& spec, int argc, char** argv, int first, bool* help);
