/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Why the codec rejected a message.  Codec functions return 0 (or a
 * length) on success, -CODEC_E* for a message that is wrong, or a
 * negative errno passed up from an AEAD implementation (-EINPROGRESS,
 * -ENOMEM).  The codes start above every errno value so that the two
 * never collide, and each malformation has its own code so that tests
 * and counters can tell them apart.
 */
#ifndef COAPSEC_CODEC_ERR_H
#define COAPSEC_CODEC_ERR_H

enum codec_err {
	CODEC_EBASE = 1000,
	/* CoAP (RFC 7252) framing */
	CODEC_ETRUNC = CODEC_EBASE,	/* ends inside a header, token or option */
	CODEC_EVERSION,		/* version is not 1 */
	CODEC_ETKL,		/* token length 9-15 (reserved) */
	CODEC_EDELTA,		/* option delta nibble 15 (reserved) */
	CODEC_ELENGTH,		/* option length nibble 15 (reserved) */
	CODEC_EOPTNUM,		/* option number above 65535 */
	CODEC_EPAYLOAD,		/* payload marker followed by no payload */
	CODEC_EEMPTY,		/* Empty message (0.00) carrying more than a header */
	CODEC_ETOOMANY,		/* more options than COAP_MAX_OPTIONS */
	CODEC_EORDER,		/* options to serialize are not sorted */
	CODEC_ENOSPC,		/* output buffer too small */
	/* OSCORE option (RFC 8613 §6.1) */
	CODEC_EOSC_RESERVED,	/* reserved flag bits or n = 6, 7 */
	CODEC_EOSC_FORMAT,	/* value inconsistent with its flags */
	CODEC_EOSC_PIV,		/* Partial IV with a leading zero byte */
	CODEC_EOSC_MISSING,	/* no OSCORE option where one is needed */
	CODEC_EOSC_DUP,		/* more than one OSCORE option */
	/* Protect and unprotect (RFC 8613 §4, §5, §8) */
	CODEC_ECTX,		/* unusable security context */
	CODEC_ESEQ,		/* sequence number beyond 2^40 - 1 */
	CODEC_ECODE,		/* code neither request nor response */
	CODEC_EPROTECTED,	/* message to protect has an OSCORE option */
	CODEC_EUNSUPPORTED,	/* Proxy-Uri or outer Block: not supported */
	CODEC_ENOBINDING,	/* response without the request it answers */
	CODEC_ENOPIV,		/* request without Partial IV */
	CODEC_ENOKID,		/* kid missing where it is required */
	CODEC_ENOKIDCTX,	/* kid context missing in a group request */
	CODEC_EKID,		/* kid is not this context's recipient ID */
	CODEC_EKIDCTX,		/* kid context is not this context's ID */
	CODEC_ESHORT,		/* ciphertext shorter than tag + code */
	CODEC_EAUTH,		/* AEAD tag does not verify */
	CODEC_EINNER,		/* plaintext holds an option never sent inner */
	/* Group OSCORE group mode (draft-ietf-core-oscore-groupcomm-28) */
	CODEC_EGROUP,		/* Group Flag set: not for an RFC 8613 context */
	CODEC_ENOTGROUP,	/* Group Flag clear where group mode is required */
	CODEC_ECBOR,		/* CBOR item malformed or not the expected type */
	CODEC_ECRED,		/* authentication credential unusable */
	CODEC_ESIG,		/* countersignature does not verify */
	CODEC_ELAST,
};

/* A short description of @err (negative), for logs and test output. */
const char *codec_strerror(int err);

#endif /* COAPSEC_CODEC_ERR_H */
