// SPDX-License-Identifier: GPL-2.0
/* The context-filling fixture (ctxfill.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctxfill.h"
#include "codec/oscore_alg.h"

double ctxfill_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int ctxfill(struct coapsec_nl *nl, unsigned long first, unsigned long n,
	    unsigned long *added)
{
	struct coapsec_context_info *c = calloc(1, sizeof(*c));
	struct coapsec_recipient_info rcp[1] = { 0 };
	unsigned long i;
	int err = 0;

	*added = 0;
	if (!c)
		return -ENOMEM;
	c->alg = OSCORE_ALG_AES_CCM_16_64_128;
	c->sender_id_len = 1;
	c->sender_key_len = 16;
	c->common_iv_len = 13;
	c->has_id_context = true;
	c->id_context_len = 4;
	c->n_recipients = 1;
	c->recipients = rcp;
	c->recipients[0].id_len = 1;
	c->recipients[0].id[0] = 1;
	c->recipients[0].key_len = 16;
	/* Never the sender key (bytes 0-3 of which are the ID context). */
	c->recipients[0].key[0] = 0xff;
	for (i = 0; i < n && !err; i++) {
		unsigned long v = first + i;

		c->id_context[0] = v >> 24;
		c->id_context[1] = v >> 16;
		c->id_context[2] = v >> 8;
		c->id_context[3] = v;
		memcpy(c->sender_key, c->id_context, 4);
		memcpy(c->recipients[0].key + 4, c->id_context, 4);
		err = coapsec_nl_context_new(nl, c, NULL);
		if (!err)
			(*added)++;
	}
	free(c);
	return err;
}
