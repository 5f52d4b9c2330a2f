// SPDX-License-Identifier: GPL-2.0
/*
 * DTLS-PSK on mbedTLS 2.28, what both ends share: the configuration,
 * sockets, handshake failure reports and the struct dtls_peer accessors.
 * The server's peer table is in dtls_server.c, the client's reconnecting
 * session in dtls_client.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>

#include "agent/dtls_int.h"
#include "agent/log.h"

static const int psk_suites[] = { MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, 0 };

void dtls_timer_set(void *data, uint32_t int_ms, uint32_t fin_ms)
{
	struct dtls_peer *p = (void *)((char *)data -
				       offsetof(struct dtls_peer, timer));

	mbedtls_timing_set_delay(data, int_ms, fin_ms);
	p->timer_at = fin_ms ? now_ms() + fin_ms : 0;
}

const char *dtls_mbed_err(int rc)
{
	static char b[128];

	mbedtls_strerror(rc, b, sizeof(b));
	return b;
}

void dtls_hs_failed(struct dtls_stats *st, struct dtls_peer *p, int rc)
{
	st->hs_failed++;
	if (rc == MBEDTLS_ERR_SSL_INVALID_MAC ||
	    rc == MBEDTLS_ERR_SSL_BAD_HS_FINISHED) {
		st->auth_failed++;
		log_warn("dtls: %s: handshake failed for identity \"%s\": wrong key (%s)",
			 p->name, log_safe(p->identity), dtls_mbed_err(rc));
	} else if (rc == MBEDTLS_ERR_SSL_UNKNOWN_IDENTITY) {
		/* counted and logged by the psk callback */
	} else {
		log_warn("dtls: %s: handshake failed%s%s%s: %s", p->name,
			 p->identity[0] ? " for identity \"" : "",
			 log_safe(p->identity), p->identity[0] ? "\"" : "",
			 dtls_mbed_err(rc));
	}
}

int dtls_bind_udp(const struct cfg_addr *a, bool do_bind, char *err,
		  size_t errlen)
{
	int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, sz = 4 << 20;

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/*
	 * Only a listener may share its port: on a client socket SO_REUSEADDR
	 * lets the kernel hand two sockets the same ephemeral port, and two
	 * sessions the same 4-tuple.
	 */
	if (do_bind)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (do_bind ? bind(fd, (const struct sockaddr *)&a->ss, a->len) :
		      connect(fd, (const struct sockaddr *)&a->ss, a->len)) {
		snprintf(err, errlen, "%s %s: %s", do_bind ? "bind" : "connect",
			 a->text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void dtls_conf_common(mbedtls_ssl_config *conf, int endpoint,
		      mbedtls_ctr_drbg_context *drbg, unsigned int hs_timeout_ms)
{
	mbedtls_ssl_config_init(conf);
	mbedtls_ssl_config_defaults(conf, endpoint, MBEDTLS_SSL_TRANSPORT_DATAGRAM,
				    MBEDTLS_SSL_PRESET_DEFAULT);
	mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, drbg);
	mbedtls_ssl_conf_ciphersuites(conf, psk_suites);
	/* Retransmission timer doubles from 1 s up to the handshake timeout. */
	mbedtls_ssl_conf_handshake_timeout(conf, 1000,
					   hs_timeout_ms > 1000 ? hs_timeout_ms : 1000);
}

int dtls_peer_send(struct dtls_peer *p, const uint8_t *buf, size_t len)
{
	int rc;

	if (p->state != PEER_OPEN)
		return -1;
	rc = mbedtls_ssl_write(&p->ssl, buf, len);
	if (rc < 0 || (size_t)rc != len) {
		log_warn("dtls: %s: write: %s", p->name, rc < 0 ? dtls_mbed_err(rc) : "short");
		return -1;
	}
	if (p->srv)
		p->srv->stats.records_out++;
	else
		p->stats.records_out++;
	return 0;
}

bool dtls_peer_up(const struct dtls_peer *p)
{
	return p->state == PEER_OPEN;
}

const char *dtls_peer_identity(const struct dtls_peer *p)
{
	return p->identity;
}

const char *dtls_peer_name(const struct dtls_peer *p)
{
	return p->name;
}

uint32_t dtls_peer_gen(const struct dtls_peer *p)
{
	return p->gen;
}

void *dtls_peer_app(const struct dtls_peer *p)
{
	return p->app;
}

void dtls_peer_set_app(struct dtls_peer *p, void *app)
{
	p->app = app;
}
