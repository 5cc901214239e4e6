// progress.h — progress of long work on stderr: step, loss, rate and ETA.
//
// On a terminal one line is redrawn in place (at most 10 times a second);
// otherwise (a log file, CI) a plain line is printed every tenth of the run.
//
// The rate is measured over windows of at least half a second, starting at the first
// step (so the set-up before it — loading data, the step-0 evaluation — does not count),
// and smoothed by an exponential moving average, rate ← 0.3·window + 0.7·rate. The ETA,
// (total − step) / rate, is shown only once it is stable: after two windows, and after
// 3% of the run or 3 seconds, whichever comes first. Before that the line has no ETA.
//
// The same line counts other units: `compare` and `experiment` count runs ("run 3/24 ...
// eta 4m10s", no rate: a run takes seconds), between the lines of the finished runs, and
// end with "done: 24 runs in 5m12s".
#pragma once
#include <chrono>
#include <string>

struct Progress {
    long total = 0;
    bool tty = false, quiet = false;
    std::string unit = "step";  // what is counted; "step" lines also show the rate
    bool drawn = false;         // a terminal line is on screen (clear() removes it)
    long next_line = 0;  // non-terminal: the step at which the next line is due
    std::chrono::steady_clock::time_point start, last_draw;

    // the rate estimate, in seconds since begin()
    double rate = 0;                        // smoothed steps per second; 0 until the first window
    int windows = 0;                        // windows measured
    double window_t = -1;                   // start of the current window (-1: no step seen yet)
    long window_step = 0;
    double first_t = 0;                     // when the first step was seen
    long first_step = 0;

    void begin(long total_steps, bool quiet_);
    // `text` is appended after "step i/N" (e.g. "loss 3.21")
    void update(long step, const std::string& text);
    void end();
    // Removes the redrawn line from a terminal, so that another line can be printed there.
    void clear();
    // The last line: "done: 24 runs in 5m12s" (total units, t seconds after begin()).
    std::string done_line(double t) const;
    double elapsed() const;  // seconds since begin()

    // The clock-free core of update(), for tests: record that `step` was reached t
    // seconds after begin(), and the line update() would print then.
    void observe(long step, double t);
    bool eta_ready(long step, double t) const;
    std::string line(long step, double t, const std::string& text) const;
};
