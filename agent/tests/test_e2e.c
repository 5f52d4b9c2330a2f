// SPDX-License-Identifier: GPL-2.0
/*
 * The end-to-end messages under Ksx (OSCORE through the project's codec):
 * the Service Request verifies at the server, a replay or a changed byte
 * does not, and the keying material in the answer reads only with the
 * member's Ksx.  Both sides' contexts come from the same derivation.
 */
#include <string.h>

#include "kselftest_harness.h"
#include "agent/contexts.h"
#include "agent/e2e.h"
#include "agent/ks.h"

static const char ksid[] = "dev-1@in-cse";

static void keys(uint8_t ks[KS_LEN], const char *id)
{
	uint8_t kpsa[16] = { 7 }, rand[KS_RAND_LEN] = { 9 };

	ks_derive(kpsa, sizeof(kpsa), id, rand, ks);
}

TEST(service_request_round_trip)
{
	uint8_t ks[KS_LEN], msg[E2E_MAX_MSG], resp[E2E_MAX_MSG], code;
	struct oscore_binding b_dev, b_srv;
	struct e2e dev, srv;
	const uint8_t *pl;
	char path[32];
	uint64_t seq;
	size_t plen;
	int n, r;

	keys(ks, "dev-1");
	ASSERT_EQ(0, e2e_init(&dev, ks, ksid, false));
	ASSERT_EQ(0, e2e_init(&srv, ks, ksid, true));
	n = e2e_protect_request(&dev, 5, "sr", "{\"id\":\"dev-1\"}", msg,
				sizeof(msg), &b_dev);
	ASSERT_GT(n, 0);
	/* The plaintext is not on the wire; the kid context is. */
	EXPECT_EQ(NULL, memmem(msg, n, "dev-1\"", 6));
	EXPECT_NE(NULL, memmem(msg, n, ksid, strlen(ksid)));
	ASSERT_EQ(0, e2e_unprotect_request(&srv, msg, n, -1, &b_srv, &seq, path,
					   sizeof(path), &pl, &plen));
	EXPECT_EQ(5, seq);
	EXPECT_STREQ("/sr", path);
	ASSERT_EQ(14, plen);
	EXPECT_EQ(0, memcmp(pl, "{\"id\":\"dev-1\"}", plen));

	r = e2e_protect_response(&srv, &b_srv, COAP_CODE(2, 4),
				 "{\"groups\":[]}", resp, sizeof(resp));
	ASSERT_GT(r, 0);
	ASSERT_EQ(0, e2e_unprotect_response(&dev, &b_dev, resp, r, &code, &pl,
					    &plen));
	EXPECT_EQ(COAP_CODE(2, 4), code);
	EXPECT_EQ(0, memcmp(pl, "{\"groups\":[]}", plen));
	e2e_free(&dev);
	e2e_free(&srv);
}

TEST(replay_and_tampering_refused)
{
	uint8_t ks[KS_LEN], msg[E2E_MAX_MSG], copy[E2E_MAX_MSG];
	struct oscore_binding b;
	struct e2e dev, srv;
	const uint8_t *pl;
	char path[32];
	uint64_t seq;
	size_t plen;
	int n;

	keys(ks, "dev-1");
	ASSERT_EQ(0, e2e_init(&dev, ks, ksid, false));
	ASSERT_EQ(0, e2e_init(&srv, ks, ksid, true));
	n = e2e_protect_request(&dev, 3, "sr", "{\"id\":\"dev-1\"}", msg,
				sizeof(msg), &b);
	ASSERT_GT(n, 0);
	memcpy(copy, msg, n);
	/* Seen up to 3 already: a replay, refused before decrypting. */
	EXPECT_EQ(-2, e2e_unprotect_request(&srv, copy, n, 3, &b, &seq, path,
					    sizeof(path), &pl, &plen));
	/* One changed ciphertext byte (what a gateway could try). */
	memcpy(copy, msg, n);
	copy[n - 3] ^= 1;
	EXPECT_EQ(-1, e2e_unprotect_request(&srv, copy, n, -1, &b, &seq, path,
					    sizeof(path), &pl, &plen));
	e2e_free(&dev);
	e2e_free(&srv);
}

TEST(another_members_ks_cannot_read)
{
	uint8_t ks1[KS_LEN], ks2[KS_LEN], msg[E2E_MAX_MSG];
	struct oscore_binding b;
	struct e2e dev, srv;
	const uint8_t *pl;
	char path[32];
	uint64_t seq;
	size_t plen;
	int n;

	keys(ks1, "dev-1");
	keys(ks2, "dev-2");
	ASSERT_NE(0, memcmp(ks1, ks2, KS_LEN));
	ASSERT_EQ(0, e2e_init(&dev, ks1, ksid, false));
	ASSERT_EQ(0, e2e_init(&srv, ks2, ksid, true));
	n = e2e_protect_request(&dev, 0, "sr", "{}", msg, sizeof(msg), &b);
	ASSERT_GT(n, 0);
	EXPECT_EQ(-1, e2e_unprotect_request(&srv, msg, n, -1, &b, &seq, path,
					    sizeof(path), &pl, &plen));
	e2e_free(&dev);
	e2e_free(&srv);
}

/*
 * A software context holding what the kernel gets for @c (keys, Common
 * IV, IDs), to compare what both would put on the wire.
 */
static int as_kernel(struct e2e *k, const struct actx *c, bool server_side)
{
	if (e2e_init(k, c->info.recipients[0].key, ksid, server_side))
		return -1;
	oscore_mbedtls_key_free(&k->sw.sender);
	oscore_mbedtls_key_free(&k->sw.recipient);
	if (oscore_mbedtls_key_init(&k->sw.sender, k->sw.ctx.alg,
				    c->info.sender_key, c->info.sender_key_len) ||
	    oscore_mbedtls_key_init(&k->sw.recipient, k->sw.ctx.alg,
				    c->info.recipients[0].key,
				    c->info.recipients[0].key_len))
		return -1;
	memcpy(k->sw.ctx.common_iv, c->info.common_iv, c->info.common_iv_len);
	memcpy(k->sw.id_context, c->info.id_context, c->info.id_context_len);
	k->sw.ctx.id_context_len = c->info.id_context_len;
	memcpy(k->sw.ctx.sender_id, c->info.sender_id, c->info.sender_id_len);
	k->sw.ctx.sender_id_len = c->info.sender_id_len;
	memcpy(k->sw.ctx.recipient_id, c->info.recipients[0].id,
	       c->info.recipients[0].id_len);
	k->sw.ctx.recipient_id_len = c->info.recipients[0].id_len;
	return 0;
}

/* The last @n bytes (ciphertext and tag) of two messages. */
static bool same_tail(const uint8_t *a, int na, const uint8_t *b, int nb,
		      int n)
{
	return na >= n && nb >= n && !memcmp(a + na - n, b + nb - n, n);
}

/*
 * The Service Request exchange and the pairwise context share Ks: they
 * must not share a (key, nonce).  Both start at Partial IV 0, and the
 * server's answer reuses the request's nonce, as the kernel's first
 * answer to a request with that Partial IV does.  The gateway relays both
 * and knows what the Service Request says.
 */
TEST(service_request_and_pairwise_key_spaces_differ)
{
	static const char pt[] = "{\"id\":\"dev-1\"}";
	const int tail = (int)sizeof(pt) - 1 + 8;	/* ciphertext + tag */
	uint8_t ks[KS_LEN], m_sr[E2E_MAX_MSG], m_k[E2E_MAX_MSG];
	uint8_t r_sr[E2E_MAX_MSG], r_k[E2E_MAX_MSG];
	struct oscore_binding b_sr, b_k, b_srv;
	struct e2e dev_sr, srv_sr, dev_k, srv_k, dev_mix;
	struct actx d, s;
	const uint8_t *pl;
	uint64_t seq;
	size_t plen;
	char path[32];
	int n_sr, n_k, n_mix, rn_sr, rn_k;

	keys(ks, "dev-1");
	ASSERT_EQ(0, e2e_init(&dev_sr, ks, ksid, false));
	ASSERT_EQ(0, e2e_init(&srv_sr, ks, ksid, true));
	ASSERT_EQ(0, actx_pairwise(&d, "dev-1", ks, ksid, false, 1000));
	ASSERT_EQ(0, actx_pairwise(&s, "dev-1", ks, ksid, true, 1000));
	/* The kernel's context keeps the ID context the members know (KsxId). */
	ASSERT_EQ(strlen(ksid), d.info.id_context_len);
	EXPECT_EQ(0, memcmp(d.info.id_context, ksid, strlen(ksid)));

	/* Another ID context, so other keys and another Common IV, both sides. */
	EXPECT_FALSE(dev_sr.sw.ctx.id_context_len == d.info.id_context_len &&
		     !memcmp(dev_sr.sw.ctx.id_context, d.info.id_context,
			     d.info.id_context_len));
	EXPECT_FALSE(srv_sr.sw.ctx.id_context_len == s.info.id_context_len &&
		     !memcmp(srv_sr.sw.ctx.id_context, s.info.id_context,
			     s.info.id_context_len));
	EXPECT_NE(0, memcmp(dev_sr.sw.ctx.common_iv, d.info.common_iv,
			    d.info.common_iv_len));
	EXPECT_NE(0, memcmp(srv_sr.sw.ctx.common_iv, s.info.common_iv,
			    s.info.common_iv_len));

	ASSERT_EQ(0, as_kernel(&dev_k, &d, false));
	ASSERT_EQ(0, as_kernel(&srv_k, &s, true));
	/* The kernel-equivalent contexts talk to each other... */
	n_k = e2e_protect_request(&dev_k, 0, "sr", pt, m_k, sizeof(m_k), &b_k);
	ASSERT_GT(n_k, 0);
	/* ...and the same plaintext at Partial IV 0 under the Service
	 * Request context is another ciphertext. */
	n_sr = e2e_protect_request(&dev_sr, 0, "sr", pt, m_sr, sizeof(m_sr),
				   &b_sr);
	ASSERT_GT(n_sr, 0);
	EXPECT_FALSE(same_tail(m_sr, n_sr, m_k, n_k, tail));
	EXPECT_NE(0, memcmp(b_sr.nonce, b_k.nonce, sizeof(b_sr.nonce)));

	/* Sender keys differ, not only the nonces: the kernel's key under
	 * the Service Request's Common IV is still another ciphertext. */
	ASSERT_EQ(0, as_kernel(&dev_mix, &d, false));
	memcpy(dev_mix.sw.ctx.common_iv, dev_sr.sw.ctx.common_iv,
	       sizeof(dev_mix.sw.ctx.common_iv));
	dev_mix.sw.ctx.id_context_len = dev_sr.sw.ctx.id_context_len;
	memcpy(dev_mix.sw.id_context, dev_sr.sw.ctx.id_context,
	       dev_sr.sw.ctx.id_context_len);
	n_mix = e2e_protect_request(&dev_mix, 0, "sr", pt, r_k, sizeof(r_k),
				    &b_srv);
	ASSERT_GT(n_mix, 0);
	EXPECT_FALSE(same_tail(m_sr, n_sr, r_k, n_mix, tail));

	/* The server's answers: under its Service Request context, and the
	 * kernel's answer to the same request under the pairwise context. */
	ASSERT_EQ(0, e2e_unprotect_request(&srv_sr, m_sr, n_sr, -1, &b_srv,
					   &seq, path, sizeof(path), &pl,
					   &plen));
	rn_sr = e2e_protect_response(&srv_sr, &b_srv, COAP_CODE(2, 4), pt,
				     r_sr, sizeof(r_sr));
	ASSERT_GT(rn_sr, 0);
	ASSERT_EQ(0, e2e_unprotect_request(&srv_k, m_k, n_k, -1, &b_srv,
					   &seq, path, sizeof(path), &pl,
					   &plen));
	rn_k = e2e_protect_response(&srv_k, &b_srv, COAP_CODE(2, 4), pt, r_k,
				    sizeof(r_k));
	ASSERT_GT(rn_k, 0);
	EXPECT_FALSE(same_tail(r_sr, rn_sr, r_k, rn_k, tail));

	e2e_free(&dev_sr);
	e2e_free(&srv_sr);
	e2e_free(&dev_k);
	e2e_free(&srv_k);
	e2e_free(&dev_mix);
	actx_wipe(&d);
	actx_wipe(&s);
}

/* The contexts the kernel gets: each side's sender key is the other's recipient key. */
TEST(pairwise_and_group_contexts_mirror)
{
	uint8_t ks[KS_LEN];
	struct group_msg g = { .name = "lights", .epoch = 3, .alg = 10,
			       .gid = { 1, 2, 3, 4 }, .secret = { 5 },
			       .secret_len = 16, .salt = { 6 },
			       .sid = { 0x02 }, .sid_len = 1, .n_members = 2,
			       .member_sid = { { 0x01 }, { 0x02 } },
			       .member_sid_len = { 1, 1 } }, g2, g3;
	struct actx d, s, gm, gg, gg2;

	/* The member's copy names the group's gateways, 00 and 05... */
	g.n_gateways = 2;
	g.gw_sid[1][0] = 0x05;
	g.gw_sid_len[0] = g.gw_sid_len[1] = 1;
	/* ...each gateway's copy its own sender ID. */
	g2 = g;
	g2.sid[0] = 0x00;
	g3 = g;
	g3.sid[0] = 0x05;

	keys(ks, "dev-1");
	ASSERT_EQ(0, actx_pairwise(&d, "dev-1", ks, ksid, false, 100));
	ASSERT_EQ(0, actx_pairwise(&s, "dev-1", ks, ksid, true, 100));
	EXPECT_EQ(0, memcmp(d.info.sender_key, s.info.recipients[0].key, 16));
	EXPECT_EQ(0, memcmp(s.info.sender_key, d.info.recipients[0].key, 16));
	EXPECT_EQ(0, memcmp(d.info.common_iv, s.info.common_iv, 13));
	EXPECT_EQ(0x01, d.info.sender_id[0]);
	EXPECT_EQ(0x00, s.info.sender_id[0]);
	EXPECT_EQ(strlen(ksid), d.info.id_context_len);

	ASSERT_EQ(0, actx_group_member(&gm, &g, 100));
	ASSERT_EQ(0, actx_group_gateway(&gg, &g2, 100));
	ASSERT_EQ(0, actx_group_gateway(&gg2, &g3, 100));
	EXPECT_EQ(2, gg.info.n_recipients);
	EXPECT_EQ(0, memcmp(gm.info.sender_key, gg.info.recipients[1].key, 16));
	EXPECT_NE(0, memcmp(gm.info.sender_key, gg.info.recipients[0].key, 16));
	EXPECT_EQ(0, memcmp(gm.info.id_context, g.gid, 4));
	EXPECT_EQ(3, gm.epoch);
	/* Each gateway sends with its own ID; the member verifies both. */
	EXPECT_EQ(0x00, gg.info.sender_id[0]);
	EXPECT_EQ(0x05, gg2.info.sender_id[0]);
	EXPECT_NE(0, memcmp(gg.info.sender_key, gg2.info.sender_key, 16));
	ASSERT_EQ(2, gm.info.n_recipients);
	EXPECT_EQ(0x00, gm.info.recipients[0].id[0]);
	EXPECT_EQ(0x05, gm.info.recipients[1].id[0]);
	EXPECT_EQ(0, memcmp(gg.info.sender_key, gm.info.recipients[0].key, 16));
	EXPECT_EQ(0, memcmp(gg2.info.sender_key, gm.info.recipients[1].key, 16));
	actx_wipe(&gg2);
	actx_wipe(&d);
	actx_wipe(&s);
	actx_wipe(&gm);
	actx_wipe(&gg);
}

/*
 * A group of thousands (TR-0012 5.2, smart meters): the gateway's context
 * verifies every member, the material goes through JSON whole, and the
 * agent's set keeps its own copy of the recipients.
 */
TEST(group_of_thousands)
{
	static struct group_msg g, back;
	struct actx gg, m, *slot;
	struct ctxset set = { 0 };
	json_t *j;
	size_t i;

	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "meters");
	g.epoch = 1;
	g.alg = 10;
	g.secret_len = 16;
	g.secret[0] = 7;
	g.n_members = 5000;
	for (i = 0; i < g.n_members; i++) {
		g.member_sid[i][0] = (uint8_t)((i + 1) >> 8);
		g.member_sid[i][1] = (uint8_t)(i + 1);
		g.member_sid_len[i] = 2;
	}
	j = group_msg_to_json(&g);
	ASSERT_EQ(0, group_msg_from_json(j, &back));
	json_decref(j);
	EXPECT_EQ(5000, back.n_members);
	EXPECT_EQ(0, memcmp(back.member_sid[4999], g.member_sid[4999], 2));

	ASSERT_EQ(0, actx_group_gateway(&gg, &back, 100));
	EXPECT_EQ(5000, gg.info.n_recipients);
	/* The last member's sender key is what the gateway verifies it with. */
	memcpy(back.sid, g.member_sid[4999], 2);
	back.sid_len = 2;
	ASSERT_EQ(0, actx_group_member(&m, &back, 100));
	EXPECT_EQ(0, memcmp(m.info.sender_key, gg.info.recipients[4999].key, 16));
	EXPECT_NE(0, memcmp(m.info.sender_key, gg.info.recipients[64].key, 16));

	slot = ctxset_put(&set, &gg);
	ASSERT_NE(NULL, slot);
	EXPECT_NE(gg.info.recipients, slot->info.recipients);
	actx_wipe(&gg);
	EXPECT_EQ(5000, slot->info.n_recipients);
	EXPECT_EQ(0, memcmp(m.info.sender_key, slot->info.recipients[4999].key,
			    16));
	/* Replacing it (a rekey) frees the old copy: ASan would tell. */
	ASSERT_EQ(0, actx_group_gateway(&gg, &back, 100));
	ASSERT_NE(NULL, ctxset_put(&set, &gg));
	EXPECT_EQ(1, set.n);
	actx_wipe(&gg);
	actx_wipe(&m);
	ctxset_free(&set);
	group_msg_wipe(&back);
}

/* The material survives its JSON form. */
TEST(group_material_json)
{
	struct group_msg g = { .name = "doors", .epoch = 9, .alg = 10,
			       .gid = { 9, 8, 7, 6 }, .secret = { 1, 2 },
			       .secret_len = 32, .salt = { 3 },
			       .sid = { 0x01, 0x02 }, .sid_len = 2,
			       .n_gateways = 2, .gw_sid = { { 0 }, { 1, 4 } },
			       .gw_sid_len = { 1, 2 } }, back;
	json_t *j = group_msg_to_json(&g);

	ASSERT_EQ(0, group_msg_from_json(j, &back));
	EXPECT_EQ(0, memcmp(&back, &g, sizeof(g)));
	json_object_set_new(j, "gid", json_string("0102"));
	EXPECT_EQ(-1, group_msg_from_json(j, &back));
	json_decref(j);
}

TEST_HARNESS_MAIN
