// SPDX-License-Identifier: GPL-2.0
/*
 * CoAP parse: never crashes or over-reads, and the encoding it accepts is
 * canonical, so serialize(parse(x)) == x.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 out[FUZZ_MAX_MSG];
	struct coap_msg m;
	int len;

	if (size > FUZZ_MAX_MSG)
		return 0;
	if (coap_parse(data, size, &m))
		return 0;
	len = coap_serialize(&m, out, sizeof(out));
	FUZZ_CHECK(len >= 0 && (size_t)len == size);
	FUZZ_CHECK(!memcmp(out, data, size));
	/* and fails cleanly into a buffer one byte too short */
	if (size)
		FUZZ_CHECK(coap_serialize(&m, out, size - 1) == -CODEC_ENOSPC);
	return 0;
}
