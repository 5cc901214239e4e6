// progress.h — progress of long work on stderr: step, loss, rate and ETA.
//
// On a terminal one line is redrawn in place (at most 10 times a second);
// otherwise (a log file, CI) a plain line is printed every tenth of the run.
#pragma once
#include <chrono>
#include <string>

struct Progress {
    long total = 0;
    bool tty = false, quiet = false;
    long next_line = 0;  // non-terminal: the step at which the next line is due
    std::chrono::steady_clock::time_point start, last_draw;

    void begin(long total_steps, bool quiet_);
    // `text` is appended after "step i/N" (e.g. "loss 3.21")
    void update(long step, const std::string& text);
    void end();
};
