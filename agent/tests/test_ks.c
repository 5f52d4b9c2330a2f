// SPDX-License-Identifier: GPL-2.0
/* Ks derivation (TR-0012 8.2.1) against selftests/vectors/tr0012-ks.json. */
#include <string.h>

#include <jansson.h>

#include "kselftest_harness.h"
#include "agent/config.h"
#include "agent/ks.h"

static json_t *vectors(struct __test_metadata *_metadata)
{
	json_error_t je;
	json_t *v = json_load_file(COAPSEC_VECTORS "/tr0012-ks.json", 0, &je);

	ASSERT_NE(NULL, v) TH_LOG("%s: %s", COAPSEC_VECTORS, je.text);
	return v;
}

TEST(label_matches_vectors)
{
	json_t *v = vectors(_metadata);
	char hex[2 * sizeof(KS_LABEL)];

	hex_encode((const uint8_t *)KS_LABEL, strlen(KS_LABEL), hex);
	EXPECT_STREQ(json_string_value(json_object_get(v, "label_hex")), hex);
	json_decref(v);
}

TEST(nfkc_of_member_ids)
{
	json_t *v = vectors(_metadata), *c;
	size_t i;

	json_array_foreach(json_object_get(v, "cases"), i, c) {
		char norm[256], hex[512];
		int n = ks_normalize_id(json_string_value(json_object_get(c, "member_id")),
					norm, sizeof(norm));

		ASSERT_GE(n, 0);
		hex_encode((uint8_t *)norm, (size_t)n, hex);
		EXPECT_STREQ(json_string_value(json_object_get(c, "member_id_nfkc_utf8")),
			     hex);
	}
	json_decref(v);
}

TEST(ks_vectors)
{
	json_t *v = vectors(_metadata), *c;
	uint8_t kpsa[64], rand[KS_RAND_LEN], ks[KS_LEN];
	int klen;
	size_t i, n = 0;

	klen = hex_decode(json_string_value(json_object_get(v, "kpsa")), kpsa,
			  sizeof(kpsa));
	ASSERT_EQ(32, klen);
	ASSERT_EQ(KS_RAND_LEN, hex_decode(json_string_value(json_object_get(v, "rand")),
					  rand, sizeof(rand)));
	json_array_foreach(json_object_get(v, "cases"), i, c) {
		char hex[2 * KS_LEN + 1];

		ASSERT_EQ(0, ks_derive(kpsa, (size_t)klen,
				       json_string_value(json_object_get(c, "member_id")),
				       rand, ks));
		hex_encode(ks, KS_LEN, hex);
		EXPECT_STREQ(json_string_value(json_object_get(c, "ks")), hex)
			TH_LOG("member %s", json_string_value(json_object_get(c, "member_id")));
		n++;
	}
	EXPECT_EQ(4, n);
	json_decref(v);
}

/* Compatibility forms fold together; different IDs never do. */
TEST(nfkc_equivalent_ids_same_ks)
{
	uint8_t kpsa[32] = { 1 }, rand[KS_RAND_LEN] = { 2 }, a[KS_LEN], b[KS_LEN];

	ASSERT_EQ(0, ks_derive(kpsa, sizeof(kpsa), "\xef\xbc\xa3SE1", rand, a));
	ASSERT_EQ(0, ks_derive(kpsa, sizeof(kpsa), "CSE1", rand, b));
	EXPECT_EQ(0, memcmp(a, b, KS_LEN));
	/* "e" + combining acute (decomposed) vs precomposed U+00E9. */
	ASSERT_EQ(0, ks_derive(kpsa, sizeof(kpsa), "Cafe\xcc\x81", rand, a));
	ASSERT_EQ(0, ks_derive(kpsa, sizeof(kpsa), "Caf\xc3\xa9", rand, b));
	EXPECT_EQ(0, memcmp(a, b, KS_LEN));
	ASSERT_EQ(0, ks_derive(kpsa, sizeof(kpsa), "CSE2", rand, b));
	EXPECT_NE(0, memcmp(a, b, KS_LEN));
	/* A fresh Rand gives a fresh Ks. */
	ASSERT_EQ(0, ks_derive(kpsa, sizeof(kpsa), "CSE1", rand, a));
	rand[31] ^= 1;
	ASSERT_EQ(0, ks_derive(kpsa, sizeof(kpsa), "CSE1", rand, b));
	EXPECT_NE(0, memcmp(a, b, KS_LEN));
}

TEST(invalid_utf8_refused)
{
	uint8_t kpsa[32] = { 0 }, rand[KS_RAND_LEN] = { 0 }, ks[KS_LEN];
	char out[8];

	EXPECT_EQ(-1, ks_derive(kpsa, sizeof(kpsa), "bad\xff", rand, ks));
	EXPECT_EQ(-1, ks_derive(kpsa, sizeof(kpsa), "\xc3", rand, ks));
	EXPECT_EQ(-1, ks_normalize_id("longer than eight", out, sizeof(out)));
}

TEST_HARNESS_MAIN
