// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Group OSCORE group mode on mbedTLS (see oscore_group_sw.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/error.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "codec/codec_err.h"
#include "oscore_group_sw.h"

/* A PEM P-256 private key is about 230 bytes; anything far larger is not one. */
#define KEY_FILE_MAX	4096

/* ECDSA blinding and key generation: the kernel's random source. */
static int sys_rng(void *p, unsigned char *buf, size_t len)
{
	(void)p;
	while (len) {
		ssize_t n = getrandom(buf, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

int oscore_group_key_generate_alg(struct oscore_group_key *k, int alg)
{
	EVP_PKEY_CTX *pc;

	memset(k, 0, sizeof(*k));
	mbedtls_pk_init(&k->pk);
	k->alg = alg;
	if (alg == OSCORE_SIG_EDDSA) {
		pc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
		if (!pc || EVP_PKEY_keygen_init(pc) <= 0 ||
		    EVP_PKEY_keygen(pc, &k->ed) <= 0) {
			EVP_PKEY_CTX_free(pc);
			return -EIO;
		}
		EVP_PKEY_CTX_free(pc);
		k->set = true;
		return 0;
	}
	if (alg != OSCORE_SIG_ES256)
		return -EINVAL;
	if (mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(k->pk),
				sys_rng, NULL)) {
		mbedtls_pk_free(&k->pk);
		return -EIO;
	}
	k->set = true;
	return 0;
}

int oscore_group_key_generate(struct oscore_group_key *k)
{
	return oscore_group_key_generate_alg(k, OSCORE_SIG_ES256);
}

void oscore_group_key_free(struct oscore_group_key *k)
{
	/* Both libraries wipe private keys as they free them. */
	mbedtls_pk_free(&k->pk);
	EVP_PKEY_free(k->ed);
	k->ed = NULL;
	k->set = false;
}

/* An Ed25519 private key as PKCS #8 PEM into @pem: 0 or -1. */
static int ed_write_pem(EVP_PKEY *ed, unsigned char *pem, size_t cap)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data;
	long len;
	int ret = -1;

	if (bio && PEM_write_bio_PrivateKey(bio, ed, NULL, NULL, 0, NULL,
					    NULL) > 0) {
		len = BIO_get_mem_data(bio, &data);
		if (len > 0 && (size_t)len < cap) {
			memcpy(pem, data, len);
			pem[len] = 0;
			ret = 0;
		}
	}
	BIO_free(bio);
	return ret;
}

/* Never asks for a passphrase: encrypted keys are refused. */
static int no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return -1;
}

/* An Ed25519 private key in PEM or DER: the key, or NULL. */
static EVP_PKEY *ed_read(const unsigned char *buf, size_t len)
{
	const unsigned char *p = buf;
	EVP_PKEY *pk = NULL;
	BIO *bio;

	bio = BIO_new_mem_buf(buf, len);
	if (bio)
		pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!pk)
		pk = d2i_AutoPrivateKey(NULL, &p, len);
	if (pk && EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

int oscore_group_key_save(const struct oscore_group_key *k, const char *path,
			  char *err, size_t errlen)
{
	unsigned char pem[KEY_FILE_MAX];
	size_t len, off = 0;
	int fd, ret;

	if (!k->set) {
		snprintf(err, errlen, "%s: no key to write", path);
		return -1;
	}
	if (k->ed)
		ret = ed_write_pem(k->ed, pem, sizeof(pem)) ? -1 : 0;
	else
		ret = mbedtls_pk_write_key_pem((mbedtls_pk_context *)&k->pk,
					       pem, sizeof(pem));
	if (ret) {
		snprintf(err, errlen, "%s: cannot encode the key (mbedTLS -0x%04x)",
			 path, (unsigned int)-ret);
		return -1;
	}
	len = strlen((char *)pem);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
			 errno == EEXIST ? " (a key file is never overwritten)" : "");
		mbedtls_platform_zeroize(pem, sizeof(pem));
		return -1;
	}
	/* The umask may only take rights away; 0600 is what the loader wants. */
	ret = fchmod(fd, 0600);
	while (!ret && off < len) {
		ssize_t n = write(fd, pem + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = -1;
			break;
		}
		off += n;
	}
	if (!ret)
		ret = fsync(fd);
	mbedtls_platform_zeroize(pem, sizeof(pem));
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

int oscore_group_key_load(struct oscore_group_key *k, const char *path,
			  char *err, size_t errlen)
{
	unsigned char buf[KEY_FILE_MAX + 1];
	const mbedtls_ecp_keypair *ec;
	size_t len = 0;
	struct stat st;
	int fd, ret;

	memset(k, 0, sizeof(*k));
	mbedtls_pk_init(&k->pk);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: expected a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen,
			 "expected key file %s to be mode 0600, it is %04o",
			 path, (unsigned int)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			mbedtls_platform_zeroize(buf, sizeof(buf));
			return -1;
		}
		if (!n)
			break;
		len += n;
		if (len == sizeof(buf) - 1) {
			snprintf(err, errlen,
				 "%s: longer than %d bytes, not a P-256 private key",
				 path, KEY_FILE_MAX);
			close(fd);
			mbedtls_platform_zeroize(buf, sizeof(buf));
			return -1;
		}
	}
	close(fd);
	buf[len] = 0;
	/* PEM is parsed with its terminating NUL counted, DER without. */
	ret = mbedtls_pk_parse_key(&k->pk, buf,
				   len && memchr(buf, 0, len) ? len : len + 1,
				   NULL, 0);
	if (ret) {
		/* mbedTLS 2.28 knows no Ed25519: OpenSSL reads those. */
		k->ed = ed_read(buf, len);
		mbedtls_platform_zeroize(buf, sizeof(buf));
		if (k->ed) {
			k->alg = OSCORE_SIG_EDDSA;
			k->set = true;
			return 0;
		}
		snprintf(err, errlen,
			 "%s: expected an unencrypted EC P-256 or Ed25519 private key in PEM or DER (mbedTLS -0x%04x)",
			 path, (unsigned int)-ret);
		mbedtls_pk_free(&k->pk);
		return -1;
	}
	mbedtls_platform_zeroize(buf, sizeof(buf));
	if (mbedtls_pk_get_type(&k->pk) != MBEDTLS_PK_ECKEY ||
	    mbedtls_pk_ec(k->pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
		snprintf(err, errlen,
			 "%s: expected an EC P-256 (secp256r1) or Ed25519 key, found %s",
			 path, mbedtls_pk_get_name(&k->pk));
		mbedtls_pk_free(&k->pk);
		return -1;
	}
	ec = mbedtls_pk_ec(k->pk);
	if (mbedtls_ecp_check_privkey(&ec->grp, &ec->d) ||
	    mbedtls_ecp_check_pub_priv(ec, ec)) {
		snprintf(err, errlen, "%s: the key is not a valid P-256 key pair",
			 path);
		mbedtls_pk_free(&k->pk);
		return -1;
	}
	k->alg = OSCORE_SIG_ES256;
	k->set = true;
	return 0;
}

int oscore_group_key_public(const struct oscore_group_key *k, u8 *x, u8 *y)
{
	const mbedtls_ecp_keypair *ec;
	unsigned char pt[1 + 2 * OSCORE_P256_COORD_LEN];
	size_t olen;

	if (!k->set || k->ed)
		return -EINVAL;
	ec = mbedtls_pk_ec(k->pk);
	if (mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q,
					   MBEDTLS_ECP_PF_UNCOMPRESSED, &olen,
					   pt, sizeof(pt)) ||
	    olen != sizeof(pt))
		return -EINVAL;
	memcpy(x, pt + 1, OSCORE_P256_COORD_LEN);
	memcpy(y, pt + 1 + OSCORE_P256_COORD_LEN, OSCORE_P256_COORD_LEN);
	return 0;
}

int oscore_group_key_public_key(const struct oscore_group_key *k,
				struct oscore_cred_key *pub)
{
	size_t len = sizeof(pub->x);

	memset(pub, 0, sizeof(*pub));
	if (!k->set)
		return -EINVAL;
	if (!k->ed) {
		pub->type = OSCORE_CRED_P256;
		return oscore_group_key_public(k, pub->x, pub->y);
	}
	pub->type = OSCORE_CRED_ED25519;
	if (EVP_PKEY_get_raw_public_key(k->ed, pub->x, &len) != 1 ||
	    len != OSCORE_ED25519_KEY_LEN)
		return -EINVAL;
	return 0;
}

int oscore_group_key_ccs(const struct oscore_group_key *k,
			 const char *subject, u8 *buf, size_t cap)
{
	struct oscore_cred_key pub;
	int err = oscore_group_key_public_key(k, &pub);

	return err ? err : oscore_ccs_build_key(subject, &pub, buf, cap);
}

/* The credential type a Signature Algorithm needs. */
static enum oscore_cred_type cred_type(int alg_signature)
{
	return alg_signature == OSCORE_SIG_EDDSA ? OSCORE_CRED_ED25519 :
						   OSCORE_CRED_P256;
}

int oscore_group_sekey(const struct oscore_master *m, u8 *out, size_t len)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	u8 info[OSCORE_INFO_MAX_LEN];
	int n;

	n = oscore_kdf_info(NULL, 0, m->id_context, m->id_context_len, m->alg,
			    "SEKey", len, info, sizeof(info));
	if (n < 0)
		return -EINVAL;
	if (!md || mbedtls_hkdf(md, m->salt, m->salt ? m->salt_len : 0,
				m->secret, m->secret_len, info, n, out, len))
		return -EIO;
	return 0;
}

static int copy_cred(u8 *dst, const u8 *src, size_t len)
{
	if (len > OSCORE_GROUP_CRED_MAX_LEN || (len && !src))
		return -EINVAL;
	if (len)
		memcpy(dst, src, len);
	return 0;
}

int oscore_group_sw_init(struct oscore_group_sw *s,
			 const struct oscore_group_master *gm,
			 const struct oscore_group_key *own)
{
	const struct oscore_alg *alg = oscore_alg_find(gm->m.alg);
	const struct oscore_alg *aead = oscore_alg_find(gm->alg_aead);
	struct oscore_cred_key cred, pub;
	u8 pt[1 + 2 * OSCORE_P256_COORD_LEN];
	int err;

	memset(s, 0, sizeof(*s));
	mbedtls_ecp_group_init(&s->grp);
	mbedtls_ecp_point_init(&s->peer);
	/*
	 * The Common IV is as long as the longer nonce of the two algorithms
	 * (§2.1.4); oscore_derive() sizes it for the Group Encryption
	 * Algorithm, so a pairwise AEAD with another nonce length is refused.
	 */
	if (!alg || !oscore_group_sig_len(gm->alg_signature) ||
	    (gm->alg_aead != OSCORE_GROUP_ALG_NONE &&
	     (!aead || aead->nonce_len != alg->nonce_len)) ||
	    !gm->m.id_context || !gm->sender_cred_len)
		return -EINVAL;
	if (copy_cred(s->sender_cred, gm->sender_cred, gm->sender_cred_len) ||
	    copy_cred(s->recipient_cred, gm->recipient_cred,
		      gm->recipient_cred_len) ||
	    copy_cred(s->gm_cred, gm->gm_cred, gm->gm_cred_len))
		return -EINVAL;
	if (own) {
		/* The key that signs must be the one the credential names. */
		err = oscore_ccs_parse_key(gm->sender_cred, gm->sender_cred_len,
					   &cred);
		if (err)
			return err;
		if (own->alg != gm->alg_signature ||
		    oscore_group_key_public_key(own, &pub) ||
		    cred.type != pub.type || memcmp(&cred.x, &pub.x, 32) ||
		    memcmp(&cred.y, &pub.y, 32))
			return -CODEC_ECRED;
	}
	if (gm->recipient_cred_len) {
		err = oscore_ccs_parse_key(gm->recipient_cred,
					   gm->recipient_cred_len, &cred);
		if (err)
			return err;
		if (cred.type != cred_type(gm->alg_signature))
			return -CODEC_ECRED;
	}
	if (gm->recipient_cred_len && cred.type == OSCORE_CRED_ED25519) {
		s->peer_ed = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
							 cred.x, 32);
		if (!s->peer_ed)
			return -CODEC_ECRED;
	} else if (gm->recipient_cred_len) {
		if (mbedtls_ecp_group_load(&s->grp, MBEDTLS_ECP_DP_SECP256R1))
			return -EIO;
		pt[0] = 0x04;
		memcpy(pt + 1, cred.x, 32);
		memcpy(pt + 1 + 32, cred.y, 32);
		if (mbedtls_ecp_point_read_binary(&s->grp, &s->peer, pt,
						  sizeof(pt)) ||
		    mbedtls_ecp_check_pubkey(&s->grp, &s->peer)) {
			err = -CODEC_ECRED;
			goto fail;
		}
	}
	err = oscore_sw_ctx_init(&s->sw, &gm->m, OSCORE_CTX_GROUP);
	if (err)
		goto fail;
	s->sekey_len = alg->key_len;
	err = oscore_group_sekey(&gm->m, s->sekey, s->sekey_len);
	if (err) {
		oscore_sw_ctx_free(&s->sw);
		goto fail;
	}
	s->own = own;
	s->g.base = s->sw.ctx;
	s->g.alg_aead = gm->alg_aead;
	s->g.alg_signature = gm->alg_signature;
	s->g.alg_pairwise_ka = gm->alg_pairwise_ka;
	s->g.sender_cred = s->sender_cred;
	s->g.sender_cred_len = gm->sender_cred_len;
	s->g.recipient_cred = s->recipient_cred;
	s->g.recipient_cred_len = gm->recipient_cred_len;
	s->g.gm_cred = s->gm_cred;
	s->g.gm_cred_len = gm->gm_cred_len;
	return 0;
fail:
	EVP_PKEY_free(s->peer_ed);
	s->peer_ed = NULL;
	mbedtls_ecp_point_free(&s->peer);
	mbedtls_ecp_group_free(&s->grp);
	return err;
}

void oscore_group_sw_free(struct oscore_group_sw *s)
{
	oscore_sw_ctx_free(&s->sw);
	EVP_PKEY_free(s->peer_ed);
	mbedtls_ecp_point_free(&s->peer);
	mbedtls_ecp_group_free(&s->grp);
	mbedtls_platform_zeroize(s, sizeof(*s));
}

/* SHA-256 of the Countersign_structure over @ct. */
static int tbs_hash(const struct oscore_group_crypt *c, const u8 *ct,
		    size_t ct_len, u8 *hash)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	u8 head[OSCORE_GROUP_AAD_MAX];
	mbedtls_md_context_t mc;
	int n, ret;

	n = oscore_group_tbs_head(c->ext_aad, c->ext_aad_len, ct_len, head,
				  sizeof(head));
	if (n < 0)
		return n;
	mbedtls_md_init(&mc);
	ret = mbedtls_md_setup(&mc, md, 0) || mbedtls_md_starts(&mc) ||
	      mbedtls_md_update(&mc, head, n) ||
	      mbedtls_md_update(&mc, ct, ct_len) ||
	      mbedtls_md_finish(&mc, hash);
	mbedtls_md_free(&mc);
	return ret ? -EIO : 0;
}

/* The Countersign_structure over @ct, whole (EdDSA signs the message). */
static u8 *tbs_bytes(const struct oscore_group_crypt *c, const u8 *ct,
		     size_t ct_len, size_t *len)
{
	u8 *tbs = malloc(OSCORE_GROUP_AAD_MAX + ct_len);
	int n;

	if (!tbs)
		return NULL;
	n = oscore_group_tbs_head(c->ext_aad, c->ext_aad_len, ct_len, tbs,
				  OSCORE_GROUP_AAD_MAX);
	if (n < 0) {
		free(tbs);
		return NULL;
	}
	memcpy(tbs + n, ct, ct_len);
	*len = n + ct_len;
	return tbs;
}

/* EdDSA (RFC 8032) sign into @sig or verify @sig: 0, -CODEC_ESIG, -EIO. */
static int ed_sig(EVP_PKEY *key, bool sign, const struct oscore_group_crypt *c,
		  const u8 *ct, size_t ct_len, u8 *sig)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t len, siglen = OSCORE_SIG_EDDSA_LEN;
	u8 *tbs = tbs_bytes(c, ct, ct_len, &len);
	int ret = -EIO;

	if (!md || !tbs)
		goto out;
	if (sign) {
		if (EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
		    EVP_DigestSign(md, sig, &siglen, tbs, len) == 1 &&
		    siglen == OSCORE_SIG_EDDSA_LEN)
			ret = 0;
	} else if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1) {
		ret = EVP_DigestVerify(md, sig, OSCORE_SIG_EDDSA_LEN, tbs,
				       len) == 1 ? 0 : -CODEC_ESIG;
	}
out:
	EVP_MD_CTX_free(md);
	free(tbs);
	return ret;
}

/* XORs the countersignature keystream (§4.2) into @sig. */
static int ks_xor(const struct oscore_group_sw *s,
		  const struct oscore_group_crypt *c, u8 *sig)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	u8 ks[OSCORE_GROUP_SIG_MAX_LEN];
	size_t i;

	if (mbedtls_hkdf(md, c->ks.salt, c->ks.salt_len, s->sekey,
			 s->sekey_len, c->ks.info, c->ks.info_len, ks,
			 c->sig_len))
		return -EIO;
	for (i = 0; i < c->sig_len; i++)
		sig[i] ^= ks[i];
	mbedtls_platform_zeroize(ks, sizeof(ks));
	return 0;
}

int oscore_group_protect(struct oscore_group_sw *s, const struct coap_msg *m,
			 u64 seq, const struct oscore_group_binding *request,
			 u8 *out, size_t cap,
			 struct oscore_group_binding *binding)
{
	const size_t half = OSCORE_SIG_ES256_LEN / 2;
	struct oscore_group_crypt crypt, *c = &crypt;
	const mbedtls_ecp_keypair *ec;
	u8 hash[32];
	mbedtls_mpi r, sg;
	size_t ct_len;
	int len, err;

	if (!s->own || !s->own->set)
		return -CODEC_ECRED;
	len = oscore_group_protect_begin(&s->g, m, seq, request, out, cap, c,
					 binding);
	if (len < 0)
		return len;
	err = oscore_mbedtls_aead(s->g.base.sender_key, true, c->nonce, c->aad,
				  c->aad_len, c->buf, c->len);
	if (err)
		return err;
	ct_len = c->len + s->g.base.alg->tag_len;
	if (s->own->ed) {
		err = ed_sig(s->own->ed, true, c, c->buf, ct_len, c->sig);
		if (err)
			return err;
		err = ks_xor(s, c, c->sig);
		return err ? err : len;
	}
	err = tbs_hash(c, c->buf, ct_len, hash);
	if (err)
		return err;
	ec = mbedtls_pk_ec(s->own->pk);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&sg);
	err = mbedtls_ecdsa_sign_det_ext((mbedtls_ecp_group *)&ec->grp, &r, &sg,
					 &ec->d, hash, sizeof(hash),
					 MBEDTLS_MD_SHA256, sys_rng, NULL) ||
	      mbedtls_mpi_write_binary(&r, c->sig, half) ||
	      mbedtls_mpi_write_binary(&sg, c->sig + half, half);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&sg);
	if (err)
		return -EIO;
	err = ks_xor(s, c, c->sig);
	return err ? err : len;
}

int oscore_group_verify(struct oscore_group_sw *s, u8 *pkt, size_t len,
			const struct oscore_group_binding *request,
			struct oscore_group_rx *grx, struct coap_msg *out)
{
	const size_t half = OSCORE_SIG_ES256_LEN / 2;
	struct oscore_group_crypt *c = &grx->c;
	u8 sig[OSCORE_GROUP_SIG_MAX_LEN], hash[32];
	mbedtls_mpi r, sg;
	int err;

	err = oscore_unprotect_parse(pkt, len, &grx->rx);
	if (err)
		return err;
	err = oscore_group_unprotect_begin(&s->g, request, grx);
	if (err)
		return err;
	/* Signature first (§7.2): nothing is decrypted before it verifies. */
	memcpy(sig, c->sig, c->sig_len);
	err = ks_xor(s, c, sig);
	if (err)
		return err;
	if (s->g.alg_signature == OSCORE_SIG_EDDSA) {
		err = ed_sig(s->peer_ed, false, c, c->buf,
			     c->len + s->g.base.alg->tag_len, sig);
		if (err)
			return err;
		goto decrypt;
	}
	err = tbs_hash(c, c->buf, c->len + s->g.base.alg->tag_len, hash);
	if (err)
		return err;
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&sg);
	if (mbedtls_mpi_read_binary(&r, sig, half) ||
	    mbedtls_mpi_read_binary(&sg, sig + half, half))
		err = -EIO;
	else if (mbedtls_ecdsa_verify(&s->grp, hash, sizeof(hash), &s->peer,
				      &r, &sg))
		err = -CODEC_ESIG;
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&sg);
	if (err)
		return err;
decrypt:
	err = oscore_mbedtls_aead(s->g.base.recipient_key, false, c->nonce,
				  c->aad, c->aad_len, c->buf, c->len);
	return oscore_unprotect_finish(&grx->rx, err, out);
}
