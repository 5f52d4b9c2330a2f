/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Key pairs for signed groups (Group OSCORE group mode): the command line
 * side of coapsecd --genkey / --credential.
 */
#ifndef COAPSEC_AGENT_GROUPKEY_H
#define COAPSEC_AGENT_GROUPKEY_H

/*
 * --genkey FILE: a new key pair for @alg ("ES256": P-256, "EdDSA":
 * Ed25519), its private key written to FILE (PEM, mode 0600, never over an
 * existing file).  --credential FILE: the
 * key pair in FILE, loaded as the agent loads it.  Either prints the
 * public authentication credential (a CCS with @subject, hex) on stdout
 * and nothing of the private key anywhere.  Returns the exit status.
 */
int groupkey_main(const char *genkey, const char *credential,
		  const char *subject, const char *alg);

#endif /* COAPSEC_AGENT_GROUPKEY_H */
