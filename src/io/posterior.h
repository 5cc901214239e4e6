// posterior.h — a trained posterior (sbi/npe.h) as one safetensors file, the file
// `symkl sbi train` writes and `symkl sbi sample` reads.
//
// The conditional flow's tensors under their usual names (io/checkpoint.h) and metadata:
//   format            "symkl-posterior-1"
//   dim, layers, hidden, depth, act, scale, clamp, context, real   the flow, as a flow file
//   standardize_shift, standardize_scale   θ's z-scoring (the flow models (θ − shift) / scale)
//   context_shift, context_scale           x's z-scoring (both maps, or neither)
//   task              the sbibm task the simulations came from, or "custom"
//   theta_columns, x_columns               the column names, comma-separated (optional)
// plus the caller's extra keys (training settings), and the checksums every symkl
// checkpoint carries. Written atomically (temp file + rename).
#pragma once
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "sbi/npe.h"

struct PosteriorInfo {
    std::string task = "custom";                   // a task name (sbi/tasks.h) or "custom"
    std::vector<std::string> theta_names, x_names; // empty, or one name a column
};

void save_posterior(const std::string& path, const Posterior& post, const PosteriorInfo& info,
                    const Metadata& extra = {});
// Loads and checks every key (a task's dimensions must be the task's); throws
// symkl::Error with a one-line message naming the file and the key or tensor.
PosteriorInfo load_posterior(const std::string& path, Posterior& post);
// The same checks on a file already read (path: for the messages); st's metadata is edited
// on the way (its 'format' key).
PosteriorInfo posterior_from_safetensors(SafeTensors& st, const std::string& path, Posterior& post);
