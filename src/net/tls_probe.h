/*
 * tls_probe.h — does this port speak TLS from the first byte?
 *
 * A small blocking check used to explain a silent server: when a plain
 * client waits in vain for an SMTP greeting, the port may expect implicit
 * TLS (465, 993, 995).  tls_probe() connects to the first address that
 * answers and tries a TLS handshake without checking the certificate.
 * Returns true when the handshake completed within timeout_ms.
 */
#ifndef MC_NET_TLS_PROBE_H
#define MC_NET_TLS_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "net/tcp.h"

bool tls_probe(const struct net_addrs *addrs, uint32_t timeout_ms);

#endif
