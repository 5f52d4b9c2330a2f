// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "agent/keypush.h"
#include "agent/log.h"
#include "uapi/linux/coapsec.h"

struct keypush {
	struct coapsec_nl *nl;		/* requests */
	struct coapsec_nl *ev;		/* events */
};

struct keypush *keypush_open(char *err, size_t errlen)
{
	struct keypush *kp = calloc(1, sizeof(*kp));
	struct coapsec_features f;
	int rc;

	if (!kp)
		return NULL;
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
	kp->ev = coapsec_nl_open();
	if (kp->ev && coapsec_nl_events_subscribe(kp->ev)) {
		log_warn("keypush: cannot subscribe to events: %s",
			 coapsec_nl_errmsg(kp->ev));
		coapsec_nl_close(kp->ev);
		kp->ev = NULL;
	}
	log_info("keypush: kernel coapsec %s, API %u", f.version, f.api_version);
	return kp;
fail:
	keypush_close(kp);
	return NULL;
}

void keypush_close(struct keypush *kp)
{
	if (!kp)
		return;
	if (kp->nl)
		coapsec_nl_close(kp->nl);
	if (kp->ev)
		coapsec_nl_close(kp->ev);
	free(kp);
}

int keypush_install(struct keypush *kp, struct actx *c, unsigned int grace_s)
{
	struct coapsec_context_info info = c->info;
	int rc;

	if (c->kernel_id) {
		info.id = c->kernel_id;
		info.has_grace = true;
		info.grace = grace_s;
		rc = coapsec_nl_context_swap(kp->nl, &info);
	} else {
		uint32_t id = 0;

		rc = coapsec_nl_context_new(kp->nl, &info, &id);
		if (!rc)
			c->kernel_id = id;
	}
	mbedtls_platform_zeroize(&info, sizeof(info));
	if (rc)
		log_err("keypush: %s: %s", c->name, coapsec_nl_errmsg(kp->nl));
	else
		log_info("keypush: %s installed as context %u (epoch %u)", c->name,
			 c->kernel_id, c->epoch);
	return rc;
}

int keypush_delete(struct keypush *kp, struct actx *c)
{
	int rc;

	if (!c->kernel_id)
		return 0;
	rc = coapsec_nl_context_del(kp->nl, c->kernel_id);
	if (rc && rc != -ENOENT)
		log_warn("keypush: delete %s: %s", c->name, coapsec_nl_errmsg(kp->nl));
	c->kernel_id = 0;
	return rc;
}

int keypush_policy(struct keypush *kp, struct cfg_policy *p,
		   uint32_t context_id)
{
	struct coapsec_policy_info info = {
		.priority = p->priority, .family = p->family,
		.direction = p->direction, .action = p->action,
		.has_src = p->has_src, .has_dst = p->has_dst,
		.src_plen = p->src_plen, .dst_plen = p->dst_plen,
		.has_dport = p->has_dport, .dport = p->dport,
		.has_mark = p->has_mark, .mark = p->mark,
		.mark_mask = p->mark_mask, .context_id = context_id,
	};
	uint32_t id = 0;
	int rc;

	memcpy(info.src, p->src, sizeof(info.src));
	memcpy(info.dst, p->dst, sizeof(info.dst));
	rc = coapsec_nl_policy_new(kp->nl, &info, &id);
	if (rc) {
		log_err("keypush: policy (%s, %s%s%s): %s",
			coapsec_nl_dir_name(p->direction),
			coapsec_nl_action_name(p->action),
			p->context[0] ? " " : "", p->context,
			coapsec_nl_errmsg(kp->nl));
		return rc;
	}
	p->kernel_id = id;
	log_info("keypush: policy %u: %s %s%s%s", id,
		 coapsec_nl_dir_name(p->direction),
		 coapsec_nl_action_name(p->action), p->context[0] ? " " : "",
		 p->context);
	return 0;
}

void keypush_policy_delete(struct keypush *kp, struct cfg_policy *p)
{
	if (p->kernel_id)
		coapsec_nl_policy_del(kp->nl, p->kernel_id);
	p->kernel_id = 0;
}

int keypush_event_fd(const struct keypush *kp)
{
	return kp && kp->ev ? coapsec_nl_fd(kp->ev) : -1;
}

void keypush_events(struct keypush *kp, void (*soft)(void *arg, uint32_t id),
		    void *arg)
{
	struct coapsec_event ev;

	while (kp->ev && coapsec_nl_event_recv(kp->ev, &ev, 0) == 1) {
		log_info("keypush: kernel event %s on context %u",
			 coapsec_nl_event_name(ev.type), ev.context_id);
		if (ev.type == COAPSEC_EVENT_SEQ_SOFT ||
		    ev.type == COAPSEC_EVENT_SEQ_HARD)
			soft(arg, ev.context_id);
	}
}
