/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * coapsec: OSCORE (RFC 8613) protection of CoAP in the Linux packet path.
 *
 * Generic netlink family "coapsec", version COAPSEC_FAMILY_VERSION.  The
 * family is described in uapi/coapsec.yaml, from which uapi/gen.py
 * generates the constants and enums (uapi/linux/coapsec-gen.h, included
 * below); this comment says what each command takes and answers.
 *
 * The family is available in every network namespace (netnsok) and every
 * object lives in one namespace: a namespace sees only its own contexts,
 * policies and counters, and deleting it frees them.  Commands that change
 * state (NEW, DEL, SWAP, SET, STATS_RESET, FLUSH, AGENT_REGISTER) require
 * CAP_NET_ADMIN in the user namespace owning the network namespace
 * (GENL_UNS_ADMIN_PERM); the queries are unprivileged.  Key material is
 * write-only: no reply or event ever carries a key or the Common IV.
 * Unknown attributes are rejected, every rejection carries an extack
 * message naming the attribute.
 *
 * Sizes (bytes) checked per algorithm (see COAPSEC_CMD_FEATURES_GET):
 * keys exactly the algorithm's key length, the Common IV exactly its nonce
 * length, sender and recipient IDs at most nonce length - 6 (RFC 8613
 * §3.3), the ID context at most COAPSEC_MAX_ID_CONTEXT_LEN.
 *
 * COAPSEC_CMD_FEATURES_GET
 * ------------------------
 *
 * Unprivileged.  Takes no attributes.  Replies with:
 *
 *    COAPSEC_A_FEATURES: NLA_NESTED
 *       COAPSEC_A_FEATURES_VERSION: NLA_NUL_STRING, module version
 *       COAPSEC_A_FEATURES_API_VERSION: NLA_U32, COAPSEC_FAMILY_VERSION
 *       COAPSEC_A_FEATURES_INSTANCE_ID: NLA_U64, random, drawn when the
 *          namespace's coapsec state is made: new at every module load
 *          and in every new namespace.  A key manager that finds another
 *          value than the one it saw before knows that the kernel's
 *          replay windows and sequence numbers are gone, within one boot
 *          too (a boot ID does not tell rmmod/modprobe or a re-created
 *          namespace)
 *       COAPSEC_A_FEATURES_ALG: NLA_NESTED, once per AEAD coapsec knows
 *          COAPSEC_A_ALG_ID: NLA_U32, COSE algorithm identifier
 *          COAPSEC_A_ALG_NAME: NLA_NUL_STRING, COSE name
 *          COAPSEC_A_ALG_CRYPTO_NAME: NLA_NUL_STRING, crypto API name
 *          COAPSEC_A_ALG_KEY_LEN: NLA_U32, bytes
 *          COAPSEC_A_ALG_NONCE_LEN: NLA_U32, bytes
 *          COAPSEC_A_ALG_TAG_LEN: NLA_U32, bytes
 *          COAPSEC_A_ALG_AVAILABLE: NLA_U8, 1 if this kernel's crypto API
 *             could instantiate it when asked, else 0
 *          COAPSEC_A_ALG_DRIVER: NLA_NUL_STRING, the implementation the
 *             crypto API chose; only present when available
 *
 * COAPSEC_CMD_CONTEXT_NEW
 * -----------------------
 *
 * Installs a security context (RFC 8613 §3): the sender part and one or
 * more recipient parts, with keys derived in userspace.  Takes:
 *
 *    COAPSEC_A_CONTEXT: NLA_NESTED
 *       COAPSEC_A_CONTEXT_ID: NLA_U32, optional handle, 1..2^32-1; the
 *          kernel picks a free one when absent, never one it handed out
 *          before until the 32-bit space wraps (a deleted context's ID
 *          does not name a new one).  Policies refer to it.
 *       COAPSEC_A_CONTEXT_ALG: NLA_U32, COSE AEAD id, required
 *       COAPSEC_A_CONTEXT_SENDER_ID: NLA_BINARY, required (may be empty)
 *       COAPSEC_A_CONTEXT_SENDER_KEY: NLA_BINARY, required
 *       COAPSEC_A_CONTEXT_COMMON_IV: NLA_BINARY, required
 *       COAPSEC_A_CONTEXT_ID_CONTEXT: NLA_BINARY, optional (absent: none)
 *       COAPSEC_A_CONTEXT_RECIPIENT: NLA_NESTED, 1..COAPSEC_MAX_RECIPIENTS
 *          times
 *             COAPSEC_A_RECIPIENT_ID: NLA_BINARY, required, unique within
 *                the context and, with the ID context, among current
 *                contexts of the namespace (the receive path's lookup key)
 *             COAPSEC_A_RECIPIENT_KEY: NLA_BINARY, required
 *             COAPSEC_A_RECIPIENT_REPLAY_WINDOW: NLA_U32, 1..
 *                COAPSEC_MAX_REPLAY_WINDOW, default
 *                COAPSEC_DEFAULT_REPLAY_WINDOW
 *       COAPSEC_A_CONTEXT_SEQ_START: NLA_U64, first sender sequence number,
 *          default 0.  A context re-created for keys used before starts
 *          at the last COAPSEC_EVENT_SEQ_CHECKPOINT's value (RFC 8613
 *          Appendix B.1.1), so that no sequence number is used twice.
 *       COAPSEC_A_CONTEXT_SEQ_CHECKPOINT: NLA_U32, K: every K sequence
 *          numbers a COAPSEC_EVENT_SEQ_CHECKPOINT event carries the value
 *          that a re-created context must start from; 0 or absent: none
 *       COAPSEC_A_CONTEXT_SEQ_PERSISTED: NLA_U64, 0..COAPSEC_SEQ_MAX,
 *          the ceiling: no sender sequence number at or above it is ever
 *          used.  The value the key manager has persisted (RFC 8613
 *          B.1.1): the checkpoint events are advisory (lost with no
 *          listener or no memory), the ceiling is not, so that a crash
 *          never leaves used numbers above what was persisted.  A
 *          message that would need a number at the ceiling is dropped
 *          (never sent in clear), counted in COAPSEC_A_STATS_SEQ_UNPERSISTED,
 *          and, once per ceiling value, a COAPSEC_EVENT_SEQ_CHECKPOINT
 *          names ceiling + 2K: persist it, then raise the ceiling with
 *          COAPSEC_CMD_CONTEXT_SET.  Absent: no ceiling (contexts set up
 *          by hand); a key manager should always set it.
 *       COAPSEC_A_CONTEXT_SEQ_SOFT_LIMIT: NLA_U64, a COAPSEC_EVENT_SEQ_SOFT
 *          event is sent when the sequence number reaches it; default
 *          hard limit - 2^16 (or 3/4 of it for small limits)
 *       COAPSEC_A_CONTEXT_SEQ_HARD_LIMIT: NLA_U64, nothing is protected at
 *          or past it; at most and by default COAPSEC_SEQ_MAX
 *       COAPSEC_A_CONTEXT_LIFETIME: NLA_U32, seconds until the context
 *          expires (COAPSEC_EVENT_EXPIRED, then it is deleted); 0 or
 *          absent: no expiry
 *       COAPSEC_A_CONTEXT_FLAGS: NLA_U32, COAPSEC_CONTEXT_F_*
 *       COAPSEC_A_CONTEXT_OWNER: NLA_NUL_STRING, optional: who installed
 *          the context, 1..COAPSEC_MAX_OWNER_LEN printable ASCII
 *          characters without spaces (coapsecd writes
 *          "coapsecd:ROLE:ID/NAME"), so that a key manager that restarts
 *          finds what it left and reconciles it; returned by GET
 *    COAPSEC_A_RECIPIENT: NLA_NESTED, as COAPSEC_A_CONTEXT_RECIPIENT, any
 *       number of times: more recipient parts, after the context nest (a
 *       nest holds at most 64 KiB, about 1,500 recipients).  With those
 *       in the nest, 1..COAPSEC_MAX_RECIPIENTS (8192) in all; E2BIG
 *       above, the extack pointing at the first one too many.
 *
 * Replies with COAPSEC_A_CONTEXT { COAPSEC_A_CONTEXT_ID }.  Errors: EEXIST
 * (ID taken, a recipient's (ID context, recipient ID) already used by a
 * current context, or the sender key (alg and key, whatever the Common
 * IV and IDs) already in use by a context of the namespace: two contexts
 * could meet on a nonce; swap that one instead; or a recipient key that
 * is a sender key of the namespace, or the reverse: a mirrored context),
 * EINVAL/ERANGE (bad attribute, a recipient ID equal to the sender ID, a
 * sender key that a context of the namespace holds or held this boot
 * with another Common IV or sender ID),
 * ENOENT (algorithm not available in this kernel), ENOSPC
 * (COAPSEC_MAX_CONTEXTS reached), EDQUOT (the owner of an unprivileged
 * user namespace has as many crypto transforms as coapsec allows it).
 *
 * COAPSEC_CMD_CONTEXT_SWAP
 * ------------------------
 *
 * Rekey without loss.  Takes the same attributes as CONTEXT_NEW, with
 * COAPSEC_A_CONTEXT_ID required and naming a current context, plus:
 *
 *       COAPSEC_A_CONTEXT_GRACE: NLA_U32, seconds, default
 *          COAPSEC_DEFAULT_GRACE, at most COAPSEC_MAX_GRACE
 *
 * The new keying material becomes current under the same ID at once (so
 * every policy protecting with that ID uses it from the next packet); the
 * old one becomes "previous": it protects nothing, but still verifies
 * messages for GRACE seconds and is then deleted.  A previous context that
 * was already there is deleted.  When the sender key material is
 * unchanged, the sequence number continues where the old one stopped
 * (never below SEQ_START; only with the same Common IV and sender ID,
 * else EINVAL), and a recipient whose ID and key are unchanged
 * keeps its replay window: a swap never reuses a nonce nor forgets what
 * was received.  Without OWNER the new context keeps the old one's; an
 * OWNER other than the context's (when it has one) is refused (EPERM):
 * one key manager does not take over another's context by mistake.
 * Without SEQ_PERSISTED, a swap that keeps the sender key material
 * keeps its ceiling too (the sequence continues, and so does what bounds
 * it).  Replies like CONTEXT_NEW; ENOSPC when
 * keeping the old one would pass COAPSEC_MAX_CONTEXTS.
 *
 * COAPSEC_CMD_CONTEXT_SET
 * -----------------------
 *
 * Raises the sequence ceiling of a current context.  Takes:
 *
 *    COAPSEC_A_CONTEXT: NLA_NESTED
 *       COAPSEC_A_CONTEXT_ID: NLA_U32, required
 *       COAPSEC_A_CONTEXT_SEQ_PERSISTED: NLA_U64, required, the new
 *          ceiling, at least the present one (equal is a no-op); on a
 *          context without a ceiling it sets one
 *
 * Sending resumes at once where it stopped: the sequence number is not
 * touched, so no number is used twice.  Errors: ENOENT (no current
 * context with that ID), EINVAL (missing attribute, or a value below the
 * present ceiling: it may only rise; the extack points at
 * SEQ_PERSISTED).  No reply beyond the ACK.
 *
 * COAPSEC_CMD_CONTEXT_DEL
 * -----------------------
 *
 * Takes COAPSEC_A_CONTEXT { COAPSEC_A_CONTEXT_ID }: deletes the context and
 * its previous one.  ENOENT when absent; EBUSY when a policy protects with
 * it (delete the policy first).
 *
 * COAPSEC_CMD_CONTEXT_GET
 * -----------------------
 *
 * Do: takes COAPSEC_A_CONTEXT { COAPSEC_A_CONTEXT_ID }.  Dump: every
 * context of the namespace, previous ones included.  Replies with, per
 * context, COAPSEC_A_CONTEXT holding ID, ALG, SENDER_ID, ID_CONTEXT (if
 * any), SEQ_SOFT_LIMIT, SEQ_HARD_LIMIT, LIFETIME, SEQ_CHECKPOINT, FLAGS,
 * OWNER (if any), SEQ_PERSISTED (if the context has a ceiling), and:
 *
 *       COAPSEC_A_CONTEXT_STATE: NLA_U8, COAPSEC_CONTEXT_STATE_*
 *       COAPSEC_A_CONTEXT_SEQ: NLA_U64, next sender sequence number
 *       COAPSEC_A_CONTEXT_EXPIRES: NLA_U32, seconds left before it expires
 *          (or, when previous, before the grace period ends); absent if
 *          never
 *       COAPSEC_A_CONTEXT_RECIPIENT: per recipient, ID and REPLAY_WINDOW
 *
 * A GET reply puts the recipients that do not fit in the nest after it,
 * as top-level COAPSEC_A_RECIPIENT.  A dump sends a context with more
 * recipients than one message holds as consecutive messages with the
 * same ID and STATE, each with the next recipients.  Never a key or the
 * Common IV.
 *
 * COAPSEC_CMD_POLICY_NEW
 * ----------------------
 *
 *    COAPSEC_A_POLICY: NLA_NESTED
 *       COAPSEC_A_POLICY_ID: NLA_U32, optional handle (kernel picks one)
 *       COAPSEC_A_POLICY_PRIORITY: NLA_U32, lower matches first; equal
 *          priorities in order of insertion; default 0
 *       COAPSEC_A_POLICY_FAMILY: NLA_U8, AF_INET or AF_INET6, required
 *       COAPSEC_A_POLICY_DIRECTION: NLA_U8, COAPSEC_DIR_*, required
 *       COAPSEC_A_POLICY_SRC, COAPSEC_A_POLICY_DST: NLA_BINARY, 4 or 16
 *          bytes as the family says, optional (absent: any)
 *       COAPSEC_A_POLICY_SRC_PREFIXLEN, COAPSEC_A_POLICY_DST_PREFIXLEN:
 *          NLA_U8, 0..32 or 0..128, default the full length
 *       COAPSEC_A_POLICY_DPORT: NLA_U16, UDP destination port, default
 *          COAPSEC_DEFAULT_PORT, 0: any
 *       COAPSEC_A_POLICY_IFINDEX: NLA_U32, interface (input for IN,
 *          output for OUT and FWD), optional
 *       COAPSEC_A_POLICY_MARK, COAPSEC_A_POLICY_MARK_MASK: NLA_U32, match
 *          skb->mark & mask == mark; mask defaults to ~0 when MARK is set
 *       COAPSEC_A_POLICY_ACTION: NLA_U8, COAPSEC_ACTION_*, required
 *       COAPSEC_A_POLICY_CONTEXT_ID: NLA_U32, the context to protect
 *          with; required with COAPSEC_ACTION_PROTECT, refused otherwise
 *       COAPSEC_A_POLICY_QUEUE_NUM: NLA_U32, 0..COAPSEC_MAX_QUEUE_NUM,
 *          the NFQUEUE queue; required with COAPSEC_ACTION_QUEUE,
 *          refused otherwise
 *       COAPSEC_A_POLICY_OWNER: NLA_NUL_STRING, optional: who installed
 *          the policy, as COAPSEC_A_CONTEXT_OWNER
 *
 * Replies with COAPSEC_A_POLICY { COAPSEC_A_POLICY_ID }.  ENOSPC when the
 * namespace holds as many policies as the module parameter ns_policies
 * allows (default 4096).
 *
 * COAPSEC_CMD_POLICY_SET
 * ----------------------
 *
 *    The request of COAPSEC_CMD_POLICY_NEW, COAPSEC_A_POLICY_ID required:
 *    the policy of that ID is replaced by the one the request describes,
 *    in one step (a packet meets the old policy or the new one, never
 *    neither), keeping its ID and its place in the match order, so it
 *    needs no room under ns_policies.  Everything else is the request's,
 *    the owner tag too (absent: none).  PRIORITY must be the old one's
 *    (EINVAL: delete and add to move a policy).  ENOENT: no such policy,
 *    or (protect) no such context.  An agent turns a group's protect
 *    policies into queue policies and back this way.
 *
 * COAPSEC_ACTION_QUEUE hands what the policy matches (any direction, IPv4
 * and IPv6) to a userspace agent through NFQUEUE queue QUEUE_NUM: the
 * kernel has no ECDSA or EdDSA, so the agent (coapsecd) signs outgoing
 * Group OSCORE group-mode messages and verifies incoming ones, and
 * returns each with its verdict.  The kernel only queues: it does not
 * look whether a message is signed, so an unsigned group message that a
 * queue policy matches reaches the agent, whose verification drops it.
 * Fail closed: while no agent is registered for the queue
 * (COAPSEC_CMD_AGENT_REGISTER), a matching message is dropped and counted
 * in COAPSEC_A_STATS_QUEUE_NO_AGENT, never sent or delivered in clear;
 * the verdict never carries NF_VERDICT_FLAG_QUEUE_BYPASS, so NFQUEUE
 * drops it too if the registered agent has not bound the queue (that
 * drop NFQUEUE does not report to coapsec).  What the packet path cannot
 * hand over whole (IP fragments, GSO packets, messages over 4096 bytes)
 * is dropped and counted as for the other actions, and an answer bound
 * to an exchange this module protected or verified stays in the kernel.
 * An accepted message continues after coapsec's hook; the agent must
 * not set NFQA_CFG_F_FAIL_OPEN (a full queue would pass messages in
 * clear) nor answer NF_REPEAT (the message would come back to it).
 *
 * COAPSEC_CMD_POLICY_DEL, COAPSEC_CMD_POLICY_GET
 * ----------------------------------------------
 *
 * DEL and GET (do) take COAPSEC_A_POLICY { COAPSEC_A_POLICY_ID }.  GET
 * dumps every policy in match order, each with all of the attributes above.
 *
 * COAPSEC_CMD_STATS_GET
 * ---------------------
 *
 * Takes nothing (the namespace's counters) or COAPSEC_A_STATS {
 * COAPSEC_A_STATS_CONTEXT_ID } (one context's).  Replies with:
 *
 *    COAPSEC_A_STATS: NLA_NESTED
 *       COAPSEC_A_STATS_CONTEXT_ID: NLA_U32, when asked for one context
 *       COAPSEC_A_STATS_PROTECTED ... COAPSEC_A_STATS_EVICTIONS: NLA_U64
 *          messages protected, verified, failing authentication, replayed,
 *          malformed, without a matching context, dropped by a policy,
 *          outstanding requests evicted
 *       COAPSEC_A_STATS_FRAGMENTS ... COAPSEC_A_STATS_ERRORS: NLA_U64
 *          messages a policy names that were dropped as IP fragments, as
 *          GSO packets, as too big (over 4096 bytes, or past the MTU once
 *          protected where fragmenting is not allowed), for a context at
 *          its hard sequence limit, or for want of memory or a failing
 *          crypto call
 *       COAPSEC_A_STATS_SEQ_UNPERSISTED: NLA_U64, messages dropped because
 *          their sequence number would reach the context's SEQ_PERSISTED
 *          ceiling
 *       COAPSEC_A_STATS_QUEUED: NLA_U64, messages a queue policy handed to
 *          its registered agent (namespace counters only)
 *       COAPSEC_A_STATS_QUEUE_NO_AGENT: NLA_U64, messages a queue policy
 *          matched and dropped because no agent was registered for its
 *          queue (namespace counters only)
 *       COAPSEC_A_STATS_SOURCE_ROUTED: NLA_U64, source-routed datagrams
 *          (IPv4 LSRR/SSRR, IPv6 routing header with segments left)
 *          leaving, crossing or (IPv6) arriving, to or from a port the
 *          policies name, dropped:
 *          their header may name a hop, not where they go (namespace
 *          counters only)
 *       COAPSEC_A_STATS_CONTEXTS, COAPSEC_A_STATS_POLICIES: NLA_U32,
 *          objects in this namespace (namespace query only)
 *       COAPSEC_A_STATS_HOOKS: NLA_U8, 1 while the namespace's netfilter
 *          hooks are registered: from its first policy until the last is
 *          gone and no protected exchange made under one lives
 *          (namespace query only)
 *       COAPSEC_A_STATS_CONTEXTS_ALL, COAPSEC_A_STATS_POLICIES_ALL:
 *          NLA_U32, objects alive in every namespace together (namespace
 *          query only, and only for CAP_NET_ADMIN in the initial user
 *          namespace; lets a test see that a deleted namespace freed its
 *          objects)
 *       COAPSEC_A_STATS_RETIRED_KEYS: NLA_U32, key materials (1 per sender
 *          key, 1 per recipient) the namespace remembers of contexts gone
 *          (namespace query only)
 *       COAPSEC_A_STATS_RETIRED_RESERVED: NLA_U32, places its live
 *          contexts hold in that memory for material not remembered yet
 *          (namespace query only)
 *       COAPSEC_A_STATS_RETIRED_KEYS_MAX: NLA_U32, the bound on the two
 *          together: module parameter retired_keys, or user_retired_keys
 *          where lower for a namespace owned by a user namespace other
 *          than the initial one; a context with new material past it is
 *          refused, -ENOSPC (namespace query only)
 *
 * COAPSEC_CMD_STATS_RESET
 * -----------------------
 *
 * Zeroes the namespace's counters and every context's, or, given
 * COAPSEC_A_STATS { COAPSEC_A_STATS_CONTEXT_ID }, one context's.
 *
 * COAPSEC_CMD_FLUSH
 * -----------------
 *
 * Deletes every policy, then every context, of the namespace.
 *
 * COAPSEC_CMD_AGENT_REGISTER
 * --------------------------
 *
 * Takes:
 *
 *    COAPSEC_A_AGENT: NLA_NESTED
 *       COAPSEC_A_AGENT_QUEUE_NUM: NLA_U32, 0..COAPSEC_MAX_QUEUE_NUM,
 *          required: the NFQUEUE queue the agent consumes
 *
 * Makes the requesting netlink socket the agent of that queue in the
 * namespace, until the socket is closed (the kernel drops the
 * registration on its release, however the process ends): keep it open
 * for as long as the queue is served.  One socket may register several
 * queues; registering again from the same socket is a no-op.  EBUSY when
 * another socket holds the queue.  No reply beyond the ACK.
 *
 * COAPSEC_CMD_EVENT_NTF (multicast group COAPSEC_MCGRP_EVENTS)
 * -----------------------------------------------------------
 *
 *    COAPSEC_A_EVENT: NLA_NESTED
 *       COAPSEC_A_EVENT_TYPE: NLA_U8, COAPSEC_EVENT_*
 *       COAPSEC_A_EVENT_CONTEXT_ID: NLA_U32
 *       COAPSEC_A_EVENT_SEQ: NLA_U64, the sender sequence number (limits);
 *          for COAPSEC_EVENT_SEQ_CHECKPOINT the value to persist: a
 *          re-created context starts there (SEQ_START), and once it is
 *          persisted it is the context's next SEQ_PERSISTED.  Sent when
 *          the number reaches a multiple of K (value number + 2K), and
 *          once per ceiling when a message is refused at the ceiling
 *          (value ceiling + 2K)
 *       COAPSEC_A_EVENT_KID: NLA_BINARY, the recipient concerned (replay,
 *          authentication failure)
 *       COAPSEC_A_EVENT_COUNT: NLA_U32, for rate-limited reports: how many
 *          such events this report stands for (the suppressed ones
 *          included)
 */
#ifndef _UAPI_LINUX_COAPSEC_H
#define _UAPI_LINUX_COAPSEC_H

#include "coapsec-gen.h"

/* Sender sequence numbers stay below 2^40 (RFC 8613 §7.2.1). */
#define COAPSEC_SEQ_MAX		((1ULL << 40) - 1)

#endif /* _UAPI_LINUX_COAPSEC_H */
