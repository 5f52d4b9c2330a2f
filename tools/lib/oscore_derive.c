// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <errno.h>

#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>

#include "codec/cbor.h"
#include "oscore_derive.h"

int oscore_kdf_info(const u8 *id, size_t id_len, const u8 *id_context,
		    size_t id_context_len, int alg, const char *type,
		    size_t out_len, u8 *buf, size_t cap)
{
	struct cbor_writer w;

	cbor_init(&w, buf, cap);
	cbor_put_array(&w, 5);
	cbor_put_bstr(&w, id, id_len);
	if (id_context)
		cbor_put_bstr(&w, id_context, id_context_len);
	else
		cbor_put_null(&w);
	cbor_put_int(&w, alg);
	cbor_put_tstr(&w, type);
	cbor_put_uint(&w, out_len);
	return cbor_len(&w);
}

static int oscore_hkdf(const struct oscore_master *m, const u8 *id,
		       size_t id_len, const char *type, u8 *out,
		       size_t out_len)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	u8 info[OSCORE_INFO_MAX_LEN];
	int len;

	len = oscore_kdf_info(id, id_len, m->id_context, m->id_context_len,
			      m->alg, type, out_len, info, sizeof(info));
	if (len < 0)
		return -EINVAL;
	if (!md || mbedtls_hkdf(md, m->salt, m->salt ? m->salt_len : 0,
				m->secret, m->secret_len, info, len, out,
				out_len))
		return -EIO;
	return 0;
}

int oscore_derive(const struct oscore_master *m, struct oscore_keys *k)
{
	const struct oscore_alg *alg = oscore_alg_find(m->alg);
	int err;

	memset(k, 0, sizeof(*k));
	if (!alg || !m->secret || !m->secret_len ||
	    m->sender_id_len > alg->nonce_len - 6u ||
	    m->recipient_id_len > alg->nonce_len - 6u ||
	    m->id_context_len > OSCORE_MAX_ID_CONTEXT_LEN)
		return -EINVAL;
	k->alg = alg;
	err = oscore_hkdf(m, m->sender_id, m->sender_id_len, "Key",
			  k->sender_key, alg->key_len);
	if (!err)
		err = oscore_hkdf(m, m->recipient_id, m->recipient_id_len,
				  "Key", k->recipient_key, alg->key_len);
	if (!err)
		err = oscore_hkdf(m, NULL, 0, "IV", k->common_iv,
				  alg->nonce_len);
	if (err)
		oscore_keys_wipe(k);
	return err;
}

void oscore_keys_wipe(struct oscore_keys *k)
{
	mbedtls_platform_zeroize(k, sizeof(*k));
}

int oscore_sw_ctx_init(struct oscore_sw_ctx *c, const struct oscore_master *m,
		       unsigned int flags)
{
	struct oscore_keys k;
	int err;

	memset(c, 0, sizeof(*c));
	err = oscore_derive(m, &k);
	if (err)
		return err;
	err = oscore_mbedtls_key_init(&c->sender, k.alg, k.sender_key,
				      k.alg->key_len);
	if (!err) {
		err = oscore_mbedtls_key_init(&c->recipient, k.alg,
					      k.recipient_key, k.alg->key_len);
		if (err)
			oscore_mbedtls_key_free(&c->sender);
	}
	if (err) {
		oscore_keys_wipe(&k);
		return err;
	}
	c->ctx.alg = k.alg;
	c->ctx.ops = &oscore_mbedtls_ops;
	c->ctx.flags = flags;
	memcpy(c->ctx.common_iv, k.common_iv, k.alg->nonce_len);
	if (m->id_context_len)
		memcpy(c->id_context, m->id_context, m->id_context_len);
	c->ctx.id_context = c->id_context;
	c->ctx.id_context_len = m->id_context_len;
	if (m->sender_id_len)
		memcpy(c->ctx.sender_id, m->sender_id, m->sender_id_len);
	c->ctx.sender_id_len = m->sender_id_len;
	if (m->recipient_id_len)
		memcpy(c->ctx.recipient_id, m->recipient_id,
		       m->recipient_id_len);
	c->ctx.recipient_id_len = m->recipient_id_len;
	c->ctx.sender_key = &c->sender;
	c->ctx.recipient_key = &c->recipient;
	oscore_keys_wipe(&k);
	return 0;
}

void oscore_sw_ctx_free(struct oscore_sw_ctx *c)
{
	oscore_mbedtls_key_free(&c->sender);
	oscore_mbedtls_key_free(&c->recipient);
	mbedtls_platform_zeroize(c, sizeof(*c));
}
