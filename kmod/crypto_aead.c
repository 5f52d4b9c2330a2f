// SPDX-License-Identifier: GPL-2.0
/*
 * AEAD for the codec through the crypto API.  Transforms are synchronous
 * (aead.c asks for them so), set up at key install; each call builds its
 * request in this CPU's scratch space.  The scratch is wiped when the
 * module goes, since it held plaintext.
 */
#include <linux/percpu.h>
#include <linux/slab.h>

#include "context.h"
#include "crypto_aead.h"

static struct coapsec_scratch * __percpu *coapsec_scratch_ptr;

struct coapsec_scratch *coapsec_scratch(void)
{
	return *this_cpu_ptr(coapsec_scratch_ptr);
}

static int coapsec_aead_crypt(struct oscore_aead_req *req, bool enc)
{
	struct coapsec_scratch *s = req->priv;
	struct crypto_aead *tfm = req->key;
	struct aead_request *areq = (struct aead_request *)s->areq;
	unsigned int tag = req->alg->tag_len;
	int err;

	/* CCM takes L' = L - 1 in front of the nonce (RFC 3610). */
	memset(s->iv, 0, sizeof(s->iv));
	if (req->alg->cose_id == OSCORE_ALG_AES_CCM_16_64_128) {
		s->iv[0] = 15 - req->alg->nonce_len - 1;
		memcpy(s->iv + 1, req->nonce, req->alg->nonce_len);
	} else {
		memcpy(s->iv, req->nonce, req->alg->nonce_len);
	}
	sg_init_table(s->sg, 2);
	sg_set_buf(&s->sg[0], req->aad, req->aad_len);
	sg_set_buf(&s->sg[1], req->buf, req->len + tag);

	aead_request_set_tfm(areq, tfm);
	aead_request_set_callback(areq, 0, NULL, NULL);
	aead_request_set_ad(areq, req->aad_len);
	aead_request_set_crypt(areq, s->sg, s->sg, enc ? req->len :
			       req->len + tag, s->iv);
	err = enc ? crypto_aead_encrypt(areq) : crypto_aead_decrypt(areq);
	/* A synchronous transform never defers; never leave one running. */
	if (WARN_ON_ONCE(err == -EINPROGRESS || err == -EBUSY))
		err = -EIO;
	return err;
}

static int coapsec_aead_encrypt(struct oscore_aead_req *req)
{
	return coapsec_aead_crypt(req, true);
}

static int coapsec_aead_decrypt(struct oscore_aead_req *req)
{
	return coapsec_aead_crypt(req, false);
}

static const struct oscore_aead_ops coapsec_aead_ops = {
	.encrypt = coapsec_aead_encrypt,
	.decrypt = coapsec_aead_decrypt,
};

void coapsec_oscore_ctx(struct oscore_ctx *octx, struct coapsec_context *ctx,
			struct coapsec_recipient *rcp)
{
	memset(octx, 0, sizeof(*octx));
	octx->alg = ctx->alg;
	octx->ops = &coapsec_aead_ops;
	if (ctx->flags & COAPSEC_CONTEXT_F_GROUP)
		octx->flags |= OSCORE_CTX_GROUP;
	/* An empty ID context is not sent: RFC 8613 C.4 and C.5. */
	if (!(ctx->flags & COAPSEC_CONTEXT_F_NO_KID_CONTEXT) &&
	    ctx->id_context_len)
		octx->flags |= OSCORE_CTX_SEND_KID_CONTEXT;
	memcpy(octx->common_iv, ctx->common_iv, ctx->alg->nonce_len);
	octx->id_context = ctx->id_context;
	octx->id_context_len = ctx->id_context_len;
	memcpy(octx->sender_id, ctx->sender_id, ctx->sender_id_len);
	octx->sender_id_len = ctx->sender_id_len;
	octx->sender_key = ctx->sender_tfm;
	if (rcp) {
		memcpy(octx->recipient_id, rcp->key.kid, rcp->key.kid_len);
		octx->recipient_id_len = rcp->key.kid_len;
		octx->recipient_key = rcp->tfm;
	}
}

int coapsec_cipher_init(void)
{
	int cpu;

	coapsec_scratch_ptr = alloc_percpu(struct coapsec_scratch *);
	if (!coapsec_scratch_ptr)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		/* kmalloc memory: the scatterlists need the linear map. */
		struct coapsec_scratch *s = kzalloc_node(sizeof(*s), GFP_KERNEL,
							 cpu_to_node(cpu));

		if (!s) {
			coapsec_cipher_exit();
			return -ENOMEM;
		}
		*per_cpu_ptr(coapsec_scratch_ptr, cpu) = s;
	}
	return 0;
}

void coapsec_cipher_exit(void)
{
	int cpu;

	if (!coapsec_scratch_ptr)
		return;
	for_each_possible_cpu(cpu)
		kfree_sensitive(*per_cpu_ptr(coapsec_scratch_ptr, cpu));
	free_percpu(coapsec_scratch_ptr);
	coapsec_scratch_ptr = NULL;
}
