/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a namespace remembers of key material it no longer holds: for a
 * sender, the next sequence number; for a recipient, the highest one it
 * accepted, and whether its window was lost (replay-unknown, remembered
 * even where it accepted nothing).  A context made again with the same
 * material (delete and add, expiry and add, a swap back) continues from
 * there and says replay-unknown where that was lost, so that within one
 * boot no nonce is used twice and no message accepted once is accepted
 * again.
 * Across reboots the key manager keeps this (seq-checkpoint events,
 * replay-unknown).  A recipient's key is remembered too, as a sender's
 * would be: a context may not send under a key the peer sent with (its
 * nonces would meet the peer's), as it may not receive with a key this
 * namespace sent with.
 * Bounded (module parameters retired_keys, and user_retired_keys for
 * namespaces of other user namespaces than the initial one), never by
 * forgetting: a context is made only where there is room for all it will
 * leave, and only an explicit forget with no context left (as a reboot
 * would, with a new instance-id) empties it.
 */
#ifndef COAPSEC_RETIRED_H
#define COAPSEC_RETIRED_H

#include <linux/types.h>

struct coapsec_context;
struct coapsec_net;
struct coapsec_recipient;
struct netlink_ext_ack;

int coapsec_retired_init(struct coapsec_net *cn);
void coapsec_retired_destroy(struct coapsec_net *cn);

/*
 * Forgets every memory, where no context is left (else -EBUSY), and
 * draws a new instance-id: as after a reboot.  Under cn->lock.
 */
int coapsec_retired_forget(struct coapsec_net *cn,
			   struct netlink_ext_ack *extack);

/*
 * The bound on @cn's memories and places reserved (retired_keys, or
 * user_retired_keys where lower for a namespace of another user namespace
 * than the initial one); *@user says which.
 */
unsigned int coapsec_retired_limit(const struct coapsec_net *cn, bool *user);

/*
 * Reserves room in the memory for what @ctx (built, not yet linked) will
 * leave and is not remembered already, and grows the lookup tables to
 * fit: 0, or -ENOSPC where the memory is full.  coapsec_retired_add()
 * gives back what it did not use; coapsec_retired_unreserve() all of it,
 * for a context never linked.
 * Under cn->lock.
 */
int coapsec_retired_reserve(struct coapsec_net *cn,
			    struct coapsec_context *ctx,
			    struct netlink_ext_ack *extack);
void coapsec_retired_unreserve(struct coapsec_net *cn,
			       struct coapsec_context *ctx);

/*
 * The memories @ctx will leave, made with it (charged to its maker) so
 * that remembering never fails for want of memory: 0 or -ENOMEM.  The
 * unused ones go with the context.
 */
int coapsec_retired_prepare(struct coapsec_context *ctx);
void coapsec_retired_free_unused(struct coapsec_context *ctx);

/*
 * Remembers what @ctx, leaving the tables, used; its windows accept
 * nothing more.  Under cn->lock.
 */
void coapsec_retired_add(struct coapsec_net *cn, struct coapsec_context *ctx);

/*
 * Whether the key whose sender fingerprint (context.h) is @fp is
 * remembered as a retired sender key.  Under cn->lock.
 */
bool coapsec_retired_sender_known(struct coapsec_net *cn, const u8 *fp);

/*
 * Whether the key whose sender fingerprint is @kfp (a recipient's kfp,
 * or a sender_fp) is remembered as a retired recipient key.  Under
 * cn->lock.
 */
bool coapsec_retired_rkey_known(struct coapsec_net *cn, const u8 *kfp);

/*
 * Whether @ctx's sender key is remembered with another Common IV or
 * sender ID: its sequence would continue under other nonces.  Under
 * cn->lock.
 */
bool coapsec_retired_sender_moved(struct coapsec_net *cn,
				  const struct coapsec_context *ctx);

/*
 * Makes @ctx, not yet published, continue the sequence its sender
 * material used; and @rcp, linked but not open, refuse what its key
 * accepted before (every request, where that window was lost: its
 * context takes replay-unknown).  Each returns whether that material was
 * remembered.
 * Under cn->lock.
 */
bool coapsec_retired_apply_seq(struct coapsec_net *cn,
			       struct coapsec_context *ctx);
bool coapsec_retired_apply_window(struct coapsec_net *cn,
				  struct coapsec_recipient *rcp);

/*
 * For the selftest: the longest chain of memories by fingerprint, in a
 * table of @buckets buckets (0: the table as it is).  Under cn->lock.
 */
unsigned int coapsec_retired_longest_chain(struct coapsec_net *cn,
					   unsigned int buckets);

#endif /* COAPSEC_RETIRED_H */
