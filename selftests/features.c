// SPDX-License-Identifier: GPL-2.0
/*
 * The family is registered and answers the features query: module version,
 * API version and one entry per AEAD, with a driver for each AEAD this
 * kernel's crypto API can instantiate.  Expects coapsec to be loaded.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "coapsec_nl.h"
#include "kmod/version.h"
#include "uapi/linux/coapsec.h"

FIXTURE(family) {
	struct coapsec_nl *nl;
};

FIXTURE_SETUP(family)
{
	self->nl = coapsec_nl_open();
	ASSERT_NE(NULL, self->nl) TH_LOG("open: %s", strerror(errno));
}

FIXTURE_TEARDOWN(family)
{
	coapsec_nl_close(self->nl);
}

TEST_F(family, version)
{
	struct coapsec_features f;

	ASSERT_EQ(0, coapsec_nl_features_get(self->nl, &f))
		TH_LOG("%s", coapsec_nl_errmsg(self->nl));
	EXPECT_STREQ(COAPSEC_VERSION, f.version);
	EXPECT_EQ((uint32_t)COAPSEC_FAMILY_VERSION, f.api_version);
}

static const struct coapsec_alg_info *find_alg(const struct coapsec_features *f,
					       uint32_t id)
{
	unsigned int i;

	for (i = 0; i < f->n_algs; i++)
		if (f->algs[i].id == id)
			return &f->algs[i];
	return NULL;
}

TEST_F(family, algorithms)
{
	const struct coapsec_alg_info *a;
	struct coapsec_features f;
	unsigned int i;

	ASSERT_EQ(0, coapsec_nl_features_get(self->nl, &f));
	ASSERT_EQ(4U, f.n_algs);

	/* The Debian kernel has all four; CCM is OSCORE's mandatory one. */
	a = find_alg(&f, 10);
	ASSERT_NE(NULL, a);
	EXPECT_STREQ("AES-CCM-16-64-128", a->name);
	EXPECT_STREQ("ccm(aes)", a->crypto_name);
	EXPECT_EQ(16U, a->key_len);
	EXPECT_EQ(13U, a->nonce_len);
	EXPECT_EQ(8U, a->tag_len);
	for (i = 0; i < f.n_algs; i++) {
		a = &f.algs[i];
		TH_LOG("alg %u %s via %s: %s", a->id, a->name, a->crypto_name,
		       a->available ? a->driver : "unavailable");
		EXPECT_TRUE(a->available);
		EXPECT_NE(0U, strlen(a->driver));
	}
	a = find_alg(&f, 3);
	ASSERT_NE(NULL, a);
	EXPECT_EQ(32U, a->key_len);
	a = find_alg(&f, 24);
	ASSERT_NE(NULL, a);
	EXPECT_STREQ("rfc7539(chacha20,poly1305)", a->crypto_name);
}

/* With the softdeps loaded, CCM must not fall back to the generic C AES. */
TEST_F(family, ccm_accelerated)
{
	const struct coapsec_alg_info *a;
	struct coapsec_features f;

	ASSERT_EQ(0, coapsec_nl_features_get(self->nl, &f));
	a = find_alg(&f, 10);
	ASSERT_NE(NULL, a);
	if (!strstr(a->driver, "aesni"))
		SKIP(return, "no AES-NI here: %s", a->driver);
	EXPECT_NE(NULL, strstr(a->driver, "aes-aesni"));
}

TEST_HARNESS_MAIN
