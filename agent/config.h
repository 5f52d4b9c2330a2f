/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coapsecd's configuration: one JSON file (jansson) naming the role, the
 * endpoints and the pre-shared keys.  Loading is strict: an unknown field,
 * a wrong type or a key file readable by others stops the agent with a
 * message that names the file, the field and what was expected.
 */
#ifndef COAPSECD_CONFIG_H
#define COAPSECD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tools/lib/util.h"

#define CFG_MAX_KEY_LEN		64
#define CFG_MAX_ID_LEN		128
#define CFG_ERR_LEN		512
/* KsxId = KpsaxiId becomes the pairwise OSCORE ID Context. */
#define KSID_MAX_LEN		32
/* Server instances a gateway fails over to (sharing one registry). */
#define CFG_MAX_FALLBACK	4
/* Gateways one member may be served by (server: members[].gateways). */
#define CFG_MAX_MEMBER_GATEWAYS	8
/*
 * Groups one member may belong to (server: members[].groups): their
 * keying material travels in one end-to-end answer (E2E_MAX_MSG).
 */
#define CFG_MAX_MEMBER_GROUPS	4
/* Server: rekey_min_interval_s when the configuration names none. */
#define REKEY_MIN_INTERVAL_S	10

enum agent_role { ROLE_DEVICE, ROLE_GATEWAY, ROLE_SERVER };

/* Where the server keeps its registry. */
enum reg_backend { REG_SQLITE, REG_POSTGRESQL };

/* One pre-shared key and the identity it goes with (TR-0012 Kpsa/KpsaId). */
struct psk_cred {
	char identity[CFG_MAX_ID_LEN];
	uint8_t key[CFG_MAX_KEY_LEN];
	size_t key_len;
};

struct cfg_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[80];
};

/*
 * A member as the server sees it (cred = Kpsaxi/KpsaxiId) or as the
 * gateway sees it (cred = Kpsaxm/KpsaxmId).
 */
struct cfg_member {
	char id[CFG_MAX_ID_LEN];	/* IdAx, as configured (not normalized) */
	char norm[CFG_MAX_ID_LEN];	/* NFKC(IdAx): what IDs are compared as */
	/* server: the groups it belongs to (members[].group or .groups) */
	char groups[CFG_MAX_MEMBER_GROUPS][CFG_MAX_ID_LEN];
	uint8_t n_groups;
	struct psk_cred cred;
	/*
	 * server: the gateways that may act for it (TR-0012 8.2.1, the
	 * mapping of MN to Entity), indexes into agent_config.gateways.
	 */
	uint16_t gw[CFG_MAX_MEMBER_GATEWAYS];
	uint8_t n_gw;
	/*
	 * server: "sends": the member sends group messages (a fire sensor's
	 * alert): in its signed groups, its credential goes to the others.
	 */
	bool sends;
};

/* A gateway as the server sees it: Kpsami/KpsamiId. */
struct cfg_gateway {
	char id[CFG_MAX_ID_LEN];
	struct psk_cred cred;
};

struct cfg_group {
	char name[CFG_MAX_ID_LEN];
	int alg;			/* COSE AEAD id */
	unsigned int secret_len;	/* 16 or 32 */
	/*
	 * "mode": "signed" (Group OSCORE group mode: every message carries
	 * its sender's countersignature, agent/sgroup.h) or "auth" (the
	 * default: group authentication, in the kernel).
	 */
	bool signed_mode;
	int sig_alg;			/* signed: OSCORE_SIG_ES256 or _EDDSA */
};

/*
 * A kernel policy the agent installs (coapsec's selector -> action).  A
 * protect policy names the agent's context by name ("group:lights",
 * "pairwise"); it goes in at start as a queue policy (queued), turns to
 * protect in place once that context is in the kernel, and keeps
 * pointing at it across rekeys (CONTEXT_SWAP keeps the ID).
 */
struct cfg_policy {
	char context[CFG_MAX_ID_LEN + 16];
	uint32_t priority;
	uint8_t family, direction, action;
	bool has_src, has_dst, has_dport, has_mark;
	uint8_t src[16], dst[16], src_plen, dst_plen;
	uint16_t dport;
	uint32_t mark, mark_mask;
	uint32_t kernel_id;		/* 0: not installed */
	uint32_t kernel_ctx;		/* the context kernel_id protects with */
	/* Installed as queue: a signed group's, or until its context is in. */
	bool queued;
	uint16_t queue_num;		/* action queue: group_signing's */
	/*
	 * Out of order and left so (keypush_order()): each reason logged
	 * once, until it is in order again.
	 */
#define CFG_ORDER_STUCK		0x1	/* it would pass another's bypass */
#define CFG_ORDER_REFUSED	0x2	/* the kernel refused its copy */
	uint8_t order_logged;
};

struct agent_config {
	char path[256];
	enum agent_role role;
	char id[CFG_MAX_ID_LEN];	/* own IdAx / gateway id / server id */

	bool has_listen;
	struct cfg_addr listen;

	/* device: the gateway; gateway: the server */
	bool has_upstream;
	struct cfg_addr upstream;
	struct psk_cred upstream_cred;
	/* gateway: more instances of its server, tried in turn */
	struct cfg_addr upstream_alt[CFG_MAX_FALLBACK];
	size_t n_upstream_alt;
	/* device: the gateway's ID (TR-0012 NOTE 2), "": not checked */
	char upstream_id[CFG_MAX_ID_LEN];

	/* device: Kpsaxi/KpsaxiId shared with the server */
	struct psk_cred server_cred;

	enum reg_backend registry;	/* server: the registry's backend */
	char db[256];			/* server: SQLite registry */
	char conninfo[1024];		/* server: PostgreSQL (may hold a
					 * password: wiped by config_free) */
	char contexts_file[256];	/* optional: installed contexts, no keys */
	bool kernel;			/* push contexts into the kernel */

	unsigned int max_peers;
	unsigned int handshake_timeout_ms;
	unsigned int idle_timeout_s;
	unsigned int rekey_interval_s;	/* 0: no timed rekey */
	/* Server: requested rekeys of a group at most once per this. */
	unsigned int rekey_min_interval_s;
	/* Server: a member added on reload gets a new group key (backward
	 * secrecy: it cannot read what the group sent before it joined). */
	bool rekey_on_join;
	unsigned int grace_s;
	uint64_t seq_soft_limit;

	/*
	 * device, gateway: "group_signing", this endpoint's key pair for
	 * signed groups (Group OSCORE group mode) and the NFQUEUE queue its
	 * group messages come through (agent/sgroup.h).
	 */
	bool signing;
	char sign_key_file[256];	/* its private key, mode 0600 */
	char sign_state_file[256];	/* sender sequence floors */
	uint16_t queue_num;
	unsigned int sign_window;	/* replay window, 1..1024 */

	struct cfg_member *members;
	size_t n_members;
	struct cfg_gateway *gateways;
	size_t n_gateways;
	struct cfg_group *groups;
	size_t n_groups;
	struct cfg_policy *policies;
	size_t n_policies;
};

/*
 * Loads @path into @cfg.  0, or -1 with @err holding
 * "FILE: FIELD: expected WHAT" (never key material).
 */
int config_load(const char *path, struct agent_config *cfg, char *err,
		size_t errlen);

/* Wipes every key and frees the arrays. */
void config_free(struct agent_config *cfg);

const char *role_name(enum agent_role r);

/* Whether the server's configuration lets gateway @gw act for @m. */
bool cfg_member_served_by(const struct agent_config *cfg,
			  const struct cfg_member *m, const char *gw);
/* Whether member @m belongs to @group (server). */
bool cfg_member_in_group(const struct cfg_member *m, const char *group);
/* Whether gateway @gw serves a member of @group (server). */
bool cfg_gateway_serves_group(const struct agent_config *cfg, const char *gw,
			      const char *group);
/* The member whose NFKC ID is @norm, or NULL. */
const struct cfg_member *cfg_member_by_norm(const struct agent_config *cfg,
					    const char *norm);

/* "host:port" or "[v6]:port", numeric only. 0 or -1. */
int parse_addr(const char *s, struct cfg_addr *a);

#endif /* COAPSECD_CONFIG_H */
