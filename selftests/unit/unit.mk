# SPDX-License-Identifier: GPL-2.0
#
# Host unit tests.  Each prints KTAP through the kernel's own
# kselftest_harness.h.  selftests/host-tests.list lists them.

KSFT_DIR := $(LSRC_DIR)/tools/testing/selftests
# The test vectors the repository carries (selftests/vectors/README.md).
VECTORS_DIR ?= $(CURDIR)/selftests/vectors

# The OSCORE codec: RFC 8613 vectors, malformed inputs, round trip.  The
# _asan variant compiles the codec itself with ASan and UBSan.

CODEC_TEST_CFLAGS = -I$(KSFT_DIR) -DCOAPSEC_VECTORS='"$(VECTORS_DIR)"' \
	-Wno-unused-parameter -Wno-sign-compare
CODEC_TEST_LIBS = $(OSCORE_LIBS) -ljansson
CODEC_SRCS = $(patsubst $(B)/%.o,%.c,$(OSCORE_LIB_OBJS))
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

$(B)/unit/test_codec: selftests/unit/test_codec.c $(OSCORE_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(CODEC_TEST_CFLAGS) -o $@ $^ \
		$(CODEC_TEST_LIBS)

$(B)/unit/test_codec_asan: selftests/unit/test_codec.c $(CODEC_SRCS) \
		$(wildcard kmod/codec/*.h tools/lib/oscore_*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANITIZE) $(CODEC_TEST_CFLAGS) -o $@ \
		$(filter %.c,$^) $(CODEC_TEST_LIBS)

# Group OSCORE group mode: the codec's structures and the mbedTLS side in
# process (plain and ASan/UBSan), and group_interop.py, which checks
# group_tool (ASan/UBSan) against the Python reference group_ref.py.
$(B)/unit/test_group: selftests/unit/test_group.c $(OSCORE_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(CODEC_TEST_CFLAGS) -o $@ $^ \
		$(CODEC_TEST_LIBS)

$(B)/unit/test_group_asan: selftests/unit/test_group.c $(CODEC_SRCS) \
		$(wildcard kmod/codec/*.h tools/lib/oscore_*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANITIZE) $(CODEC_TEST_CFLAGS) -o $@ \
		$(filter %.c,$^) $(CODEC_TEST_LIBS)

$(B)/unit/group_tool: selftests/unit/group_tool.c $(CODEC_SRCS) \
		$(wildcard kmod/codec/*.h tools/lib/oscore_*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANITIZE) -o $@ $(filter %.c,$^) \
		$(OSCORE_LIBS)

$(B)/unit/group_interop: selftests/unit/group_interop.py \
		selftests/unit/group_ref.py $(B)/unit/group_tool
	@mkdir -p $(dir $@)
	install -m 0755 $< $@
