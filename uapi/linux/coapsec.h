/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * coapsec: OSCORE (RFC 8613) protection of CoAP in the Linux packet path.
 *
 * Generic netlink family "coapsec", version COAPSEC_FAMILY_VERSION.  The
 * family is described in uapi/coapsec.yaml; keep the two in step (the
 * unit tests check that every enum here appears in the spec).
 *
 * The family is available in every network namespace (netnsok).  Commands
 * that change state require CAP_NET_ADMIN in the namespace's user namespace.
 * Key material is write-only: no command ever returns it.
 *
 * COAPSEC_CMD_FEATURES_GET
 * ------------------------
 *
 * Unprivileged.  Takes no attributes.  Replies with:
 *
 *    COAPSEC_A_FEATURES: NLA_NESTED
 *       COAPSEC_A_FEATURES_VERSION: NLA_NUL_STRING, module version
 *       COAPSEC_A_FEATURES_API_VERSION: NLA_U32, COAPSEC_FAMILY_VERSION
 *       COAPSEC_A_FEATURES_ALG: NLA_NESTED, once per AEAD coapsec knows
 *          COAPSEC_A_ALG_ID: NLA_U32, COSE algorithm identifier
 *          COAPSEC_A_ALG_NAME: NLA_NUL_STRING, COSE name
 *          COAPSEC_A_ALG_CRYPTO_NAME: NLA_NUL_STRING, crypto API name
 *          COAPSEC_A_ALG_KEY_LEN: NLA_U32, bytes
 *          COAPSEC_A_ALG_NONCE_LEN: NLA_U32, bytes
 *          COAPSEC_A_ALG_TAG_LEN: NLA_U32, bytes
 *          COAPSEC_A_ALG_AVAILABLE: NLA_U8, 1 if this kernel's crypto API
 *             could instantiate it when asked, else 0
 *          COAPSEC_A_ALG_DRIVER: NLA_NUL_STRING, the implementation the
 *             crypto API chose; only present when available
 */
#ifndef _UAPI_LINUX_COAPSEC_H
#define _UAPI_LINUX_COAPSEC_H

#define COAPSEC_FAMILY_NAME	"coapsec"
#define COAPSEC_FAMILY_VERSION	1

enum coapsec_cmd {
	COAPSEC_CMD_UNSPEC,
	COAPSEC_CMD_FEATURES_GET,

	__COAPSEC_CMD_MAX,
	COAPSEC_CMD_MAX = __COAPSEC_CMD_MAX - 1
};

enum coapsec_a {
	COAPSEC_A_UNSPEC,
	COAPSEC_A_FEATURES,

	__COAPSEC_A_MAX,
	COAPSEC_A_MAX = __COAPSEC_A_MAX - 1
};

enum coapsec_a_features {
	COAPSEC_A_FEATURES_UNSPEC,
	COAPSEC_A_FEATURES_VERSION,
	COAPSEC_A_FEATURES_API_VERSION,
	COAPSEC_A_FEATURES_ALG,

	__COAPSEC_A_FEATURES_MAX,
	COAPSEC_A_FEATURES_MAX = __COAPSEC_A_FEATURES_MAX - 1
};

enum coapsec_a_alg {
	COAPSEC_A_ALG_UNSPEC,
	COAPSEC_A_ALG_ID,
	COAPSEC_A_ALG_NAME,
	COAPSEC_A_ALG_CRYPTO_NAME,
	COAPSEC_A_ALG_KEY_LEN,
	COAPSEC_A_ALG_NONCE_LEN,
	COAPSEC_A_ALG_TAG_LEN,
	COAPSEC_A_ALG_AVAILABLE,
	COAPSEC_A_ALG_DRIVER,

	__COAPSEC_A_ALG_MAX,
	COAPSEC_A_ALG_MAX = __COAPSEC_A_ALG_MAX - 1
};

#endif /* _UAPI_LINUX_COAPSEC_H */
