// progress.cpp — one redrawn line on a terminal, sparse lines elsewhere.
#include "app/progress.h"

#include <cstdio>
#include <unistd.h>

void Progress::begin(long total_steps, bool quiet_) {
    total = total_steps;
    quiet = quiet_;
    tty = isatty(fileno(stderr));
    next_line = 0;
    start = last_draw = std::chrono::steady_clock::now();
}

static std::string fmt_time(double s) {
    char buf[32];
    if (s < 60) std::snprintf(buf, sizeof buf, "%.0fs", s);
    else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else std::snprintf(buf, sizeof buf, "%dh%02dm", (int)(s / 3600), ((int)s % 3600) / 60);
    return buf;
}

void Progress::update(long step, const std::string& text) {
    if (quiet) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    const bool last = step >= total;
    if (tty) {
        if (!last && std::chrono::duration<double>(now - last_draw).count() < 0.1) return;
    } else {
        if (!last && step < next_line) return;
        next_line = step + (total >= 10 ? total / 10 : 1);
    }
    last_draw = now;
    const double rate = elapsed > 0 ? step / elapsed : 0;
    const double eta = rate > 0 ? (total - step) / rate : 0;
    char buf[256];
    std::snprintf(buf, sizeof buf, "step %ld/%ld  %s  %.1f steps/s  %s %s", step, total, text.c_str(), rate,
                  last ? "took" : "eta", fmt_time(last ? elapsed : eta).c_str());
    if (tty) std::fprintf(stderr, "\r\033[K%s", buf);
    else std::fprintf(stderr, "%s\n", buf);
    std::fflush(stderr);
}

void Progress::end() {
    if (!quiet && tty) std::fprintf(stderr, "\n");
}
