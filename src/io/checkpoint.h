// checkpoint.h — a flow as a safetensors file: the weights under PyTorch-style
// names and the architecture in __metadata__, so the file alone rebuilds the model.
//
// Metadata keys (all strings): format = "symkl-flow-1", dim, layers, hidden, depth,
// act, scale, clamp, real; callers may add more (training settings).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.h"
#include "proxy/ebm.h"

using Metadata = std::vector<std::pair<std::string, std::string>>;

// Writes atomically; tensors stored in the build's Real type (F64 or F32).
void save_flow(const std::string& path, const Flow& f, const Metadata& extra);

// Rebuilds the architecture from the metadata and loads every weight. Throws
// symkl::Error naming the file and the key or tensor that is wrong.
void load_flow(const std::string& path, Flow& f);
// The same from an already loaded file (`path` only names it in messages).
struct SafeTensors;
void flow_from_safetensors(Flow& f, const SafeTensors& st, const std::string& path);

// Metadata values as written for a flow configuration.
Metadata flow_metadata(const FlowConfig& cfg);

// An energy-based proxy: tensors "net.{2i}.weight|bias" of f_ψ, metadata format =
// "symkl-ebm-1", dim, hidden, depth, act, sigma0, real, plus `extra` (symkl train adds
// log_z, the importance-sampling estimate of log Z_ψ, and its ESS).
void save_ebm(const std::string& path, const EBM& e, const Metadata& extra);
void ebm_from_safetensors(EBM& e, const SafeTensors& st, const std::string& path);

// The "format" metadata of a checkpoint ("symkl-flow-1", "symkl-ebm-1"), or "" if absent.
std::string checkpoint_format(const SafeTensors& st);
