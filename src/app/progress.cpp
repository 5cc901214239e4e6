// progress.cpp — one redrawn line on a terminal, sparse lines elsewhere; a smoothed rate.
#include "app/progress.h"

#include <cstdio>
#include <unistd.h>

void Progress::begin(long total_steps, bool quiet_) {
    total = total_steps;
    quiet = quiet_;
    tty = isatty(fileno(stderr));
    next_line = 0;
    drawn = false;
    rate = 0, windows = 0, window_t = -1, window_step = first_step = 0, first_t = 0;
    start = last_draw = std::chrono::steady_clock::now();
}

static std::string fmt_time(double s) {
    char buf[32];
    if (s < 60) std::snprintf(buf, sizeof buf, "%.0fs", s);
    else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else std::snprintf(buf, sizeof buf, "%dh%02dm", (int)(s / 3600), ((int)s % 3600) / 60);
    return buf;
}

static const double WINDOW_S = 0.5, SMOOTHING = 0.3, READY_FRACTION = 0.03, READY_S = 3;

void Progress::observe(long step, double t) {
    if (window_t < 0) {  // the first step: the windows start here
        window_t = first_t = t, window_step = first_step = step;
        return;
    }
    if (t - window_t < WINDOW_S || step <= window_step) return;
    const double r = (step - window_step) / (t - window_t);
    rate = windows == 0 ? r : SMOOTHING * r + (1 - SMOOTHING) * rate;
    windows++;
    window_t = t, window_step = step;
}

bool Progress::eta_ready(long step, double t) const {
    return windows >= 2 && rate > 0 && (step >= READY_FRACTION * total || t - first_t >= READY_S);
}

std::string Progress::line(long step, double t, const std::string& text) const {
    char buf[320];
    const bool steps = unit == "step";
    int n = steps ? std::snprintf(buf, sizeof buf, "step %ld/%ld  %s", step, total, text.c_str())
                  : std::snprintf(buf, sizeof buf, "%s %ld/%ld%s%s", unit.c_str(), step, total, text.empty() ? "" : "  ",
                                  text.c_str());
    auto add = [&](const std::string& s) {
        if (n >= 0 && n < (int)sizeof buf) n += std::snprintf(buf + n, sizeof buf - n, "%s", s.c_str());
    };
    char r[64];
    if (step >= total && !steps) {
        add("  took " + fmt_time(t));
    } else if (step >= total) {
        // the whole run's mean rate, from the first step
        if (t > first_t && step > first_step)
            std::snprintf(r, sizeof r, "  %.1f steps/s", (step - first_step) / (t - first_t)), add(r);
        add("  took " + fmt_time(t));
    } else if (windows > 0) {
        if (steps) std::snprintf(r, sizeof r, "  %.1f steps/s", rate), add(r);
        if (eta_ready(step, t)) add("  eta " + fmt_time((total - step) / rate));
    }
    return buf;
}

void Progress::update(long step, const std::string& text) {
    if (quiet) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    observe(step, elapsed);
    const bool last = step >= total;
    if (tty) {
        if (!last && std::chrono::duration<double>(now - last_draw).count() < 0.1) return;
    } else {
        if (!last && step < next_line) return;
        next_line = step + (total >= 10 ? total / 10 : 1);
    }
    last_draw = now;
    const std::string s = line(step, elapsed, text);
    if (tty) std::fprintf(stderr, "\r\033[K%s", s.c_str());
    else std::fprintf(stderr, "%s\n", s.c_str());
    drawn = tty;
    std::fflush(stderr);
}

void Progress::end() {
    if (!quiet && tty) std::fprintf(stderr, "\n");
    drawn = false;
}

void Progress::clear() {
    if (!quiet && drawn) std::fprintf(stderr, "\r\033[K");
    drawn = false;
}

std::string Progress::done_line(double t) const {
    return "done: " + std::to_string(total) + " " + unit + (total == 1 ? "" : "s") + " in " + fmt_time(t);
}

double Progress::elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); }
