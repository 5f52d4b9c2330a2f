/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the libFuzzer targets: a stand-in AEAD that lets inputs reach
 * the code behind the tag check, and the fixed contexts.
 */
#ifndef COAPSEC_FUZZ_COMMON_H
#define COAPSEC_FUZZ_COMMON_H

#include <stdlib.h>

#include "codec/coap.h"
#include "codec/codec_err.h"
#include "codec/oscore.h"

#define FUZZ_MAX_MSG	4096

/*
 * Identity "AEAD" whose tag is all zeros: the fuzzer can forge it, so
 * unprotect's plaintext parsing and option merging get fuzzed too.  The
 * real AEADs are exercised by the round-trip target.
 */
static int fuzz_null_encrypt(struct oscore_aead_req *req)
{
	memset(req->buf + req->len, 0, req->alg->tag_len);
	return 0;
}

static int fuzz_null_decrypt(struct oscore_aead_req *req)
{
	size_t i;

	for (i = 0; i < req->alg->tag_len; i++)
		if (req->buf[req->len + i])
			return -EBADMSG;
	return 0;
}

static const struct oscore_aead_ops fuzz_null_ops = {
	.encrypt = fuzz_null_encrypt,
	.decrypt = fuzz_null_decrypt,
};

#define FUZZ_CHECK(cond) do { if (!(cond)) abort(); } while (0)

#endif /* COAPSEC_FUZZ_COMMON_H */
