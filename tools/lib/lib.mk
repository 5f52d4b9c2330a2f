# SPDX-License-Identifier: GPL-2.0

# libcoapsec: netlink client of the coapsec family (CLI, agent, selftests).
NL_LIB_OBJS := $(B)/tools/lib/coapsec_nl.o
NL_LIBS := -lmnl
