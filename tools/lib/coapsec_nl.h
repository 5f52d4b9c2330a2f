/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libcoapsec: the userspace client of the coapsec generic netlink family,
 * on libmnl.  Used by the CLI, the agent and the selftests alike.
 *
 * Every call returns 0 or a negative errno; on failure the handle's errmsg
 * holds the kernel's extack message when it sent one (with the name of
 * the offending attribute appended when the kernel pointed at one and the
 * message does not already name it), else a local reason.
 *
 * A handle is one netlink socket and is not thread-safe.  Requests and
 * event reception should use separate handles.
 */
#ifndef COAPSEC_NL_H
#define COAPSEC_NL_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#include <libmnl/libmnl.h>

#include "uapi/linux/coapsec.h"

struct coapsec_nl;

struct coapsec_nl *coapsec_nl_open(void);
void coapsec_nl_close(struct coapsec_nl *nl);
/* The last error's message ("" if none). */
const char *coapsec_nl_errmsg(const struct coapsec_nl *nl);
/* The attribute the kernel pointed at in the last error ("" if none). */
const char *coapsec_nl_err_attr(const struct coapsec_nl *nl);

#define COAPSEC_MAX_ALGS	8
#define COAPSEC_NAME_LEN	64

struct coapsec_alg_info {
	uint32_t id;
	char name[COAPSEC_NAME_LEN];
	char crypto_name[COAPSEC_NAME_LEN];
	char driver[COAPSEC_NAME_LEN * 2];
	uint32_t key_len, nonce_len, tag_len;
	bool available;
};

struct coapsec_features {
	char version[32];
	uint32_t api_version;
	/*
	 * Random per namespace and module load: another value than before
	 * means the kernel lost its replay windows and sequence numbers.
	 */
	uint64_t instance_id;
	unsigned int n_algs;
	struct coapsec_alg_info algs[COAPSEC_MAX_ALGS];
};

int coapsec_nl_features_get(struct coapsec_nl *nl, struct coapsec_features *f);

/* ---- contexts ---- */

#define COAPSEC_NL_MAX_ID_LEN	7
#define COAPSEC_NL_MAX_KEY_LEN	32
#define COAPSEC_NL_MAX_IV_LEN	13

struct coapsec_recipient_info {
	uint8_t id[COAPSEC_NL_MAX_ID_LEN];
	uint8_t id_len;
	uint8_t key[COAPSEC_NL_MAX_KEY_LEN];	/* requests only */
	uint8_t key_len;
	uint32_t replay_window;			/* 0: the kernel's default */
};

/*
 * A context as sent (context_new/swap: zero or false fields are left out)
 * and as received (get/dump: never any key or IV).
 */
struct coapsec_context_info {
	uint32_t id;			/* 0 in a request: the kernel picks */
	uint32_t alg;
	uint8_t sender_id[COAPSEC_NL_MAX_ID_LEN];
	uint8_t sender_id_len;
	uint8_t sender_key[COAPSEC_NL_MAX_KEY_LEN];
	uint8_t sender_key_len;
	uint8_t common_iv[COAPSEC_NL_MAX_IV_LEN];
	uint8_t common_iv_len;
	bool has_id_context;
	uint8_t id_context[COAPSEC_MAX_ID_CONTEXT_LEN];
	uint8_t id_context_len;
	uint64_t seq_start, seq_soft_limit, seq_hard_limit;
	uint32_t lifetime, flags;
	uint32_t seq_checkpoint;	/* K of RFC 8613 B.1.1, 0: none */
	/* Ceiling: no sequence number at or above it is used. */
	bool has_seq_persisted;
	uint64_t seq_persisted;
	bool has_grace;			/* swap only */
	uint32_t grace;
	char owner[COAPSEC_MAX_OWNER_LEN + 1];	/* "": none */
	/* Replies only. */
	uint8_t state;
	uint64_t seq;
	bool has_expires;
	uint32_t expires;
	/*
	 * 1..COAPSEC_MAX_RECIPIENTS.  In a request, the caller's array; in
	 * what get and dump return, the handle's, valid until its next call.
	 */
	unsigned int n_recipients;
	struct coapsec_recipient_info *recipients;
};

int coapsec_nl_context_new(struct coapsec_nl *nl,
			   const struct coapsec_context_info *c, uint32_t *id);
int coapsec_nl_context_swap(struct coapsec_nl *nl,
			    const struct coapsec_context_info *c);
int coapsec_nl_context_del(struct coapsec_nl *nl, uint32_t id);
/*
 * Raises current context @id's seq-persisted ceiling to @seq_persisted
 * (COAPSEC_CMD_CONTEXT_SET): -EINVAL below the present one, -ENOENT
 * without such a context.
 */
int coapsec_nl_context_set_persisted(struct coapsec_nl *nl, uint32_t id,
				     uint64_t seq_persisted);
int coapsec_nl_context_get(struct coapsec_nl *nl, uint32_t id,
			   struct coapsec_context_info *c);
/* Calls @cb for every context (previous ones too); non-zero stops. */
typedef int (*coapsec_context_cb)(const struct coapsec_context_info *c,
				  void *data);
int coapsec_nl_context_dump(struct coapsec_nl *nl, coapsec_context_cb cb,
			    void *data);

/* ---- policies ---- */

struct coapsec_policy_info {
	uint32_t id;			/* 0 in a request: the kernel picks */
	uint32_t priority;
	uint8_t family;			/* AF_INET, AF_INET6 */
	uint8_t direction;		/* COAPSEC_DIR_* */
	uint8_t action;			/* COAPSEC_ACTION_* */
	bool has_src, has_dst;
	uint8_t src[16], dst[16];
	uint8_t src_plen, dst_plen;
	bool has_dport;			/* absent: the kernel's default */
	uint16_t dport;
	uint32_t ifindex;
	bool has_mark;
	uint32_t mark, mark_mask;
	uint32_t context_id;
	char owner[COAPSEC_MAX_OWNER_LEN + 1];	/* "": none */
	/* NFQUEUE queue, 0..COAPSEC_MAX_QUEUE_NUM (action queue). */
	bool has_queue_num;
	uint32_t queue_num;
};

int coapsec_nl_policy_new(struct coapsec_nl *nl,
			  const struct coapsec_policy_info *p, uint32_t *id);
/* Replaces policy p->id in place (POLICY_SET; same priority). */
int coapsec_nl_policy_set(struct coapsec_nl *nl,
			  const struct coapsec_policy_info *p);
int coapsec_nl_policy_del(struct coapsec_nl *nl, uint32_t id);
int coapsec_nl_policy_get(struct coapsec_nl *nl, uint32_t id,
			  struct coapsec_policy_info *p);
typedef int (*coapsec_policy_cb)(const struct coapsec_policy_info *p,
				 void *data);
int coapsec_nl_policy_dump(struct coapsec_nl *nl, coapsec_policy_cb cb,
			   void *data);

/* ---- counters, flush ---- */

#define COAPSEC_NL_NUM_COUNTERS	17
/* "protected", "verified", ..., "errors": the kernel's message counters. */
extern const char *const coapsec_nl_counter_names[COAPSEC_NL_NUM_COUNTERS];

struct coapsec_stats_info {
	uint32_t context_id;		/* 0: the namespace */
	uint64_t counters[COAPSEC_NL_NUM_COUNTERS];
	/* Namespace query only. */
	uint32_t contexts, policies, contexts_all, policies_all;
	bool hooks;	/* the namespace's netfilter hooks are registered */
	bool has_hooks;	/* the kernel said (older modules do not) */
	bool has_all;	/* *_all: only for the host's CAP_NET_ADMIN */
	/*
	 * The memory of retired keys: materials remembered, places live
	 * contexts reserve, and the bound on both together.
	 */
	uint32_t retired_keys, retired_reserved, retired_keys_max;
	bool has_retired;	/* the kernel said (older modules do not) */
};

/* @context_id 0: the namespace's counters. */
int coapsec_nl_stats_get(struct coapsec_nl *nl, uint32_t context_id,
			 struct coapsec_stats_info *s);
int coapsec_nl_stats_reset(struct coapsec_nl *nl, uint32_t context_id);
int coapsec_nl_flush(struct coapsec_nl *nl);
/*
 * Flush, and with @forget_retired forget what deleted keys used too (as a
 * reboot would): -EBUSY where contexts remain.
 */
int coapsec_nl_flush_forget(struct coapsec_nl *nl, bool forget_retired);

/* ---- agents ---- */

/*
 * Registers this handle's socket as the agent consuming NFQUEUE queue
 * @queue_num, which queue policies name, until the handle is closed (the
 * kernel drops the registration when the socket goes).  Without an agent,
 * what those policies match is dropped and counted (queue_no_agent).
 * -EBUSY when another socket holds the queue.
 */
int coapsec_nl_agent_register(struct coapsec_nl *nl, uint32_t queue_num);

/* ---- events ---- */

struct coapsec_event {
	uint8_t type;			/* COAPSEC_EVENT_* */
	uint32_t context_id;
	uint64_t seq;
	uint8_t kid[COAPSEC_NL_MAX_ID_LEN];
	uint8_t kid_len;
	bool has_kid;
	uint32_t count;
};

/* Joins the "events" multicast group on this handle. */
int coapsec_nl_events_subscribe(struct coapsec_nl *nl);
/*
 * Waits up to @timeout_ms (-1: for ever) for one event.  Returns 1 with
 * @ev filled, 0 on timeout, or a negative errno.
 */
int coapsec_nl_event_recv(struct coapsec_nl *nl, struct coapsec_event *ev,
			  int timeout_ms);
/* The socket, for poll() loops. */
int coapsec_nl_fd(const struct coapsec_nl *nl);

/* ---- names (CLI output, messages) ---- */

const char *coapsec_nl_event_name(uint8_t type);
const char *coapsec_nl_dir_name(uint8_t dir);
const char *coapsec_nl_action_name(uint8_t action);
const char *coapsec_nl_state_name(uint8_t state);

/*
 * ---- raw requests (selftests: malformed input, raw bytes) ----
 *
 * coapsec_nl_req_start() starts a request for @cmd in the handle's request
 * buffer (NLM_F_REQUEST | NLM_F_ACK | @flags); add attributes with
 * mnl_attr_put*() and send it with coapsec_nl_req_run(), which calls @cb
 * (may be NULL) on every reply message.
 */
struct nlmsghdr *coapsec_nl_req_start(struct coapsec_nl *nl, uint8_t cmd,
				      uint16_t flags);
int coapsec_nl_req_run(struct coapsec_nl *nl, struct nlmsghdr *nlh,
		       mnl_cb_t cb, void *data);

#endif /* COAPSEC_NL_H */
