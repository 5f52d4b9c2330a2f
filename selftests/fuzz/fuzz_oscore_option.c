// SPDX-License-Identifier: GPL-2.0
/* OSCORE option decode: safe, and canonical: encode(decode(x)) == x. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 out[OSCORE_OPT_MAX_LEN];
	struct oscore_option o;
	int len;

	if (oscore_option_decode(data, size, &o))
		return 0;
	FUZZ_CHECK(o.piv_len <= OSCORE_PIV_MAX_LEN);
	FUZZ_CHECK(oscore_piv_to_seq(o.piv, o.piv_len) <= OSCORE_SEQ_MAX);
	len = oscore_option_encode(&o, out, sizeof(out));
	FUZZ_CHECK(len >= 0 && (size_t)len == size);
	FUZZ_CHECK(!size || !memcmp(out, data, size));
	return 0;
}
