// proxy.cpp — names and caches of the two proxy kinds.
#include "proxy/proxy.h"

bool proxy_kind_from_name(const std::string& name, ProxyKind* out) {
    if (name == "flow") *out = ProxyKind::flow;
    else if (name == "ebm") *out = ProxyKind::ebm;
    else return false;
    return true;
}

const char* proxy_kind_name(ProxyKind k) { return k == ProxyKind::flow ? "flow" : "ebm"; }

Proxy proxy_view(const Proxy& q) {
    Proxy v;
    v.kind = q.kind;
    if (q.kind == ProxyKind::flow) v.flow = flow_view(q.flow);
    else v.ebm = ebm_view(q.ebm);
    return v;
}

void proxy_cache_init(ProxyCache& c, const Proxy& q, int cap) {
    if (q.kind == ProxyKind::flow) flow_cache_init(c.flow, q.flow, cap);
    else ebm_cache_init(c.ebm, q.ebm, cap);
}
