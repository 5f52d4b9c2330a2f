// SPDX-License-Identifier: GPL-2.0
/*
 * Signed groups in coapsecd (agent/sgroup.h, agent/nfqueue.h) without a
 * kernel: a gateway signs group requests, devices verify them; forgery by
 * a member holding the group's keys, replays, a corrupted signature at
 * every byte, unknown senders and groups, plain CoAP, the sender's floor
 * across a restart; and the IP/UDP rewrite (lengths, checksums).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "kselftest_harness.h"
#include "agent/agent.h"
#include "agent/nfqueue.h"
#include "agent/sgroup.h"
#include "codec/coap.h"
#include "codec/oscore.h"
#include "tools/lib/oscore_group_sw.h"

/* NON POST /cmd "unlock" */
static const uint8_t cmd[] = { 0x51, 0x02, 0x12, 0x34, 0x42, 0xb3, 'c', 'm',
			       'd', 0xff, 'u', 'n', 'l', 'o', 'c', 'k' };

struct party {
	char key[256], state[256];
	uint8_t ccs[OSCORE_GROUP_CRED_MAX_LEN];
	size_t ccs_len;
	struct sgroups *s;
};

static char dir[] = "/tmp/test-sgroup-XXXXXX";
static int sig_alg = OSCORE_SIG_ES256;

static void party_new(struct __test_metadata *_metadata, struct party *p,
		      const char *name)
{
	struct oscore_group_key k;
	char err[512];
	const uint8_t *c;
	int n;

	snprintf(p->key, sizeof(p->key), "%s/%s.key", dir, name);
	snprintf(p->state, sizeof(p->state), "%s/%s.state", dir, name);
	if (access(p->key, F_OK)) {
		ASSERT_EQ(0, oscore_group_key_generate_alg(&k, sig_alg));
		ASSERT_EQ(0, oscore_group_key_save(&k, p->key, err, sizeof(err)));
		oscore_group_key_free(&k);
	}
	p->s = sgroups_open(p->key, p->state, name, 64, 5, err, sizeof(err));
	ASSERT_NE(NULL, p->s) TH_LOG("%s", err);
	c = sgroups_cred(p->s, &p->ccs_len);
	memcpy(p->ccs, c, p->ccs_len);
	n = (int)p->ccs_len;
	ASSERT_LT(0, n);
}

/* The group's keys as @sid sees them, with @n credentials. */
static struct sgroup_keys *keys(uint8_t sid, const struct party **cred,
				const uint8_t *cred_sid, size_t n, uint8_t gid0)
{
	struct sgroup_keys *k = sgroup_keys_new(n);

	k->alg = 10;
	k->sig_alg = sig_alg;
	memset(k->gid, 0xa0, GID_LEN);
	k->gid[0] = gid0;
	memset(k->secret, 0x11, 16);
	k->secret_len = 16;
	memset(k->salt, 0x22, SALT_LEN);
	k->sid[0] = sid;
	k->sid_len = 1;
	k->n_creds = n;
	for (size_t i = 0; i < n; i++) {
		k->creds[i].sid[0] = cred_sid[i];
		k->creds[i].sid_len = 1;
		memcpy(k->creds[i].ccs, cred[i]->ccs, cred[i]->ccs_len);
		k->creds[i].ccs_len = (uint16_t)cred[i]->ccs_len;
	}
	return k;
}

FIXTURE(grp) {
	struct party gw, dev, rogue;
};

FIXTURE_SETUP(grp)
{
	const struct party *c[3];
	const uint8_t sids[3] = { 0x00, 0x01, 0x02 };
	struct sgroup_keys *k;

	ASSERT_NE(NULL, mkdtemp(dir));
	party_new(_metadata, &self->gw, "gw");
	party_new(_metadata, &self->dev, "dev");
	party_new(_metadata, &self->rogue, "rogue");
	c[0] = &self->gw;
	c[1] = &self->dev;
	c[2] = &self->rogue;
	/* The gateway knows both devices; dev knows the gateway only. */
	k = keys(0x00, c, sids, 3, 0xa0);
	ASSERT_EQ(0, sgroups_install(self->gw.s, "doors", 1, k, 0));
	sgroup_keys_free(k);
	k = keys(0x01, c, sids, 1, 0xa0);
	ASSERT_EQ(0, sgroups_install(self->dev.s, "doors", 1, k, 0));
	sgroup_keys_free(k);
	/* rogue holds the group's keys, and signs as the gateway (kid 00) */
	k = keys(0x00, c, sids, 1, 0xa0);
	ASSERT_EQ(0, sgroups_install(self->rogue.s, "doors", 1, k, 0));
	sgroup_keys_free(k);
}

FIXTURE_TEARDOWN(grp)
{
	char cmdline[300];

	sgroups_close(self->gw.s);
	sgroups_close(self->dev.s);
	sgroups_close(self->rogue.s);
	snprintf(cmdline, sizeof(cmdline), "rm -rf %s", dir);
	if (system(cmdline))
		TH_LOG("cannot remove %s", dir);
	strcpy(dir, "/tmp/test-sgroup-XXXXXX");
}

static int protect(struct sgroups *s, uint8_t *out)
{
	bool limit;

	return sgroups_protect(s, "doors", cmd, sizeof(cmd), out, 512, &limit);
}

static json_t *stats(struct sgroups *s)
{
	json_t *o = json_object(), *j;

	sgroups_stats(s, o);
	j = json_incref(json_object_get(o, "sgroup"));
	json_decref(o);
	return j;
}

static long long count(struct sgroups *s, const char *name)
{
	json_t *j = stats(s);
	long long v = json_integer_value(json_object_get(j, name));

	json_decref(j);
	return v;
}

TEST_F(grp, signed_request_verifies_once)
{
	uint8_t out[512], pkt[512], plain[512];
	struct oscore_rx rx;
	int n, m;

	n = protect(self->gw.s, out);
	ASSERT_LT((int)sizeof(cmd), n);
	memcpy(pkt, out, n);
	ASSERT_EQ(0, oscore_unprotect_parse(pkt, n, &rx));
	EXPECT_TRUE(rx.opt.group);
	EXPECT_EQ(0, rx.seq);
	memcpy(pkt, out, n);
	m = sgroups_verify(self->dev.s, pkt, n, plain, sizeof(plain));
	ASSERT_EQ((int)sizeof(cmd), m);
	EXPECT_EQ(0, memcmp(plain, cmd, sizeof(cmd)));
	EXPECT_EQ(1, count(self->dev.s, "verified"));
	/* the same message again: a replay */
	memcpy(pkt, out, n);
	EXPECT_EQ(-SG_REPLAY, sgroups_verify(self->dev.s, pkt, n, plain,
					     sizeof(plain)));
	EXPECT_EQ(1, count(self->dev.s, "replay"));
	/* the next one verifies */
	n = protect(self->gw.s, out);
	EXPECT_EQ((int)sizeof(cmd), sgroups_verify(self->dev.s, out, n, plain,
						    sizeof(plain)));
}

TEST_F(grp, member_with_group_key_cannot_forge)
{
	uint8_t out[512], plain[512];
	int n = protect(self->rogue.s, out);

	ASSERT_LT(0, n);
	EXPECT_EQ(-SG_SIG_FAIL, sgroups_verify(self->dev.s, out, n, plain,
					       sizeof(plain)));
	EXPECT_EQ(1, count(self->dev.s, "sig_fail"));
	EXPECT_EQ(0, count(self->dev.s, "verified"));
}

TEST_F(grp, corrupted_signature_every_byte)
{
	uint8_t out[512], bad[512], plain[512];
	int n = protect(self->gw.s, out), i, fails = 0;

	ASSERT_LT(OSCORE_SIG_ES256_LEN, n);
	for (i = n - OSCORE_SIG_ES256_LEN; i < n; i++) {
		memcpy(bad, out, n);
		bad[i] ^= 1u << (i % 8);
		fails += sgroups_verify(self->dev.s, bad, n, plain,
					sizeof(plain)) == -SG_SIG_FAIL;
	}
	EXPECT_EQ(OSCORE_SIG_ES256_LEN, fails);
	EXPECT_EQ(OSCORE_SIG_ES256_LEN, count(self->dev.s, "sig_fail"));
	/* and the intact message still verifies: nothing was marked seen */
	EXPECT_EQ((int)sizeof(cmd), sgroups_verify(self->dev.s, out, n, plain,
						    sizeof(plain)));
}

TEST_F(grp, unknown_sender_group_and_plain)
{
	uint8_t out[512], plain[512], pkt[64];
	const struct party *c[1] = { &self->gw };
	const uint8_t sid0 = 0;
	struct sgroup_keys *k;
	int n;

	/* dev signs (kid 01): the other device holds no credential for it */
	k = keys(0x01, c, &sid0, 1, 0xa0);
	ASSERT_EQ(0, sgroups_install(self->rogue.s, "doors", 2, k, 0));
	sgroup_keys_free(k);
	n = protect(self->dev.s, out);
	EXPECT_LT(0, n);
	if (n > 0) {
		struct party dev2;

		party_new(_metadata, &dev2, "dev2");
		k = keys(0x03, c, &sid0, 1, 0xa0);
		ASSERT_EQ(0, sgroups_install(dev2.s, "doors", 1, k, 0));
		sgroup_keys_free(k);
		EXPECT_EQ(-SG_UNKNOWN_KID,
			  sgroups_verify(dev2.s, out, n, plain, sizeof(plain)));
		/* another Gid: no such group here */
		k = keys(0x03, c, &sid0, 1, 0xb0);
		ASSERT_EQ(0, sgroups_install(dev2.s, "doors", 2, k, 0));
		sgroup_keys_free(k);
		sgroups_tick(dev2.s, UINT64_MAX);	/* grace over */
		n = protect(self->dev.s, out);
		EXPECT_EQ(-SG_NO_GROUP,
			  sgroups_verify(dev2.s, out, n, plain, sizeof(plain)));
		/* plain CoAP where a signed group is required */
		memcpy(pkt, cmd, sizeof(cmd));
		EXPECT_EQ(-SG_UNSIGNED, sgroups_verify(dev2.s, pkt, sizeof(cmd),
						       plain, sizeof(plain)));
		/* garbage */
		memset(pkt, 0xff, sizeof(pkt));
		EXPECT_EQ(-SG_MALFORMED, sgroups_verify(dev2.s, pkt, 3, plain,
							sizeof(plain)));
		EXPECT_EQ(1, count(dev2.s, "unknown_kid"));
		EXPECT_EQ(1, count(dev2.s, "no_group"));
		EXPECT_EQ(1, count(dev2.s, "unsigned"));
		EXPECT_EQ(1, count(dev2.s, "malformed"));
		sgroups_close(dev2.s);
	}
	/* an outgoing message for a group this endpoint does not hold */
	{
		bool limit;

		EXPECT_EQ(-SG_NO_GROUP, sgroups_protect(self->gw.s, "lights",
							cmd, sizeof(cmd), out,
							sizeof(out), &limit));
	}
}

TEST_F(grp, rekey_previous_epoch_verifies_in_grace)
{
	const struct party *c[3] = { &self->gw, &self->dev, &self->rogue };
	const uint8_t sids[3] = { 0x00, 0x01, 0x02 };
	uint8_t old[512], out[512], plain[512];
	struct sgroup_keys *k;
	int n_old = protect(self->gw.s, old), n;

	k = keys(0x00, c, sids, 3, 0xc0);
	ASSERT_EQ(0, sgroups_install(self->gw.s, "doors", 2, k, 0));
	sgroup_keys_free(k);
	k = keys(0x01, c, sids, 1, 0xc0);
	ASSERT_EQ(0, sgroups_install(self->dev.s, "doors", 2, k, 0));
	sgroup_keys_free(k);
	n = protect(self->gw.s, out);
	EXPECT_EQ((int)sizeof(cmd), sgroups_verify(self->dev.s, out, n, plain,
						    sizeof(plain)));
	/* sent under epoch 1 before the rekey: still verifies */
	EXPECT_EQ((int)sizeof(cmd), sgroups_verify(self->dev.s, old, n_old,
						    plain, sizeof(plain)));
	/* once the grace period is over it does not */
	n_old = n;
	sgroups_tick(self->dev.s, UINT64_MAX);
	n_old = protect(self->rogue.s, old);	/* epoch 1 keys */
	EXPECT_EQ(-SG_NO_GROUP, sgroups_verify(self->dev.s, old, n_old, plain,
					       sizeof(plain)));
}

/* Installs @k as epoch @epoch of doors in @s, and frees it. */
static int install(struct sgroups *s, uint32_t epoch, struct sgroup_keys *k)
{
	int rc = k ? sgroups_install(s, "doors", epoch, k, 0) : -1;

	sgroup_keys_free(k);
	return rc;
}

/*
 * A member removed: the Group Manager rekeys without its credential.  It
 * still holds its key pair and the old epoch's keys, which the others keep
 * verifying during the grace period: its messages under them are refused
 * (unknown_kid), those of the members that stay still verify.  With
 * @again, the new epoch first comes with dev's credential, then the same
 * keys again without it.
 */
static void dev_removed(struct __test_metadata *_metadata,
			FIXTURE_DATA(grp) *self, bool again)
{
	const struct party *c[3] = { &self->gw, &self->dev, &self->rogue };
	const struct party *c2[2] = { &self->gw, &self->rogue };
	const uint8_t sids[3] = { 0x00, 0x01, 0x02 };
	const uint8_t sids2[2] = { 0x00, 0x02 };
	uint8_t before[512], after[512], stay[512], plain[512];
	int nb, na, ns;

	/* rogue sends as itself (kid 02) under epoch 1 */
	ASSERT_EQ(0, install(self->rogue.s, 1, keys(0x02, c, sids, 1, 0xa0)));
	nb = protect(self->dev.s, before);
	na = protect(self->dev.s, after);
	ns = protect(self->rogue.s, stay);
	ASSERT_LT(0, nb);
	ASSERT_LT(0, na);
	ASSERT_LT(0, ns);
	/* a member yet: the gateway verifies it */
	EXPECT_EQ((int)sizeof(cmd), sgroups_verify(self->gw.s, before, nb,
						    plain, sizeof(plain)));
	if (again)
		ASSERT_EQ(0, install(self->gw.s, 2, keys(0x00, c, sids, 3, 0xc0)));
	/* removed: epoch 2 without dev's credential */
	ASSERT_EQ(0, install(self->gw.s, 2, keys(0x00, c2, sids2, 2, 0xc0)));
	EXPECT_EQ(-SG_UNKNOWN_KID, sgroups_verify(self->gw.s, after, na, plain,
						  sizeof(plain)));
	EXPECT_EQ(1, count(self->gw.s, "unknown_kid"));
	/* rogue stays: its message sent before the rekey still verifies */
	EXPECT_EQ((int)sizeof(cmd), sgroups_verify(self->gw.s, stay, ns,
						    plain, sizeof(plain)));
	EXPECT_EQ(2, count(self->gw.s, "verified"));
}

TEST_F(grp, removed_member_refused_under_previous_epoch)
{
	dev_removed(_metadata, self, false);
}

TEST_F(grp, removed_member_refused_after_same_keys_again)
{
	dev_removed(_metadata, self, true);
}

/*
 * A removed member's credential is pruned from the previous epoch by its
 * bytes alone.  The Group Manager takes any CCS at join (no proof of
 * possession, no check of its subject, none that another member holds
 * it already): a member that stays (rogue, kid 02) registers dev's
 * public credential as its own.  dev (kid 01) is removed, and its
 * message under the previous epoch's keys must be refused: it verifies,
 * since the new keying material still holds those bytes (under kid 02).
 * Security review 15r, finding 1.
 */
TEST_F(grp, removed_member_refused_when_another_holds_its_credential)
{
	const struct party *c2[2] = { &self->gw, &self->dev };
	const uint8_t sids2[2] = { 0x00, 0x02 };
	uint8_t after[512], plain[512];
	int na;

	na = protect(self->dev.s, after);
	ASSERT_LT(0, na);
	/* epoch 2: dev gone; kid 02 holds the bytes of dev's credential */
	ASSERT_EQ(0, install(self->gw.s, 2, keys(0x00, c2, sids2, 2, 0xc0)));
	EXPECT_EQ(-SG_UNKNOWN_KID, sgroups_verify(self->gw.s, after, na, plain,
						  sizeof(plain)));
	EXPECT_EQ(0, count(self->gw.s, "verified"));
}

/*
 * The gateway signs under the group whose queued policy the command
 * matches.  Where policies of two signed groups match, the kernel picked
 * one by priority and insertion order, which the agent does not know:
 * nothing is signed (no_group), rather than signing under the first in
 * the configuration, whose keys would reach the wrong members.  Security
 * review 15r, finding 3.
 */
TEST_F(grp, overlapping_signed_group_policies_sign_nothing)
{
	const struct party *c1[1] = { &self->gw };
	const uint8_t sid0[1] = { 0x00 };
	struct cfg_policy pol[2];
	struct agent *a = calloc(1, sizeof(*a));
	/* IPv4, UDP to 224.0.1.187:5683, the payload at 28 */
	uint8_t pkt[28] = { 0x45, [9] = 17, [12] = 10, 0, 0, 1,
			    224, 0, 1, 187, [22] = 0x16, 0x33 };

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, sgroups_install(self->gw.s, "lights", 1,
				     keys(0x00, c1, sid0, 1, 0xb0), 0));
	memset(pol, 0, sizeof(pol));
	snprintf(pol[0].context, sizeof(pol[0].context), "group:doors");
	snprintf(pol[1].context, sizeof(pol[1].context), "group:lights");
	for (int i = 0; i < 2; i++) {
		pol[i].family = AF_INET;
		pol[i].direction = COAPSEC_DIR_OUT;
		pol[i].has_dst = true;
		pol[i].queued = true;
	}
	memcpy(pol[0].dst, (uint8_t[]){ 224, 0, 1, 187 }, 4);
	pol[0].dst_plen = 32;
	memcpy(pol[1].dst, (uint8_t[]){ 224, 0, 0, 0 }, 4);
	pol[1].dst_plen = 4;
	a->sg = self->gw.s;
	a->cfg.policies = pol;
	a->cfg.n_policies = 2;
	/* 224.0.1.187: both groups' policies */
	EXPECT_EQ(NULL, sgq_group_of(a, pkt, 28, COAPSEC_DIR_OUT, 0));
	/* 224.0.1.188: lights' alone */
	pkt[19] = 188;
	EXPECT_STREQ("lights", sgq_group_of(a, pkt, 28, COAPSEC_DIR_OUT, 0));
	/* doors' alone, once lights' policy no longer names that group */
	pkt[19] = 187;
	pol[1].dst_plen = 32;
	EXPECT_STREQ("doors", sgq_group_of(a, pkt, 28, COAPSEC_DIR_OUT, 0));
	/*
	 * A protect policy queued until its context is in (pairwise here)
	 * that matches too: nothing signed, its messages never sent under
	 * a group's keys.
	 */
	snprintf(pol[0].context, sizeof(pol[0].context), "pairwise");
	pkt[19] = 188;
	pol[1].dst_plen = 4;
	pol[0].dst_plen = 4;
	memcpy(pol[0].dst, (uint8_t[]){ 224, 0, 0, 0 }, 4);
	EXPECT_EQ(NULL, sgq_group_of(a, pkt, 28, COAPSEC_DIR_OUT, 0));
	pol[0].queued = false;
	EXPECT_STREQ("lights", sgq_group_of(a, pkt, 28, COAPSEC_DIR_OUT, 0));
	free(a);
}

/* The sender's floor: written ahead, and a restart sends above it. */
TEST_F(grp, sequence_never_repeats_across_restart)
{
	const struct party *c[3] = { &self->gw, &self->dev, &self->rogue };
	const uint8_t sids[3] = { 0x00, 0x01, 0x02 };
	uint8_t out[512], plain[512];
	struct sgroup_keys *k;
	struct oscore_rx rx;
	char err[512];
	json_t *st;
	uint64_t last = 0;
	int n, i;

	for (i = 0; i < 3 * SGROUP_FLOOR_INTERVAL; i++) {
		n = protect(self->gw.s, out);
		ASSERT_LT(0, n);
		ASSERT_EQ(0, oscore_unprotect_parse(out, n, &rx));
		last = rx.seq;
	}
	EXPECT_EQ(3 * SGROUP_FLOOR_INTERVAL - 1, (int)last);
	EXPECT_LE(3, count(self->gw.s, "floors_written"));
	st = json_load_file(self->gw.state, 0, NULL);
	EXPECT_NE(NULL, st);
	if (st) {
		const char *key;
		json_t *v;
		int found = 0;

		json_object_foreach(st, key, v) {
			found++;
			EXPECT_LT(last, (uint64_t)json_integer_value(
					   json_object_get(v, "seq")));
		}
		EXPECT_EQ(1, found);
	}
	json_decref(st);
	/* the agent stops (kill -9: nothing written at exit) and starts again */
	sgroups_close(self->gw.s);
	self->gw.s = sgroups_open(self->gw.key, self->gw.state, "gw", 64, 5,
				  err, sizeof(err));
	ASSERT_NE(NULL, self->gw.s);
	k = keys(0x00, c, sids, 3, 0xa0);
	ASSERT_EQ(0, sgroups_install(self->gw.s, "doors", 1, k, 0));
	sgroup_keys_free(k);
	n = protect(self->gw.s, out);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, oscore_unprotect_parse(out, n, &rx));
	EXPECT_LT(last, rx.seq);
	/* and it refuses what comes under keys whose windows it lost */
	n = protect(self->dev.s, out);
	EXPECT_EQ(-SG_REPLAY, sgroups_verify(self->gw.s, out, n, plain,
					     sizeof(plain)));
}

/* The floor cannot be written: the sender stops at it, never beyond. */
TEST_F(grp, unpersisted_floor_stops_the_sender)
{
	uint8_t out[512];
	char cmdline[300];
	int i, sent = 0;

	snprintf(cmdline, sizeof(cmdline), "rm -rf %s", dir);
	ASSERT_EQ(0, system(cmdline));
	for (i = 0; i < 3 * SGROUP_FLOOR_INTERVAL; i++)
		sent += protect(self->gw.s, out) > 0;
	EXPECT_EQ(2 * SGROUP_FLOOR_INTERVAL, sent);
	EXPECT_EQ(SGROUP_FLOOR_INTERVAL,
		  count(self->gw.s, "seq_unpersisted"));
	ASSERT_EQ(0, mkdir(dir, 0700));
}

TEST(eddsa_roundtrip)
{
	struct party a, b;
	const struct party *c[1];
	const uint8_t sid0 = 0;
	uint8_t out[512], plain[512];
	struct sgroup_keys *k;
	bool limit;
	int n;

	sig_alg = OSCORE_SIG_EDDSA;
	ASSERT_NE(NULL, mkdtemp(dir));
	party_new(_metadata, &a, "a");
	party_new(_metadata, &b, "b");
	c[0] = &a;
	k = keys(0x00, c, &sid0, 1, 0xa0);
	ASSERT_EQ(0, sgroups_install(a.s, "g", 1, k, 0));
	sgroup_keys_free(k);
	k = keys(0x01, c, &sid0, 1, 0xa0);
	ASSERT_EQ(0, sgroups_install(b.s, "g", 1, k, 0));
	sgroup_keys_free(k);
	n = sgroups_protect(a.s, "g", cmd, sizeof(cmd), out, sizeof(out), &limit);
	ASSERT_LT(0, n);
	EXPECT_EQ((int)sizeof(cmd), sgroups_verify(b.s, out, n, plain,
						    sizeof(plain)));
	n = sgroups_protect(a.s, "g", cmd, sizeof(cmd), out, sizeof(out), &limit);
	out[n - 1] ^= 1;
	EXPECT_EQ(-SG_SIG_FAIL, sgroups_verify(b.s, out, n, plain,
					       sizeof(plain)));
	sgroups_close(a.s);
	sgroups_close(b.s);
	sig_alg = OSCORE_SIG_ES256;
	{
		char cmdline[300];

		snprintf(cmdline, sizeof(cmdline), "rm -rf %s", dir);
		EXPECT_EQ(0, system(cmdline));
		strcpy(dir, "/tmp/test-sgroup-XXXXXX");
	}
}

/* The one's-complement sum of @b, folded. */
static uint16_t sum16(uint32_t s, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void check_udp(struct __test_metadata *_metadata, const uint8_t *p,
		      size_t len, bool v4)
{
	size_t ihl = v4 ? 20 : 40, ulen = len - ihl;
	uint32_t ph = 17 + (uint32_t)ulen;

	ph = sum16(ph, v4 ? p + 12 : p + 8, v4 ? 8 : 32);
	EXPECT_EQ(0xffff, sum16(ph, p + ihl, ulen));
	EXPECT_EQ(ulen, (size_t)(p[ihl + 4] << 8 | p[ihl + 5]));
	if (v4) {
		EXPECT_EQ(0xffff, sum16(0, p, 20));
		EXPECT_EQ(len, (size_t)(p[2] << 8 | p[3]));
	} else {
		EXPECT_EQ(len - 40, (size_t)(p[4] << 8 | p[5]));
	}
}

TEST(udp_rewrite_ipv4_ipv6)
{
	uint8_t p[600] = { 0 };
	size_t off, plen, len;

	/* IPv4 10.0.5.254 -> 224.0.1.187, UDP 40000 -> 5683, 16 bytes */
	p[0] = 0x45;
	p[3] = 20 + 8 + 16;
	p[6] = 0x40;		/* DF */
	p[8] = 1;
	p[9] = 17;
	memcpy(p + 12, (uint8_t[]){ 10, 0, 5, 254, 224, 0, 1, 187 }, 8);
	p[20] = 0x9c; p[21] = 0x40; p[22] = 0x16; p[23] = 0x33;
	p[25] = 8 + 16;
	memcpy(p + 28, cmd, 16);
	ASSERT_EQ(0, sgq_udp_payload(p, 44, &off, &plen));
	EXPECT_EQ(28, off);
	EXPECT_EQ(16, plen);
	memset(p + off, 0x5a, 101);	/* a longer payload, odd */
	len = sgq_udp_resize(p, off, 101);
	EXPECT_EQ(28 + 101, len);
	check_udp(_metadata, p, len, true);
	ASSERT_EQ(0, sgq_udp_payload(p, len, &off, &plen));
	EXPECT_EQ(101, plen);
	/* a fragment, another protocol, lengths that do not add up */
	p[6] = 0x20;
	EXPECT_EQ(-1, sgq_udp_payload(p, len, &off, &plen));
	p[6] = 0x40;
	p[9] = 6;
	EXPECT_EQ(-1, sgq_udp_payload(p, len, &off, &plen));
	p[9] = 17;
	EXPECT_EQ(-1, sgq_udp_payload(p, len - 1, &off, &plen));

	/* IPv6 fd00::1 -> ff02::fd */
	memset(p, 0, sizeof(p));
	p[0] = 0x60;
	p[5] = 8 + 16;
	p[6] = 17;
	p[7] = 64;
	p[8] = 0xfd; p[23] = 1;
	p[24] = 0xff; p[25] = 0x02; p[39] = 0xfd;
	p[40] = 0x9c; p[41] = 0x40; p[42] = 0x16; p[43] = 0x33;
	p[45] = 8 + 16;
	ASSERT_EQ(0, sgq_udp_payload(p, 64, &off, &plen));
	EXPECT_EQ(48, off);
	memset(p + off, 0xa5, 200);
	len = sgq_udp_resize(p, off, 200);
	EXPECT_EQ(248, len);
	check_udp(_metadata, p, len, false);
	/* an extension header first: not handled, dropped */
	p[6] = 0;
	EXPECT_EQ(-1, sgq_udp_payload(p, len, &off, &plen));
}

TEST_HARNESS_MAIN
