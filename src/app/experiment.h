// experiment.h — experiments as data. An Experiment is a table: the grid of training
// configurations (axes of values, each value a few training-option overrides), the
// seeds, the --quick preset's smaller grid, and which summary tables and figures to
// make. One runner executes any such table: it builds the cells (one configuration
// each), trains every cell × seed on the worker pool (app/jobs.h), and writes
//   DIR/runs/<cell>/seed<S>/   one `symkl train` directory per run
//   DIR/results.csv            one row per run
//   DIR/summary.md, DIR/fig/   the tables (median [min, max] over seeds) and figures
// The tables of `symkl experiment` and `symkl compare` are in app/experiments.cpp;
// adding an experiment is adding a table there (and, if its summary is not a plain grid
// of tables and figures, a small summary function).
#pragma once
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "app/jobs.h"
#include "plot/metrics_file.h"
#include "plot/svg.h"

// Training options as the command line gives them: {"--lr", "1e-3"}.
using Overrides = std::vector<std::pair<std::string, std::string>>;

// One value of an axis.
struct Level {
    std::string value;  // in results.csv and the cell's directory name: "100", "0.001", "mle"
    Overrides also;     // options this value sets besides the axis' own flags
    std::string label;  // in tables and figures ("" = value)
    Level(const char* v) : value(v) {}
    Level(std::string v, Overrides a = {}, std::string l = "")
        : value(std::move(v)), also(std::move(a)), label(std::move(l)) {}
    const std::string& shown() const { return label.empty() ? value : label; }
};

// One factor of the design. Each value sets every flag of `flags` to itself (plus its
// own `also`); the axis whose key is "method" sets the run's method by name (set_method).
struct Axis {
    std::string key;                 // results.csv column: "n_train"; "method" for the method
    std::string prefix;              // in cell names: "n" → "8gaussians_n100_mle"
    std::string name;                // in tables and figure files ("" = key)
    std::vector<std::string> flags;  // {"--n-train"}; {"--lr", "--proxy-lr", "--critic-lr"}
    std::vector<Level> levels;       // the values, in table order
    std::vector<Level> quick;        // the --quick preset's values (empty = levels)
    std::string title;               // axis title of figures: "training points"
    bool log_x = false;              // its values span decades: a log axis in figures
    std::string base;                // Grid::one_at_a_time: the value the other factors hold
};

enum class Grid {
    product,       // every combination of the axes' values, the first axis outermost
    one_at_a_time  // each axis' values with the others at their base (duplicates once)
};

// The quantities a summary table or figure shows per cell, over its seeds.
// selected_nll: the test NLL of the model a run selected (the lowest validation NLL; the
// last step without validation rows; a baseline's chosen grid value).
enum class Quantity { final_nll, best_nll, rise, final_jef, best_jef, final_rev, lambda, stopped, selected_nll };

enum class LogY { no, yes, if_positive /* when every value drawn is positive */ };

// A figure of the generic summary (product grids). Patterns in file, title and label
// take {key} for the level shown on the axis `key` ("{data}-n{n_train}-test-nll.svg").
struct Figure {
    enum class Kind {
        curves,  // the metrics column against steps, one curve per level of `over` (median, band over seeds)
        versus,  // the final value of `quantity` against the numeric axis `x`, one line per level of `over`
        density  // the true density, then each level of `over`'s seed-0 model (PNG, 2-D toy data only)
    } kind;
    std::vector<std::string> per;  // one figure per combination of these axes' values
    std::string over;
    std::string file = "", title = "";
    std::string column = "";                  // curves: metrics column ("test_nll"); versus: the ylabel
    Quantity quantity = Quantity::final_nll;  // versus
    std::string x = "";                       // versus: the axis along x (log when the axis says so)
    LogY log_y = LogY::if_positive;
    std::string label = "";   // curves: series label ("" = the level of `over`)
    bool first_only = false;  // only the first value of the last `per` axis
};

// A summary table: one "## <value>" section per value of `section` ("" = one table), one
// row per cell in `rows` order, the first columns naming the row's values.
struct Table {
    std::string section;
    std::vector<std::string> rows;
    std::vector<std::pair<std::string, Quantity>> columns;  // {"final test NLL", Quantity::final_nll}
};

struct Results;

struct Experiment {
    std::string name;         // "E1"; "" for compare (progress lines then name no experiment)
    std::string title;        // "small data (claim a)"
    std::string description;  // summary.md's first paragraph; {n_train}, {n_test} from the first cell
    Overrides set;            // every run, whatever the command line says
    Overrides defaults;       // every run, where the command line does not give the flag
    Grid grid = Grid::product;
    std::vector<Axis> axes;
    std::vector<std::string> references;  // one_at_a_time: extra cells, one per method named
    long seeds = 3, quick_seeds = 1;
    std::string run_dir = "runs/{cell}/seed{seed}";  // each run's directory under DIR
    std::vector<std::string> csv;  // results.csv columns after the axes' (run_value in experiment.cpp)
    Table table;
    std::vector<Figure> figures;
    std::string (*summary)(const Results&) = nullptr;  // summary.md; nullptr = generic_summary
};

// One configuration of the grid, trained with seeds 0 .. seeds-1.
struct Cell {
    std::string id;                   // directory name: "8gaussians_n100_mle"
    std::vector<std::string> levels;  // per axis, as in results.csv ("-" where none)
    std::vector<std::string> shown;   // per axis, as in tables and figures
    std::string method;
    Overrides set;             // the options the cell sets (the experiment's and its values')
    RunSettings s;             // as built from them (seed and out not yet set)
    std::vector<size_t> runs;  // indices into Results::jobs
};

// What a summary needs of one run: its final and best values (NaN for a run that could
// not start) and its logged metrics.
struct Outcome {
    double final_nll = NAN, final_jef = NAN, best_nll = NAN, best_jef = NAN, final_train = NAN, final_rev = NAN,
           final_fwd = NAN;
    long best_step = 0, stopped_at = -1;  // stopped_at: the step a non-finite value stopped it
    double selected_nll = NAN, selected_val = NAN;  // the selected model's test and validation NLL
    long selected_step = 0;                          // (val_nll in metrics.csv; the last row without it)
    bool baseline = false;                           // gaussian, kde: one row per grid value, no steps
    MetricsTable table;
};

struct Results {
    const Experiment* x = nullptr;
    std::string dir;
    bool quick = false;
    long seeds = 1;
    std::vector<std::vector<Level>> levels;  // per axis: the values in use (full or quick)
    std::vector<Cell> cells;
    std::vector<Job> jobs;     // cell by cell, seed by seed
    std::vector<Outcome> out;  // per job
    size_t reused = 0;         // runs kept from an earlier invocation (--resume)
    double wall = 0;           // seconds
    int failures = 0;          // runs with a non-zero exit code
    int unreadable = 0;        // runs that could not start (exit code 2)
};

// Copies the command line's options, applies `set` (the experiment wins) and `defaults`
// (the command line wins), then reads them as `symkl train` would.
RunSettings settings_for(const Args& cmdline, const Overrides& set, const Overrides& defaults,
                         const std::string& method, const Training& t);

// The cells and jobs of experiment x (not trained yet): `extra` are defaults of every run
// below the experiment's (the --quick preset), seeds 0 .. seeds-1, runs under dir.
Results plan(const Experiment& x, const Args& cmdline, const Overrides& extra, bool quick, long seeds,
             const std::string& dir, const Training& t);

// Trains the planned runs (with --resume, keeps those already finished in the directory)
// and reads back what the summaries need.
void run(Results& r, long jobs_n, bool resume, bool quiet, const Training& t);

// results.csv and summary.md (with its figures) into r.dir; returns summary.md's text.
std::string write_outputs(const Results& r);

// --- pieces for summary functions

// "# E1: title\n\n<description>\n\n<N> runs (...), timing, build; median [min, max] ..."
std::string header_md(const Results& r);
// The generic summary: header, r.x->table, r.x->figures.
std::string generic_summary(const Results& r);

// A Markdown table.
std::string md_table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows);
// One table cell: "3.263 [3.209, 3.748]" (median [min, max] over the cell's seeds, "n/a"
// when none has a value), "0.059" for the median rise, the count for stopped.
std::string quantity_text(const Results& r, const Cell& c, Quantity q);
// The values of a quantity over a cell's runs (runs that could not start left out).
std::vector<double> quantity_values(const Results& r, const Cell& c, Quantity q);

// The cell whose values on the named axes are these (shown or results.csv text); nullptr if none.
const Cell* find_cell(const Results& r, const std::vector<std::pair<std::string, std::string>>& where);
size_t axis_index(const Experiment& x, const std::string& key);  // throws symkl::Error for an unknown key

// Figures into r.dir/fig/; a figure that cannot be drawn is a warning on stderr.
struct VersusLine {
    std::string label;
    std::vector<std::pair<double, const Cell*>> points;
    Dash dash = Dash::solid;
};
void curves_figure(const Results& r, const std::string& file, const std::string& title,
                   const std::vector<std::pair<std::string, const Cell*>>& curves, const std::string& column,
                   bool log_y);
void versus_figure(const Results& r, const std::string& file, const std::string& title, const std::string& xlabel,
                   const std::vector<VersusLine>& lines, Quantity q, const std::string& ylabel, bool log_x, bool log_y);

// The tables (app/experiments.cpp).
const std::vector<Experiment>& experiments();  // E1, E2, E3
Experiment compare_experiment(const std::vector<std::string>& methods, long seeds);
extern const Overrides QUICK_OPTIONS;  // the --quick preset's defaults
