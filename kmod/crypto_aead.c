// SPDX-License-Identifier: GPL-2.0
/*
 * AEAD for the codec through the crypto API.  Each call takes the key's
 * SIMD transform while crypto_simd_usable(), else its synchronous one
 * (crypto.c says why both, and why neither defers), and builds its
 * request in this CPU's scratch space.  The scratch is wiped when the
 * module goes, since it held plaintext.
 */
#include <asm/simd.h>
#include <crypto/internal/simd.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "context.h"
#include "crypto_aead.h"

/*
 * Test knobs: always take the synchronous transform, as when the FPU is
 * in use (selftests/path_rfc8613.sh runs the vectors both ways), and how
 * many calls took it.
 */
static bool aead_sync_only;
module_param(aead_sync_only, bool, 0644);
MODULE_PARM_DESC(aead_sync_only,
		 "always use the synchronous AEAD fallback (for testing)");
static atomic_long_t coapsec_aead_sync_calls = ATOMIC_LONG_INIT(0);

static int coapsec_sync_calls_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&coapsec_aead_sync_calls));
}

static const struct kernel_param_ops coapsec_sync_calls_ops = {
	.get = coapsec_sync_calls_get,
};

module_param_cb(aead_sync_calls, &coapsec_sync_calls_ops, NULL, 0444);
MODULE_PARM_DESC(aead_sync_calls,
		 "AEAD calls that took the synchronous fallback");

static struct coapsec_scratch * __percpu *coapsec_scratch_ptr;

struct coapsec_scratch *coapsec_scratch(void)
{
	return *this_cpu_ptr(coapsec_scratch_ptr);
}

/* The transform for this call: see crypto.c. */
static struct crypto_aead *coapsec_aead_tfm(const struct coapsec_aead *aead)
{
	if (likely(aead->simd && crypto_simd_usable() &&
		   !READ_ONCE(aead_sync_only)))
		return aead->simd;
	/* Counted only where a SIMD transform was passed over. */
	if (aead->simd)
		atomic_long_inc(&coapsec_aead_sync_calls);
	return aead->sync;
}

static int coapsec_aead_crypt(struct oscore_aead_req *req, bool enc)
{
	struct coapsec_scratch *s = req->priv;
	struct crypto_aead *tfm = coapsec_aead_tfm(req->key);
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
	/* The table was set up once (coapsec_cipher_init()): pages only. */
	sg_set_buf(&s->sg[0], req->aad, req->aad_len);
	sg_set_buf(&s->sg[1], req->buf, req->len + tag);

	aead_request_set_tfm(areq, tfm);
	aead_request_set_callback(areq, 0, NULL, NULL);
	aead_request_set_ad(areq, req->aad_len);
	aead_request_set_crypt(areq, s->sg, s->sg, enc ? req->len :
			       req->len + tag, s->iv);
	err = enc ? crypto_aead_encrypt(areq) : crypto_aead_decrypt(areq);
	/* Neither transform defers (crypto.c); never leave one running. */
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

void coapsec_oscore_ctx_build(struct oscore_ctx *octx,
			      struct coapsec_context *ctx,
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
	octx->sender_key = &ctx->sender_aead;
	if (rcp) {
		memcpy(octx->recipient_id, rcp->key.kid, rcp->key.kid_len);
		octx->recipient_id_len = rcp->key.kid_len;
		octx->recipient_key = &rcp->aead;
	}
}

const struct oscore_ctx *coapsec_oscore_ctx(struct oscore_ctx *scratch,
					    struct coapsec_context *ctx,
					    struct coapsec_recipient *rcp)
{
	if (!rcp || (ctx->n_recipients && rcp == &ctx->recipients[0]))
		return &ctx->octx;
	coapsec_oscore_ctx_build(scratch, ctx, rcp);
	return scratch;
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
		sg_init_table(s->sg, ARRAY_SIZE(s->sg));
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
