// resume.cpp — the state of a run as a safetensors file, and back.
#include "app/resume.h"

#include <cmath>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "app/options.h"
#include "io/safetensors.h"
#include "tensor/error.h"

void state_capture(RunState& st, const FitModels& m, const Selection* sel, const Rng& batch_rng, const FitCursor& c) {
    const Trainer& t = m.trainer;
    st.cursor = c;
    st.batch_rng = batch_rng;
    st.flow = m.flow.params.value, st.flow_m = t.opt.m, st.flow_v = t.opt.v, st.flow_t = t.opt.t;
    if (t.proxy) st.proxy = t.proxy->params().value, st.proxy_m = t.proxy_opt.m, st.proxy_v = t.proxy_opt.v;
    st.proxy_t = t.proxy_opt.t;
    if (t.critic) st.critic = t.critic->params.value, st.critic_m = t.critic_opt.m, st.critic_v = t.critic_opt.v;
    st.critic_t = t.critic_opt.t;
    st.lambda = t.lambda, st.u = t.u, st.log_z = t.log_z;
    if (sel) {
        st.best_step = sel->best_step, st.since_best = sel->since_best, st.validations = sel->validations;
        st.best_nll = sel->best_nll;
        st.best_flow = sel->best_flow, st.best_proxy = sel->best_proxy;
    }
}

// copied into the buffers in place: the layers' views point into them
static void put(std::vector<Real>& to, const std::vector<Real>& from) { std::copy(from.begin(), from.end(), to.begin()); }

void state_restore(const RunState& st, FitModels& m, Selection* sel, Rng& batch_rng) {
    Trainer& t = m.trainer;
    batch_rng = st.batch_rng;
    put(m.flow.params.value, st.flow), put(t.opt.m, st.flow_m), put(t.opt.v, st.flow_v), t.opt.t = st.flow_t;
    if (t.proxy) {
        put(t.proxy->params().value, st.proxy), put(t.proxy_opt.m, st.proxy_m), put(t.proxy_opt.v, st.proxy_v);
        t.proxy_opt.t = st.proxy_t;
    }
    if (t.critic) {
        put(t.critic->params.value, st.critic), put(t.critic_opt.m, st.critic_m), put(t.critic_opt.v, st.critic_v);
        t.critic_opt.t = st.critic_t;
    }
    t.lambda = st.lambda, t.u = st.u, t.log_z = st.log_z;
    if (sel) {
        sel->best_step = st.best_step, sel->since_best = st.since_best, sel->validations = st.validations;
        sel->best_nll = st.best_nll, sel->improved = false;
        sel->best_flow = st.best_flow, sel->best_proxy = st.best_proxy;
    }
}

uint32_t rows_crc(const Tensor& x, uint32_t crc) {
    return x.data.empty() ? crc : crc32c(x.data.data(), sizeof(Real) * x.data.size(), crc);
}

namespace {

std::string hex64(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
    return buf;
}

// The tensors of a state: name and the vector it holds.
struct Field {
    const char* name;
    std::vector<Real>* v;
};
std::vector<Field> fields(RunState& st) {
    return {{"flow", &st.flow},           {"flow.adam_m", &st.flow_m},     {"flow.adam_v", &st.flow_v},
            {"proxy", &st.proxy},         {"proxy.adam_m", &st.proxy_m},   {"proxy.adam_v", &st.proxy_v},
            {"critic", &st.critic},       {"critic.adam_m", &st.critic_m}, {"critic.adam_v", &st.critic_v},
            {"select.best_flow", &st.best_flow}, {"select.best_proxy", &st.best_proxy}};
}

// The numbers of a state: key and where it lives (doubles exact, integers decimal).
struct Num {
    const char* key;
    double* d;
    long* l;
};
std::vector<Num> numbers(RunState& st) {
    FitCursor& c = st.cursor;
    std::vector<Num> v = {
        {"step", nullptr, &c.step},          {"skipped", nullptr, &c.skipped},   {"grad_norm", &c.grad_norm, nullptr},
        {"sum.F", &c.F, nullptr},            {"sum.R", &c.R, nullptr},           {"sum.G", &c.G, nullptr},
        {"sum.ess", &c.ess, nullptr},        {"sum.critic", &c.critic, nullptr}, {"sum.was", &c.was, nullptr},
        {"sum.gp", &c.gp, nullptr},          {"sum.n", nullptr, &c.n},           {"flow.adam_t", nullptr, &st.flow_t},
        {"proxy.adam_t", nullptr, &st.proxy_t}, {"critic.adam_t", nullptr, &st.critic_t},
        {"lambda", &st.lambda, nullptr},     {"u", &st.u, nullptr},              {"log_z", &st.log_z, nullptr},
        {"select.best_step", nullptr, &st.best_step}, {"select.since_best", nullptr, &st.since_best},
        {"select.validations", nullptr, &st.validations}, {"select.best_nll", &st.best_nll, nullptr},
        {"report.lowest_step", nullptr, &st.lowest_step}, {"report.selected_step", nullptr, &st.selected_step},
        {"report.selected_val_nll", &st.selected_val_nll, nullptr}, {"report.last_good", nullptr, &st.last_good},
        {"ended_at", nullptr, &st.ended_at}, {"rng.spare", &st.batch_rng.spare, nullptr},
    };
    for (Metrics* m : {&st.lowest, &st.selected}) {
        const bool low = m == &st.lowest;
        v.push_back({low ? "report.lowest.train_nll" : "report.selected.train_nll", &m->train_nll, nullptr});
        v.push_back({low ? "report.lowest.test_nll" : "report.selected.test_nll", &m->test_nll, nullptr});
        v.push_back({low ? "report.lowest.fwd_kl" : "report.selected.fwd_kl", &m->fwd_kl, nullptr});
        v.push_back({low ? "report.lowest.rev_kl" : "report.selected.rev_kl", &m->rev_kl, nullptr});
        v.push_back({low ? "report.lowest.jeffreys" : "report.selected.jeffreys", &m->jeffreys, nullptr});
    }
    return v;
}

const char* const FORMAT = "symkl-state-1";

}  // namespace

bool save_run_state(const std::string& path, const RunState& state) {
    RunState st = state;  // fields() and numbers() hand out pointers into it
    for (const Field& x : fields(st))  // a diverged optimiser (float's Adam v overflows first)
        for (double v : *x.v)
            if (!std::isfinite(v)) return false;
    SafeTensors f;
    f.metadata.push_back({"format", FORMAT});
    f.metadata.push_back({"status", st.status});
    f.metadata.push_back({"rng", hex64(st.batch_rng.s[0]) + hex64(st.batch_rng.s[1]) + hex64(st.batch_rng.s[2]) +
                                     hex64(st.batch_rng.s[3])});
    f.metadata.push_back({"rng.has_spare", st.batch_rng.has_spare ? "1" : "0"});
    for (const Num& n : numbers(st)) f.metadata.push_back({n.key, n.d ? exact_text(*n.d) : std::to_string(*n.l)});
    f.metadata.push_back({"metrics_bytes", std::to_string(st.metrics_bytes)});
    f.metadata.push_back({"metrics_crc32c", hex64(st.metrics_crc).substr(8)});
    f.metadata.push_back({"data_crc32c", hex64(st.data_crc).substr(8)});
    f.metadata.push_back({"config", st.config});
    for (const Field& x : fields(st)) {
        if (x.v->empty()) continue;
        f.tensors.push_back({x.name, {(int64_t)x.v->size()}, std::vector<double>(x.v->begin(), x.v->end())});
    }
    save_safetensors(path, f, "F64");
    return true;
}

RunState load_run_state(const std::string& path, const FitModels& m, bool with_selection) {
    const SafeTensors f = load_safetensors(path);  // the checksums, the layout
    auto bad = [&](const std::string& what) -> void { throw symkl::Error(path + ": " + what); };
    auto need = [&](const std::string& key) -> const std::string& {
        const std::string* v = f.meta(key);
        if (!v) bad("metadata '" + key + "' is missing");
        return *v;
    };
    if (need("format") != FORMAT) bad("format is '" + need("format") + "', expected " + FORMAT);
    RunState st;
    st.status = need("status");
    if (st.status != "running" && st.status != "early_stopped" && st.status != "nonfinite")
        bad("status '" + st.status + "' is not running, early_stopped or nonfinite");
    auto hex = [&](const std::string& key, const std::string& text, uint64_t* out) {
        if (text.empty() || text.size() > 16 || text.find_first_not_of("0123456789abcdef") != std::string::npos)
            bad("metadata '" + key + "' is not hexadecimal");
        *out = std::strtoull(text.c_str(), nullptr, 16);
    };
    const std::string& rng = need("rng");
    if (rng.size() != 64) bad("metadata 'rng' must hold 64 hex digits");
    for (int i = 0; i < 4; i++) hex("rng", rng.substr((size_t)i * 16, 16), &st.batch_rng.s[i]);
    const std::string& spare = need("rng.has_spare");
    if (spare != "0" && spare != "1") bad("metadata 'rng.has_spare' must be 0 or 1");
    st.batch_rng.has_spare = spare == "1";
    for (const Num& n : numbers(st)) {
        const std::string& text = need(n.key);
        char* end = nullptr;
        errno = 0;
        if (n.d) *n.d = std::strtod(text.c_str(), &end);
        else *n.l = std::strtol(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || errno == ERANGE) bad("metadata '" + std::string(n.key) + "' is not a number");
    }
    if (st.cursor.step < 0 || st.cursor.n < 0 || st.cursor.skipped < 0) bad("a negative step count");
    uint64_t v = 0;
    {
        const std::string& text = need("metrics_bytes");
        char* end = nullptr;
        st.metrics_bytes = std::strtoull(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0') bad("metadata 'metrics_bytes' is not a number");
    }
    hex("metrics_crc32c", need("metrics_crc32c"), &v), st.metrics_crc = (uint32_t)v;
    hex("data_crc32c", need("data_crc32c"), &v), st.data_crc = (uint32_t)v;
    st.config = need("config");
    // every tensor the models need, of their size, and no other
    const Trainer& t = m.trainer;
    const size_t nf = m.flow.params.size(), np = t.proxy ? t.proxy->params().size() : 0,
                 nc = t.critic ? t.critic->params.size() : 0;
    const size_t bp = with_selection && t.proxy ? np : 0;
    const size_t want[] = {nf, nf, nf, np, np, np, nc, nc, nc, with_selection ? nf : 0, bp};
    size_t i = 0, used = 0;
    for (const Field& x : fields(st)) {
        const NamedTensor* n = f.find(x.name);
        const size_t w = want[i++];
        if (x.v == &st.best_flow || x.v == &st.best_proxy) {  // empty until the first validation
            if (!n) continue;
        } else if (!n && w == 0) {
            continue;
        }
        if (!n) bad("tensor '" + std::string(x.name) + "' is missing");
        if (n->shape.size() != 1 || (size_t)n->shape[0] != w)
            bad("tensor '" + std::string(x.name) + "' has " + std::to_string(n->values.size()) + " values, the model " +
                std::to_string(w));
        x.v->assign(n->values.begin(), n->values.end());
        used++;
    }
    if (used != f.tensors.size()) bad("holds tensors this run does not have");
    return st;
}
