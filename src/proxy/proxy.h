// proxy.h — the proxy q_ψ that stands in for the unknown π in the reverse KL:
// either a second flow (exact log q) or an energy-based model (log q up to log Z).
#pragma once
#include <string>

#include "flow/flow.h"
#include "proxy/ebm.h"

enum class ProxyKind { flow, ebm };
bool proxy_kind_from_name(const std::string& name, ProxyKind* out);
const char* proxy_kind_name(ProxyKind k);

struct Proxy {
    ProxyKind kind = ProxyKind::ebm;
    Flow flow;  // used when kind == flow
    EBM ebm;    // used when kind == ebm
    Params& params() { return kind == ProxyKind::flow ? flow.params : ebm.params; }
    const Params& params() const { return kind == ProxyKind::flow ? flow.params : ebm.params; }
};

struct ProxyCache {
    FlowCache flow;
    EBMCache ebm;
};

void proxy_cache_init(ProxyCache& c, const Proxy& q, int cap);
// A gradient view of q's model (nn/params.h): its weights, gradients of its own.
Proxy proxy_view(const Proxy& q);
