/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coapsecd's NFQUEUE worker for signed groups (agent/sgroup.h).  The
 * agent registers its generic netlink socket with coapsec for the queue
 * (COAPSEC_CMD_AGENT_REGISTER: while none is registered the kernel drops
 * and counts what queue policies match, queue_no_agent), binds the queue
 * with libnetfilter_queue and serves it from the agent's epoll loop:
 *
 *   LOCAL_OUT, FORWARD  a group request in clear: signed under the group
 *                       whose out (fwd) policy the packet matches, and
 *                       accepted with the new payload
 *   LOCAL_IN            a group mode request: signature verified, then
 *                       decrypted, replay checked; accepted in clear
 *
 * Anything else is dropped (NF_DROP) and counted by cause.  The queue is
 * never bound with NFQA_CFG_F_FAIL_OPEN (a full queue would pass messages
 * in clear) and never answered NF_REPEAT (the message would come back).
 */
#ifndef COAPSECD_NFQUEUE_H
#define COAPSECD_NFQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct agent;
struct sgq;

/* Registers and binds queue @queue for @a.  NULL with @err set. */
struct sgq *sgq_open(struct agent *a, uint16_t queue, char *err,
		     size_t errlen);
void sgq_close(struct sgq *q);
int sgq_fd(const struct sgq *q);
/* Serves every packet waiting (the fd is readable). */
void sgq_input(struct sgq *q);
void sgq_stats(const struct sgq *q, json_t *o);

/*
 * The UDP payload of the IPv4 or IPv6 packet @pkt (@len): its offset
 * (*@off) and length (*@plen).  0, or -1 (not a whole UDP datagram:
 * another protocol, an IPv6 extension header, a fragment, lengths that
 * do not add up).
 */
int sgq_udp_payload(const uint8_t *pkt, size_t len, size_t *off,
		    size_t *plen);
/*
 * The payload at @pkt + @off is now @plen bytes: sets the IP and UDP
 * lengths and recomputes the IPv4 header checksum and the UDP checksum.
 * The packet's new length.
 */
size_t sgq_udp_resize(uint8_t *pkt, size_t off, size_t plen);

/*
 * The signed group whose queued out (or fwd, @dir) policy the IP packet
 * @pkt, its UDP payload at @off, with fwmark @mark, matches; NULL when
 * none does, when policies of two groups do (fail closed: dropped and
 * counted as no_group), or when the group has no signed state here.
 */
const char *sgq_group_of(struct agent *a, const uint8_t *pkt, size_t off,
			 uint8_t dir, uint32_t mark);

#endif /* COAPSECD_NFQUEUE_H */
