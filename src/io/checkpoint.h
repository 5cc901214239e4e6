// checkpoint.h — a flow as a safetensors file: the weights under PyTorch-style
// names and the architecture in __metadata__, so the file alone rebuilds the model.
//
// Metadata keys (all strings): format = "symkl-flow-1", dim, layers, hidden, depth,
// act, scale, clamp, real; a conditional flow (docs/sbi.md) adds context, and with a
// context embedding embed, embed_hidden, embed_depth (files without them load as
// unconditional flows); callers may add more (training settings).
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/prep.h"
#include "baseline/gaussian.h"
#include "baseline/kde.h"
#include "flow/flow.h"
#include "proxy/ebm.h"

using Metadata = std::vector<std::pair<std::string, std::string>>;

// Writes atomically; tensors stored in the build's Real type (F64 or F32).
void save_flow(const std::string& path, const Flow& f, const Metadata& extra);

// Rebuilds the architecture from the metadata and loads every weight. Every
// metadata number is checked (dims in range, clamp positive, the record below),
// and the tensors the metadata describes must be the file's tensors, name by name
// and shape by shape, before the model is allocated: a corrupt header cannot make
// symkl allocate more than the file holds. Throws symkl::Error naming the file and
// the key or tensor that is wrong.
void load_flow(const std::string& path, Flow& f);
// The same from an already loaded file (`path` only names it in messages).
struct SafeTensors;
void flow_from_safetensors(Flow& f, const SafeTensors& st, const std::string& path);

// Metadata values as written for a flow configuration.
Metadata flow_metadata(const FlowConfig& cfg);

// An energy-based proxy: tensors "net.{2i}.weight|bias" of f_ψ, metadata format =
// "symkl-ebm-1", dim, hidden, depth, act, sigma0, real, plus `extra` (symkl train adds
// log_z, the importance-sampling estimate of log Z_ψ, and its ESS). An EBM with a
// Gaussian base adds metadata base = "gaussian" and tensors "base.mean" (D) and
// "base.whiten" (D, D); without them the base is N(0, σ₀² I).
void save_ebm(const std::string& path, const EBM& e, const Metadata& extra);
void ebm_from_safetensors(EBM& e, const SafeTensors& st, const std::string& path);

// The training record in a checkpoint's metadata, validated (the loaders above
// check it too): each key, when present, must hold an exact value in range, or
// symkl::Error names the file and the key.
//   seed           decimal integer in [0, 2^64 - 1]
//   step, n_train  decimal integers in [0, 2^63 - 1]
//   log_z          finite number (an EBM's log Z estimate)
//   log_z_ess      number in [0, 1];  log_z_samples: integer >= 1
//   real           double or float;   role: main or proxy
struct CheckpointRecord {
    bool has_seed = false, has_step = false, has_log_z = false;
    uint64_t seed = 0, step = 0;
    double log_z = 0, log_z_ess = NAN;  // NaN when absent
    uint64_t log_z_samples = 0;         // 0 when absent
};
CheckpointRecord checkpoint_record(const SafeTensors& st, const std::string& path);

// The baselines (src/baseline/), always stored as F64 (they compute in double):
//   Gaussian: tensors "mean" (D) and "cov" (D, D); metadata format = "symkl-gaussian-1",
//             dim, alpha, real, plus `extra`. Loading checks that cov is symmetric
//             positive definite.
//   KDE:      tensors "centres" (n, D) and "scale" (D); metadata format = "symkl-kde-1",
//             dim, n, h, real, plus `extra`. Loading checks n and dim against the tensors'
//             shapes before copying them, and that every scale is positive.
void save_gaussian(const std::string& path, const Gaussian& g, const Metadata& extra);
void gaussian_from_safetensors(Gaussian& g, const SafeTensors& st, const std::string& path);
void save_kde(const std::string& path, const KDE& k, const Metadata& extra);
void kde_from_safetensors(KDE& k, const SafeTensors& st, const std::string& path);

// The "format" metadata of a checkpoint ("symkl-flow-1", "symkl-ebm-1", "symkl-gaussian-1",
// "symkl-kde-1"), or "" if absent.
std::string checkpoint_format(const SafeTensors& st);

// The standardisation map of a model (data/prep.h) in a checkpoint's metadata:
//   standardize_shift   the D column means, comma-separated, each an exact decimal
//   standardize_scale   the D column standard deviations, likewise (> 0)
// The model's flow (or proxy) acts on u = (x − shift) / scale. Empty map: no keys.
Metadata standardizer_metadata(const Standardizer& s);
// The map stored in a checkpoint (empty when it has neither key: the model acts on x
// itself, as every checkpoint before the keys existed). Throws symkl::Error naming the
// file and the key for one key without the other, a count other than `dim`, or a
// value that is not a finite number (a scale not positive).
Standardizer checkpoint_standardizer(const SafeTensors& st, int dim, const std::string& path);

// The names of the training CSV's columns (its header, after --columns), as metadata
// "columns": the D names joined by commas. No key when there are no names (generated
// data, a CSV without a header) or a name holds a comma.
Metadata columns_metadata(const std::vector<std::string>& names);
// The names stored in a checkpoint (empty without the key). Throws symkl::Error naming
// the file when the key holds other than `dim` names.
std::vector<std::string> checkpoint_columns(const SafeTensors& st, int dim, const std::string& path);

// The columns (numbers from 0, ascending) that were dequantised in training, as metadata
// "dequantized" (comma-separated; no key when none). Read back, checked: integers in
// [0, dim), ascending, or symkl::Error names the file and the key.
Metadata dequantized_metadata(const std::vector<int>& cols);
std::vector<int> checkpoint_dequantized(const SafeTensors& st, int dim, const std::string& path);
