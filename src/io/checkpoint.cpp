// checkpoint.cpp — save and load a flow (or an EBM proxy) with its architecture.
//
// Loading trusts nothing in the metadata: every number is parsed exactly and range
// checked, and the tensors the metadata describes (count, parameter total, then
// every name and shape) are compared with the file's before the model is
// allocated. A corrupt "hidden" = 1048576 is an error in microseconds, not
// gigabytes of zeros: the model allocated never has more values than the file.
#include "io/checkpoint.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

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

namespace {

const char* kCorruptMeta = " (the checkpoint is corrupt: restore it from a copy or retrain)";

const std::string& need_meta(const SafeTensors& st, const std::string& key, const std::string& path) {
    const std::string* v = st.meta(key);
    if (!v)
        throw symkl::Error(path + ": metadata has no '" + key +
                           "' (not a symkl checkpoint, or a corrupt one: retrain or pass the right file)");
    return *v;
}

// Decimal digits only (no sign, space or exponent), at most 2^64 - 1.
bool parse_u64(const std::string& s, uint64_t& out) {
    if (s.empty() || s.size() > 20) return false;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        const uint64_t d = (uint64_t)(c - '0');
        if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
        v = v * 10 + d;
    }
    out = v;
    return true;
}

// A finite decimal number as csv_format writes it: sign, digits, '.', exponent
// (no "nan", "inf", hex floats or spaces, which strtod would take).
bool parse_finite(const std::string& s, double& out) {
    if (s.empty()) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) return false;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (*end != '\0' || !std::isfinite(v)) return false;
    out = v;
    return true;
}

// An integer metadata value in [lo, hi]; absent: throws when `required`, else false.
bool meta_uint(const SafeTensors& st, const std::string& key, uint64_t lo, uint64_t hi, const std::string& path,
               uint64_t& out, bool required) {
    const std::string* v = required ? &need_meta(st, key, path) : st.meta(key);
    if (!v) return false;
    if (!parse_u64(*v, out) || out < lo || out > hi)
        throw symkl::Error(path + ": metadata '" + key + "' = '" + *v + "' is not an integer in [" + std::to_string(lo) +
                           ", " + std::to_string(hi) + "]" + kCorruptMeta);
    return true;
}

int meta_int(const SafeTensors& st, const std::string& key, int lo, int hi, const std::string& path) {
    uint64_t v = 0;
    meta_uint(st, key, (uint64_t)lo, (uint64_t)hi, path, v, true);
    return (int)v;
}

// A finite number in [lo, hi] (lo_open: > lo); absent: throws when `required`, else false.
bool meta_real(const SafeTensors& st, const std::string& key, double lo, bool lo_open, double hi, const std::string& path,
               double& out, bool required) {
    const std::string* v = required ? &need_meta(st, key, path) : st.meta(key);
    if (!v) return false;
    const bool ok = parse_finite(*v, out) && (lo_open ? out > lo : out >= lo) && out <= hi;
    if (!ok) {
        std::string range = lo_open && lo == 0 && std::isinf(hi) ? "a positive number"
                            : std::isinf(lo) && std::isinf(hi) ? "a finite number"
                                                               : "a number in [" + csv_format(lo) + ", " + csv_format(hi) + "]";
        throw symkl::Error(path + ": metadata '" + key + "' = '" + *v + "' is not " + range + kCorruptMeta);
    }
    return true;
}

// One of `names` (when present).
void meta_choice(const SafeTensors& st, const std::string& key, std::initializer_list<const char*> names,
                 const std::string& path) {
    const std::string* v = st.meta(key);
    if (!v) return;
    std::string list;
    for (const char* n : names) {
        if (*v == n) return;
        list += (list.empty() ? "" : " or ") + std::string(n);
    }
    throw symkl::Error(path + ": metadata '" + key + "' = '" + *v + "' is not " + list + kCorruptMeta);
}

// Saturating arithmetic for the parameter count a metadata describes.
const uint64_t kSat = std::numeric_limits<uint64_t>::max();
uint64_t sat_mul(uint64_t a, uint64_t b) { return a != 0 && b > kSat / a ? kSat : a * b; }
uint64_t sat_add(uint64_t a, uint64_t b) { return b > kSat - a ? kSat : a + b; }

// Parameters of an MLP in → (L hidden layers of H) → out, saturating.
uint64_t mlp_params(uint64_t in, uint64_t H, uint64_t L, uint64_t out) {
    uint64_t n = sat_add(sat_mul(in, H), H);                               // first layer
    n = sat_add(n, sat_mul(L - 1, sat_add(sat_mul(H, H), H)));              // hidden to hidden
    return sat_add(n, sat_add(sat_mul(H, out), out));                      // last layer
}

// Before anything is allocated: the metadata must describe exactly as many
// tensors and values as the file holds. Then the model (at most the file's
// size) can be declared and its every name and shape compared.
void check_sizes(const SafeTensors& st, uint64_t tensors, uint64_t params, const std::string& what,
                 const std::string& path) {
    uint64_t values = 0;
    for (const NamedTensor& t : st.tensors) values += t.values.size();
    if (tensors != st.tensors.size() || params != values)
        throw symkl::Error(path + ": metadata describes " + what + " with " + std::to_string(tensors) + " tensors of " +
                           (params == kSat ? std::string("2^64 or more") : std::to_string(params)) +
                           " values in all, but the file holds " + std::to_string(st.tensors.size()) + " tensors of " +
                           std::to_string(values) + " values" + kCorruptMeta);
}

}  // namespace

CheckpointRecord checkpoint_record(const SafeTensors& st, const std::string& path) {
    const uint64_t i64max = (uint64_t)std::numeric_limits<int64_t>::max();
    const double inf = INFINITY;
    CheckpointRecord r;
    r.has_seed = meta_uint(st, "seed", 0, std::numeric_limits<uint64_t>::max(), path, r.seed, false);
    r.has_step = meta_uint(st, "step", 0, i64max, path, r.step, false);
    uint64_t n_train = 0;
    meta_uint(st, "n_train", 0, i64max, path, n_train, false);
    r.has_log_z = meta_real(st, "log_z", -inf, false, inf, path, r.log_z, false);
    meta_real(st, "log_z_ess", 0, false, 1, path, r.log_z_ess, false);
    meta_uint(st, "log_z_samples", 1, i64max, path, r.log_z_samples, false);
    meta_choice(st, "real", {"double", "float"}, path);
    meta_choice(st, "role", {"main", "proxy"}, path);
    return r;
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
        throw symkl::Error(path + ": metadata 'act' = '" + act + "' is not relu, tanh or silu" + kCorruptMeta);
    const std::string& scale = need_meta(st, "scale", path);
    if (!scale_from_name(scale, &cfg.scale))
        throw symkl::Error(path + ": metadata 'scale' = '" + scale + "' is not tanh or exp" + kCorruptMeta);
    meta_real(st, "clamp", 0, true, INFINITY, path, cfg.clamp, true);
    checkpoint_record(st, path);

    // Couplings alternate the conditioning half (flow.cpp): D/2 → 2(D − D/2), then D − D/2 → 2·(D/2).
    const uint64_t D = (uint64_t)cfg.dim, K = (uint64_t)cfg.layers, H = (uint64_t)cfg.hidden, L = (uint64_t)cfg.depth;
    const uint64_t a = D / 2, b = D - D / 2;
    const uint64_t even = mlp_params(a, H, L, 2 * b), odd = mlp_params(b, H, L, 2 * a);
    const uint64_t params = sat_add(sat_mul((K + 1) / 2, even), sat_mul(K / 2, odd));
    check_sizes(st, 2 * K * (L + 1), params, "a flow (dim " + std::to_string(D) + ", layers " + std::to_string(K) +
                                                 ", hidden " + std::to_string(H) + ", depth " + std::to_string(L) + ")", path);
    Params declared;  // names and shapes only: no values yet
    std::vector<Coupling> couplings((size_t)K);
    for (int k = 0; k < cfg.layers; k++)
        coupling_declare(couplings[k], declared, "couplings." + std::to_string(k), cfg.dim,
                         k % 2 == 0 ? Half::first : Half::second, cfg.hidden, cfg.depth, cfg.act, cfg.scale,
                         (Real)cfg.clamp);
    params_check_safetensors(declared, st, "", path);

    Flow g;
    flow_build(g, cfg);
    params_from_safetensors(g.params, st, "", path);
    f = std::move(g);
}

void load_flow(const std::string& path, Flow& f) {
    const SafeTensors st = load_safetensors(path);
    flow_from_safetensors(f, st, path);
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
    if (!e.cfg.base_whiten.empty()) {  // the Gaussian base: μ and W as two more tensors
        const int64_t D = e.cfg.dim;
        st.metadata.push_back({"base", "gaussian"});
        st.tensors.push_back({"base.mean", {D}, e.cfg.base_mean});
        st.tensors.push_back({"base.whiten", {D, D}, e.cfg.base_whiten});
    }
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
        throw symkl::Error(path + ": metadata 'act' = '" + act + "' is not relu, tanh or silu" + kCorruptMeta);
    meta_real(st, "sigma0", 0, true, INFINITY, path, cfg.sigma0, true);
    checkpoint_record(st, path);
    // "base" = "gaussian": tensors base.mean (D) and base.whiten (D, D) besides f_ψ's
    // (absent: the isotropic base N(0, σ₀² I), as every checkpoint before it was written)
    const std::string* base = st.meta("base");
    if (base && *base != "gaussian")
        throw symkl::Error(path + ": metadata 'base' = '" + *base + "' is not gaussian" + kCorruptMeta);
    SafeTensors net_only;
    if (base) {
        const NamedTensor* mean = st.find("base.mean");
        const NamedTensor* whiten = st.find("base.whiten");
        const int64_t D = cfg.dim;
        if (!mean || !whiten || mean->shape != std::vector<int64_t>{D} ||
            whiten->shape != std::vector<int64_t>{D, D})
            throw symkl::Error(path + ": metadata 'base' = 'gaussian' needs tensors base.mean of shape (" +
                               std::to_string(D) + ") and base.whiten of shape (" + std::to_string(D) + ", " +
                               std::to_string(D) + ")" + kCorruptMeta);
        cfg.base_mean = mean->values;
        cfg.base_whiten = whiten->values;
        net_only.metadata = st.metadata;
        for (const NamedTensor& t : st.tensors)
            if (&t != mean && &t != whiten) net_only.tensors.push_back(t);
    }
    const SafeTensors& file = base ? net_only : st;

    const uint64_t D = (uint64_t)cfg.dim, H = (uint64_t)cfg.hidden, L = (uint64_t)cfg.depth;
    check_sizes(file, 2 * (L + 1), mlp_params(D, H, L, 1),
                "an energy-based model (dim " + std::to_string(D) + ", hidden " + std::to_string(H) + ", depth " +
                    std::to_string(L) + ")",
                path);
    Params declared;
    MLP net;
    mlp_declare(net, declared, "net", cfg.dim, cfg.hidden, 1, cfg.depth, cfg.act);
    params_check_safetensors(declared, file, "", path);

    EBM g;
    try {
        ebm_build(g, cfg);
    } catch (const symkl::Error& err) {  // a Gaussian base that is not finite or not triangular
        throw symkl::Error(path + ": " + err.what() + kCorruptMeta);
    }
    params_from_safetensors(g.params, file, "", path);
    e = std::move(g);
}
