// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration loading.  Every error names the file, the field (as a
 * JSON path: "members[2].key_file") and what was expected; key material
 * is never part of a message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <mbedtls/platform_util.h>

#include "agent/config.h"
#include "agent/ks.h"
#include "codec/oscore_alg.h"
#include "tools/lib/oscore_group_sw.h"
#include "uapi/linux/coapsec.h"

struct loader {
	const char *path;
	struct agent_config *cfg;
	bool file_private;	/* the config file itself is 0600 */
	char *err;
	size_t errlen;
};

static int fail(struct loader *l, const char *field, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s: %s: %s", l->path, field, what);
	return -1;
}

const char *role_name(enum agent_role r)
{
	switch (r) {
	case ROLE_DEVICE: return "device";
	case ROLE_GATEWAY: return "gateway";
	case ROLE_SERVER: return "server";
	}
	return "?";
}

int parse_addr(const char *s, struct cfg_addr *a)
{
	char host[64];
	const char *colon;
	char *end;
	unsigned long port;
	size_t hl;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -1;
		hl = (size_t)(rb - s - 1);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
	}
	host[hl] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || colon[1] == 0 || port > 65535)
		return -1;
	if (s[0] == '[') {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->ss;

		if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1)
			return -1;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		a->len = sizeof(*v6);
	} else {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&a->ss;

		if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
			return -1;
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		a->len = sizeof(*v4);
	}
	snprintf(a->text, sizeof(a->text), "%s", s);
	return 0;
}

/* Field-name helpers: "prefix.name" or just "name". */
static const char *fname(char *buf, size_t n, const char *prefix,
			 const char *name)
{
	if (prefix && *prefix)
		snprintf(buf, n, "%s.%s", prefix, name);
	else
		snprintf(buf, n, "%s", name);
	return buf;
}

/* Refuses fields not in @allowed (NULL-terminated). */
static int check_fields(struct loader *l, json_t *obj, const char *prefix,
			const char *const *allowed)
{
	const char *key;
	json_t *v;
	char f[160], list[256] = "";

	for (const char *const *a = allowed; *a; a++) {
		if (list[0])
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, *a, sizeof(list) - strlen(list) - 1);
	}
	json_object_foreach(obj, key, v) {
		bool ok = false;

		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(*a, key);
		if (!ok)
			return fail(l, fname(f, sizeof(f), prefix, key),
				    "unknown field for role %s (expected one of: %s)",
				    role_name(l->cfg->role), list);
	}
	return 0;
}

static int get_string(struct loader *l, json_t *obj, const char *prefix,
		      const char *name, bool required, char *out, size_t cap)
{
	json_t *v = json_object_get(obj, name);
	char f[160];

	fname(f, sizeof(f), prefix, name);
	if (!v) {
		if (required)
			return fail(l, f, "expected a string, field is missing");
		return 0;
	}
	if (!json_is_string(v))
		return fail(l, f, "expected a string");
	if (json_string_length(v) == 0)
		return fail(l, f, "expected a non-empty string");
	if (json_string_length(v) >= cap || strlen(json_string_value(v)) !=
	    json_string_length(v))
		return fail(l, f, "expected a string of at most %zu bytes without NUL",
			    cap - 1);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_uint(struct loader *l, json_t *obj, const char *name,
		    unsigned long long lo, unsigned long long hi,
		    unsigned long long *out)
{
	json_t *v = json_object_get(obj, name);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (unsigned long long)json_integer_value(v) < lo ||
	    (unsigned long long)json_integer_value(v) > hi)
		return fail(l, name, "expected an integer in %llu..%llu", lo, hi);
	*out = (unsigned long long)json_integer_value(v);
	return 0;
}

static int get_addr(struct loader *l, json_t *obj, const char *prefix,
		    const char *name, struct cfg_addr *a)
{
	char s[80], f[160];

	if (get_string(l, obj, prefix, name, true, s, sizeof(s)))
		return -1;
	if (parse_addr(s, a))
		return fail(l, fname(f, sizeof(f), prefix, name),
			    "expected a numeric \"ADDRESS:PORT\" or \"[IPV6]:PORT\", got \"%s\"",
			    s);
	return 0;
}

/*
 * A file the agent creates or rewrites later (contexts_file, db): its
 * directory must exist and be writable now, not fail at the first write.
 */
static int check_writable(struct loader *l, const char *field, const char *file)
{
	const char *slash = strrchr(file, '/');
	char dir[256];
	struct stat st;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == file)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file), file);
	if (stat(dir, &st))
		return fail(l, field, "expected the directory of %s to exist, %s: %s",
			    file, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(l, field, "expected %s to be a directory (for %s), it is not one",
			    dir, file);
	if (access(dir, W_OK | X_OK))
		return fail(l, field, "expected the directory of %s to be writable, %s: %s",
			    file, dir, strerror(errno));
	if (!stat(file, &st) && !S_ISREG(st.st_mode))
		return fail(l, field, "expected %s to be a regular file", file);
	if (!stat(file, &st) && access(file, W_OK))
		return fail(l, field, "expected %s to be writable: %s", file,
			    strerror(errno));
	return 0;
}

/* Reads a key file: hex text, mode 0600 (no access for group or others). */
static int load_key_file(struct loader *l, const char *field, const char *file,
			 struct psk_cred *c)
{
	char buf[2 * CFG_MAX_KEY_LEN + 8];
	struct stat st;
	ssize_t n;
	int fd, len;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail(l, field, "expected a readable key file, %s: %s",
			    file, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(l, field, "expected a regular key file, %s is not one",
			    file);
	}
	if (st.st_mode & 077) {
		close(fd);
		return fail(l, field,
			    "expected key file %s to be mode 0600, it is %04o",
			    file, (unsigned int)(st.st_mode & 07777));
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return fail(l, field, "expected a readable key file, %s: %s",
			    file, strerror(errno));
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
			 buf[n - 1] == ' '))
		buf[--n] = 0;
	len = hex_decode(buf, c->key, sizeof(c->key));
	mbedtls_platform_zeroize(buf, sizeof(buf));
	if (len < 16)
		return fail(l, field,
			    "expected key file %s to hold 16 to %d bytes as hex",
			    file, CFG_MAX_KEY_LEN);
	c->key_len = (size_t)len;
	return 0;
}

/* { "identity": ..., "key": HEX | "key_file": PATH } plus @extra fields. */
static int get_cred(struct loader *l, json_t *obj, const char *prefix,
		    struct psk_cred *c)
{
	json_t *k = json_object_get(obj, "key");
	json_t *kf = json_object_get(obj, "key_file");
	char f[160];
	int len;

	if (get_string(l, obj, prefix, "identity", true, c->identity,
		       sizeof(c->identity)))
		return -1;
	if (k && kf)
		return fail(l, fname(f, sizeof(f), prefix, "key"),
			    "expected either key or key_file, not both");
	if (kf) {
		char file[256];

		if (get_string(l, obj, prefix, "key_file", true, file,
			       sizeof(file)))
			return -1;
		return load_key_file(l, fname(f, sizeof(f), prefix, "key_file"),
				     file, c);
	}
	fname(f, sizeof(f), prefix, "key");
	if (!k)
		return fail(l, f, "expected key or key_file, neither is present");
	if (!json_is_string(k))
		return fail(l, f, "expected a hex string");
	if (!l->file_private)
		return fail(l, f,
			    "expected the config file to be mode 0600 when it holds keys inline (or use key_file)");
	len = hex_decode(json_string_value(k), c->key, sizeof(c->key));
	if (len < 16)
		return fail(l, f, "expected 16 to %d bytes as hex",
			    CFG_MAX_KEY_LEN);
	c->key_len = (size_t)len;
	return 0;
}

static json_t *get_array(struct loader *l, json_t *root, const char *name,
			 bool required, int *rc)
{
	json_t *a = json_object_get(root, name);

	*rc = 0;
	if (!a) {
		if (required)
			*rc = fail(l, name, "expected an array, field is missing");
		return NULL;
	}
	if (!json_is_array(a) || (required && json_array_size(a) == 0)) {
		*rc = fail(l, name, "expected a non-empty array of objects");
		return NULL;
	}
	return a;
}

/* "10 (AES-CCM-16-64-128), 1 (A128GCM), ...": the codec's table. */
static const char *alg_list(char *buf, size_t n)
{
	const struct oscore_alg *alg;
	size_t len = 0;

	buf[0] = 0;
	for (unsigned int i = 0; (alg = oscore_alg_at(i)) && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%d (%s)",
					i ? ", " : "", alg->cose_id, alg->name);
	return buf;
}

/* groups[].mode and .signature_alg. */
static int load_group_mode(struct loader *l, json_t *g, const char *p,
			   struct cfg_group *cg)
{
	char f[160], v[16] = "";

	if (get_string(l, g, p, "mode", false, v, sizeof(v)))
		return -1;
	if (v[0] && strcmp(v, "auth") && strcmp(v, "signed"))
		return fail(l, fname(f, sizeof(f), p, "mode"),
			    "expected \"auth\" (group authentication) or \"signed\" (Group OSCORE group mode), got \"%s\"",
			    v);
	cg->signed_mode = !strcmp(v, "signed");
	cg->sig_alg = OSCORE_SIG_ES256;
	v[0] = 0;
	if (get_string(l, g, p, "signature_alg", false, v, sizeof(v)))
		return -1;
	if (v[0] && !cg->signed_mode)
		return fail(l, fname(f, sizeof(f), p, "signature_alg"),
			    "expected only with \"mode\": \"signed\"");
	if (v[0] && strcmp(v, "ES256") && strcmp(v, "EdDSA"))
		return fail(l, fname(f, sizeof(f), p, "signature_alg"),
			    "expected \"ES256\" or \"EdDSA\", got \"%s\"", v);
	if (!strcmp(v, "EdDSA"))
		cg->sig_alg = OSCORE_SIG_EDDSA;
	return 0;
}

static int load_groups(struct loader *l, json_t *root)
{
	static const char *const allowed[] = { "name", "alg", "secret_len",
		"mode", "signature_alg", NULL };
	json_t *a, *g;
	size_t i;
	int rc;

	a = get_array(l, root, "groups", true, &rc);
	if (!a)
		return rc;
	l->cfg->groups = calloc(json_array_size(a), sizeof(*l->cfg->groups));
	if (!l->cfg->groups)
		return fail(l, "groups", "out of memory");
	json_array_foreach(a, i, g) {
		struct cfg_group *cg = &l->cfg->groups[i];
		char p[64], f[160], list[160];
		json_t *v;

		snprintf(p, sizeof(p), "groups[%zu]", i);
		if (!json_is_object(g))
			return fail(l, p, "expected an object");
		if (check_fields(l, g, p, allowed) ||
		    get_string(l, g, p, "name", true, cg->name, sizeof(cg->name)))
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(l->cfg->groups[j].name, cg->name))
				return fail(l, fname(f, sizeof(f), p, "name"),
					    "expected a unique group name, \"%s\" repeats",
					    cg->name);
		cg->alg = OSCORE_ALG_AES_CCM_16_64_128;
		v = json_object_get(g, "alg");
		if (v) {
			const struct oscore_alg *alg = json_is_integer(v) ?
				oscore_alg_find((int)json_integer_value(v)) : NULL;

			if (!alg)
				return fail(l, fname(f, sizeof(f), p, "alg"),
					    "expected a COSE AEAD id: %s",
					    alg_list(list, sizeof(list)));
			cg->alg = alg->cose_id;
		}
		cg->secret_len = 16;
		v = json_object_get(g, "secret_len");
		if (v) {
			if (!json_is_integer(v) || (json_integer_value(v) != 16 &&
						    json_integer_value(v) != 32))
				return fail(l, fname(f, sizeof(f), p, "secret_len"),
					    "expected 16 or 32");
			cg->secret_len = (unsigned int)json_integer_value(v);
		}
		if (load_group_mode(l, g, p, cg))
			return -1;
		l->cfg->n_groups++;
	}
	return 0;
}

/*
 * Server: members[].gateways, the IDs of the gateways that may act for
 * the member.  Optional with one gateway configured (it serves every
 * member), required with more.
 */
/* One name of members[].group or .groups, checked against "groups". */
static int add_member_group(struct loader *l, const char *f, const char *name,
			    struct cfg_member *cm)
{
	struct agent_config *cfg = l->cfg;
	bool found = false;

	if (!name)
		return fail(l, f, "expected a group name (a string)");
	for (size_t g = 0; g < cfg->n_groups; g++)
		found |= !strcmp(cfg->groups[g].name, name);
	if (!found)
		return fail(l, f,
			    "expected the name of a group in \"groups\", \"%s\" is not one",
			    name);
	if (cfg_member_in_group(cm, name))
		return fail(l, f, "expected each group once, \"%s\" repeats",
			    name);
	snprintf(cm->groups[cm->n_groups++], CFG_MAX_ID_LEN, "%s", name);
	return 0;
}

/*
 * The member's groups: "group": NAME (one), or "groups": [NAME...] (a
 * member of several, a door controller in "doors" and "floor-2").
 */
static int load_member_groups(struct loader *l, json_t *m, const char *p,
			      struct cfg_member *cm)
{
	json_t *one = json_object_get(m, "group");
	json_t *a = json_object_get(m, "groups"), *v;
	char f[160];
	size_t i;

	if (!one == !a)
		return fail(l, p,
			    "expected \"group\" (a group name) or \"groups\" (an array of 1 to %d group names), %s",
			    CFG_MAX_MEMBER_GROUPS, a ? "found both" : "found neither");
	if (one)
		return add_member_group(l, fname(f, sizeof(f), p, "group"),
					json_string_value(one), cm);
	if (!json_is_array(a) || !json_array_size(a) ||
	    json_array_size(a) > CFG_MAX_MEMBER_GROUPS)
		return fail(l, fname(f, sizeof(f), p, "groups"),
			    "expected an array of 1 to %d group names from \"groups\"",
			    CFG_MAX_MEMBER_GROUPS);
	json_array_foreach(a, i, v) {
		fname(f, sizeof(f), p, "groups");
		snprintf(f + strlen(f), sizeof(f) - strlen(f), "[%zu]", i);
		if (add_member_group(l, f, json_string_value(v), cm))
			return -1;
	}
	return 0;
}

static int load_member_gateways(struct loader *l, json_t *m, const char *p,
				struct cfg_member *cm)
{
	struct agent_config *cfg = l->cfg;
	json_t *a = json_object_get(m, "gateways"), *v;
	char f[160];
	size_t i;

	fname(f, sizeof(f), p, "gateways");
	if (!a) {
		if (cfg->n_gateways != 1)
			return fail(l, f,
				    "expected an array of the IDs of the gateways that may act for this member, field is missing (required with more than one gateway)");
		cm->gw[cm->n_gw++] = 0;
		return 0;
	}
	if (!json_is_array(a) || !json_array_size(a) ||
	    json_array_size(a) > CFG_MAX_MEMBER_GATEWAYS)
		return fail(l, f, "expected an array of 1 to %d gateway IDs from \"gateways\"",
			    CFG_MAX_MEMBER_GATEWAYS);
	json_array_foreach(a, i, v) {
		const char *id = json_string_value(v);
		size_t g;

		fname(f, sizeof(f), p, "gateways");
		snprintf(f + strlen(f), sizeof(f) - strlen(f), "[%zu]", i);
		if (!id)
			return fail(l, f, "expected a gateway ID (a string)");
		for (g = 0; g < cfg->n_gateways; g++)
			if (!strcmp(cfg->gateways[g].id, id))
				break;
		if (g == cfg->n_gateways)
			return fail(l, f,
				    "expected the id of a gateway in \"gateways\", \"%s\" is not one",
				    id);
		for (size_t k = 0; k < cm->n_gw; k++)
			if (cm->gw[k] == g)
				return fail(l, f, "expected each gateway once, \"%s\" repeats",
					    id);
		cm->gw[cm->n_gw++] = (uint16_t)g;
	}
	return 0;
}

bool cfg_member_in_group(const struct cfg_member *m, const char *group)
{
	for (size_t k = 0; k < m->n_groups; k++)
		if (!strcmp(m->groups[k], group))
			return true;
	return false;
}

bool cfg_member_served_by(const struct agent_config *cfg,
			  const struct cfg_member *m, const char *gw)
{
	for (size_t k = 0; k < m->n_gw; k++)
		if (m->gw[k] < cfg->n_gateways &&
		    !strcmp(cfg->gateways[m->gw[k]].id, gw))
			return true;
	return false;
}

bool cfg_gateway_serves_group(const struct agent_config *cfg, const char *gw,
			      const char *group)
{
	for (size_t i = 0; i < cfg->n_members; i++)
		if (cfg_member_in_group(&cfg->members[i], group) &&
		    cfg_member_served_by(cfg, &cfg->members[i], gw))
			return true;
	return false;
}

const struct cfg_member *cfg_member_by_norm(const struct agent_config *cfg,
					    const char *norm)
{
	for (size_t i = 0; i < cfg->n_members; i++)
		if (!strcmp(cfg->members[i].norm, norm))
			return &cfg->members[i];
	return NULL;
}

static int load_members(struct loader *l, json_t *root, bool required)
{
	static const char *const srv[] = { "id", "group", "groups", "identity",
					   "key", "key_file", "gateways", "sends",
					   NULL };
	static const char *const gw[] = { "id", "identity", "key", "key_file",
					  NULL };
	struct agent_config *cfg = l->cfg;
	json_t *a, *m;
	size_t i;
	int rc;

	a = get_array(l, root, "members", required, &rc);
	if (!a)
		return rc;
	cfg->members = calloc(json_array_size(a) + 1, sizeof(*cfg->members));
	if (!cfg->members)
		return fail(l, "members", "out of memory");
	json_array_foreach(a, i, m) {
		struct cfg_member *cm = &cfg->members[i];
		char p[64], f[160];

		snprintf(p, sizeof(p), "members[%zu]", i);
		if (!json_is_object(m))
			return fail(l, p, "expected an object");
		cfg->n_members++;
		if (check_fields(l, m, p, cfg->role == ROLE_SERVER ? srv : gw) ||
		    get_string(l, m, p, "id", true, cm->id, sizeof(cm->id)) ||
		    get_cred(l, m, p, &cm->cred))
			return -1;
		/* IDs are compared after NFKC everywhere (TR-0012 8.2.1). */
		if (ks_normalize_id(cm->id, cm->norm, sizeof(cm->norm)) < 0)
			return fail(l, fname(f, sizeof(f), p, "id"),
				    "expected valid UTF-8 of at most %d bytes after NFKC",
				    CFG_MAX_ID_LEN - 1);
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(cfg->members[j].id, cm->id))
				return fail(l, fname(f, sizeof(f), p, "id"),
					    "expected a unique member id, \"%s\" repeats",
					    cm->id);
			if (!strcmp(cfg->members[j].norm, cm->norm))
				return fail(l, fname(f, sizeof(f), p, "id"),
					    "expected a member id unique after NFKC, \"%s\" is the same as members[%zu].id",
					    cm->id, j);
			if (!strcmp(cfg->members[j].cred.identity,
				    cm->cred.identity))
				return fail(l, fname(f, sizeof(f), p, "identity"),
					    "expected a unique identity, \"%s\" repeats",
					    cm->cred.identity);
		}
		if (cfg->role != ROLE_SERVER)
			continue;
		if (strlen(cm->cred.identity) > KSID_MAX_LEN)
			return fail(l, fname(f, sizeof(f), p, "identity"),
				    "expected at most %d bytes (KsxId = KpsaxiId is the OSCORE ID Context)",
				    KSID_MAX_LEN);
		if (load_member_groups(l, m, p, cm))
			return -1;
		if (load_member_gateways(l, m, p, cm))
			return -1;
		if (json_object_get(m, "sends")) {
			if (!json_is_boolean(json_object_get(m, "sends")))
				return fail(l, fname(f, sizeof(f), p, "sends"),
					    "expected true or false");
			cm->sends = json_is_true(json_object_get(m, "sends"));
		}
	}
	/* A gateway verifies a group in one kernel context. */
	for (size_t g = 0; cfg->role == ROLE_SERVER && g < cfg->n_groups; g++) {
		size_t n = 0;

		for (size_t k = 0; k < cfg->n_members; k++)
			n += cfg_member_in_group(&cfg->members[k],
						 cfg->groups[g].name);
		if (n > COAPSEC_MAX_RECIPIENTS)
			return fail(l, "members",
				    "expected at most %d members in group \"%s\" (COAPSEC_MAX_RECIPIENTS, what one kernel context verifies), found %zu",
				    COAPSEC_MAX_RECIPIENTS, cfg->groups[g].name, n);
	}
	return 0;
}

static int load_gateways(struct loader *l, json_t *root)
{
	static const char *const allowed[] = { "id", "identity", "key",
					       "key_file", NULL };
	json_t *a, *g;
	size_t i;
	int rc;

	a = get_array(l, root, "gateways", true, &rc);
	if (!a)
		return rc;
	l->cfg->gateways = calloc(json_array_size(a), sizeof(*l->cfg->gateways));
	if (!l->cfg->gateways)
		return fail(l, "gateways", "out of memory");
	json_array_foreach(a, i, g) {
		struct cfg_gateway *cg = &l->cfg->gateways[i];
		char p[64], f[160];

		snprintf(p, sizeof(p), "gateways[%zu]", i);
		if (!json_is_object(g))
			return fail(l, p, "expected an object");
		l->cfg->n_gateways++;
		if (check_fields(l, g, p, allowed) ||
		    get_string(l, g, p, "id", true, cg->id, sizeof(cg->id)) ||
		    get_cred(l, g, p, &cg->cred))
			return -1;
		/* members[].gateways names them by id. */
		for (size_t j = 0; j < i; j++)
			if (!strcmp(l->cfg->gateways[j].id, cg->id))
				return fail(l, fname(f, sizeof(f), p, "id"),
					    "expected a unique gateway id, \"%s\" repeats",
					    cg->id);
	}
	return 0;
}

/* Whether @ctx is @kind followed by a name ("group:lights"). */
static bool context_named(const char *ctx, const char *kind)
{
	size_t n = strlen(kind);

	return !strncmp(ctx, kind, n) && ctx[n];
}

/*
 * The server knows its groups and members: a policy naming another one
 * would never be installed.  (A device or gateway learns its groups at
 * run time and logs a policy whose context never came; agent_ready.)
 */
static int check_policy_contexts(struct loader *l)
{
	struct agent_config *cfg = l->cfg;

	for (size_t i = 0; i < cfg->n_policies; i++) {
		const char *ctx = cfg->policies[i].context;
		bool found = false;
		char f[64];

		snprintf(f, sizeof(f), "policies[%zu].context", i);
		if (context_named(ctx, "group:")) {
			for (size_t g = 0; g < cfg->n_groups; g++)
				found |= !strcmp(cfg->groups[g].name, ctx + 6);
			if (!found)
				return fail(l, f,
					    "expected \"group:NAME\" naming a group in \"groups\", \"%s\" is not one",
					    ctx + 6);
		} else if (context_named(ctx, "pairwise:")) {
			size_t m;

			/* The server names pairwise contexts by NFKC(IdAx). */
			for (m = 0; m < cfg->n_members && !found; m++)
				found = !strcmp(cfg->members[m].id, ctx + 9) ||
					!strcmp(cfg->members[m].norm, ctx + 9);
			if (!found)
				return fail(l, f,
					    "expected \"pairwise:MEMBER\" naming a member in \"members\", \"%s\" is not one",
					    ctx + 9);
			snprintf(cfg->policies[i].context,
				 sizeof(cfg->policies[i].context), "pairwise:%s",
				 cfg->members[m - 1].norm);
		}
	}
	return 0;
}

/* An optional "ADDRESS[/PREFIXLEN]" of the policy's family. */
static int get_prefix(struct loader *l, json_t *o, const char *pre,
		      const char *name, struct cfg_policy *p, uint8_t addr[16],
		      uint8_t *plen, bool *has)
{
	char v[80], f[160];
	uint8_t fam;
	int rc;

	v[0] = 0;
	if (get_string(l, o, pre, name, false, v, sizeof(v)))
		return -1;
	if (!v[0])
		return 0;
	fname(f, sizeof(f), pre, name);
	rc = parse_prefix(v, &fam, addr, plen);
	if (rc == -1 || (p->family && p->family != fam))
		return fail(l, f,
			    "expected \"ADDRESS[/PREFIXLEN]\" of the policy's family");
	if (rc)
		return fail(l, f,
			    "expected no address bits set after the prefix length, \"%s\" has some",
			    v);
	p->family = fam;
	*has = true;
	return 0;
}

static int load_policies(struct loader *l, json_t *root)
{
	static const char *const allowed[] = { "context", "priority", "family",
		"direction", "action", "src", "dst", "dport", "mark", NULL };
	static const char *const dirs[] = { [COAPSEC_DIR_OUT] = "out",
		[COAPSEC_DIR_FWD] = "fwd", [COAPSEC_DIR_IN] = "in" };
	static const char *const acts[] = { [COAPSEC_ACTION_PROTECT] = "protect",
		[COAPSEC_ACTION_VERIFY] = "verify",
		[COAPSEC_ACTION_REQUIRE] = "require",
		[COAPSEC_ACTION_BYPASS] = "bypass",
		[COAPSEC_ACTION_QUEUE] = "queue" };
	json_t *a = json_object_get(root, "policies"), *o;
	size_t i;

	if (!a)
		return 0;
	if (!json_is_array(a))
		return fail(l, "policies", "expected an array of objects");
	l->cfg->policies = calloc(json_array_size(a) + 1, sizeof(*l->cfg->policies));
	if (!l->cfg->policies)
		return fail(l, "policies", "out of memory");
	json_array_foreach(a, i, o) {
		struct cfg_policy *p = &l->cfg->policies[i];
		char pre[64], f[160], v[80];

		snprintf(pre, sizeof(pre), "policies[%zu]", i);
		if (!json_is_object(o))
			return fail(l, pre, "expected an object");
		l->cfg->n_policies++;
		if (check_fields(l, o, pre, allowed))
			return -1;
		v[0] = 0;
		if (get_string(l, o, pre, "direction", true, v, sizeof(v)))
			return -1;
		for (uint8_t d = 1; d < 4; d++)
			if (!strcmp(v, dirs[d]))
				p->direction = d;
		if (!p->direction)
			return fail(l, fname(f, sizeof(f), pre, "direction"),
				    "expected \"out\", \"fwd\" or \"in\"");
		if (get_string(l, o, pre, "action", true, v, sizeof(v)))
			return -1;
		for (uint8_t d = 1; d <= COAPSEC_ACTION_QUEUE; d++)
			if (acts[d] && !strcmp(v, acts[d]))
				p->action = d;
		if (!p->action)
			return fail(l, fname(f, sizeof(f), pre, "action"),
				    "expected \"protect\", \"verify\", \"require\", \"bypass\" or \"queue\"");
		if (p->action == COAPSEC_ACTION_QUEUE && !l->cfg->signing)
			return fail(l, fname(f, sizeof(f), pre, "action"),
				    "expected \"queue\" only with \"group_signing\" (which names the queue and the key that signs)");
		p->queue_num = l->cfg->queue_num;
		if (get_string(l, o, pre, "context", false, p->context,
			       sizeof(p->context)))
			return -1;
		if ((p->action == COAPSEC_ACTION_PROTECT) != !!p->context[0])
			return fail(l, fname(f, sizeof(f), pre, "context"),
				    p->context[0] ? "expected no context: only protect uses one" :
				    "expected the name of a context (\"group:NAME\", \"pairwise\") to protect with");
		/* A server holds one pairwise context per member. */
		if (l->cfg->role == ROLE_SERVER && !strcmp(p->context, "pairwise"))
			return fail(l, fname(f, sizeof(f), pre, "context"),
				    "expected \"pairwise:MEMBER\" on a server (it holds a pairwise context per member), got \"pairwise\"");
		if (p->context[0] && strcmp(p->context, "pairwise") &&
		    !context_named(p->context, "group:") &&
		    !context_named(p->context, "pairwise:"))
			return fail(l, fname(f, sizeof(f), pre, "context"),
				    "expected \"group:NAME\", \"pairwise\" or \"pairwise:MEMBER\", got \"%s\"",
				    p->context);
		v[0] = 0;
		if (get_string(l, o, pre, "family", false, v, sizeof(v)))
			return -1;
		if (v[0]) {
			if (strcmp(v, "inet") && strcmp(v, "inet6"))
				return fail(l, fname(f, sizeof(f), pre, "family"),
					    "expected \"inet\" or \"inet6\"");
			p->family = strcmp(v, "inet") ? AF_INET6 : AF_INET;
		}
		if (get_prefix(l, o, pre, "src", p, p->src, &p->src_plen,
			       &p->has_src) ||
		    get_prefix(l, o, pre, "dst", p, p->dst, &p->dst_plen,
			       &p->has_dst))
			return -1;
		if (!p->family)
			return fail(l, fname(f, sizeof(f), pre, "family"),
				    "expected \"inet\" or \"inet6\" (or an address to tell)");
		snprintf(f, sizeof(f), "%s.dport", pre);
		if (json_object_get(o, "dport")) {
			json_t *dp = json_object_get(o, "dport");

			if (!json_is_integer(dp) || json_integer_value(dp) < 1 ||
			    json_integer_value(dp) > 65535)
				return fail(l, f, "expected an integer in 1..65535");
			p->has_dport = true;
			p->dport = (uint16_t)json_integer_value(dp);
		}
		if (json_object_get(o, "mark")) {
			json_t *m = json_object_get(o, "mark");

			if (!json_is_integer(m) || json_integer_value(m) < 0 ||
			    json_integer_value(m) > 0xffffffffLL)
				return fail(l, fname(f, sizeof(f), pre, "mark"),
					    "expected an integer in 0..4294967295");
			p->has_mark = true;
			p->mark = (uint32_t)json_integer_value(m);
			p->mark_mask = 0xffffffff;
		}
		if (json_object_get(o, "priority")) {
			json_t *m = json_object_get(o, "priority");

			if (!json_is_integer(m) || json_integer_value(m) < 0 ||
			    json_integer_value(m) > 0xffffffffLL)
				return fail(l, fname(f, sizeof(f), pre, "priority"),
					    "expected an integer in 0..4294967295");
			p->priority = (uint32_t)json_integer_value(m);
		}
	}
	return 0;
}

/*
 * The gateway's "server": "fallback_addresses": ["ADDRESS:PORT", ...],
 * further instances of the same server (one registry, one credential),
 * tried in turn after "address" when a session cannot be had or dies.
 */
static int load_fallbacks(struct loader *l, json_t *o)
{
	struct agent_config *cfg = l->cfg;
	json_t *a = json_object_get(o, "fallback_addresses"), *v;
	char f[64], s[80];
	size_t i;

	if (!a)
		return 0;
	if (!json_is_array(a) || !json_array_size(a) ||
	    json_array_size(a) > CFG_MAX_FALLBACK)
		return fail(l, "server.fallback_addresses",
			    "expected an array of 1 to %d \"ADDRESS:PORT\" strings",
			    CFG_MAX_FALLBACK);
	json_array_foreach(a, i, v) {
		snprintf(f, sizeof(f), "server.fallback_addresses[%zu]", i);
		if (!json_is_string(v) ||
		    json_string_length(v) >= sizeof(s))
			return fail(l, f, "expected a numeric \"ADDRESS:PORT\" or \"[IPV6]:PORT\"");
		snprintf(s, sizeof(s), "%s", json_string_value(v));
		if (parse_addr(s, &cfg->upstream_alt[i]))
			return fail(l, f,
				    "expected a numeric \"ADDRESS:PORT\" or \"[IPV6]:PORT\", got \"%s\"",
				    s);
	}
	cfg->n_upstream_alt = json_array_size(a);
	return 0;
}

/* { "address": ..., "identity": ..., "key"/"key_file": ... } */
static int load_peer(struct loader *l, json_t *root, const char *name,
		     bool with_address, struct cfg_addr *addr,
		     struct psk_cred *c)
{
	static const char *const with[] = { "address", "identity", "key",
					    "key_file", NULL };
	/* device: "gateway" may name the gateway's ID (TR-0012 NOTE 2). */
	static const char *const with_id[] = { "address", "identity", "key",
					       "key_file", "id", NULL };
	static const char *const without[] = { "identity", "key", "key_file",
					       NULL };
	static const char *const gw_server[] = { "address",
		"fallback_addresses", "identity", "key", "key_file", NULL };
	bool fallbacks = with_address && l->cfg->role == ROLE_GATEWAY;
	json_t *o = json_object_get(root, name);

	if (!o)
		return fail(l, name, "expected an object, field is missing");
	if (!json_is_object(o))
		return fail(l, name, "expected an object");
	if (check_fields(l, o, name, fallbacks ? gw_server :
			 !with_address ? without :
			 l->cfg->role == ROLE_DEVICE ? with_id : with))
		return -1;
	if (with_address && get_addr(l, o, name, "address", addr))
		return -1;
	if (l->cfg->role == ROLE_DEVICE && with_address &&
	    get_string(l, o, name, "id", false, l->cfg->upstream_id,
		       sizeof(l->cfg->upstream_id)))
		return -1;
	if (fallbacks && load_fallbacks(l, o))
		return -1;
	return get_cred(l, o, name, c);
}

/*
 * The server's registry: "db": FILE (SQLite), or "registry": {"backend":
 * "sqlite", "path": FILE} or {"backend": "postgresql", "conninfo": libpq
 * connection string}.  A conninfo with a password needs a private
 * configuration file, as inline keys do; it never appears in a message.
 */
/* The value of @kw in libpq's parsed @opts, else of the environment's @env. */
static const char *pg_opt(const PQconninfoOption *opts, const char *kw,
			  const char *env)
{
	for (const PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, kw) && o->val && *o->val)
			return o->val;
	return getenv(env);
}

/*
 * The registry holds every member's Ks and the groups' keys: a network
 * host only with a TLS session whose certificate and host name libpq
 * verifies (sslmode=verify-full).  A Unix socket (a host that is a path,
 * or none: libpq's default socket) stays on this machine.  libpq takes
 * what the string leaves out from PGHOST, PGHOSTADDR and PGSSLMODE.
 */
static int check_pg_tls(struct loader *l, const PQconninfoOption *opts)
{
	const char *mode = pg_opt(opts, "sslmode", "PGSSLMODE");
	const char *hosts[2] = { pg_opt(opts, "hostaddr", "PGHOSTADDR"),
				 pg_opt(opts, "host", "PGHOST") };

	const char *service = pg_opt(opts, "service", "PGSERVICE");

	if (mode && !strcmp(mode, "verify-full"))
		return 0;
	/* A service file may name any host: only an explicit mode holds. */
	if (service && *service)
		return fail(l, "registry.conninfo",
			    "expected sslmode=verify-full with the service \"%.64s\" (got %s%s): the host a service file names is not known here, and the registry holds every key",
			    service, mode ? "sslmode=" : "no sslmode",
			    mode ? mode : "");
	for (size_t i = 0; i < 2; i++) {
		const char *h = hosts[i];

		while (h && *h) {
			size_t n = strcspn(h, ",");

			/* "/dir" and "@abstract" are sockets; "" the default one. */
			if (n && h[0] != '/' && h[0] != '@')
				return fail(l, "registry.conninfo",
					    "expected sslmode=verify-full with the network host \"%.*s\" (got %s%s): the registry holds every key, and anything less lets a machine in the path read or change it; a Unix socket (host=/run/postgresql) needs none",
					    (int)(n > 64 ? 64 : n), h,
					    mode ? "sslmode=" : "no sslmode",
					    mode ? mode : "");
			h += n + (h[n] == ',');
		}
	}
	return 0;
}

static int load_registry(struct loader *l, json_t *root)
{
	static const char *const sqlite_fields[] = { "backend", "path", NULL };
	static const char *const pg_fields[] = { "backend", "conninfo", NULL };
	struct agent_config *cfg = l->cfg;
	json_t *reg = json_object_get(root, "registry");
	PQconninfoOption *opts;
	char backend[16];
	bool password = false;
	int rc;

	if (json_object_get(root, "db") && reg)
		return fail(l, "registry",
			    "expected either db or registry, not both");
	if (!reg) {
		cfg->registry = REG_SQLITE;
		return get_string(l, root, NULL, "db", true, cfg->db,
				  sizeof(cfg->db)) ||
		       check_writable(l, "db", cfg->db);
	}
	if (!json_is_object(reg))
		return fail(l, "registry",
			    "expected an object: {\"backend\": \"sqlite\", \"path\": FILE} or {\"backend\": \"postgresql\", \"conninfo\": STRING}");
	if (get_string(l, reg, "registry", "backend", true, backend,
		       sizeof(backend)))
		return -1;
	if (!strcmp(backend, "sqlite")) {
		cfg->registry = REG_SQLITE;
		return check_fields(l, reg, "registry", sqlite_fields) ||
		       get_string(l, reg, "registry", "path", true, cfg->db,
				  sizeof(cfg->db)) ||
		       check_writable(l, "registry.path", cfg->db);
	}
	if (strcmp(backend, "postgresql"))
		return fail(l, "registry.backend",
			    "expected \"sqlite\" or \"postgresql\", got \"%s\"",
			    backend);
	cfg->registry = REG_POSTGRESQL;
	if (check_fields(l, reg, "registry", pg_fields) ||
	    get_string(l, reg, "registry", "conninfo", true, cfg->conninfo,
		       sizeof(cfg->conninfo)))
		return -1;
	/* libpq's own parser; its message may quote the string: not shown. */
	opts = PQconninfoParse(cfg->conninfo, NULL);
	if (!opts)
		return fail(l, "registry.conninfo",
			    "expected a libpq connection string: keyword=value pairs (host=/run/postgresql dbname=coapsec) or a postgresql:// URI");
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strstr(o->keyword, "password") && o->val && *o->val)
			password = true;
	if (password && !l->file_private) {
		PQconninfoFree(opts);
		return fail(l, "registry.conninfo",
			    "expected the config file to be mode 0600 when the connection string holds a password (or use passfile=, a 0600 file)");
	}
	rc = check_pg_tls(l, opts);
	PQconninfoFree(opts);
	return rc;
}

/*
 * device, gateway: "group_signing": {"key_file", "state_file",
 * "queue_num", "replay_window"}.  The key file is loaded once here, so
 * that -t finds a bad one.
 */
static int load_signing(struct loader *l, json_t *root)
{
	static const char *const allowed[] = { "key_file", "state_file",
		"queue_num", "replay_window", NULL };
	json_t *o = json_object_get(root, "group_signing");
	struct agent_config *cfg = l->cfg;
	struct oscore_group_key k;
	char kerr[CFG_ERR_LEN];
	json_t *v;

	if (!o)
		return 0;
	if (!json_is_object(o))
		return fail(l, "group_signing", "expected an object");
	if (check_fields(l, o, "group_signing", allowed) ||
	    get_string(l, o, "group_signing", "key_file", true,
		       cfg->sign_key_file, sizeof(cfg->sign_key_file)) ||
	    get_string(l, o, "group_signing", "state_file", true,
		       cfg->sign_state_file, sizeof(cfg->sign_state_file)) ||
	    check_writable(l, "group_signing.state_file", cfg->sign_state_file))
		return -1;
	v = json_object_get(o, "queue_num");
	if (!v || !json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > COAPSEC_MAX_QUEUE_NUM)
		return fail(l, "group_signing.queue_num",
			    "expected an integer in 0..%d (the NFQUEUE queue of the signed groups' policies)",
			    COAPSEC_MAX_QUEUE_NUM);
	cfg->queue_num = (uint16_t)json_integer_value(v);
	cfg->sign_window = 64;
	v = json_object_get(o, "replay_window");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 1024)
			return fail(l, "group_signing.replay_window",
				    "expected an integer in 1..1024");
		cfg->sign_window = (unsigned int)json_integer_value(v);
	}
	if (oscore_group_key_load(&k, cfg->sign_key_file, kerr, sizeof(kerr)))
		return fail(l, "group_signing.key_file", "%s", kerr);
	oscore_group_key_free(&k);
	cfg->signing = true;
	return 0;
}

static int load_root(struct loader *l, json_t *root)
{
	static const char *const common[] = {
		"role", "id", "contexts_file", "kernel", "max_peers",
		"handshake_timeout_ms", "idle_timeout_s", "rekey_interval_s",
		"grace_s", "seq_soft_limit", "policies",
	};
	static const char *const per_role[3][9] = {
		[ROLE_DEVICE] = { "gateway", "server_credential",
				  "group_signing" },
		[ROLE_GATEWAY] = { "listen", "server", "members",
				   "group_signing" },
		[ROLE_SERVER] = { "listen", "db", "registry", "gateways",
				  "members", "groups", "rekey_on_join",
				  "rekey_min_interval_s" },
	};
	const char *allowed[24];
	struct agent_config *cfg = l->cfg;
	unsigned long long v;
	char role[16];
	json_t *kv;
	size_t n = 0;

	if (!json_is_object(root))
		return fail(l, "(top level)", "expected a JSON object");
	if (get_string(l, root, NULL, "role", true, role, sizeof(role)))
		return -1;
	if (!strcmp(role, "device"))
		cfg->role = ROLE_DEVICE;
	else if (!strcmp(role, "gateway"))
		cfg->role = ROLE_GATEWAY;
	else if (!strcmp(role, "server"))
		cfg->role = ROLE_SERVER;
	else
		return fail(l, "role",
			    "expected \"device\", \"gateway\" or \"server\", got \"%s\"",
			    role);
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		allowed[n++] = common[i];
	for (size_t i = 0; per_role[cfg->role][i]; i++)
		allowed[n++] = per_role[cfg->role][i];
	allowed[n] = NULL;
	if (check_fields(l, root, NULL, allowed) ||
	    get_string(l, root, NULL, "id", true, cfg->id, sizeof(cfg->id)) ||
	    get_string(l, root, NULL, "contexts_file", false,
		       cfg->contexts_file, sizeof(cfg->contexts_file)) ||
	    (cfg->contexts_file[0] &&
	     check_writable(l, "contexts_file", cfg->contexts_file)))
		return -1;

	kv = json_object_get(root, "kernel");
	if (kv && !json_is_boolean(kv))
		return fail(l, "kernel", "expected true or false");
	cfg->kernel = kv && json_is_true(kv);
	kv = json_object_get(root, "rekey_on_join");
	if (kv && !json_is_boolean(kv))
		return fail(l, "rekey_on_join", "expected true or false");
	cfg->rekey_on_join = kv && json_is_true(kv);

	cfg->max_peers = 1024;
	cfg->handshake_timeout_ms = 10000;
	cfg->idle_timeout_s = 300;
	cfg->grace_s = 30;
	cfg->seq_soft_limit = 1ULL << 30;
	v = cfg->max_peers;
	if (get_uint(l, root, "max_peers", 1, 65536, &v))
		return -1;
	cfg->max_peers = (unsigned int)v;
	v = cfg->handshake_timeout_ms;
	if (get_uint(l, root, "handshake_timeout_ms", 100, 600000, &v))
		return -1;
	cfg->handshake_timeout_ms = (unsigned int)v;
	v = cfg->idle_timeout_s;
	if (get_uint(l, root, "idle_timeout_s", 1, 86400, &v))
		return -1;
	cfg->idle_timeout_s = (unsigned int)v;
	v = 0;
	if (get_uint(l, root, "rekey_interval_s", 0, 365 * 86400, &v))
		return -1;
	cfg->rekey_interval_s = (unsigned int)v;
	v = REKEY_MIN_INTERVAL_S;
	if (get_uint(l, root, "rekey_min_interval_s", 0, 86400, &v))
		return -1;
	cfg->rekey_min_interval_s = (unsigned int)v;
	v = cfg->grace_s;
	if (get_uint(l, root, "grace_s", 0, 86400, &v))
		return -1;
	cfg->grace_s = (unsigned int)v;
	v = cfg->seq_soft_limit;
	if (get_uint(l, root, "seq_soft_limit", 1, (1ULL << 40) - 2, &v))
		return -1;
	cfg->seq_soft_limit = v;

	if (load_signing(l, root) || load_policies(l, root))
		return -1;
	switch (cfg->role) {
	case ROLE_SERVER:
		if (get_addr(l, root, NULL, "listen", &cfg->listen) ||
		    load_registry(l, root) ||
		    load_gateways(l, root) || load_groups(l, root) ||
		    load_members(l, root, true) || check_policy_contexts(l))
			return -1;
		cfg->has_listen = true;
		break;
	case ROLE_GATEWAY:
		if (get_addr(l, root, NULL, "listen", &cfg->listen) ||
		    load_peer(l, root, "server", true, &cfg->upstream,
			      &cfg->upstream_cred) ||
		    load_members(l, root, true))
			return -1;
		cfg->has_listen = cfg->has_upstream = true;
		break;
	case ROLE_DEVICE:
		if (load_peer(l, root, "gateway", true, &cfg->upstream,
			      &cfg->upstream_cred) ||
		    load_peer(l, root, "server_credential", false, NULL,
			      &cfg->server_cred))
			return -1;
		if (strlen(cfg->server_cred.identity) > KSID_MAX_LEN)
			return fail(l, "server_credential.identity",
				    "expected at most %d bytes (KsxId = KpsaxiId is the OSCORE ID Context)",
				    KSID_MAX_LEN);
		cfg->has_upstream = true;
		break;
	}
	return 0;
}

int config_load(const char *path, struct agent_config *cfg, char *err,
		size_t errlen)
{
	struct loader l = { .path = path, .cfg = cfg, .err = err,
			    .errlen = errlen };
	json_error_t je;
	struct stat st;
	json_t *root;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	if (stat(path, &st))
		return fail(&l, "(file)", "expected a readable file: %s",
			    strerror(errno));
	l.file_private = !(st.st_mode & 077);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return fail(&l, "(file)", "expected valid JSON: line %d column %d: %s",
			    je.line, je.column, je.text);
	rc = load_root(&l, root);
	json_decref(root);
	if (rc)
		config_free(cfg);
	return rc;
}

void config_free(struct agent_config *cfg)
{
	if (cfg->members)
		mbedtls_platform_zeroize(cfg->members,
					 cfg->n_members * sizeof(*cfg->members));
	if (cfg->gateways)
		mbedtls_platform_zeroize(cfg->gateways,
					 cfg->n_gateways * sizeof(*cfg->gateways));
	free(cfg->members);
	free(cfg->gateways);
	free(cfg->groups);
	free(cfg->policies);
	cfg->policies = NULL;
	cfg->n_policies = 0;
	cfg->members = NULL;
	cfg->gateways = NULL;
	cfg->groups = NULL;
	cfg->n_members = cfg->n_gateways = cfg->n_groups = 0;
	mbedtls_platform_zeroize(&cfg->upstream_cred, sizeof(cfg->upstream_cred));
	mbedtls_platform_zeroize(&cfg->server_cred, sizeof(cfg->server_cred));
	mbedtls_platform_zeroize(cfg->conninfo, sizeof(cfg->conninfo));
}
