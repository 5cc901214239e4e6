// posterior.cpp — a trained posterior's file: a conditional flow's file with its
// format renamed and the two z-scoring maps.
#include "io/posterior.h"

#include <string>

#include "io/safetensors.h"
#include "sbi/tasks.h"
#include "tensor/error.h"

static const char* FORMAT = "symkl-posterior-1";
static const char* kCorrupt = " (the model file is corrupt: retrain it with 'symkl sbi train')";

static std::string join(const std::vector<std::string>& names) {
    std::string v;
    for (size_t j = 0; j < names.size(); j++) v += (j ? "," : "") + names[j];
    return v;
}

static std::vector<std::string> split_names(const std::string& v) {
    std::vector<std::string> out;
    size_t begin = 0;
    for (;;) {
        const size_t comma = v.find(',', begin);
        out.push_back(v.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
        if (comma == std::string::npos) return out;
        begin = comma + 1;
    }
}

static bool names_ok(const std::vector<std::string>& names, int dim) {
    if (names.empty()) return true;
    if ((int)names.size() != dim) return false;
    for (const std::string& n : names)
        if (n.find(',') != std::string::npos) return false;
    return true;
}

void save_posterior(const std::string& path, const Posterior& post, const PosteriorInfo& info, const Metadata& extra) {
    SafeTensors st;
    st.metadata = flow_metadata(post.flow.cfg);
    st.metadata[0].second = FORMAT;  // flow_metadata's first key is the format
    for (const auto& kv : standardizer_metadata(post.theta_z)) st.metadata.push_back(kv);
    Standardizer xz = post.x_z;
    for (auto& kv : standardizer_metadata(xz))
        st.metadata.push_back({kv.first == "standardize_shift" ? "context_shift" : "context_scale", kv.second});
    st.metadata.push_back({"task", info.task});
    const int K = post.flow.cfg.dim, C = post.flow.cfg.context;
    if (!info.theta_names.empty() && names_ok(info.theta_names, K))
        st.metadata.push_back({"theta_columns", join(info.theta_names)});
    if (!info.x_names.empty() && names_ok(info.x_names, C)) st.metadata.push_back({"x_columns", join(info.x_names)});
    for (const auto& kv : extra) st.metadata.push_back(kv);
    params_to_safetensors(post.flow.params, st, "");
    save_safetensors(path, st, SYMKL_SAFETENSORS_DTYPE);
}

PosteriorInfo load_posterior(const std::string& path, Posterior& post) {
    SafeTensors st = load_safetensors(path);
    return posterior_from_safetensors(st, path, post);
}

PosteriorInfo posterior_from_safetensors(SafeTensors& st, const std::string& path, Posterior& post) {
    const std::string format = checkpoint_format(st);
    if (format != FORMAT)
        throw symkl::Error(path + ": metadata 'format' is '" + format + "', expected '" + FORMAT +
                           "' (pass the model.safetensors that 'symkl sbi train' wrote)");
    // the flow's own checks, on the file seen as a flow file
    for (auto& kv : st.metadata)
        if (kv.first == "format") kv.second = "symkl-flow-1";
    Posterior p;
    flow_from_safetensors(p.flow, st, path);
    const int K = p.flow.cfg.dim, C = p.flow.cfg.context;
    if (C < 1) throw symkl::Error(path + ": metadata has no 'context' (a posterior is a conditional flow)" + kCorrupt);
    p.theta_z = checkpoint_standardizer(st, K, path);
    // x's map: the same checks under its own keys
    SafeTensors xs;
    for (const auto& kv : st.metadata)
        if (kv.first == "context_shift" || kv.first == "context_scale")
            xs.metadata.push_back({kv.first == "context_shift" ? "standardize_shift" : "standardize_scale", kv.second});
    try {
        p.x_z = checkpoint_standardizer(xs, C, path);
    } catch (const symkl::Error& e) {
        std::string m = e.what();
        for (size_t at; (at = m.find("standardize_")) != std::string::npos;) m.replace(at, 12, "context_");
        throw symkl::Error(m);
    }
    if (p.theta_z.empty() != p.x_z.empty())
        throw symkl::Error(path + ": metadata has the z-scoring of " + (p.theta_z.empty() ? "x" : "theta") +
                           " but not of " + (p.theta_z.empty() ? "theta" : "x") + kCorrupt);
    PosteriorInfo info;
    const std::string* task = st.meta("task");
    if (!task) throw symkl::Error(path + ": metadata has no 'task'" + kCorrupt);
    SbiTask t;
    if (*task != "custom") {
        if (!sbi_task_from_name(*task, &t))
            throw symkl::Error(path + ": metadata 'task' = '" + *task + "' is not custom or one of " + sbi_task_names() +
                               kCorrupt);
        if (sbi_theta_dim(t) != K || sbi_x_dim(t) != C)
            throw symkl::Error(path + ": metadata 'task' = '" + *task + "' has " + std::to_string(sbi_theta_dim(t)) +
                               " parameters and " + std::to_string(sbi_x_dim(t)) + " data, the flow " +
                               std::to_string(K) + " and " + std::to_string(C) + kCorrupt);
    }
    info.task = *task;
    if (const std::string* v = st.meta("theta_columns")) info.theta_names = split_names(*v);
    if (const std::string* v = st.meta("x_columns")) info.x_names = split_names(*v);
    if ((int)info.theta_names.size() != (st.meta("theta_columns") ? K : 0))
        throw symkl::Error(path + ": metadata 'theta_columns' does not hold " + std::to_string(K) + " names" + kCorrupt);
    if ((int)info.x_names.size() != (st.meta("x_columns") ? C : 0))
        throw symkl::Error(path + ": metadata 'x_columns' does not hold " + std::to_string(C) + " names" + kCorrupt);
    post = std::move(p);
    return info;
}
