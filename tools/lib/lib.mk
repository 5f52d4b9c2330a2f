# SPDX-License-Identifier: GPL-2.0

# libcoapsec: netlink client of the coapsec family (CLI, agent, selftests).
NL_LIB_OBJS := $(B)/tools/lib/coapsec_nl.o

# Helpers shared by the agent and the CLI (clock, hex, backoff, prefixes).
UTIL_LIB_OBJS := $(B)/tools/lib/util.o
NL_LIBS := -lmnl

# --- OSCORE: the kernel's codec compiled for userspace, and mbedTLS glue
# (AEAD ops, HKDF key derivation).  Used by the CLI, the agent and tests.
CODEC_OBJS := $(B)/kmod/codec/oscore_alg.o $(B)/kmod/codec/codec_err.o \
	$(B)/kmod/codec/coap.o $(B)/kmod/codec/cbor.o \
	$(B)/kmod/codec/oscore_option.o $(B)/kmod/codec/oscore.o \
	$(B)/kmod/codec/oscore_group.o $(B)/kmod/codec/oscore_cred.o
OSCORE_LIB_OBJS := $(CODEC_OBJS) $(B)/tools/lib/oscore_mbedtls.o \
	$(B)/tools/lib/oscore_derive.o $(B)/tools/lib/oscore_group_sw.o
OSCORE_LIBS := -lmbedcrypto -lcrypto
# --- end OSCORE
