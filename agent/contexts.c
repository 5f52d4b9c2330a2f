// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "agent/config.h"
#include "agent/contexts.h"
#include "agent/log.h"
#include "agent/registry.h"
#include "codec/oscore_alg.h"
#include "tools/lib/oscore_derive.h"

static void put_hex(json_t *o, const char *k, const uint8_t *b, size_t n)
{
	char h[2 * 64 + 1];

	hex_encode(b, n, h);
	json_object_set_new(o, k, json_string(h));
	mbedtls_platform_zeroize(h, sizeof(h));
}

static int get_hex(json_t *o, const char *k, uint8_t *out, size_t cap,
		   size_t *len)
{
	const char *s = json_string_value(json_object_get(o, k));
	int n = s ? hex_decode(s, out, cap) : -1;

	if (n < 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

json_t *group_msg_to_json(const struct group_msg *g)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(g->name));
	json_object_set_new(o, "epoch", json_integer(g->epoch));
	json_object_set_new(o, "alg", json_integer(g->alg));
	put_hex(o, "gid", g->gid, GID_LEN);
	put_hex(o, "secret", g->secret, g->secret_len);
	put_hex(o, "salt", g->salt, SALT_LEN);
	if (g->sid_len)
		put_hex(o, "sid", g->sid, g->sid_len);
	if (g->n_gateways) {
		json_t *a = json_array();

		for (size_t i = 0; i < g->n_gateways; i++) {
			char h[2 * SID_MAX_LEN + 1];

			hex_encode(g->gw_sid[i], g->gw_sid_len[i], h);
			json_array_append_new(a, json_string(h));
		}
		json_object_set_new(o, "gateways", a);
	}
	if (g->n_members) {
		json_t *a = json_array();

		for (size_t i = 0; i < g->n_members; i++) {
			char h[2 * SID_MAX_LEN + 1];

			hex_encode(g->member_sid[i], g->member_sid_len[i], h);
			json_array_append_new(a, json_string(h));
		}
		json_object_set_new(o, "members", a);
	}
	if (g->signed_mode) {
		json_object_set_new(o, "mode", json_string("signed"));
		json_object_set_new(o, "sig_alg", json_integer(g->sig_alg));
		if (g->gm_cred_len)
			put_hex(o, "gm_cred", g->gm_cred, g->gm_cred_len);
		sgroup_creds_to_json(g->creds, g->n_creds, o);
	}
	return o;
}

/* "mode": "signed" and what goes with it. */
static int signed_from_json(json_t *j, struct group_msg *g)
{
	const char *mode = json_string_value(json_object_get(j, "mode"));
	json_t *alg = json_object_get(j, "sig_alg");
	size_t n = 0;

	if (!mode || strcmp(mode, "signed"))
		return mode && strcmp(mode, "auth") ? -1 : 0;
	if (!json_is_integer(alg) ||
	    (json_integer_value(alg) != OSCORE_SIG_ES256 &&
	     json_integer_value(alg) != OSCORE_SIG_EDDSA))
		return -1;
	g->signed_mode = true;
	g->sig_alg = (int)json_integer_value(alg);
	if (json_object_get(j, "gm_cred")) {
		if (get_hex(j, "gm_cred", g->gm_cred, sizeof(g->gm_cred), &n))
			return -1;
		g->gm_cred_len = (uint16_t)n;
	}
	return sgroup_creds_from_json(j, &g->creds, &g->n_creds);
}

int group_msg_from_json(json_t *j, struct group_msg *g)
{
	const char *name = json_string_value(json_object_get(j, "name"));
	json_t *a = json_object_get(j, "members"), *v;
	json_t *gws = json_object_get(j, "gateways");
	size_t n, i;

	memset(g, 0, sizeof(*g));
	if (!name || strlen(name) >= sizeof(g->name) ||
	    !json_is_integer(json_object_get(j, "epoch")) ||
	    !json_is_integer(json_object_get(j, "alg")))
		return -1;
	strcpy(g->name, name);
	g->epoch = (uint32_t)json_integer_value(json_object_get(j, "epoch"));
	g->alg = (int)json_integer_value(json_object_get(j, "alg"));
	if (get_hex(j, "gid", g->gid, GID_LEN, &n) || n != GID_LEN ||
	    get_hex(j, "secret", g->secret, sizeof(g->secret), &g->secret_len) ||
	    g->secret_len < 16 ||
	    get_hex(j, "salt", g->salt, SALT_LEN, &n) || n != SALT_LEN)
		return -1;
	if (json_object_get(j, "sid") &&
	    (get_hex(j, "sid", g->sid, SID_MAX_LEN, &g->sid_len) || !g->sid_len))
		return -1;
	if (gws) {
		if (!json_is_array(gws) || !json_array_size(gws) ||
		    json_array_size(gws) > GROUP_MAX_GATEWAYS)
			return -1;
		json_array_foreach(gws, i, v) {
			int len = json_is_string(v) ?
				hex_decode(json_string_value(v), g->gw_sid[i],
					   SID_MAX_LEN) : -1;

			if (len <= 0)
				return -1;
			g->gw_sid_len[i] = (uint8_t)len;
			g->n_gateways++;
		}
	}
	if (a) {
		if (!json_is_array(a) || json_array_size(a) > COAPSEC_MAX_RECIPIENTS)
			return -1;
		json_array_foreach(a, i, v) {
			int len = json_is_string(v) ?
				hex_decode(json_string_value(v), g->member_sid[i],
					   SID_MAX_LEN) : -1;

			if (len <= 0)
				return -1;
			g->member_sid_len[i] = (uint8_t)len;
			g->n_members++;
		}
	}
	return signed_from_json(j, g);
}

void group_msg_wipe(struct group_msg *g)
{
	free(g->creds);
	mbedtls_platform_zeroize(g, sizeof(*g));
}

void actx_wipe(struct actx *c)
{
	sgroup_keys_free(c->sg);
	if (c->info.recipients) {
		mbedtls_platform_zeroize(c->info.recipients,
					 c->rcp_cap * sizeof(*c->info.recipients));
		free(c->info.recipients);
	}
	mbedtls_platform_zeroize(c, sizeof(*c));
}

/* Room for @n recipients in a zeroed @c: a group has thousands. */
static int actx_alloc(struct actx *c, size_t n)
{
	c->info.recipients = calloc(n, sizeof(*c->info.recipients));
	if (!c->info.recipients)
		return -1;
	c->rcp_cap = (unsigned int)n;
	return 0;
}

/* Derives sender key, common IV and one recipient key into @c. */
static int derive(struct actx *c, const struct oscore_master *m,
		  struct coapsec_recipient_info *r)
{
	struct oscore_keys k;
	int rc = oscore_derive(m, &k);

	if (rc)
		return rc;
	c->info.alg = (uint32_t)m->alg;
	memcpy(c->info.sender_id, m->sender_id, m->sender_id_len);
	c->info.sender_id_len = (uint8_t)m->sender_id_len;
	memcpy(c->info.sender_key, k.sender_key, k.alg->key_len);
	c->info.sender_key_len = (uint8_t)k.alg->key_len;
	memcpy(c->info.common_iv, k.common_iv, k.alg->nonce_len);
	c->info.common_iv_len = (uint8_t)k.alg->nonce_len;
	if (m->id_context_len) {
		c->info.has_id_context = true;
		memcpy(c->info.id_context, m->id_context, m->id_context_len);
		c->info.id_context_len = (uint8_t)m->id_context_len;
	}
	memcpy(r->id, m->recipient_id, m->recipient_id_len);
	r->id_len = (uint8_t)m->recipient_id_len;
	memcpy(r->key, k.recipient_key, k.alg->key_len);
	r->key_len = (uint8_t)k.alg->key_len;
	oscore_keys_wipe(&k);
	return 0;
}

int actx_pairwise(struct actx *c, const char *member, const uint8_t ks[KS_LEN],
		  const char *ksid, bool server_side, uint64_t soft_limit)
{
	const uint8_t srv = PAIRWISE_SERVER_SID, mem = PAIRWISE_MEMBER_SID;
	struct oscore_master m = {
		.alg = OSCORE_ALG_AES_CCM_16_64_128, .secret = ks, .secret_len = KS_LEN,
		.id_context = (const uint8_t *)ksid, .id_context_len = strlen(ksid),
		.sender_id = server_side ? &srv : &mem, .sender_id_len = 1,
		.recipient_id = server_side ? &mem : &srv, .recipient_id_len = 1,
	};

	memset(c, 0, sizeof(*c));
	if (m.id_context_len > COAPSEC_MAX_ID_CONTEXT_LEN)
		return -1;
	if (actx_alloc(c, 1))
		return -1;
	snprintf(c->name, sizeof(c->name), "pairwise:%s", member);
	c->kind = ACTX_PAIRWISE;
	c->info.seq_soft_limit = soft_limit;
	/* The server keeps Ksx (registry): its sequence must outlive it. */
	if (server_side)
		c->info.seq_checkpoint = actx_checkpoint_interval(soft_limit);
	c->info.n_recipients = 1;
	return derive(c, &m, &c->info.recipients[0]);
}

static void group_master(struct oscore_master *m, const struct group_msg *g)
{
	*m = (struct oscore_master){
		.alg = g->alg, .secret = g->secret, .secret_len = g->secret_len,
		.salt = g->salt, .salt_len = SALT_LEN,
		.id_context = g->gid, .id_context_len = GID_LEN,
	};
}

/* A signed group's material for @c (@sid: this endpoint's). */
static int actx_signed(struct actx *c, const struct group_msg *g,
		       const uint8_t *sid, size_t sid_len)
{
	struct sgroup_keys *k;

	if (!g->signed_mode)
		return 0;
	k = sgroup_keys_new(g->n_creds);
	if (!k)
		return -1;
	k->alg = g->alg;
	k->sig_alg = g->sig_alg;
	memcpy(k->gid, g->gid, GID_LEN);
	memcpy(k->secret, g->secret, g->secret_len);
	k->secret_len = g->secret_len;
	memcpy(k->salt, g->salt, SALT_LEN);
	memcpy(k->sid, sid, sid_len);
	k->sid_len = sid_len;
	memcpy(k->gm_cred, g->gm_cred, g->gm_cred_len);
	k->gm_cred_len = g->gm_cred_len;
	k->n_creds = g->n_creds;
	if (g->n_creds)
		memcpy(k->creds, g->creds, g->n_creds * sizeof(k->creds[0]));
	c->sg = k;
	return 0;
}

int actx_group_member(struct actx *c, const struct group_msg *g,
		      uint64_t soft_limit)
{
	const uint8_t gw = GATEWAY_SID;
	struct oscore_master m;
	size_t n = g->n_gateways ? g->n_gateways : 1;

	memset(c, 0, sizeof(*c));
	if (!g->sid_len || n > COAPSEC_MAX_RECIPIENTS ||
	    actx_alloc(c, n))
		return -1;
	group_master(&m, g);
	m.sender_id = g->sid;
	m.sender_id_len = g->sid_len;
	snprintf(c->name, sizeof(c->name), "group:%s", g->name);
	c->kind = ACTX_GROUP;
	c->epoch = g->epoch;
	c->info.flags = COAPSEC_CONTEXT_F_GROUP;
	c->info.seq_soft_limit = soft_limit;
	/* Every gateway of the group is a recipient: commands from each verify. */
	for (size_t i = 0; i < n; i++) {
		m.recipient_id = g->n_gateways ? g->gw_sid[i] : &gw;
		m.recipient_id_len = g->n_gateways ? g->gw_sid_len[i] : 1;
		if (derive(c, &m, &c->info.recipients[i]))
			return -1;
		c->info.n_recipients++;
	}
	return actx_signed(c, g, g->sid, g->sid_len);
}

int actx_group_gateway(struct actx *c, const struct group_msg *g,
		       uint64_t soft_limit)
{
	const uint8_t gw = GATEWAY_SID;
	struct oscore_master m;

	memset(c, 0, sizeof(*c));
	if (!g->n_members || actx_alloc(c, g->n_members))
		return -1;
	group_master(&m, g);
	m.sender_id = g->sid_len ? g->sid : &gw;
	m.sender_id_len = g->sid_len ? g->sid_len : 1;
	snprintf(c->name, sizeof(c->name), "group:%s", g->name);
	c->kind = ACTX_GROUP;
	c->epoch = g->epoch;
	c->info.flags = COAPSEC_CONTEXT_F_GROUP;
	c->info.seq_soft_limit = soft_limit;
	for (size_t i = 0; i < g->n_members; i++) {
		m.recipient_id = g->member_sid[i];
		m.recipient_id_len = g->member_sid_len[i];
		if (derive(c, &m, &c->info.recipients[i]))
			return -1;
		c->info.n_recipients++;
	}
	return actx_signed(c, g, m.sender_id, m.sender_id_len);
}

struct actx *ctxset_find(struct ctxset *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

struct actx *ctxset_put(struct ctxset *s, const struct actx *c)
{
	struct actx *slot = ctxset_find(s, c->name);
	struct coapsec_recipient_info *rcp = NULL;
	struct sgroup_keys *sg = NULL;
	uint32_t kid = 0;

	if (slot == c)
		return slot;
	if (c->sg && !(sg = sgroup_keys_dup(c->sg)))
		return NULL;
	/* The slot keeps its own copy of the recipients: @c stays the caller's. */
	if (c->info.n_recipients) {
		rcp = malloc(c->info.n_recipients * sizeof(*rcp));
		if (!rcp) {
			sgroup_keys_free(sg);
			return NULL;
		}
		memcpy(rcp, c->info.recipients,
		       c->info.n_recipients * sizeof(*rcp));
	}
	if (slot) {
		kid = slot->kernel_id;
		actx_wipe(slot);
	} else {
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 16;
			struct actx *v = malloc(cap * sizeof(*v));

			if (!v) {
				if (rcp)
					mbedtls_platform_zeroize(rcp, c->info.n_recipients *
								 sizeof(*rcp));
				free(rcp);
				sgroup_keys_free(sg);
				return NULL;
			}
			if (s->n)
				memcpy(v, s->v, s->n * sizeof(*v));
			if (s->v) {
				mbedtls_platform_zeroize(s->v, s->n * sizeof(*v));
				free(s->v);
			}
			s->v = v;
			s->cap = cap;
		}
		slot = &s->v[s->n++];
	}
	*slot = *c;
	slot->kernel_id = kid;
	slot->info.recipients = rcp;
	slot->rcp_cap = c->info.n_recipients;
	slot->sg = sg;
	return slot;
}

void ctxset_free(struct ctxset *s)
{
	for (size_t i = 0; i < s->n; i++)
		actx_wipe(&s->v[i]);
	if (s->v) {
		mbedtls_platform_zeroize(s->v, s->cap * sizeof(*s->v));
		free(s->v);
	}
	memset(s, 0, sizeof(*s));
}

static void put_fp(json_t *o, const char *k, const uint8_t *b, size_t n)
{
	uint8_t h[32];

	mbedtls_sha256_ret(b, n, h, 0);
	put_hex(o, k, h, 8);
}

int ctxset_write(const struct ctxset *s, const char *path, const char *role,
		 const char *id)
{
	json_t *root = json_object(), *a = json_array();
	char tmp[300];
	int fd, rc, e;

	for (size_t i = 0; i < s->n; i++) {
		const struct actx *c = &s->v[i];
		json_t *o = json_object(), *ra = json_array();

		json_object_set_new(o, "name", json_string(c->name));
		json_object_set_new(o, "kind", json_string(c->kind == ACTX_GROUP ?
							   "group" : "pairwise"));
		json_object_set_new(o, "epoch", json_integer(c->epoch));
		json_object_set_new(o, "alg", json_integer(c->info.alg));
		put_hex(o, "id_context", c->info.id_context, c->info.id_context_len);
		put_hex(o, "sender_id", c->info.sender_id, c->info.sender_id_len);
		put_fp(o, "sender_key_fp", c->info.sender_key, c->info.sender_key_len);
		put_fp(o, "common_iv_fp", c->info.common_iv, c->info.common_iv_len);
		json_object_set_new(o, "kernel_id", json_integer(c->kernel_id));
		if (c->sg)
			json_object_set_new(o, "mode", json_string("signed"));
		for (unsigned int r = 0; r < c->info.n_recipients; r++) {
			const struct coapsec_recipient_info *ri = &c->info.recipients[r];
			json_t *ro = json_object();

			put_hex(ro, "id", ri->id, ri->id_len);
			put_fp(ro, "key_fp", ri->key, ri->key_len);
			json_array_append_new(ra, ro);
		}
		json_object_set_new(o, "recipients", ra);
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "role", json_string(role));
	json_object_set_new(root, "id", json_string(id));
	json_object_set_new(root, "contexts", a);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		e = errno;
		rc = -1;
	} else {
		errno = 0;
		rc = json_dumpfd(root, fd, JSON_INDENT(1) | JSON_SORT_KEYS);
		e = rc ? (errno ? errno : EIO) : 0;
		if (close(fd) && !rc) {
			e = errno;
			rc = -1;
		}
		if (!rc && rename(tmp, path)) {
			e = errno;
			rc = -1;
		}
		if (rc)
			unlink(tmp);
	}
	json_decref(root);
	errno = e;
	return rc;
}

bool ctxset_del(struct ctxset *s, const char *name)
{
	struct actx *c = ctxset_find(s, name);

	if (!c)
		return false;
	*c = s->v[--s->n];
	mbedtls_platform_zeroize(&s->v[s->n], sizeof(s->v[s->n]));
	return true;
}

uint32_t actx_checkpoint_interval(uint64_t soft_limit)
{
	uint64_t k = soft_limit / 16;

	return k < 1 ? 1 : k > 65536 ? 65536 : (uint32_t)k;
}

struct seqstate {
	struct registry *reg;
	char boot_id[40];
	/* "BOOT_ID/INSTANCE_ID": what a checkpoint's boot_id must match. */
	char boot[64];
};

static void read_boot_id(char *out, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	out[0] = '\0';
	if (f) {
		if (fgets(out, (int)len, f))
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

/* A short digest of @c's sender key material (alg, key, IV, IDs). */
static void sender_fp(const struct actx *c, char hex[17])
{
	mbedtls_sha256_context h;
	uint8_t d[32];
	uint8_t alg = (uint8_t)c->info.alg;

	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts_ret(&h, 0);
	mbedtls_sha256_update_ret(&h, &alg, 1);
	mbedtls_sha256_update_ret(&h, c->info.sender_key, c->info.sender_key_len);
	mbedtls_sha256_update_ret(&h, c->info.common_iv, c->info.common_iv_len);
	mbedtls_sha256_update_ret(&h, &c->info.sender_id_len, 1);
	mbedtls_sha256_update_ret(&h, c->info.sender_id, c->info.sender_id_len);
	mbedtls_sha256_update_ret(&h, c->info.id_context, c->info.id_context_len);
	mbedtls_sha256_finish_ret(&h, d);
	mbedtls_sha256_free(&h);
	hex_encode(d, 8, hex);
	mbedtls_platform_zeroize(d, sizeof(d));
}

/*
 * The sidecar of earlier versions, {"contexts": {NAME: {"key_fp",
 * "seq_start", "boot_id", "replay_unknown"}}}, into the registry: each
 * entry as it was written (its boot included), unless the registry keeps
 * a larger number for the same keys.  Then the file goes.
 */
static int import_sidecar(struct seqstate *s, const char *path, char *err,
			  size_t errlen)
{
	json_error_t je;
	json_t *root, *ctxs, *e;
	const char *name;
	size_t n = 0;
	int rc = 0;

	if (access(path, F_OK))
		return 0;
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	ctxs = root ? json_object_get(root, "contexts") : NULL;
	if (!ctxs || !json_is_object(ctxs)) {
		char where[200] = "";

		if (!root)
			snprintf(where, sizeof(where), ": %s (line %d)", je.text,
				 je.line);
		snprintf(err, errlen,
			 "%s: sequence state: expected {\"contexts\": {...}} as written by coapsecd%s; restoring it from a backup or deleting it makes every kept key start its sequence at 0 again",
			 path, where);
		json_decref(root);
		return -1;
	}
	json_object_foreach(ctxs, name, e) {
		const char *fp = json_string_value(json_object_get(e, "key_fp"));
		const char *boot = json_string_value(json_object_get(e, "boot_id"));
		json_t *v = json_object_get(e, "seq_start");
		struct reg_checkpoint cp, old;

		if (!fp || strlen(fp) != 16 || !json_is_integer(v) ||
		    json_integer_value(v) < 0) {
			snprintf(err, errlen,
				 "%s: sequence state: contexts.%s: expected \"key_fp\" (16 hex digits) and \"seq_start\" (an integer >= 0)",
				 path, name);
			rc = -1;
			break;
		}
		memset(&cp, 0, sizeof(cp));
		snprintf(cp.key_fp, sizeof(cp.key_fp), "%s", fp);
		snprintf(cp.boot_id, sizeof(cp.boot_id), "%s", boot ? boot : "");
		cp.seq = json_integer_value(v);
		cp.replay_unknown = json_is_true(json_object_get(e, "replay_unknown"));
		rc = registry_checkpoint_get(s->reg, name, &old);
		if (rc < 0)
			break;
		if (!rc && !strcmp(old.key_fp, cp.key_fp) && old.seq >= cp.seq)
			continue;	/* imported before: the registry is ahead */
		rc = registry_checkpoint_put(s->reg, name, &cp);
		if (rc)
			break;
		n++;
	}
	json_decref(root);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen,
				 "%s: sequence state: cannot import it into the registry %s",
				 path, registry_describe(s->reg));
		return -1;
	}
	/* Only once every entry is durably in the registry. */
	if (unlink(path)) {
		snprintf(err, errlen, "%s: imported into the registry, but cannot delete it: %s",
			 path, strerror(errno));
		return -1;
	}
	log_info("%s: %zu sequence checkpoint(s) imported into the registry %s; file deleted",
		 path, n, registry_describe(s->reg));
	return 0;
}

struct seqstate *seqstate_open(struct registry *reg, const char *sidecar,
			       char *err, size_t errlen)
{
	struct seqstate *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->reg = reg;
	read_boot_id(s->boot_id, sizeof(s->boot_id));
	snprintf(s->boot, sizeof(s->boot), "%s", s->boot_id);
	if (err && errlen)
		err[0] = '\0';
	if (sidecar && import_sidecar(s, sidecar, err, errlen)) {
		free(s);
		return NULL;
	}
	return s;
}

void seqstate_identify(struct seqstate *s, const char *boot_id,
		       uint64_t instance_id)
{
	snprintf(s->boot_id, sizeof(s->boot_id), "%s", boot_id);
	/* No boot ID: every start is another boot (seqstate_get). */
	if (!s->boot_id[0])
		s->boot[0] = '\0';
	else
		snprintf(s->boot, sizeof(s->boot), "%s/%016llx", s->boot_id,
			 (unsigned long long)instance_id);
}

void seqstate_set_instance(struct seqstate *s, uint64_t instance_id)
{
	char boot_id[sizeof(s->boot_id)];

	snprintf(boot_id, sizeof(boot_id), "%s", s->boot_id);
	seqstate_identify(s, boot_id, instance_id);
}

void seqstate_close(struct seqstate *s)
{
	free(s);
}

const char *seqstate_describe(const struct seqstate *s)
{
	return registry_describe(s->reg);
}

int seqstate_lookup(struct seqstate *s, const struct actx *c, uint64_t *seq,
		    bool *replay_unknown)
{
	struct reg_checkpoint cp;
	char mine[17];
	int rc;

	sender_fp(c, mine);
	rc = registry_checkpoint_get(s->reg, c->name, &cp);
	if (rc)
		return rc > 0 ? 0 : -1;
	if (strcmp(cp.key_fp, mine) || cp.seq < 0)
		return 0;
	*seq = (uint64_t)cp.seq;
	*replay_unknown = cp.replay_unknown || !cp.boot_id[0] ||
			  strcmp(cp.boot_id, s->boot);
	return 1;
}

bool seqstate_get(struct seqstate *s, const struct actx *c, uint64_t *seq,
		  bool *replay_unknown)
{
	return seqstate_lookup(s, c, seq, replay_unknown) == 1;
}

int seqstate_put(struct seqstate *s, const struct actx *c, uint64_t seq,
		 bool replay_unknown)
{
	return seqstate_keep(s, c, seq, replay_unknown, NULL);
}

int seqstate_keep(struct seqstate *s, const struct actx *c, uint64_t seq,
		  bool replay_unknown, uint64_t *kept)
{
	struct reg_checkpoint cp;
	char mine[17];
	int rc;

	/* Past what the registry holds: the largest, never a negative. */
	if (seq > INT64_MAX)
		seq = INT64_MAX;
	sender_fp(c, mine);
	rc = registry_checkpoint_get(s->reg, c->name, &cp);
	if (rc < 0)
		return -1;
	if (!rc && !strcmp(cp.key_fp, mine) && cp.seq >= 0) {
		if ((uint64_t)cp.seq >= seq &&
		    cp.replay_unknown == replay_unknown &&
		    !strcmp(cp.boot_id, s->boot)) {
			if (kept)
				*kept = (uint64_t)cp.seq;
			return 0;	/* nothing new */
		}
		if ((uint64_t)cp.seq > seq)
			seq = (uint64_t)cp.seq;
	}
	memset(&cp, 0, sizeof(cp));
	snprintf(cp.key_fp, sizeof(cp.key_fp), "%s", mine);
	snprintf(cp.boot_id, sizeof(cp.boot_id), "%s", s->boot);
	cp.seq = (int64_t)seq;
	cp.replay_unknown = replay_unknown;
	rc = registry_checkpoint_put(s->reg, c->name, &cp);
	if (!rc && kept)
		*kept = seq;
	return rc;
}

int seqstate_forget(struct seqstate *s, const char *name)
{
	struct reg_checkpoint cp;
	int rc = registry_checkpoint_get(s->reg, name, &cp);

	if (rc)
		return rc > 0 ? 0 : -1;
	return registry_checkpoint_del(s->reg, name);
}
