// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "compat.h"
#include "codec_err.h"

static const char *const codec_errs[] = {
	[CODEC_ETRUNC - CODEC_EBASE] = "truncated",
	[CODEC_EVERSION - CODEC_EBASE] = "CoAP version is not 1",
	[CODEC_ETKL - CODEC_EBASE] = "reserved token length",
	[CODEC_EDELTA - CODEC_EBASE] = "reserved option delta",
	[CODEC_ELENGTH - CODEC_EBASE] = "reserved option length",
	[CODEC_EOPTNUM - CODEC_EBASE] = "option number overflow",
	[CODEC_EPAYLOAD - CODEC_EBASE] = "payload marker without payload",
	[CODEC_EEMPTY - CODEC_EBASE] = "Empty message is not empty",
	[CODEC_ETOOMANY - CODEC_EBASE] = "too many options",
	[CODEC_EORDER - CODEC_EBASE] = "options out of order",
	[CODEC_ENOSPC - CODEC_EBASE] = "output buffer too small",
	[CODEC_EOSC_RESERVED - CODEC_EBASE] = "OSCORE option: reserved bits",
	[CODEC_EOSC_FORMAT - CODEC_EBASE] = "OSCORE option: malformed value",
	[CODEC_EOSC_PIV - CODEC_EBASE] = "OSCORE option: Partial IV not minimal",
	[CODEC_EOSC_MISSING - CODEC_EBASE] = "OSCORE option missing",
	[CODEC_EOSC_DUP - CODEC_EBASE] = "OSCORE option repeated",
	[CODEC_ECTX - CODEC_EBASE] = "unusable security context",
	[CODEC_ESEQ - CODEC_EBASE] = "sequence number exhausted",
	[CODEC_ECODE - CODEC_EBASE] = "code is neither request nor response",
	[CODEC_EPROTECTED - CODEC_EBASE] = "message already protected",
	[CODEC_EUNSUPPORTED - CODEC_EBASE] = "unsupported option",
	[CODEC_ENOBINDING - CODEC_EBASE] = "response without its request",
	[CODEC_ENOPIV - CODEC_EBASE] = "request without Partial IV",
	[CODEC_ENOKID - CODEC_EBASE] = "kid missing",
	[CODEC_ENOKIDCTX - CODEC_EBASE] = "kid context missing",
	[CODEC_EKID - CODEC_EBASE] = "unknown kid",
	[CODEC_EKIDCTX - CODEC_EBASE] = "unknown kid context",
	[CODEC_ESHORT - CODEC_EBASE] = "ciphertext too short",
	[CODEC_EAUTH - CODEC_EBASE] = "authentication failed",
	[CODEC_EINNER - CODEC_EBASE] = "option not allowed in plaintext",
	[CODEC_EGROUP - CODEC_EBASE] = "group mode message (Group Flag set)",
	[CODEC_ENOTGROUP - CODEC_EBASE] = "Group Flag clear where group mode is required",
	[CODEC_ECBOR - CODEC_EBASE] = "malformed CBOR",
	[CODEC_ECRED - CODEC_EBASE] = "unusable authentication credential",
	[CODEC_ESIG - CODEC_EBASE] = "countersignature does not verify",
};

const char *codec_strerror(int err)
{
	unsigned int i = (unsigned int)-err - CODEC_EBASE;

	if (err >= 0)
		return "success";
	if (-err < CODEC_EBASE || i >= ARRAY_SIZE(codec_errs) || !codec_errs[i])
		return "system error";
	return codec_errs[i];
}
