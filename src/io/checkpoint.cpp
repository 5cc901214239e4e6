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
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "io/csv.h"
#include "io/safetensors.h"
#include "io/text.h"
#include "tensor/error.h"

static const char* FORMAT = "symkl-flow-1";
static const char* EBM_FORMAT = "symkl-ebm-1";
static const char* GAUSSIAN_FORMAT = "symkl-gaussian-1";
static const char* KDE_FORMAT = "symkl-kde-1";

Metadata flow_metadata(const FlowConfig& cfg) {
    Metadata m = {{"format", FORMAT},
                  {"dim", std::to_string(cfg.dim)},
                  {"layers", std::to_string(cfg.layers)},
                  {"hidden", std::to_string(cfg.hidden)},
                  {"depth", std::to_string(cfg.depth)},
                  {"act", act_name(cfg.act)},
                  {"scale", scale_name(cfg.scale)},
                  {"clamp", csv_format(cfg.clamp)}};
    // a conditional flow only: an unconditional flow's file is as it always was
    if (cfg.context > 0) m.push_back({"context", std::to_string(cfg.context)});
    if (cfg.embed > 0) {
        m.push_back({"embed", std::to_string(cfg.embed)});
        m.push_back({"embed_hidden", std::to_string(cfg.embed_hidden)});
        m.push_back({"embed_depth", std::to_string(cfg.embed_depth)});
    }
    m.push_back({"real", SYMKL_REAL_NAME});
    return m;
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
    // a conditional flow (absent in older files and unconditional flows: context 0)
    uint64_t context = 0, embed = 0, embed_hidden = 0, embed_depth = 0;
    meta_uint(st, "context", 0, 1 << 20, path, context, false);
    if (meta_uint(st, "embed", 1, 1 << 20, path, embed, false)) {
        if (context == 0)
            throw symkl::Error(path + ": metadata 'embed' without a 'context' (a context embedding needs a context)" +
                               kCorruptMeta);
        meta_uint(st, "embed_hidden", 1, 1 << 20, path, embed_hidden, true);
        meta_uint(st, "embed_depth", 1, 1 << 10, path, embed_depth, true);
        cfg.embed = (int)embed;
        cfg.embed_hidden = (int)embed_hidden;
        cfg.embed_depth = (int)embed_depth;
    }
    cfg.context = (int)context;
    checkpoint_record(st, path);
    checkpoint_standardizer(st, cfg.dim, path);
    checkpoint_columns(st, cfg.dim, path);
    checkpoint_dequantized(st, cfg.dim, path);

    // Couplings alternate the conditioning half (flow.cpp): D/2 → 2(D − D/2), then D − D/2 → 2·(D/2);
    // each conditioner also reads dc context values (the embedding's width when there is one).
    const uint64_t D = (uint64_t)cfg.dim, K = (uint64_t)cfg.layers, H = (uint64_t)cfg.hidden, L = (uint64_t)cfg.depth;
    const uint64_t a = D / 2, b = D - D / 2, dc = embed > 0 ? embed : context;
    const uint64_t even = mlp_params(a + dc, H, L, 2 * b), odd = mlp_params(b + dc, H, L, 2 * a);
    uint64_t params = sat_add(sat_mul((K + 1) / 2, even), sat_mul(K / 2, odd));
    uint64_t tensors = 2 * K * (L + 1);
    if (embed > 0) {
        params = sat_add(params, mlp_params(context, embed_hidden, embed_depth, embed));
        tensors += 2 * (embed_depth + 1);
    }
    std::string what = "a flow (dim " + std::to_string(D) + ", layers " + std::to_string(K) + ", hidden " +
                       std::to_string(H) + ", depth " + std::to_string(L);
    if (context > 0) what += ", context " + std::to_string(context);
    if (embed > 0) what += ", embed " + std::to_string(embed);
    check_sizes(st, tensors, params, what + ")", path);
    Params declared;  // names and shapes only: no values yet
    std::vector<Coupling> couplings((size_t)K);
    for (int k = 0; k < cfg.layers; k++)
        coupling_declare(couplings[k], declared, "couplings." + std::to_string(k), cfg.dim,
                         k % 2 == 0 ? Half::first : Half::second, cfg.hidden, cfg.depth, cfg.act, cfg.scale,
                         (Real)cfg.clamp, (int)dc);
    MLP embed_net;
    if (embed > 0)
        mlp_declare(embed_net, declared, "embed", cfg.context, cfg.embed_hidden, cfg.embed, cfg.embed_depth, cfg.act);
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
    if (e.cfg.context > 0) st.metadata.push_back({"context", std::to_string(e.cfg.context)});
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
    uint64_t context = 0;  // a conditional EBM (absent: context 0)
    meta_uint(st, "context", 0, 1 << 20, path, context, false);
    cfg.context = (int)context;
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
    checkpoint_standardizer(st, cfg.dim, path);
    checkpoint_columns(st, cfg.dim, path);
    checkpoint_dequantized(st, cfg.dim, path);

    const uint64_t D = (uint64_t)cfg.dim, H = (uint64_t)cfg.hidden, L = (uint64_t)cfg.depth;
    check_sizes(file, 2 * (L + 1), mlp_params(D + context, H, L, 1),
                "an energy-based model (dim " + std::to_string(D) + ", hidden " + std::to_string(H) + ", depth " +
                    std::to_string(L) + (context ? ", context " + std::to_string(context) : std::string()) + ")",
                path);
    Params declared;
    MLP net;
    mlp_declare(net, declared, "net", cfg.dim + cfg.context, cfg.hidden, 1, cfg.depth, cfg.act);
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

// The shortest of %.15g / %.17g that reads back to the same double.
static std::string exact_number(double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

Metadata standardizer_metadata(const Standardizer& s) {
    if (s.empty()) return {};
    std::string shift, scale;
    for (size_t j = 0; j < s.shift.size(); j++) {
        shift += (j ? "," : "") + exact_number(s.shift[j]);
        scale += (j ? "," : "") + exact_number(s.scale[j]);
    }
    return {{"standardize_shift", shift}, {"standardize_scale", scale}};
}

Standardizer checkpoint_standardizer(const SafeTensors& st, int dim, const std::string& path) {
    const std::string* shift = st.meta("standardize_shift");
    const std::string* scale = st.meta("standardize_scale");
    Standardizer s;
    if (!shift && !scale) return s;
    if (!shift || !scale)
        throw symkl::Error(path + ": metadata has '" + std::string(shift ? "standardize_shift" : "standardize_scale") +
                           "' without '" + (shift ? "standardize_scale" : "standardize_shift") + "'" + kCorruptMeta);
    auto parse = [&](const std::string& key, const std::string& text, bool positive, std::vector<double>& out) {
        size_t begin = 0;
        for (;;) {
            const size_t comma = text.find(',', begin);
            const std::string field = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
            double v = 0;
            if (!parse_finite(field, v) || (positive && !(v > 0)))
                throw symkl::Error(path + ": metadata '" + key + "' value " + std::to_string(out.size() + 1) + " = '" +
                                   excerpt(field) + "' is not " + (positive ? "a positive number" : "a finite number") +
                                   kCorruptMeta);
            out.push_back(v);
            if (out.size() > (size_t)dim)
                break;
            if (comma == std::string::npos) break;
            begin = comma + 1;
        }
        if (out.size() != (size_t)dim)
            throw symkl::Error(path + ": metadata '" + key + "' holds " + (out.size() > (size_t)dim ? "more than " : "") +
                               std::to_string(out.size() > (size_t)dim ? dim : (int)out.size()) +
                               " numbers, but the model is " + std::to_string(dim) + "-dimensional" + kCorruptMeta);
    };
    parse("standardize_shift", *shift, false, s.shift);
    parse("standardize_scale", *scale, true, s.scale);
    return s;
}

Metadata columns_metadata(const std::vector<std::string>& names) {
    std::string v;
    for (size_t j = 0; j < names.size(); j++) {
        if (names[j].find(',') != std::string::npos) return {};
        v += (j ? "," : "") + names[j];
    }
    if (names.empty()) return {};
    return {{"columns", v}};
}

std::vector<std::string> checkpoint_columns(const SafeTensors& st, int dim, const std::string& path) {
    std::vector<std::string> names;
    const std::string* v = st.meta("columns");
    if (!v) return names;
    size_t begin = 0;
    for (;;) {
        const size_t comma = v->find(',', begin);
        names.push_back(v->substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
        if (comma == std::string::npos || names.size() > (size_t)dim) break;
        begin = comma + 1;
    }
    if (names.size() != (size_t)dim)
        throw symkl::Error(path + ": metadata 'columns' holds " + (names.size() > (size_t)dim ? "more than " : "") +
                           std::to_string(names.size() > (size_t)dim ? dim : (int)names.size()) +
                           " names, but the model is " + std::to_string(dim) + "-dimensional" + kCorruptMeta);
    return names;
}

Metadata dequantized_metadata(const std::vector<int>& cols) {
    if (cols.empty()) return {};
    std::string v;
    for (size_t k = 0; k < cols.size(); k++) v += (k ? "," : "") + std::to_string(cols[k]);
    return {{"dequantized", v}};
}

std::vector<int> checkpoint_dequantized(const SafeTensors& st, int dim, const std::string& path) {
    std::vector<int> cols;
    const std::string* v = st.meta("dequantized");
    if (!v) return cols;
    size_t begin = 0;
    for (;;) {
        const size_t comma = v->find(',', begin);
        const std::string field = v->substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
        uint64_t j = 0;
        if (!parse_u64(field, j) || j >= (uint64_t)dim || (!cols.empty() && (int)j <= cols.back()))
            throw symkl::Error(path + ": metadata 'dequantized' = '" + excerpt(*v) + "' is not a list of column numbers " +
                               "from 0 to " + std::to_string(dim - 1) + " in ascending order" + kCorruptMeta);
        cols.push_back((int)j);
        if (comma == std::string::npos) break;
        begin = comma + 1;
    }
    return cols;
}

// --- the baselines --------------------------------------------------------------

namespace {

// The format must be `want`; otherwise symkl::Error names both.
void need_format(const SafeTensors& st, const char* want, const std::string& path) {
    const std::string& format = need_meta(st, "format", path);
    if (format != want)
        throw symkl::Error(path + ": metadata 'format' is '" + format + "', expected '" + want + "'");
}

// The tensor `name` with exactly this shape, or symkl::Error naming both shapes.
const NamedTensor& need_tensor(const SafeTensors& st, const std::string& name, const std::vector<int64_t>& shape,
                               const std::string& path) {
    const NamedTensor* t = st.find(name);
    auto text = [](const std::vector<int64_t>& s) {
        std::string r = "(";
        for (size_t i = 0; i < s.size(); i++) r += (i ? ", " : "") + std::to_string(s[i]);
        return r + ")";
    };
    if (!t) throw symkl::Error(path + ": has no tensor '" + name + "'" + kCorruptMeta);
    if (t->shape != shape)
        throw symkl::Error(path + ": tensor '" + name + "' has shape " + text(t->shape) + ", the metadata says " +
                           text(shape) + kCorruptMeta);
    return *t;
}

}  // namespace

void save_gaussian(const std::string& path, const Gaussian& g, const Metadata& extra) {
    SafeTensors st;
    st.metadata = {{"format", GAUSSIAN_FORMAT},
                   {"dim", std::to_string(g.dim)},
                   {"alpha", csv_format(g.alpha)},
                   {"real", SYMKL_REAL_NAME}};
    for (const auto& kv : extra) st.metadata.push_back(kv);
    st.tensors.push_back({"mean", {g.dim}, g.mean});
    st.tensors.push_back({"cov", {g.dim, g.dim}, g.cov});
    save_safetensors(path, st, "F64");
}

void gaussian_from_safetensors(Gaussian& g, const SafeTensors& st, const std::string& path) {
    need_format(st, GAUSSIAN_FORMAT, path);
    const int D = meta_int(st, "dim", 1, 1 << 20, path);
    double alpha = 0;
    meta_real(st, "alpha", 0, false, 1, path, alpha, true);
    checkpoint_record(st, path);
    check_sizes(st, 2, sat_add((uint64_t)D, sat_mul((uint64_t)D, (uint64_t)D)),
                "a Gaussian (dim " + std::to_string(D) + ")", path);
    const NamedTensor& mean = need_tensor(st, "mean", {D}, path);
    const NamedTensor& cov = need_tensor(st, "cov", {D, D}, path);
    Gaussian out;
    if (!gaussian_set(out, mean.values, cov.values, alpha))
        throw symkl::Error(path + ": tensor 'cov' is not a symmetric positive definite matrix" + kCorruptMeta);
    g = std::move(out);
}

void save_kde(const std::string& path, const KDE& k, const Metadata& extra) {
    SafeTensors st;
    st.metadata = {{"format", KDE_FORMAT},
                   {"dim", std::to_string(k.dim)},
                   {"n", std::to_string(k.centres.rows)},
                   {"h", csv_format(k.h)},
                   {"real", SYMKL_REAL_NAME}};
    for (const auto& kv : extra) st.metadata.push_back(kv);
    std::vector<double> c(k.centres.data.begin(), k.centres.data.end());
    st.tensors.push_back({"centres", {k.centres.rows, k.dim}, c});
    st.tensors.push_back({"scale", {k.dim}, k.scale});
    save_safetensors(path, st, "F64");
}

void kde_from_safetensors(KDE& k, const SafeTensors& st, const std::string& path) {
    need_format(st, KDE_FORMAT, path);
    const int D = meta_int(st, "dim", 1, 1 << 20, path);
    const int n = meta_int(st, "n", 1, std::numeric_limits<int>::max(), path);
    double h = 0;
    meta_real(st, "h", 0, true, INFINITY, path, h, true);
    checkpoint_record(st, path);
    check_sizes(st, 2, sat_add(sat_mul((uint64_t)n, (uint64_t)D), (uint64_t)D),
                "a kernel density estimate (dim " + std::to_string(D) + ", n " + std::to_string(n) + ")", path);
    const NamedTensor& c = need_tensor(st, "centres", {n, D}, path);
    const NamedTensor& s = need_tensor(st, "scale", {D}, path);
    Tensor centres(n, D);
    for (size_t i = 0; i < c.values.size(); i++) {
        centres.data[i] = (Real)c.values[i];
        if (!std::isfinite((double)centres.data[i]))
            throw symkl::Error(path + ": tensor 'centres' value " + std::to_string(i) + " does not fit this build's " +
                               SYMKL_REAL_NAME + kCorruptMeta);
    }
    KDE out;
    if (!kde_set(out, centres, s.values, h))
        throw symkl::Error(path + ": tensor 'scale' has a value that is not a positive number" + kCorruptMeta);
    k = std::move(out);
}
