// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "agent/keypush.h"
#include "agent/log.h"
#include "uapi/linux/coapsec.h"

/* What an earlier instance left: an object's kernel ID and its tag. */
struct left {
	uint32_t id;
	char tag[COAPSEC_MAX_OWNER_LEN + 1];
	struct coapsec_policy_info pol;		/* policies */
	size_t listed;		/* its place in the set as first listed */
	size_t index;		/* beside_old: the configured policy's */
	/*
	 * A policy left as queue until every configured policy that
	 * matches some of the same messages is in (holds()): the sweep
	 * keeps it, so that what it matches is never in clear.
	 */
	bool held;
};

struct leftset {
	struct left *v;
	size_t n, cap;
};

struct keypush {
	struct coapsec_nl *nl;		/* requests */
	struct coapsec_nl *ev;		/* events */
	char owner[COAPSEC_MAX_OWNER_LEN + 1];	/* "coapsecd:ROLE:ID" */
	struct leftset ctxs, pols;
	/*
	 * This instance's objects whose delete the kernel refused (not
	 * ENOENT): still live, so deleted again at every keypush_retry()
	 * until they go.  An old group key must not stay usable.
	 */
	struct leftset stale_ctxs, stale_pols;
	/*
	 * When keypush_retry() tries them next, and the wait after that
	 * (doubling while the kernel refuses: resync() may come every
	 * second, and each refusal is logged).
	 */
	uint64_t retry_at, retry_wait;
	/*
	 * The configured policies the kernel refused (by tag "policy:N",
	 * in pol): a held leftover stays while one of them overlaps it.
	 */
	struct leftset refused;
	/*
	 * Old copies of policies that a copy beside replaced: each stays in
	 * its place until its messages meet the copy next, or it takes the
	 * copy's place (settle_beside(), at keypush_order()).
	 */
	struct leftset beside_old;
	/* A configured policy got a kernel copy: keypush_order() is due. */
	bool order_due;
	uint64_t instance_id;		/* FEATURES_INSTANCE_ID */
	uint16_t queue_num;		/* where stopped protect policies go */
};

static bool tag_char_ok(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

/*
 * @prefix "/" @name, or @prefix "/#" and a digest of @name where @name
 * has characters a tag cannot hold (spaces, UTF-8) or is too long.
 */
static void make_tag(const char *prefix, const char *name, char *out)
{
	size_t cap = COAPSEC_MAX_OWNER_LEN + 1, pl = strlen(prefix);
	size_t nl = strlen(name);
	uint8_t h[32];
	char hex[17];

	if (pl + 18 >= cap)	/* the agent's prefix is short, by design */
		pl = cap - 19;
	memcpy(out, prefix, pl);
	out[pl] = '/';
	if (tag_char_ok(name) && pl + 1 + nl < cap) {
		memcpy(out + pl + 1, name, nl + 1);
		return;
	}
	mbedtls_sha256_ret((const uint8_t *)name, nl, h, 0);
	hex_encode(h, 8, hex);
	out[pl + 1] = '#';
	memcpy(out + pl + 2, hex, sizeof(hex));
}

/* Bypass and verify: plain messages pass them. */
static bool lets_plain(uint8_t action)
{
	return action == COAPSEC_ACTION_BYPASS ||
	       action == COAPSEC_ACTION_VERIFY;
}

/* The owner tag of policies[@index]: "OWNER/policy:INDEX" (make_tag()). */
static void policy_tag(const struct keypush *kp, size_t index, char *out)
{
	char name[32];

	snprintf(name, sizeof(name), "policy:%zu", index);
	make_tag(kp->owner, name, out);
}

static bool ours(const struct keypush *kp, const char *tag)
{
	size_t n = strlen(kp->owner);

	return !strncmp(tag, kp->owner, n) && tag[n] == '/';
}

/* @id 0: no kernel object (the refused set), never taken as a duplicate. */
static int left_add(struct leftset *s, uint32_t id, const char *tag,
		    const struct coapsec_policy_info *pol)
{
	struct left *e;

	for (size_t i = 0; id && i < s->n; i++)
		if (s->v[i].id == id)
			return 0;	/* a previous context: same ID */
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct left *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	e = &s->v[s->n];
	memset(e, 0, sizeof(*e));
	e->listed = s->n++;
	e->id = id;
	snprintf(e->tag, sizeof(e->tag), "%s", tag);
	if (pol)
		e->pol = *pol;
	return 0;
}

static void left_drop(struct leftset *s, size_t i)
{
	s->v[i] = s->v[--s->n];
}

/*
 * An ID this instance holds now is not one to delete again (IDs start
 * over after a module reload): out of the stale set.
 */
static void unstale(struct leftset *s, uint32_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].id == id) {
			left_drop(s, i);
			return;
		}
}

/*
 * Old copy @id (@tag) of policies[@index] into kp->beside_old: it goes
 * when settle_beside() lets it.  -1 without memory.
 */
static int beside_track(struct keypush *kp, uint32_t id, const char *tag,
			size_t index)
{
	if (left_add(&kp->beside_old, id, tag, NULL))
		return -1;
	for (size_t i = 0; i < kp->beside_old.n; i++)
		if (kp->beside_old.v[i].id == id)
			kp->beside_old.v[i].index = index;
	return 0;
}

static int ctx_seen(const struct coapsec_context_info *c, void *data)
{
	struct keypush *kp = data;

	if (ours(kp, c->owner) && left_add(&kp->ctxs, c->id, c->owner, NULL))
		return -1;
	return 0;
}

static int pol_seen(const struct coapsec_policy_info *p, void *data)
{
	struct keypush *kp = data;

	if (ours(kp, p->owner) && left_add(&kp->pols, p->id, p->owner, p))
		return -1;
	return 0;
}

/* Lists this owner's objects into the leftover sets.  0 or -1. */
static int list_owned(struct keypush *kp)
{
	kp->ctxs.n = kp->pols.n = 0;
	if (coapsec_nl_context_dump(kp->nl, ctx_seen, kp) ||
	    coapsec_nl_policy_dump(kp->nl, pol_seen, kp))
		return -1;
	return 0;
}

struct keypush *keypush_open(const char *owner, uint16_t queue_num,
			     char *err, size_t errlen)
{
	struct keypush *kp = calloc(1, sizeof(*kp));
	struct coapsec_features f;
	int rc;

	if (!kp)
		return NULL;
	snprintf(kp->owner, sizeof(kp->owner), "%s", owner);
	kp->queue_num = queue_num;
	kp->nl = coapsec_nl_open();
	if (!kp->nl) {
		snprintf(err, errlen, "netlink: cannot open a generic netlink socket");
		goto fail;
	}
	rc = coapsec_nl_features_get(kp->nl, &f);
	if (rc) {
		snprintf(err, errlen, "kernel: coapsec family not available (%s): is coapsec.ko loaded?",
			 coapsec_nl_errmsg(kp->nl));
		goto fail;
	}
	/* Subscribed before listing: no checkpoint of an adopted context lost. */
	kp->ev = coapsec_nl_open();
	if (kp->ev && coapsec_nl_events_subscribe(kp->ev)) {
		log_warn("keypush: cannot subscribe to events: %s",
			 coapsec_nl_errmsg(kp->ev));
		coapsec_nl_close(kp->ev);
		kp->ev = NULL;
	}
	if (list_owned(kp)) {
		snprintf(err, errlen, "kernel: cannot list the contexts and policies of %s: %s",
			 kp->owner, coapsec_nl_errmsg(kp->nl));
		goto fail;
	}
	kp->instance_id = f.instance_id;
	log_info("keypush: kernel coapsec %s, API %u, instance %016llx; owner %s",
		 f.version, f.api_version, (unsigned long long)f.instance_id,
		 kp->owner);
	if (kp->ctxs.n || kp->pols.n)
		log_info("keypush: an earlier instance left %zu context(s) and %zu policy(ies): adopting what this one installs again, deleting the rest",
			 kp->ctxs.n, kp->pols.n);
	return kp;
fail:
	if (kp->nl)
		coapsec_nl_close(kp->nl);
	if (kp->ev)
		coapsec_nl_close(kp->ev);
	free(kp->ctxs.v);
	free(kp->pols.v);
	free(kp);
	return NULL;
}

/* Whether leftover @l's ID still holds it (IDs start over at a reload). */
static bool left_is_ours(struct keypush *kp, const struct left *l)
{
	struct coapsec_policy_info info;

	return !coapsec_nl_policy_get(kp->nl, l->id, &info) &&
	       !strcmp(info.owner, l->tag);
}

/*
 * Sets leftover policy @l in place to queue to this agent's queue: its
 * own selectors and priority (always accepted), and with no agent on the
 * queue the kernel drops what it matches instead of letting it leave in
 * clear.  A refusal is logged: it keeps protecting.
 */
static int left_to_queue(struct keypush *kp, struct left *l, const char *why)
{
	struct coapsec_policy_info info = l->pol;
	int rc = -ENOENT;

	info.id = l->id;
	info.action = COAPSEC_ACTION_QUEUE;
	info.context_id = 0;
	info.has_queue_num = true;
	info.queue_num = kp->queue_num;
	if (left_is_ours(kp, l))
		rc = coapsec_nl_policy_set(kp->nl, &info);
	if (rc) {
		log_warn("keypush: policy %u (%s): cannot set to queue (%s): %s; it keeps protecting",
			 l->id, l->tag, why, coapsec_nl_errmsg(kp->nl));
		return rc;
	}
	l->pol = info;
	log_info("keypush: policy %u (%s) set to queue %u in place: %s",
		 l->id, l->tag, kp->queue_num, why);
	return 0;
}

static int delete_tagged(struct keypush *kp, bool policy, uint32_t id,
			 const char *tag);

/*
 * Deletes the leftover policies (but those held), then contexts, each
 * only while its ID still carries its tag; what the kernel refuses is
 * deleted again at keypush_retry() (delete_tagged()).
 */
static void delete_left(struct keypush *kp, const char *why)
{
	size_t keep = 0;

	for (size_t i = 0; i < kp->pols.n; i++) {
		const struct left *l = &kp->pols.v[i];

		if (l->held)
			kp->pols.v[keep++] = *l;
		else if (!delete_tagged(kp, true, l->id, l->tag))
			log_info("keypush: policy %u (%s) deleted: %s", l->id,
				 l->tag, why);
	}
	kp->pols.n = keep;
	for (size_t i = 0; i < kp->ctxs.n; i++)
		if (!delete_tagged(kp, false, kp->ctxs.v[i].id,
				   kp->ctxs.v[i].tag))
			log_info("keypush: context %u (%s) deleted: %s",
				 kp->ctxs.v[i].id, kp->ctxs.v[i].tag, why);
	kp->ctxs.n = 0;
}

void keypush_sweep_open(struct keypush *kp)
{
	size_t keep = 0;

	if (!kp)
		return;
	for (size_t i = 0; i < kp->pols.n; i++) {
		const struct left *l = &kp->pols.v[i];

		if (l->held || !lets_plain(l->pol.action))
			kp->pols.v[keep++] = *l;
		else if (!delete_tagged(kp, true, l->id, l->tag))
			log_info("keypush: policy %u (%s) deleted: it lets plain messages through and is no longer configured",
				 l->id, l->tag);
	}
	kp->pols.n = keep;
}

void keypush_sweep(struct keypush *kp)
{
	if (kp)
		delete_left(kp, "stale (an earlier instance's)");
}

size_t keypush_leftovers(const struct keypush *kp)
{
	return kp ? kp->ctxs.n + kp->pols.n : 0;
}

bool keypush_holds(struct keypush *kp, const struct actx *c)
{
	char tag[COAPSEC_MAX_OWNER_LEN + 1];

	if (!kp)
		return false;
	make_tag(kp->owner, c->name, tag);
	for (size_t i = 0; i < kp->ctxs.n; i++)
		if (!strcmp(kp->ctxs.v[i].tag, tag))
			return true;
	return false;
}

void keypush_close(struct keypush *kp, bool stopping)
{
	if (!kp)
		return;
	/*
	 * A clean stop takes the keys out and deletes no policy: protect
	 * policies turn into queue policies in place (agent_fini() did this
	 * instance's; here an earlier instance's that this one never took
	 * over), so that with require and verify nothing plain gets in or
	 * out while no agent runs.  One the kernel refuses to turn keeps
	 * protecting, its context with it.  A start that failed deletes
	 * nothing: what an earlier instance left stays (its protect
	 * policies this one set to queue keep dropping).
	 */
	if (!stopping) {
		kp->ctxs.n = kp->pols.n = 0;
	} else if (list_owned(kp)) {
		log_warn("keypush: cannot list what %s holds in the kernel: %s",
			 kp->owner, coapsec_nl_errmsg(kp->nl));
	} else {
		for (size_t i = 0; i < kp->pols.n; i++)
			if (kp->pols.v[i].pol.action == COAPSEC_ACTION_PROTECT)
				left_to_queue(kp, &kp->pols.v[i], "agent stopping");
		kp->pols.n = 0;
		delete_left(kp, "agent stopping");
	}
	if (kp->nl)
		coapsec_nl_close(kp->nl);
	if (kp->ev)
		coapsec_nl_close(kp->ev);
	free(kp->ctxs.v);
	free(kp->pols.v);
	free(kp->stale_ctxs.v);
	free(kp->stale_pols.v);
	free(kp->refused.v);
	free(kp->beside_old.v);
	free(kp);
}

/* Takes the leftover context tagged @tag: its ID, or 0. */
static uint32_t adopt_context(struct keypush *kp, const char *tag)
{
	for (size_t i = 0; i < kp->ctxs.n; i++) {
		uint32_t id = kp->ctxs.v[i].id;

		if (strcmp(kp->ctxs.v[i].tag, tag))
			continue;
		left_drop(&kp->ctxs, i);
		return id;
	}
	return 0;
}

/*
 * Deletes leftover context @id (tag @tag), which could not be adopted.
 * The leftover policies that protect with it first turn to queue in
 * place (as at a stop), never deleted: what they match is dropped, not
 * sent in clear, until the configured policies protect with the context
 * made again (the sweep deletes them then, or release_held()).  Raises
 * @was_seq to where its sequence stopped (read once nothing protects
 * with it any more).  0, or -1 when one cannot turn: it keeps
 * protecting, and the context stays with it.
 */
static int drop_context(struct keypush *kp, uint32_t id, const char *tag,
			uint64_t *was_seq)
{
	struct coapsec_context_info last;

	for (size_t i = 0; i < kp->pols.n; i++) {
		struct left *l = &kp->pols.v[i];

		if (l->pol.action == COAPSEC_ACTION_PROTECT &&
		    l->pol.context_id == id &&
		    left_to_queue(kp, l, "its context is made again"))
			return -1;
	}
	/* Old copies kept beside their copies (settle_beside()) too. */
	for (size_t i = 0; i < kp->beside_old.n; i++) {
		struct left *l = &kp->beside_old.v[i];

		if (coapsec_nl_policy_get(kp->nl, l->id, &l->pol) ||
		    strcmp(l->pol.owner, l->tag))
			continue;
		if (l->pol.action == COAPSEC_ACTION_PROTECT &&
		    l->pol.context_id == id &&
		    left_to_queue(kp, l, "its context is made again"))
			return -1;
	}
	if (!coapsec_nl_context_get(kp->nl, id, &last) && last.seq > *was_seq)
		*was_seq = last.seq;
	delete_tagged(kp, false, id, tag);
	return 0;
}

/* What a leftover context @was may have used: up to its ceiling. */
static uint64_t leftover_reach(const struct coapsec_context_info *was)
{
	return was->has_seq_persisted && was->seq_persisted > was->seq ?
	       was->seq_persisted : was->seq;
}

/* The kernel's copy of @c is gone: made again by the caller (-EAGAIN). */
static int gone(struct actx *c, uint64_t reached)
{
	c->kernel_id = 0;
	c->adopted_seq = 0;
	if (reached > c->info.seq_start)
		c->info.seq_start = reached;
	return -EAGAIN;
}

uint64_t keypush_leftover_reach(struct keypush *kp, const struct actx *c)
{
	struct coapsec_context_info was;
	char tag[COAPSEC_MAX_OWNER_LEN + 1];

	make_tag(kp->owner, c->name, tag);
	for (size_t i = 0; i < kp->ctxs.n; i++)
		if (!strcmp(kp->ctxs.v[i].tag, tag) &&
		    !coapsec_nl_context_get(kp->nl, kp->ctxs.v[i].id, &was))
			return leftover_reach(&was);
	return 0;
}

int keypush_install(struct keypush *kp, struct actx *c, unsigned int grace_s)
{
	struct coapsec_context_info info = c->info, was = { 0 };
	char why[256] = "";	/* the swap's refusal, past drop_context()'s */
	uint32_t adopt = 0;
	int rc;

	make_tag(kp->owner, c->name, info.owner);
	c->adopted_seq = 0;
	if (!c->kernel_id)
		adopt = adopt_context(kp, info.owner);
	if (adopt) {
		if (!coapsec_nl_context_get(kp->nl, adopt, &was)) {
			c->adopted_seq = was.seq;
			/*
			 * A swap keeps the replay windows: unknown stays
			 * unknown, known stays known.
			 */
			c->info.flags &= ~COAPSEC_CONTEXT_F_REPLAY_UNKNOWN;
			c->info.flags |= was.flags &
					 COAPSEC_CONTEXT_F_REPLAY_UNKNOWN;
			info.flags = c->info.flags;
		}
		c->kernel_id = adopt;
	}
	if (c->kernel_id) {
		info.id = c->kernel_id;
		info.has_grace = true;
		info.grace = grace_s;
		rc = coapsec_nl_context_swap(kp->nl, &info);
		if (rc == -ENOENT && !adopt) {
			/* Deleted behind the agent's back: its sequence and
			 * windows are lost with it. */
			log_warn("keypush: %s: context %u is gone from the kernel; making it again above its checkpoint",
				 c->name, c->kernel_id);
			rc = gone(c, 0);
		} else if (rc && adopt) {
			uint64_t reach = leftover_reach(&was);

			snprintf(why, sizeof(why), "%s",
				 coapsec_nl_errmsg(kp->nl));
			log_warn("keypush: %s: cannot take over context %u (%s); replacing it",
				 c->name, adopt, why);
			if (!drop_context(kp, adopt, info.owner, &reach)) {
				rc = gone(c, reach);
			} else {
				/* Taken over (or replaced) at the next try. */
				c->kernel_id = 0;
				c->adopted_seq = 0;
				if (left_add(&kp->ctxs, adopt, info.owner, NULL))
					log_err("keypush: out of memory: context %u stays",
						adopt);
			}
		}
	} else {
		uint32_t id = 0;

		info.id = 0;
		rc = coapsec_nl_context_new(kp->nl, &info, &id);
		if (!rc) {
			c->kernel_id = id;
			unstale(&kp->stale_ctxs, id);
		}
	}
	mbedtls_platform_zeroize(&info, sizeof(info));
	if (rc == -EAGAIN)
		return rc;
	if (rc)
		log_err("keypush: %s: %s", c->name,
			why[0] ? why : coapsec_nl_errmsg(kp->nl));
	else if (adopt)
		log_info("keypush: %s adopted: context %u swapped in place (epoch %u, sequence continues from %llu)",
			 c->name, c->kernel_id, c->epoch,
			 (unsigned long long)c->adopted_seq);
	else
		log_info("keypush: %s installed as context %u (epoch %u)", c->name,
			 c->kernel_id, c->epoch);
	return rc;
}

/*
 * Deletes context (or, @policy, policy) @id if it still carries @tag
 * (after a module reload the ID may be another's); one the kernel
 * refuses goes to the stale set, deleted again at keypush_retry().
 * 0 or -errno.
 */
static int delete_tagged(struct keypush *kp, bool policy, uint32_t id,
			 const char *tag)
{
	const char *what = policy ? "policy" : "context";
	struct coapsec_context_info ci;
	struct coapsec_policy_info pi;
	int rc = policy ? coapsec_nl_policy_get(kp->nl, id, &pi) :
			  coapsec_nl_context_get(kp->nl, id, &ci);

	if (!rc && strcmp(policy ? pi.owner : ci.owner, tag))
		return 0;
	if (!rc)
		rc = policy ? coapsec_nl_policy_del(kp->nl, id) :
			      coapsec_nl_context_del(kp->nl, id);
	if (!rc || rc == -ENOENT)
		return 0;
	log_err("keypush: delete %s %u (%s): %s; trying again at the next resync",
		what, id, tag, coapsec_nl_errmsg(kp->nl));
	if (left_add(policy ? &kp->stale_pols : &kp->stale_ctxs, id, tag, NULL))
		log_err("keypush: out of memory: %s %u stays", what, id);
	/* A new one is tried at the next resync, whatever the wait. */
	kp->retry_at = 0;
	return rc;
}

int keypush_delete(struct keypush *kp, struct actx *c)
{
	char tag[COAPSEC_MAX_OWNER_LEN + 1];
	int rc;

	if (!c->kernel_id)
		return 0;
	make_tag(kp->owner, c->name, tag);
	rc = delete_tagged(kp, false, c->kernel_id, tag);
	c->kernel_id = 0;
	return rc;
}

/* Whether kernel policy @k matches the messages @w matches. */
static bool same_match(const struct coapsec_policy_info *k,
		       const struct coapsec_policy_info *w)
{
	size_t alen = w->family == AF_INET ? 4 : 16;

	return k->family == w->family && k->direction == w->direction &&
	       k->has_src == w->has_src && k->has_dst == w->has_dst &&
	       (!w->has_src || (k->src_plen == w->src_plen &&
				!memcmp(k->src, w->src, alen))) &&
	       (!w->has_dst || (k->dst_plen == w->dst_plen &&
				!memcmp(k->dst, w->dst, alen))) &&
	       k->dport == (w->has_dport ? w->dport : COAPSEC_DEFAULT_PORT) &&
	       k->ifindex == w->ifindex && k->has_mark == w->has_mark &&
	       (!w->has_mark || (k->mark == w->mark &&
				 k->mark_mask == w->mark_mask));
}

/* The same, in the same place in the match order. */
static bool same_selectors(const struct coapsec_policy_info *k,
			   const struct coapsec_policy_info *w)
{
	return k->priority == w->priority && same_match(k, w);
}

/* Whether the kernel's @k is what @w asks for. */
static bool same_policy(const struct coapsec_policy_info *k,
			const struct coapsec_policy_info *w)
{
	return same_selectors(k, w) && k->action == w->action &&
	       k->context_id == w->context_id &&
	       (w->action != COAPSEC_ACTION_QUEUE ||
		k->queue_num == w->queue_num);
}

static bool protect_or_queue(uint8_t action)
{
	return action == COAPSEC_ACTION_PROTECT ||
	       action == COAPSEC_ACTION_QUEUE;
}

/* What policies[@index], @p, protecting with @context_id, asks of the kernel. */
static void policy_info(struct keypush *kp, const struct cfg_policy *p,
			size_t index, uint32_t context_id,
			struct coapsec_policy_info *out)
{
	struct coapsec_policy_info info = {
		.priority = p->priority, .family = p->family,
		.direction = p->direction, .action = p->action,
		.has_src = p->has_src, .has_dst = p->has_dst,
		.src_plen = p->src_plen, .dst_plen = p->dst_plen,
		.has_dport = p->has_dport, .dport = p->dport,
		.has_mark = p->has_mark, .mark = p->mark,
		.mark_mask = p->mark_mask, .context_id = context_id,
		.has_queue_num = p->action == COAPSEC_ACTION_QUEUE,
		.queue_num = p->queue_num,
	};

	memcpy(info.src, p->src, sizeof(info.src));
	memcpy(info.dst, p->dst, sizeof(info.dst));
	policy_tag(kp, index, info.owner);
	*out = info;
}

/* How the log names @p. */
static void policy_log(const char *what, uint32_t id,
		       const struct cfg_policy *p)
{
	log_info("keypush: policy %u%s: %s %s%s%s", id, what,
		 coapsec_nl_dir_name(p->direction),
		 coapsec_nl_action_name(p->action), p->context[0] ? " " : "",
		 p->context);
}

/* Whether leftover @l may be set in place to @info (policy_take_over()). */
static bool takes_over(const struct left *l,
		       const struct coapsec_policy_info *info)
{
	/* The same messages, kept from clear either way. */
	return same_selectors(&l->pol, info) &&
	       (l->pol.action == info->action ||
		(protect_or_queue(l->pol.action) &&
		 protect_or_queue(info->action)));
}

/*
 * Leftovers listed before the one that policies[@index] (@info) took,
 * listed at @listed, that match the same messages and keep them from
 * clear, are old copies of it (an earlier instance kept one beside a
 * copy, keypush_policy_beside()): what they match meets them first, so
 * they go only as settle_beside() lets them, never with the sweep.
 */
static void beside_left(struct keypush *kp, size_t listed,
			const struct coapsec_policy_info *info, size_t index)
{
	for (size_t i = kp->pols.n; i-- > 0;) {
		struct left *l = &kp->pols.v[i];

		if (l->listed > listed || lets_plain(l->pol.action) ||
		    !takes_over(l, info) || !left_is_ours(kp, l))
			continue;
		/* Untracked, it stays: in its place, never in clear. */
		if (beside_track(kp, l->id, l->tag, index))
			log_err("keypush: out of memory: policy %u (%s) stays before its copy %u",
				l->id, l->tag, info->id);
		left_drop(&kp->pols, i);
	}
}

/*
 * An earlier instance's policy that matches the same messages as policy
 * @p, in the same place in the match order, but in another form or
 * under another tag (it stopped with its protect policies turned to
 * queue, died in the middle of a mode change, or the configuration put
 * another policy before @p, so that its tag "policy:N" moved) is set to
 * @info, tag included, in place: the same ID and place in the match
 * order, no moment with neither form, and no room needed under
 * ns_policies.  One of @p's own tag goes first.  0 when taken over;
 * else the caller adds a copy.
 */
static int policy_take_over(struct keypush *kp, struct cfg_policy *p,
			    size_t index, struct coapsec_policy_info *info)
{
	size_t i, n = kp->pols.n, other = n;

	for (i = 0; i < n; i++) {
		if (!takes_over(&kp->pols.v[i], info))
			continue;
		if (!strcmp(kp->pols.v[i].tag, info->owner))
			break;
		/* The first listed: it matches first. */
		if (other == n || kp->pols.v[i].listed < kp->pols.v[other].listed)
			other = i;
	}
	if (i == n)
		i = other;
	if (i < n) {
		const struct left *l = &kp->pols.v[i];

		if (!left_is_ours(kp, l))
			return -1;
		info->id = l->id;
		if (coapsec_nl_policy_set(kp->nl, info)) {
			log_warn("keypush: policy %u (%s): cannot set in place: %s",
				 l->id, l->tag, coapsec_nl_errmsg(kp->nl));
			info->id = 0;
			return -1;
		}
		size_t listed = l->listed;

		p->kernel_id = l->id;
		policy_log(" taken over in place", p->kernel_id, p);
		left_drop(&kp->pols, i);
		beside_left(kp, listed, info, index);
		return 0;
	}
	return -1;
}

static uint16_t dport_of(const struct coapsec_policy_info *p)
{
	return p->has_dport ? p->dport : COAPSEC_DEFAULT_PORT;
}

/* Whether prefixes @a/@alen and @b/@blen (of @bits) share an address. */
static bool prefixes_meet(const uint8_t *a, unsigned int alen,
			  const uint8_t *b, unsigned int blen, unsigned int bits)
{
	unsigned int n = alen < blen ? alen : blen;

	if (n > bits)
		n = bits;
	if (memcmp(a, b, n / 8))
		return false;
	return !(n % 8) ||
	       !((a[n / 8] ^ b[n / 8]) & (uint8_t)(0xff00 >> (n % 8)));
}

/*
 * Whether some message matches both @a and @b: the same family and
 * direction, prefixes that intersect, ports equal or either any, the
 * same interface or either any, marks that one skb->mark can meet.
 */
static bool overlaps(const struct coapsec_policy_info *a,
		     const struct coapsec_policy_info *b)
{
	unsigned int bits = a->family == AF_INET ? 32 : 128;
	uint16_t pa = dport_of(a), pb = dport_of(b);

	return a->family == b->family && a->direction == b->direction &&
	       (!a->has_src || !b->has_src ||
		prefixes_meet(a->src, a->src_plen, b->src, b->src_plen, bits)) &&
	       (!a->has_dst || !b->has_dst ||
		prefixes_meet(a->dst, a->dst_plen, b->dst, b->dst_plen, bits)) &&
	       (!pa || !pb || pa == pb) &&
	       (!a->ifindex || !b->ifindex || a->ifindex == b->ifindex) &&
	       (!a->has_mark || !b->has_mark ||
		!((a->mark ^ b->mark) & a->mark_mask & b->mark_mask));
}

/* Whether @a matches every message @b matches (both as the kernel lists them). */
static bool covers(const struct coapsec_policy_info *a,
		   const struct coapsec_policy_info *b)
{
	unsigned int bits = a->family == AF_INET ? 32 : 128;

	return a->family == b->family && a->direction == b->direction &&
	       (!a->has_src ||
		(b->has_src && a->src_plen <= b->src_plen &&
		 prefixes_meet(a->src, a->src_plen, b->src, b->src_plen,
			       bits))) &&
	       (!a->has_dst ||
		(b->has_dst && a->dst_plen <= b->dst_plen &&
		 prefixes_meet(a->dst, a->dst_plen, b->dst, b->dst_plen,
			       bits))) &&
	       (!dport_of(a) || dport_of(a) == dport_of(b)) &&
	       (!a->ifindex || a->ifindex == b->ifindex) &&
	       (!a->has_mark ||
		(b->has_mark && !(a->mark_mask & ~b->mark_mask) &&
		 !((a->mark ^ b->mark) & a->mark_mask)));
}

/*
 * Whether leftover @l must stay while configured policy @w is not in.
 * A protect or queue @w: any leftover that overlaps it and keeps plain
 * messages from passing, protect, queue or require (a gateway's fwd
 * require turned protect: the configuration may have widened, moved or
 * changed it: what both match would be in clear once @l went).  Another
 * action: a leftover of that action for the same messages.  A leftover
 * that keeps nothing from clear for @w (bypass, verify) is never held.
 */
static bool holds(const struct coapsec_policy_info *l,
		  const struct coapsec_policy_info *w)
{
	if (protect_or_queue(w->action))
		return (protect_or_queue(l->action) ||
			l->action == COAPSEC_ACTION_REQUIRE) && overlaps(l, w);
	return l->action == w->action && same_match(l, w);
}

/* Records (or forgets, @info NULL) configured policy @tag as refused. */
static void refused_set(struct keypush *kp, const char *tag,
			const struct coapsec_policy_info *info)
{
	struct leftset *s = &kp->refused;

	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].tag, tag))
			continue;
		if (info)
			s->v[i].pol = *info;
		else
			left_drop(s, i);
		return;
	}
	if (info && left_add(s, 0, tag, info))
		log_err("keypush: out of memory: %s not known as refused", tag);
}

/*
 * Policy @info could not go in: an earlier instance's policies that it
 * holds (holds()), whatever their tag (the configuration may have moved
 * it) or place, stay, as queue (never protecting with keys the sweep
 * deletes), until no configured policy that holds them is still out,
 * so that what they match is not in clear meanwhile.  A held one keeps
 * its priority: POLICY_SET cannot move it, and delete and add again
 * would need room under ns_policies (what is short) and leave a moment
 * with neither.  Its place does not matter for clear: as queue it drops
 * what it matches wherever it is (queue_no_agent), and one after it
 * never sees those messages; one before it that is in handles them as
 * configured.  It may drop messages a configured policy after it that
 * is in would pass, until released: fail closed.
 */
static void hold_left(struct keypush *kp,
		      const struct coapsec_policy_info *info)
{
	refused_set(kp, info->owner, info);
	for (size_t i = 0; i < kp->pols.n; i++) {
		struct left *l = &kp->pols.v[i];

		if (!holds(&l->pol, info) || l->held)
			continue;
		l->held = true;
		log_info("keypush: policy %u (%s) held: it overlaps %s, which the kernel refused",
			 l->id, l->tag, info->owner);
		if (l->pol.action == COAPSEC_ACTION_PROTECT)
			left_to_queue(kp, l, "held until its policy goes in");
	}
}

/*
 * Policy @info (policies[@index]) is in: the held leftovers that no
 * configured policy still out holds go.
 */
static void release_held(struct keypush *kp,
			 const struct coapsec_policy_info *info, size_t index)
{
	refused_set(kp, info->owner, NULL);
	for (size_t i = 0; i < kp->pols.n;) {
		struct left *l = &kp->pols.v[i];
		bool keep = !l->held;

		for (size_t j = 0; !keep && j < kp->refused.n; j++)
			keep = holds(&l->pol, &kp->refused.v[j].pol);
		if (keep) {
			i++;
			continue;
		}
		/*
		 * What it and @info both match may meet it first and @info's
		 * copy only past another's policy that lets it through: it
		 * goes as settle_beside() lets it.
		 */
		if (overlaps(&l->pol, info) &&
		    !beside_track(kp, l->id, l->tag, index)) {
			left_drop(&kp->pols, i);
			continue;
		}
		if (!delete_tagged(kp, true, l->id, l->tag))
			log_info("keypush: policy %u (%s) deleted: the policies that held it are in",
				 l->id, l->tag);
		left_drop(&kp->pols, i);
	}
}

/* Whether a leftover listed before kp->pols.v[@i] is @info too: that one first. */
static bool adopt_later(struct keypush *kp, size_t i,
			const struct coapsec_policy_info *info)
{
	for (size_t j = 0; j < kp->pols.n; j++)
		if (kp->pols.v[j].listed < kp->pols.v[i].listed &&
		    !strcmp(kp->pols.v[j].tag, info->owner) &&
		    same_policy(&kp->pols.v[j].pol, info))
			return true;
	return false;
}

int keypush_policy(struct keypush *kp, struct cfg_policy *p, size_t index,
		   uint32_t context_id)
{
	struct coapsec_policy_info info;
	uint32_t id = 0;
	int rc;

	policy_info(kp, p, index, context_id, &info);
	for (size_t i = 0; i < kp->pols.n; i++) {
		/* The ID may hold another's policy since a reload. */
		if (strcmp(kp->pols.v[i].tag, info.owner) ||
		    !same_policy(&kp->pols.v[i].pol, &info) ||
		    adopt_later(kp, i, &info) ||
		    !left_is_ours(kp, &kp->pols.v[i]))
			continue;
		size_t listed = kp->pols.v[i].listed;

		p->kernel_id = kp->pols.v[i].id;
		left_drop(&kp->pols, i);
		policy_log(" adopted", p->kernel_id, p);
		beside_left(kp, listed, &info, index);
		release_held(kp, &info, index);
		kp->order_due = true;	/* in its old place */
		return 0;
	}
	kp->order_due = true;
	if (!policy_take_over(kp, p, index, &info)) {
		release_held(kp, &info, index);
		return 0;
	}
	rc = coapsec_nl_policy_new(kp->nl, &info, &id);
	if (rc) {
		log_err("keypush: policy (%s, %s%s%s): %s",
			coapsec_nl_dir_name(p->direction),
			coapsec_nl_action_name(p->action),
			p->context[0] ? " " : "", p->context,
			coapsec_nl_errmsg(kp->nl));
		hold_left(kp, &info);
		return rc;
	}
	p->kernel_id = id;
	p->order_logged = 0;
	unstale(&kp->stale_pols, id);
	policy_log("", id, p);
	/* At the end of its priority: a leftover it could not take is before it. */
	info.id = id;
	beside_left(kp, SIZE_MAX, &info, index);
	release_held(kp, &info, index);
	return 0;
}

int keypush_policy_set(struct keypush *kp, const struct cfg_policy *p,
		       size_t index, uint32_t context_id)
{
	struct coapsec_policy_info info;
	int rc;

	/* Only our own copy: the ID may be another's since a flush. */
	rc = keypush_policy_present(kp, p, index);
	if (rc <= 0)
		return rc ? rc : -ENOENT;
	policy_info(kp, p, index, context_id, &info);
	info.id = p->kernel_id;
	rc = coapsec_nl_policy_set(kp->nl, &info);
	if (rc)
		log_err("keypush: policy %u (%s, %s%s%s): %s", p->kernel_id,
			coapsec_nl_dir_name(p->direction),
			coapsec_nl_action_name(p->action),
			p->context[0] ? " " : "", p->context,
			coapsec_nl_errmsg(kp->nl));
	else
		policy_log(" set in place", p->kernel_id, p);
	return rc;
}

static int policy_del_id(struct keypush *kp, uint32_t id, size_t index)
{
	char tag[COAPSEC_MAX_OWNER_LEN + 1];

	if (!id)
		return 0;
	policy_tag(kp, index, tag);
	return delete_tagged(kp, true, id, tag);
}

int keypush_policy_delete(struct keypush *kp, struct cfg_policy *p,
			  size_t index)
{
	int rc = policy_del_id(kp, p->kernel_id, index);

	p->kernel_id = 0;
	return rc;
}

int keypush_policy_beside(struct keypush *kp, struct cfg_policy *p,
			  size_t index, uint32_t context_id)
{
	struct coapsec_policy_info info;
	uint32_t id = 0;
	int rc;

	policy_info(kp, p, index, context_id, &info);
	rc = coapsec_nl_policy_new(kp->nl, &info, &id);
	if (rc) {
		log_err("keypush: policy (%s, %s) beside policy %u: %s",
			coapsec_nl_dir_name(p->direction),
			coapsec_nl_action_name(p->action), p->kernel_id,
			coapsec_nl_errmsg(kp->nl));
		return rc;
	}
	unstale(&kp->stale_pols, id);
	policy_log(" added beside the old copy", id, p);
	/*
	 * Both carry the tag: the old one goes by its ID once its messages
	 * meet the copy next (settle_beside()).  Untracked, it stays: in
	 * its place, never in clear.
	 */
	if (beside_track(kp, p->kernel_id, info.owner, index))
		log_err("keypush: out of memory: policy %u stays beside its copy %u",
			p->kernel_id, id);
	kp->order_due = true;
	p->kernel_id = id;
	/* In, as keypush_policy() would put it: what it held goes. */
	release_held(kp, &info, index);
	return 0;
}

/* A policy of the namespace, where the kernel lists it. */
struct placed {
	struct coapsec_policy_info pol;		/* as the kernel holds it */
	bool ours;		/* one of this agent's configured policies */
	size_t index;		/* then policies[index] */
	bool move;		/* to the end of its priority */
	/* It would move, but past another's policy that lets plain through. */
	bool stuck;
	uint32_t copy;		/* the ID of its copy at the end, or 0 */
};

struct placing {
	struct keypush *kp;
	const struct cfg_policy *pols;
	size_t n_pols;
	struct placed *v;
	size_t n, cap;
	bool short_of_memory;	/* the list is not whole */
};

static int placed_seen(const struct coapsec_policy_info *p, void *data)
{
	struct placing *pl = data;
	char tag[COAPSEC_MAX_OWNER_LEN + 1];
	struct placed *at;

	if (pl->short_of_memory)
		return -1;
	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? 2 * pl->cap : 64;
		struct placed *v = realloc(pl->v, cap * sizeof(*v));

		if (!v) {
			pl->short_of_memory = true;
			return -1;
		}
		pl->v = v;
		pl->cap = cap;
	}
	at = &pl->v[pl->n++];
	*at = (struct placed){ .pol = *p };
	for (size_t i = 0; ours(pl->kp, p->owner) && i < pl->n_pols; i++) {
		if (pl->pols[i].kernel_id != p->id)
			continue;
		policy_tag(pl->kp, i, tag);
		/* An ID known from before a reload may be another's now. */
		if (!strcmp(p->owner, tag)) {
			at->ours = true;
			at->index = i;
			break;
		}
	}
	return 0;
}

/* Whether @a, listed in the kernel before @b, must match after it. */
static bool misplaced(const struct placed *a, const struct placed *b)
{
	return a->ours && b->ours && a->pol.priority == b->pol.priority &&
	       a->index > b->index && overlaps(&a->pol, &b->pol);
}

/*
 * Whether @v[@k], which keeps plain messages out, would pass, at the end
 * of its priority, a policy not this agent's that lets some of its
 * messages through in clear (another owner's bypass, a leftover): it
 * stays before it, shadowing what the configuration lists before it
 * instead, which fails closed.
 */
static bool would_open(const struct placed *v, size_t n, size_t k)
{
	if (lets_plain(v[k].pol.action))
		return false;
	for (size_t j = k + 1; j < n; j++)
		if (!v[j].ours && lets_plain(v[j].pol.action) &&
		    v[j].pol.priority == v[k].pol.priority &&
		    overlaps(&v[j].pol, &v[k].pol))
			return true;
	return false;
}

/*
 * Marks in @v, the namespace's policies in the kernel's match order,
 * those of this agent's that go to the end of their priority, in the
 * configuration's order, so that of two of one priority that some
 * message matches both, the one listed first matches first: the first of
 * each pair out of order, then, until none is left, one that stays but
 * must match after one that moves (it would match before it).  One that
 * would open a way in clear past another's policy stays (would_open()).
 * How many move.
 */
static size_t order_marks(struct placed *v, size_t n)
{
	size_t moves = 0;
	bool more = true;

	for (size_t a = 0; a < n; a++) {
		v[a].move = v[a].stuck = false;
		for (size_t b = a + 1; b < n && !v[a].move; b++)
			v[a].move = misplaced(&v[a], &v[b]);
		v[a].stuck = v[a].move && would_open(v, n, a);
		v[a].move &= !v[a].stuck;
	}
	/* Only from what really moves: one that stays drags nothing. */
	while (more) {
		more = false;
		for (size_t u = 0; u < n; u++) {
			for (size_t m = 0; m < n && !v[u].move && !v[u].stuck; m++) {
				if (!v[m].move || !misplaced(&v[u], &v[m]))
					continue;
				v[u].stuck = would_open(v, n, u);
				v[u].move = !v[u].stuck;
				more = true;
			}
		}
	}
	for (size_t a = 0; a < n; a++)
		moves += v[a].move;
	return moves;
}

static int by_index(const void *a, const void *b)
{
	const struct placed *x = *(struct placed *const *)a;
	const struct placed *y = *(struct placed *const *)b;

	return (x->index > y->index) - (x->index < y->index);
}

/*
 * Moves @mv (@m of them, in the configuration's order) to the end of
 * their priority, in steps that never let out in clear what was kept
 * out: the copies first, all of them, in the configuration's order (the
 * old ones still match first); then the old ones that let plain
 * messages through (bypass, verify) go, those whose copy the kernel
 * refused included (what they match meets the policies after them,
 * which pass no plain message they would not, though an OSCORE one may
 * pass unverified; left before a protect policy listed before them, they
 * would send its messages in clear); then the old ones that keep plain
 * messages out, unless one that lets them through could not go (then
 * their copies go instead, and they stay first: fail closed); last, the
 * ones whose copy was refused are added again, with the room made.  A
 * policy that keeps plain messages out and gets no copy stays, first.
 * 0, or -1 when one did not move.
 */
static int order_moves(struct keypush *kp, struct cfg_policy *pols,
		       struct placed **mv, size_t m)
{
	bool plain_stays = false;
	int rc = 0;

	for (size_t j = 0; j < m; j++) {
		struct coapsec_policy_info info = mv[j]->pol;

		info.id = 0;
		mv[j]->copy = 0;
		if (!coapsec_nl_policy_new(kp->nl, &info, &mv[j]->copy)) {
			unstale(&kp->stale_pols, mv[j]->copy);
			continue;
		}
		mv[j]->copy = 0;
		rc = -1;
		if (lets_plain(info.action) ||
		    (pols[mv[j]->index].order_logged & CFG_ORDER_REFUSED))
			continue;
		pols[mv[j]->index].order_logged |= CFG_ORDER_REFUSED;
		log_warn("keypush: policy %u (policies[%zu]) matches before a policy listed before it and cannot move: %s; it stays, tried again at every resync",
			 mv[j]->pol.id, mv[j]->index,
			 coapsec_nl_errmsg(kp->nl));
	}
	for (size_t j = 0; j < m; j++) {
		struct cfg_policy *p = &pols[mv[j]->index];

		if (!lets_plain(mv[j]->pol.action))
			continue;
		/* One refused goes to the stale set: deleted at keypush_retry(). */
		if (policy_del_id(kp, mv[j]->pol.id, mv[j]->index))
			plain_stays = true;
		p->kernel_id = mv[j]->copy;
	}
	for (size_t j = 0; j < m; j++) {
		struct cfg_policy *p = &pols[mv[j]->index];

		if (lets_plain(mv[j]->pol.action) || !mv[j]->copy)
			continue;
		if (plain_stays) {
			policy_del_id(kp, mv[j]->copy, mv[j]->index);
			rc = -1;
			continue;
		}
		policy_del_id(kp, mv[j]->pol.id, mv[j]->index);
		p->kernel_id = mv[j]->copy;
	}
	for (size_t j = 0; j < m; j++) {
		struct cfg_policy *p = &pols[mv[j]->index];
		struct coapsec_policy_info info = mv[j]->pol;

		if (!lets_plain(info.action) || mv[j]->copy) {
			if (p->kernel_id == mv[j]->copy && mv[j]->copy) {
				p->order_logged = 0;
				policy_log(" moved after the policies listed before it",
					   p->kernel_id, p);
			}
			continue;
		}
		info.id = 0;
		if (coapsec_nl_policy_new(kp->nl, &info, &p->kernel_id)) {
			p->kernel_id = 0;
			log_err("keypush: policies[%zu] deleted to move it after the policies listed before it, then refused: %s; added again at the next resync",
				mv[j]->index, coapsec_nl_errmsg(kp->nl));
			continue;
		}
		unstale(&kp->stale_pols, p->kernel_id);
		p->order_logged = 0;
		policy_log(" deleted and added again after the policies listed before it",
			   p->kernel_id, p);
	}
	return rc;
}

/* The namespace's policies into @pl, read again if they changed meanwhile. */
static int order_list(struct placing *pl)
{
	int rc = -EAGAIN;

	for (int tries = 0; rc == -EAGAIN && tries < 3; tries++) {
		pl->n = 0;
		rc = coapsec_nl_policy_dump(pl->kp->nl, placed_seen, pl);
	}
	/* A list with some left out could hide another's bypass. */
	return pl->short_of_memory ? -ENOMEM : rc;
}

/* Where policy @id, tagged @tag (any: NULL), lies in @pl's list, or pl->n. */
static size_t placed_at(const struct placing *pl, uint32_t id,
			const char *tag)
{
	for (size_t k = 0; id && k < pl->n; k++)
		if (pl->v[k].pol.id == id &&
		    (!tag || !strcmp(pl->v[k].pol.owner, tag)))
			return k;
	return pl->n;
}

/*
 * Whether what old copy @o matches meets its copy @c next once it goes:
 * no policy between them (whoever's) matches any of it.
 */
static bool beside_free(const struct placing *pl, size_t o, size_t c)
{
	for (size_t k = o + 1; k < c; k++)
		if (overlaps(&pl->v[k].pol, &pl->v[o].pol))
			return false;
	return true;
}

/*
 * Old copy @o takes what its copy @c holds, in place, and is policies[@i]
 * (@p) from then on; @c goes.  Whether the kernel let it.
 */
static bool beside_adopt(struct keypush *kp, const struct placing *pl,
			 size_t o, size_t c, struct cfg_policy *p, size_t i)
{
	struct coapsec_policy_info info = pl->v[c].pol, now;

	info.id = pl->v[o].pol.id;
	/* Still the old copy: its ID may be another's since the listing. */
	if (coapsec_nl_policy_get(kp->nl, info.id, &now) ||
	    strcmp(now.owner, pl->v[o].pol.owner) ||
	    coapsec_nl_policy_set(kp->nl, &info))
		return false;
	p->kernel_id = info.id;
	/* In the old copy's place: others may have moved since. */
	kp->order_due = true;
	policy_log(" set in place as its copy beside was, the copy deleted",
		   p->kernel_id, p);
	policy_del_id(kp, pl->v[c].pol.id, i);
	return true;
}

/*
 * After an order step, each old copy keypush_policy_beside() kept (or a
 * leftover some of whose messages would otherwise meet its configured
 * policy's copy only past another policy, beside_left(),
 * release_held()): it goes where all it matches meets the copy first or
 * next (beside_free()); else, of the same selectors, it takes the
 * copy's action and context in place, where the kernel lets it, and the
 * copy goes (beside_adopt(): a context that only it protected with can
 * go then); else both stay until the next step.
 * Until then it keeps its place: fail closed, as where its policy has
 * no copy in the kernel now.  One that is its policy's own copy now
 * (adopted, or its ID taken again after a reload) is left alone.
 */
static void settle_beside(struct keypush *kp, struct cfg_policy *pols,
			  size_t n)
{
	struct placing pl = { .kp = kp, .pols = pols, .n_pols = n };
	size_t keep = 0;

	if (!kp->beside_old.n)
		return;
	if (order_list(&pl)) {
		free(pl.v);
		return;
	}
	for (size_t e = 0; e < kp->beside_old.n; e++) {
		const struct left *l = &kp->beside_old.v[e];
		size_t i = l->index;
		size_t o = placed_at(&pl, l->id, l->tag), c = pl.n;

		if (o == pl.n || (i < n && pols[i].kernel_id == l->id))
			continue;
		if (i < n)
			c = placed_at(&pl, pols[i].kernel_id, NULL);
		/* policies[i]'s own, under its tag. */
		if (c < pl.n && (!pl.v[c].ours || pl.v[c].index != i))
			c = pl.n;
		/* All it matches meets the copy first, or next. */
		if (c < pl.n && covers(&pl.v[c].pol, &pl.v[o].pol) &&
		    (c < o || beside_free(&pl, o, c))) {
			delete_tagged(kp, true, l->id, l->tag);
			continue;
		}
		/* The copy in its place: the same messages, the same priority. */
		if (c < pl.n && same_selectors(&pl.v[c].pol, &pl.v[o].pol) &&
		    beside_adopt(kp, &pl, o, c, &pols[i], i))
			continue;
		kp->beside_old.v[keep++] = *l;
	}
	kp->beside_old.n = keep;
	free(pl.v);
}

/* Logs once that @p stays out of the configuration's order. */
static void order_stuck(struct cfg_policy *p, size_t index)
{
	if (p->order_logged & CFG_ORDER_STUCK)
		return;
	p->order_logged |= CFG_ORDER_STUCK;
	log_warn("keypush: policy %u (policies[%zu]) matches before a policy listed before it and stays: at the end of its priority it would come after a policy not this agent's that lets some of its messages through in clear",
		 p->kernel_id, index);
}

int keypush_order(struct keypush *kp, struct cfg_policy *pols, size_t n)
{
	struct placing pl = { .kp = kp, .pols = pols, .n_pols = n };
	struct placed **mv = NULL;	/* what moves */
	size_t m = 0;
	int rc = 0;

	if (!kp)
		return 0;
	kp->order_due = false;
	if (order_list(&pl)) {
		log_warn("keypush: cannot list the policies to check their order: %s; trying again at the next resync",
			 pl.short_of_memory ? "out of memory" :
			 coapsec_nl_errmsg(kp->nl));
		rc = -1;
	} else if (!(mv = calloc(order_marks(pl.v, pl.n) + 1, sizeof(*mv)))) {
		rc = -ENOMEM;
	} else {
		/* In order now: logged again if it falls out of it. */
		for (size_t k = 0; k < pl.n; k++)
			if (pl.v[k].ours && !pl.v[k].stuck && !pl.v[k].move)
				pols[pl.v[k].index].order_logged = 0;
		for (size_t k = 0; k < pl.n; k++) {
			if (pl.v[k].stuck)
				order_stuck(&pols[pl.v[k].index], pl.v[k].index);
			if (pl.v[k].move)
				mv[m++] = &pl.v[k];
		}
		qsort(mv, m, sizeof(*mv), by_index);
		if (order_moves(kp, pols, mv, m))
			rc = -1;
	}
	free(mv);
	free(pl.v);
	settle_beside(kp, pols, n);
	return rc;
}

bool keypush_order_due(const struct keypush *kp)
{
	return kp && kp->order_due;
}

/* At most a little under the 30 s resync: no resync goes without a try. */
#define RETRY_FIRST_MS	1000
#define RETRY_MAX_MS	25000

/* The wait after a try that left some, the last wait being @wait. */
static uint64_t retry_after(uint64_t wait)
{
	if (wait < RETRY_FIRST_MS)
		return RETRY_FIRST_MS;
	return wait * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : wait * 2;
}

size_t keypush_retry(struct keypush *kp, uint64_t now)
{
	struct leftset pols = kp->stale_pols, ctxs = kp->stale_ctxs;
	size_t left;

	if (!pols.n && !ctxs.n) {
		kp->retry_wait = 0;
		return 0;
	}
	if (now < kp->retry_at)
		return 0;
	/* Policies first: the kernel keeps a context a policy protects with. */
	memset(&kp->stale_pols, 0, sizeof(kp->stale_pols));
	memset(&kp->stale_ctxs, 0, sizeof(kp->stale_ctxs));
	for (size_t i = 0; i < pols.n; i++)
		if (!delete_tagged(kp, true, pols.v[i].id, pols.v[i].tag))
			log_info("keypush: policy %u deleted at last", pols.v[i].id);
	for (size_t i = 0; i < ctxs.n; i++)
		if (!delete_tagged(kp, false, ctxs.v[i].id, ctxs.v[i].tag))
			log_info("keypush: context %u (%s) deleted at last",
				 ctxs.v[i].id, ctxs.v[i].tag);
	free(pols.v);
	free(ctxs.v);
	left = kp->stale_pols.n + kp->stale_ctxs.n;
	kp->retry_wait = left ? retry_after(kp->retry_wait) : 0;
	kp->retry_at = now + kp->retry_wait;
	return left;
}

size_t keypush_stale(const struct keypush *kp)
{
	return kp ? kp->stale_pols.n + kp->stale_ctxs.n : 0;
}

int keypush_event_fd(const struct keypush *kp)
{
	return kp && kp->ev ? coapsec_nl_fd(kp->ev) : -1;
}

uint64_t keypush_instance_id(const struct keypush *kp)
{
	return kp ? kp->instance_id : 0;
}

int keypush_present(struct keypush *kp, const struct actx *c)
{
	struct coapsec_context_info info;
	char tag[COAPSEC_MAX_OWNER_LEN + 1];
	int rc;

	if (!c->kernel_id)
		return 0;
	rc = coapsec_nl_context_get(kp->nl, c->kernel_id, &info);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	make_tag(kp->owner, c->name, tag);
	return !strcmp(info.owner, tag);
}

int keypush_policy_present(struct keypush *kp, const struct cfg_policy *p,
			   size_t index)
{
	struct coapsec_policy_info info;
	char tag[COAPSEC_MAX_OWNER_LEN + 1];
	int rc;

	if (!p->kernel_id)
		return 0;
	rc = coapsec_nl_policy_get(kp->nl, p->kernel_id, &info);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	policy_tag(kp, index, tag);
	return !strcmp(info.owner, tag);
}

int keypush_set_ceiling(struct keypush *kp, const struct actx *c,
			uint64_t ceiling)
{
	int rc;

	if (!c->kernel_id)
		return -ENOENT;
	rc = coapsec_nl_context_set_persisted(kp->nl, c->kernel_id, ceiling);
	if (rc)
		log_err("keypush: %s: cannot raise the sequence ceiling of context %u to %llu: %s",
			c->name, c->kernel_id, (unsigned long long)ceiling,
			coapsec_nl_errmsg(kp->nl));
	return rc;
}

int keypush_seq(struct keypush *kp, const struct actx *c, uint64_t *seq,
		uint64_t *ceiling)
{
	struct coapsec_context_info info;
	int rc;

	if (!c->kernel_id)
		return -ENOENT;
	rc = coapsec_nl_context_get(kp->nl, c->kernel_id, &info);
	if (rc)
		return rc;
	*seq = info.seq;
	*ceiling = info.has_seq_persisted ? info.seq_persisted : UINT64_MAX;
	return 0;
}

void keypush_events(struct keypush *kp, const struct keypush_event_ops *ops,
		    void *arg)
{
	struct coapsec_event ev;
	int rc;

	while (kp->ev && (rc = coapsec_nl_event_recv(kp->ev, &ev, 0)) != 0) {
		if (rc < 0) {
			if (rc != -ENOBUFS)
				break;
			/* The socket overflowed: events were lost. */
			log_warn("keypush: kernel events lost (receive buffer full); resynchronising");
			if (ops->lost)
				ops->lost(arg);
			continue;
		}
		if (ev.type == COAPSEC_EVENT_SEQ_CHECKPOINT) {
			log_debug("keypush: context %u: checkpoint %llu",
				  ev.context_id, (unsigned long long)ev.seq);
			if (ops->checkpoint)
				ops->checkpoint(arg, ev.context_id, ev.seq);
			continue;
		}
		log_info("keypush: kernel event %s on context %u",
			 coapsec_nl_event_name(ev.type), ev.context_id);
		if ((ev.type == COAPSEC_EVENT_SEQ_SOFT ||
		     ev.type == COAPSEC_EVENT_SEQ_HARD) && ops->seq_limit)
			ops->seq_limit(arg, ev.context_id);
	}
}
