// checkpoint.cpp — save and load a flow with its architecture.
#include "io/checkpoint.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "io/csv.h"
#include "io/safetensors.h"
#include "tensor/error.h"

static const char* FORMAT = "symkl-flow-1";
static const char* EBM_FORMAT = "symkl-ebm-1";

Metadata flow_metadata(const FlowConfig& cfg) {
    return {{"format", FORMAT},
            {"dim", std::to_string(cfg.dim)},
            {"layers", std::to_string(cfg.layers)},
            {"hidden", std::to_string(cfg.hidden)},
            {"depth", std::to_string(cfg.depth)},
            {"act", act_name(cfg.act)},
            {"scale", scale_name(cfg.scale)},
            {"clamp", csv_format(cfg.clamp)},
            {"real", SYMKL_REAL_NAME}};
}

void save_flow(const std::string& path, const Flow& f, const Metadata& extra) {
    SafeTensors st;
    st.metadata = flow_metadata(f.cfg);
    for (const auto& kv : extra) st.metadata.push_back(kv);
    params_to_safetensors(f.params, st, "");
    save_safetensors(path, st, SYMKL_SAFETENSORS_DTYPE);
}

static const std::string& need_meta(const SafeTensors& st, const std::string& key, const std::string& path) {
    const std::string* v = st.meta(key);
    if (!v)
        throw symkl::Error(path + ": metadata has no '" + key +
                           "' (not a symkl flow checkpoint, or a corrupt one: retrain or pass the right file)");
    return *v;
}

static double meta_positive(const SafeTensors& st, const std::string& key, const std::string& path);

static int meta_int(const SafeTensors& st, const std::string& key, int lo, int hi, const std::string& path) {
    const std::string& v = need_meta(st, key, path);
    errno = 0;
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno != 0 || n < lo || n > hi)
        throw symkl::Error(path + ": metadata '" + key + "' = '" + v + "' is not an integer in [" +
                           std::to_string(lo) + ", " + std::to_string(hi) + "] (the checkpoint is corrupt)");
    return (int)n;
}

void flow_from_safetensors(Flow& f, const SafeTensors& st, const std::string& path) {
    const std::string& format = need_meta(st, "format", path);
    if (format != FORMAT)
        throw symkl::Error(path + ": metadata 'format' is '" + format + "', expected '" + FORMAT +
                           "' (an energy-based proxy? pass it with --proxy-model)");
    FlowConfig cfg;
    cfg.dim = meta_int(st, "dim", 2, 1 << 20, path);
    cfg.layers = meta_int(st, "layers", 1, 1 << 16, path);
    cfg.hidden = meta_int(st, "hidden", 1, 1 << 20, path);
    cfg.depth = meta_int(st, "depth", 1, 1 << 10, path);
    const std::string& act = need_meta(st, "act", path);
    if (!act_from_name(act, &cfg.act))
        throw symkl::Error(path + ": metadata 'act' = '" + act + "' is not relu, tanh or silu (the checkpoint is corrupt)");
    const std::string& scale = need_meta(st, "scale", path);
    if (!scale_from_name(scale, &cfg.scale))
        throw symkl::Error(path + ": metadata 'scale' = '" + scale + "' is not tanh or exp (the checkpoint is corrupt)");
    cfg.clamp = meta_positive(st, "clamp", path);
    Flow g;
    flow_build(g, cfg);
    params_from_safetensors(g.params, st, "", path);
    f = std::move(g);
}

void load_flow(const std::string& path, Flow& f) {
    const SafeTensors st = load_safetensors(path);
    flow_from_safetensors(f, st, path);
}

static double meta_positive(const SafeTensors& st, const std::string& key, const std::string& path) {
    const std::string& v = need_meta(st, key, path);
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !(x > 0) || !std::isfinite(x))
        throw symkl::Error(path + ": metadata '" + key + "' = '" + v + "' is not a positive number (the checkpoint is corrupt)");
    return x;
}

std::string checkpoint_format(const SafeTensors& st) {
    const std::string* f = st.meta("format");
    return f ? *f : std::string();
}

void save_ebm(const std::string& path, const EBM& e, const Metadata& extra) {
    SafeTensors st;
    st.metadata = {{"format", EBM_FORMAT},
                   {"dim", std::to_string(e.cfg.dim)},
                   {"hidden", std::to_string(e.cfg.hidden)},
                   {"depth", std::to_string(e.cfg.depth)},
                   {"act", act_name(e.cfg.act)},
                   {"sigma0", csv_format(e.cfg.sigma0)},
                   {"real", SYMKL_REAL_NAME}};
    for (const auto& kv : extra) st.metadata.push_back(kv);
    params_to_safetensors(e.params, st, "");
    save_safetensors(path, st, SYMKL_SAFETENSORS_DTYPE);
}

void ebm_from_safetensors(EBM& e, const SafeTensors& st, const std::string& path) {
    const std::string format = checkpoint_format(st);
    if (format != EBM_FORMAT)
        throw symkl::Error(path + ": metadata 'format' is '" + format + "', expected '" + EBM_FORMAT + "'");
    EBMConfig cfg;
    cfg.dim = meta_int(st, "dim", 1, 1 << 20, path);
    cfg.hidden = meta_int(st, "hidden", 1, 1 << 20, path);
    cfg.depth = meta_int(st, "depth", 1, 1 << 10, path);
    const std::string& act = need_meta(st, "act", path);
    if (!act_from_name(act, &cfg.act))
        throw symkl::Error(path + ": metadata 'act' = '" + act + "' is not relu, tanh or silu (the checkpoint is corrupt)");
    cfg.sigma0 = meta_positive(st, "sigma0", path);
    EBM g;
    ebm_build(g, cfg);
    params_from_safetensors(g.params, st, "", path);
    e = std::move(g);
}
