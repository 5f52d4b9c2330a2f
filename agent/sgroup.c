// SPDX-License-Identifier: GPL-2.0
/* Signed groups: Group OSCORE group mode in coapsecd (see sgroup.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "agent/log.h"
#include "agent/sgroup.h"
#include "codec/codec_err.h"
#include "codec/coap.h"
#include "tools/lib/oscore_group_sw.h"
#include "tools/lib/util.h"

#define WIN_RING	1024		/* bits: the largest window */
#define FP_LEN		16
#define CFG_NAME_MAX	128

/* One sender of a group epoch: its credential, context and window. */
struct sg_peer {
	struct sgroup_cred cred;
	struct oscore_group_sw *sw;	/* made at its first message */
	bool seen;
	uint64_t top;
	uint64_t ring[WIN_RING / 64];
};

/* One epoch of a group. */
struct sg_epoch {
	struct sgroup_keys *k;
	uint32_t epoch;
	struct oscore_group_sw *tx;	/* signs; NULL: cannot send */
	uint64_t seq, floor, soft_limit;
	uint8_t fp[FP_LEN];		/* names its floor in the state file */
	/* These keys were used before the agent started: windows lost. */
	bool replay_unknown;
	uint64_t expires;		/* previous epoch: now_ms() it goes */
	size_t n_peers;
	struct sg_peer *peers;
};

struct sg_group {
	char name[CFG_NAME_MAX];
	struct sg_epoch *cur, *prev;
};

struct sgroups {
	struct oscore_group_key key;
	uint8_t ccs[OSCORE_GROUP_CRED_MAX_LEN];
	size_t ccs_len;
	char state_file[256];
	json_t *floors;			/* {"FP": {"name", "seq"}} */
	unsigned int window, grace_s;
	struct sg_group *v;
	size_t n, cap;
	struct sgroup_stats st;
	uint64_t floor_logged;		/* now_ms() of the last such log */
};

static const char *const verdict_names[SG_NUM] = {
	[SG_OK] = "ok",
	[SG_SIG_FAIL] = "sig_fail",
	[SG_AUTH_FAIL] = "auth_fail",
	[SG_UNSIGNED] = "unsigned",
	[SG_REPLAY] = "replay",
	[SG_UNKNOWN_KID] = "unknown_kid",
	[SG_NO_GROUP] = "no_group",
	[SG_MALFORMED] = "malformed",
	[SG_UNSUPPORTED] = "unsupported",
	[SG_SEQ_UNPERSISTED] = "seq_unpersisted",
	[SG_BAD_CRED] = "bad_credential",
	[SG_ERROR] = "errors",
};

const char *sgroup_verdict_name(enum sgroup_verdict v)
{
	return v < SG_NUM ? verdict_names[v] : "?";
}

struct sgroup_keys *sgroup_keys_new(size_t n_creds)
{
	return calloc(1, sizeof(struct sgroup_keys) +
		      n_creds * sizeof(struct sgroup_cred));
}

static size_t keys_size(const struct sgroup_keys *k)
{
	return sizeof(*k) + k->n_creds * sizeof(k->creds[0]);
}

struct sgroup_keys *sgroup_keys_dup(const struct sgroup_keys *k)
{
	struct sgroup_keys *d = malloc(keys_size(k));

	if (d)
		memcpy(d, k, keys_size(k));
	return d;
}

void sgroup_keys_free(struct sgroup_keys *k)
{
	if (!k)
		return;
	mbedtls_platform_zeroize(k, keys_size(k));
	free(k);
}

int sgroup_creds_to_json(const struct sgroup_cred *c, size_t n, json_t *o)
{
	json_t *a = json_array();
	char h[2 * OSCORE_GROUP_CRED_MAX_LEN + 1];

	if (!a)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_object();

		hex_encode(c[i].sid, c[i].sid_len, h);
		json_object_set_new(e, "sid", json_string(h));
		hex_encode(c[i].ccs, c[i].ccs_len, h);
		json_object_set_new(e, "ccs", json_string(h));
		json_array_append_new(a, e);
	}
	return json_object_set_new(o, "creds", a);
}

int sgroup_creds_from_json(json_t *o, struct sgroup_cred **out, size_t *n)
{
	json_t *a = json_object_get(o, "creds"), *e;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > 65536)
		return -1;
	*out = calloc(json_array_size(a) + 1, sizeof(**out));
	if (!*out)
		return -1;
	json_array_foreach(a, i, e) {
		const char *sid = json_string_value(json_object_get(e, "sid"));
		const char *ccs = json_string_value(json_object_get(e, "ccs"));
		struct sgroup_cred *c = &(*out)[i];
		int ls = sid ? hex_decode(sid, c->sid, SID_MAX_LEN) : -1;
		int lc = ccs ? hex_decode(ccs, c->ccs, sizeof(c->ccs)) : -1;

		if (ls <= 0 || lc <= 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
		c->sid_len = (uint8_t)ls;
		c->ccs_len = (uint16_t)lc;
		(*n)++;
	}
	return 0;
}

/* ---- the state file: sender sequence floors ---- */

static void keys_fp(const struct sgroup_keys *k, uint8_t fp[FP_LEN])
{
	mbedtls_sha256_context c;
	uint8_t h[32];

	mbedtls_sha256_init(&c);
	mbedtls_sha256_starts_ret(&c, 0);
	mbedtls_sha256_update_ret(&c, (const uint8_t *)"coapsecd sgroup", 15);
	mbedtls_sha256_update_ret(&c, k->gid, GID_LEN);
	mbedtls_sha256_update_ret(&c, k->sid, k->sid_len);
	mbedtls_sha256_update_ret(&c, k->secret, k->secret_len);
	mbedtls_sha256_update_ret(&c, k->salt, SALT_LEN);
	mbedtls_sha256_finish_ret(&c, h);
	mbedtls_sha256_free(&c);
	memcpy(fp, h, FP_LEN);
	mbedtls_platform_zeroize(h, sizeof(h));
}

static int load_floors(struct sgroups *s, char *err, size_t errlen)
{
	json_error_t je;

	if (access(s->state_file, F_OK) && errno == ENOENT) {
		s->floors = json_object();
		return s->floors ? 0 : -1;
	}
	s->floors = json_load_file(s->state_file, JSON_REJECT_DUPLICATES, &je);
	if (!s->floors || !json_is_object(s->floors)) {
		/* Refused rather than start senders at 0 again. */
		snprintf(err, errlen,
			 "%s: expected the JSON object coapsecd writes there (line %d: %s); move it away only if every key it names is retired",
			 s->state_file, je.line, s->floors ? "not an object" : je.text);
		json_decref(s->floors);
		s->floors = NULL;
		return -1;
	}
	return 0;
}

/* Writes the floors durably (temporary file, fsync, rename).  0 or -1. */
static int write_floors(struct sgroups *s)
{
	char tmp[300], *text;
	size_t len, off = 0;
	int fd, rc = 0;

	text = json_dumps(s->floors, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return -1;
	len = strlen(text);
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->state_file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(text);
		return -1;
	}
	while (!rc && off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = -1;
		else
			off += (size_t)n;
	}
	free(text);
	if (!rc)
		rc = fsync(fd);
	if (close(fd))
		rc = -1;
	if (!rc)
		rc = rename(tmp, s->state_file);
	if (rc) {
		unlink(tmp);
		return -1;
	}
	/* The rename itself is durable once the folder is. */
	snprintf(tmp, sizeof(tmp), "%s", s->state_file);
	{
		char *slash = strrchr(tmp, '/');
		int dfd;

		if (slash == tmp)
			slash[1] = 0;
		else if (slash)
			*slash = 0;
		else
			snprintf(tmp, sizeof(tmp), ".");
		dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	s->st.floors_written++;
	return 0;
}

/* The floor kept for @fp (0: none). */
static uint64_t floor_of(const struct sgroups *s, const uint8_t *fp)
{
	char h[2 * FP_LEN + 1];
	json_t *e;

	hex_encode(fp, FP_LEN, h);
	e = json_object_get(s->floors, h);
	return json_is_integer(json_object_get(e, "seq")) ?
	       (uint64_t)json_integer_value(json_object_get(e, "seq")) : 0;
}

/*
 * Keeps @seq as @ep's floor, durably.  Floors of group @name's other
 * epochs go, but that of @keep (the previous epoch, still verifying).
 */
static int set_floor(struct sgroups *s, const char *name, struct sg_epoch *ep,
		     uint64_t seq, const struct sg_epoch *keep)
{
	char h[2 * FP_LEN + 1], hk[2 * FP_LEN + 1] = "";
	const char *key;
	json_t *e, *old;
	void *tmp;

	hex_encode(ep->fp, FP_LEN, h);
	if (keep)
		hex_encode(keep->fp, FP_LEN, hk);
	json_object_foreach_safe(s->floors, tmp, key, e) {
		const char *n = json_string_value(json_object_get(e, "name"));

		if (n && !strcmp(n, name) && strcmp(key, h) && strcmp(key, hk))
			json_object_del(s->floors, key);
	}
	old = json_object_get(s->floors, h);
	if (old && json_integer_value(json_object_get(old, "seq")) >= (json_int_t)seq)
		return 0;
	json_incref(old);	/* put back if the new value cannot be written */
	json_object_set_new(s->floors, h, json_pack("{s:s s:I}", "name", name,
						    "seq", (json_int_t)seq));
	if (write_floors(s)) {
		/* Not kept: not used.  The old value stays what is known. */
		if (old)
			json_object_set_new(s->floors, h, old);
		else
			json_object_del(s->floors, h);
		/* Tried at every message meanwhile: logged once a minute. */
		if (!s->floor_logged || now_ms() - s->floor_logged >= 60000) {
			s->floor_logged = now_ms();
			log_err("sgroup: cannot write %s: %s; group %s sends nothing above %llu (counter seq_unpersisted)",
				s->state_file, strerror(errno), name,
				(unsigned long long)ep->floor);
		}
		return -1;
	}
	json_decref(old);
	ep->floor = seq;
	return 0;
}

/* ---- groups and epochs ---- */

struct sgroups *sgroups_open(const char *key_file, const char *state_file,
			     const char *subject, unsigned int window,
			     unsigned int grace_s, char *err, size_t errlen)
{
	struct sgroups *s = calloc(1, sizeof(*s));
	int n;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (oscore_group_key_load(&s->key, key_file, err, errlen)) {
		free(s);
		return NULL;
	}
	n = oscore_group_key_ccs(&s->key, subject, s->ccs, sizeof(s->ccs));
	if (n < 0) {
		snprintf(err, errlen,
			 "%s: no credential for this key and subject \"%s\" (at most %d bytes)",
			 key_file, log_safe(subject), OSCORE_CCS_SUBJECT_MAX);
		oscore_group_key_free(&s->key);
		free(s);
		return NULL;
	}
	s->ccs_len = (size_t)n;
	snprintf(s->state_file, sizeof(s->state_file), "%s", state_file);
	s->window = window ? window : 64;
	if (s->window > WIN_RING)
		s->window = WIN_RING;
	s->grace_s = grace_s;
	if (load_floors(s, err, errlen)) {
		oscore_group_key_free(&s->key);
		free(s);
		return NULL;
	}
	return s;
}

const uint8_t *sgroups_cred(const struct sgroups *s, size_t *len)
{
	*len = s->ccs_len;
	return s->ccs;
}

static void epoch_free(struct sg_epoch *ep)
{
	if (!ep)
		return;
	for (size_t i = 0; i < ep->n_peers; i++) {
		if (ep->peers[i].sw) {
			oscore_group_sw_free(ep->peers[i].sw);
			free(ep->peers[i].sw);
		}
	}
	free(ep->peers);
	if (ep->tx) {
		oscore_group_sw_free(ep->tx);
		free(ep->tx);
	}
	sgroup_keys_free(ep->k);
	mbedtls_platform_zeroize(ep, sizeof(*ep));
	free(ep);
}

void sgroups_close(struct sgroups *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		epoch_free(s->v[i].cur);
		epoch_free(s->v[i].prev);
	}
	free(s->v);
	json_decref(s->floors);
	oscore_group_key_free(&s->key);
	mbedtls_platform_zeroize(s, sizeof(*s));
	free(s);
}

static struct sg_group *find(const struct sgroups *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

bool sgroups_has(const struct sgroups *s, const char *name)
{
	return s && find(s, name);
}

/* The group mode inputs of @k for this endpoint and peer @peer (or none). */
static void master_of(const struct sgroups *s, const struct sgroup_keys *k,
		      const struct sgroup_cred *peer,
		      struct oscore_group_master *gm)
{
	*gm = (struct oscore_group_master){
		.m = {
			.alg = k->alg, .secret = k->secret,
			.secret_len = k->secret_len,
			.salt = k->salt, .salt_len = SALT_LEN,
			.id_context = k->gid, .id_context_len = GID_LEN,
			.sender_id = k->sid, .sender_id_len = k->sid_len,
			.recipient_id = peer ? peer->sid : k->sid,
			.recipient_id_len = peer ? peer->sid_len : k->sid_len,
		},
		.alg_signature = k->sig_alg,
		.alg_aead = OSCORE_GROUP_ALG_NONE,
		.alg_pairwise_ka = OSCORE_GROUP_ALG_NONE,
		.sender_cred = s->ccs, .sender_cred_len = s->ccs_len,
		.recipient_cred = peer ? peer->ccs : NULL,
		.recipient_cred_len = peer ? peer->ccs_len : 0,
		.gm_cred = k->gm_cred, .gm_cred_len = k->gm_cred_len,
	};
}

static struct sg_epoch *epoch_new(struct sgroups *s, const char *name,
				  uint32_t epoch, const struct sgroup_keys *k,
				  uint64_t soft_limit)
{
	struct sg_epoch *ep = calloc(1, sizeof(*ep));
	struct oscore_group_master gm;
	int err;

	if (!ep)
		return NULL;
	ep->k = sgroup_keys_dup(k);
	ep->peers = calloc(k->n_creds + 1, sizeof(*ep->peers));
	if (!ep->k || !ep->peers)
		goto fail;
	ep->epoch = epoch;
	ep->soft_limit = soft_limit;
	for (size_t i = 0; i < k->n_creds; i++) {
		/* This endpoint's own credential is not a peer's. */
		if (k->creds[i].sid_len == k->sid_len &&
		    !memcmp(k->creds[i].sid, k->sid, k->sid_len))
			continue;
		ep->peers[ep->n_peers++].cred = k->creds[i];
	}
	keys_fp(k, ep->fp);
	if (k->sid_len) {
		ep->tx = calloc(1, sizeof(*ep->tx));
		if (!ep->tx)
			goto fail;
		master_of(s, k, NULL, &gm);
		err = oscore_group_sw_init(ep->tx, &gm, &s->key);
		if (err) {
			log_err("sgroup: group %s epoch %u: cannot sign (%s): the key in group_signing.key_file does not fit the group's signature algorithm %d",
				log_safe(name), epoch, codec_strerror(err),
				k->sig_alg);
			free(ep->tx);
			ep->tx = NULL;
			goto fail;
		}
	}
	return ep;
fail:
	epoch_free(ep);
	return NULL;
}

/*
 * The previous epoch, still verifying during the grace period, keeps the
 * senders whose (sender ID, credential) the new keying material still
 * holds (the registry keeps a member's sender ID for as long as it is a
 * member): a member the Group Manager removed, its credential withdrawn,
 * must not go on being verified under the old keys it still holds.
 * Counted as unknown_kid.
 */
static void prune_prev(const char *name, struct sg_epoch *prev,
		       const struct sgroup_keys *k)
{
	size_t i = 0;

	while (prev && i < prev->n_peers) {
		struct sg_peer *p = &prev->peers[i];
		char kid[2 * SID_MAX_LEN + 1];
		bool kept = false;

		/*
		 * The pair, not the bytes alone: the Group Manager takes
		 * a member's credential as given, so a member that stays may
		 * hold a removed one's bytes under its own kid.
		 */
		for (size_t j = 0; j < k->n_creds && !kept; j++)
			kept = k->creds[j].sid_len == p->cred.sid_len &&
			       !memcmp(k->creds[j].sid, p->cred.sid,
				       p->cred.sid_len) &&
			       k->creds[j].ccs_len == p->cred.ccs_len &&
			       !memcmp(k->creds[j].ccs, p->cred.ccs,
				       p->cred.ccs_len);
		if (kept) {
			i++;
			continue;
		}
		hex_encode(p->cred.sid, p->cred.sid_len, kid);
		log_info("sgroup: group %s epoch %u (previous): kid %s's credential withdrawn, its messages refused",
			 log_safe(name), prev->epoch, kid[0] ? kid : "(empty)");
		if (p->sw) {
			oscore_group_sw_free(p->sw);
			free(p->sw);
		}
		*p = prev->peers[--prev->n_peers];
		memset(&prev->peers[prev->n_peers], 0, sizeof(*p));
	}
}

int sgroups_install(struct sgroups *s, const char *name, uint32_t epoch,
		    const struct sgroup_keys *k, uint64_t soft_limit)
{
	struct sg_group *g = find(s, name);
	struct sg_epoch *ep;
	uint64_t kept;

	ep = epoch_new(s, name, epoch, k, soft_limit);
	if (!ep)
		return -1;
	/*
	 * The same keys again, maybe with other credentials (a member
	 * joined): sequence and windows carry on.
	 */
	if (g && g->cur && !memcmp(g->cur->fp, ep->fp, FP_LEN)) {
		ep->seq = g->cur->seq;
		ep->floor = g->cur->floor;
		ep->replay_unknown = g->cur->replay_unknown;
		for (size_t i = 0; i < ep->n_peers; i++)
			for (size_t j = 0; j < g->cur->n_peers; j++) {
				struct sg_peer *o = &g->cur->peers[j];

				if (o->cred.sid_len != ep->peers[i].cred.sid_len ||
				    memcmp(o->cred.sid, ep->peers[i].cred.sid,
					   o->cred.sid_len))
					continue;
				ep->peers[i].seen = o->seen;
				ep->peers[i].top = o->top;
				memcpy(ep->peers[i].ring, o->ring,
				       sizeof(o->ring));
			}
		epoch_free(g->cur);
		g->cur = ep;
		prune_prev(name, g->prev, k);
		return 0;
	}
	/*
	 * Keys this endpoint held before it started (the state file knows
	 * them): their sequence goes on above the floor, and no message
	 * under them can be told fresh any more.
	 */
	kept = floor_of(s, ep->fp);
	if (kept) {
		ep->seq = kept;
		ep->floor = kept;
		ep->replay_unknown = true;
		log_warn("sgroup: group %s epoch %u: keys held before this start: sending from %llu, every message under them refused as a replay (windows unknown) until new keys",
			 log_safe(name), epoch, (unsigned long long)kept);
	}
	if (!g) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 8;
			struct sg_group *v = realloc(s->v, cap * sizeof(*v));

			if (!v) {
				epoch_free(ep);
				return -1;
			}
			s->v = v;
			s->cap = cap;
		}
		g = &s->v[s->n++];
		memset(g, 0, sizeof(*g));
		snprintf(g->name, sizeof(g->name), "%s", name);
	}
	if (set_floor(s, name, ep, ep->seq + 2ULL * SGROUP_FLOOR_INTERVAL,
		      g->cur)) {
		epoch_free(ep);
		if (!g->cur && !g->prev)
			*g = s->v[--s->n];
		return -1;
	}
	epoch_free(g->prev);
	g->prev = g->cur;
	if (g->prev)
		g->prev->expires = now_ms() + 1000ULL * s->grace_s;
	g->cur = ep;
	prune_prev(name, g->prev, k);
	log_info("sgroup: group %s epoch %u: %zu sender credential(s), %s",
		 log_safe(name), epoch, ep->n_peers,
		 ep->k->sig_alg == OSCORE_SIG_EDDSA ? "EdDSA" : "ES256");
	return 0;
}

int sgroups_skip(struct sgroups *s, const char *name, uint64_t seq)
{
	struct sg_group *g = find(s, name);

	if (!g || !g->cur || seq >= OSCORE_SEQ_MAX)
		return -1;
	if (seq <= g->cur->seq)
		return 0;
	if (set_floor(s, name, g->cur, seq + 2ULL * SGROUP_FLOOR_INTERVAL,
		      g->prev))
		return -1;
	g->cur->seq = seq;
	return 0;
}

bool sgroups_remove(struct sgroups *s, const char *name)
{
	struct sg_group *g = s ? find(s, name) : NULL;

	if (!g)
		return false;
	epoch_free(g->cur);
	epoch_free(g->prev);
	*g = s->v[--s->n];
	return true;
}

void sgroups_tick(struct sgroups *s, uint64_t now)
{
	for (size_t i = 0; s && i < s->n; i++) {
		struct sg_group *g = &s->v[i];

		if (g->prev && now >= g->prev->expires) {
			epoch_free(g->prev);
			g->prev = NULL;
		}
	}
}

void sgroups_count(struct sgroups *s, enum sgroup_verdict v)
{
	if (v > SG_OK && v < SG_NUM)
		s->st.drops[v]++;
}

static int drop(struct sgroups *s, enum sgroup_verdict v)
{
	sgroups_count(s, v);
	return -(int)v;
}

/* ---- protect ---- */

int sgroups_protect(struct sgroups *s, const char *name, const uint8_t *coap,
		    size_t len, uint8_t *out, size_t cap, bool *at_limit)
{
	struct sg_group *g = find(s, name);
	struct sg_epoch *ep = g ? g->cur : NULL;
	struct coap_msg m;
	int n;

	*at_limit = false;
	if (!ep || !ep->tx)
		return drop(s, SG_NO_GROUP);
	if (coap_parse(coap, len, &m))
		return drop(s, SG_MALFORMED);
	/* Requests only; OSCORE already is someone else's protection. */
	if (m.code < 1 || m.code > 31 || coap_has_option(&m, COAP_OPT_OSCORE))
		return drop(s, SG_UNSUPPORTED);
	if (ep->seq >= OSCORE_SEQ_MAX)
		return drop(s, SG_SEQ_UNPERSISTED);
	/* The floor runs 2K ahead: rewritten once K of it is used. */
	if (ep->seq + SGROUP_FLOOR_INTERVAL >= ep->floor)
		set_floor(s, name, ep, ep->seq + 2ULL * SGROUP_FLOOR_INTERVAL,
			  g->prev);
	if (ep->seq >= ep->floor)
		return drop(s, SG_SEQ_UNPERSISTED);
	n = oscore_group_protect(ep->tx, &m, ep->seq, NULL, out, cap, NULL);
	if (n < 0)
		return drop(s, n == -CODEC_ENOSPC ? SG_UNSUPPORTED : SG_ERROR);
	/* Used, whatever happens to the message now. */
	ep->seq++;
	*at_limit = ep->soft_limit && ep->seq == ep->soft_limit;
	s->st.protected++;
	return n;
}

/* ---- verify ---- */

static bool replay_ok(const struct sgroups *s, const struct sg_peer *p,
		      uint64_t seq)
{
	if (!p->seen || seq > p->top)
		return true;
	if (p->top - seq >= s->window)
		return false;
	return !(p->ring[(seq % WIN_RING) / 64] >> (seq % 64) & 1);
}

static void replay_mark(struct sg_peer *p, uint64_t seq)
{
	if (!p->seen || seq - p->top >= WIN_RING) {
		if (!p->seen || seq > p->top)
			memset(p->ring, 0, sizeof(p->ring));
	} else if (seq > p->top) {
		for (uint64_t i = p->top + 1; i < seq; i++)
			p->ring[(i % WIN_RING) / 64] &= ~(1ULL << (i % 64));
	}
	if (!p->seen || seq > p->top)
		p->top = seq;
	p->seen = true;
	p->ring[(seq % WIN_RING) / 64] |= 1ULL << (seq % 64);
}

/* The epoch whose Gid is @gid: current first, then the previous one. */
static struct sg_epoch *by_gid(const struct sgroups *s, const uint8_t *gid,
			       size_t len)
{
	if (len != GID_LEN)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].cur && !memcmp(s->v[i].cur->k->gid, gid, len))
			return s->v[i].cur;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].prev && !memcmp(s->v[i].prev->k->gid, gid, len))
			return s->v[i].prev;
	return NULL;
}

static struct sg_peer *by_kid(struct sg_epoch *ep, const uint8_t *kid,
			      size_t len)
{
	for (size_t i = 0; i < ep->n_peers; i++)
		if (ep->peers[i].cred.sid_len == len &&
		    !memcmp(ep->peers[i].cred.sid, kid, len))
			return &ep->peers[i];
	return NULL;
}

/* The peer's context, made at its first message. */
static int peer_ctx(struct sgroups *s, struct sg_epoch *ep, struct sg_peer *p)
{
	struct oscore_group_master gm;
	int err;

	if (p->sw)
		return 0;
	p->sw = calloc(1, sizeof(*p->sw));
	if (!p->sw)
		return -SG_ERROR;
	master_of(s, ep->k, &p->cred, &gm);
	err = oscore_group_sw_init(p->sw, &gm, NULL);
	if (err) {
		free(p->sw);
		p->sw = NULL;
		return err == -CODEC_ECRED || err == -CODEC_ECBOR ?
		       -SG_BAD_CRED : -SG_ERROR;
	}
	return 0;
}

int sgroups_verify(struct sgroups *s, uint8_t *pkt, size_t len, uint8_t *out,
		   size_t cap)
{
	struct oscore_group_rx *grx;
	struct sg_epoch *ep;
	struct sg_peer *p;
	struct coap_msg m;
	struct oscore_rx rx;
	int err, n = -1;

	err = oscore_unprotect_parse(pkt, len, &rx);
	if (err == -CODEC_EOSC_MISSING || (!err && !rx.opt.group))
		return drop(s, SG_UNSIGNED);
	if (err) {
		/* Plain CoAP that parses is unsigned; the rest malformed. */
		return drop(s, coap_parse(pkt, len, &m) ? SG_MALFORMED :
			       coap_has_option(&m, COAP_OPT_OSCORE) ?
			       SG_MALFORMED : SG_UNSIGNED);
	}
	if (!rx.is_request)
		return drop(s, SG_UNSUPPORTED);
	if (!rx.opt.has_kid_context || !rx.opt.has_kid || !rx.opt.piv_len)
		return drop(s, SG_MALFORMED);
	ep = by_gid(s, rx.opt.kid_context, rx.opt.kid_context_len);
	if (!ep)
		return drop(s, SG_NO_GROUP);
	p = by_kid(ep, rx.opt.kid, rx.opt.kid_len);
	if (!p)
		return drop(s, SG_UNKNOWN_KID);
	/* Cheap refusals first: a verification costs a signature check. */
	if (ep->replay_unknown || !replay_ok(s, p, rx.seq))
		return drop(s, SG_REPLAY);
	err = peer_ctx(s, ep, p);
	if (err)
		return drop(s, (enum sgroup_verdict)-err);
	grx = malloc(sizeof(*grx));
	if (!grx)
		return drop(s, SG_ERROR);
	err = oscore_group_verify(p->sw, pkt, len, NULL, grx, &m);
	if (!err) {
		replay_mark(p, grx->rx.seq);
		n = coap_serialize(&m, out, cap);
	}
	free(grx);
	if (err)
		return drop(s, err == -CODEC_ESIG ? SG_SIG_FAIL :
			       err == -CODEC_EAUTH ? SG_AUTH_FAIL :
			       err == -CODEC_ENOTGROUP ? SG_UNSIGNED :
			       err <= -CODEC_EBASE ? SG_MALFORMED : SG_ERROR);
	if (n < 0)
		return drop(s, SG_MALFORMED);
	s->st.verified++;
	return n;
}

void sgroups_stats(const struct sgroups *s, json_t *o)
{
	json_t *j = json_object(), *gs = json_array();

	json_object_set_new(j, "protected", json_integer((json_int_t)s->st.protected));
	json_object_set_new(j, "verified", json_integer((json_int_t)s->st.verified));
	for (int v = SG_OK + 1; v < SG_NUM; v++)
		json_object_set_new(j, verdict_names[v],
				    json_integer((json_int_t)s->st.drops[v]));
	json_object_set_new(j, "floors_written",
			    json_integer((json_int_t)s->st.floors_written));
	for (size_t i = 0; i < s->n; i++) {
		const struct sg_epoch *ep = s->v[i].cur;
		char gid[2 * GID_LEN + 1] = "";

		if (ep)
			hex_encode(ep->k->gid, GID_LEN, gid);
		json_array_append_new(gs, json_pack(
			"{s:s s:i s:s s:I s:I s:i s:b s:b}", "name", s->v[i].name,
			"epoch", ep ? (int)ep->epoch : 0, "gid", gid,
			"seq", (json_int_t)(ep ? ep->seq : 0),
			"floor", (json_int_t)(ep ? ep->floor : 0),
			"senders", ep ? (int)ep->n_peers : 0,
			"replay_unknown", ep && ep->replay_unknown,
			"previous", s->v[i].prev != NULL));
	}
	json_object_set_new(j, "groups", gs);
	json_object_set_new(o, "sgroup", j);
}
