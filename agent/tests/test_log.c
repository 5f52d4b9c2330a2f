// SPDX-License-Identifier: GPL-2.0
/*
 * coapsecd's log lines (agent/log.c): a message longer than the old
 * 1024-byte buffer, such as the statistics' JSON of an agent in three
 * signed groups, is written whole, one line; one past LOG_LINE_MAX is cut
 * there and says so, with its full length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "kselftest_harness.h"
#include "agent/log.h"
#include "agent/sgroup.h"
#include "tools/lib/oscore_group_sw.h"

/* What log_msg() writes to stderr while @fn runs (malloc'd). */
static char *captured(void (*fn)(void *), void *arg, size_t *len)
{
	FILE *f = tmpfile();
	int saved = dup(2);
	char *buf;
	long n;

	if (!f || saved < 0)
		return NULL;
	fflush(stderr);
	dup2(fileno(f), 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = ftell(f);
	if (n < 0)
		return NULL;
	buf = malloc((size_t)n + 1);
	rewind(f);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		return NULL;
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void log_text(void *arg)
{
	log_info("stats %s", (const char *)arg);
}

TEST(long_message_whole)
{
	size_t n = 5000, len;
	char *msg = malloc(n + 1), *out, *want;

	ASSERT_NE(NULL, msg);
	for (size_t i = 0; i < n; i++)
		msg[i] = 'a' + i % 26;
	msg[n] = 0;
	out = captured(log_text, msg, &len);
	ASSERT_NE(NULL, out);
	ASSERT_LE(0, asprintf(&want, "<6>coapsecd: stats %s\n", msg));
	EXPECT_EQ(strlen(want), len);
	EXPECT_STREQ(want, out);
	free(want);
	free(out);
	free(msg);
}

/* The statistics of a gateway in three signed groups, as main.c logs them. */
TEST(stats_three_signed_groups_parse)
{
	static const char *const names[] = { "doors", "extinguishers",
					     "fire-alarms" };
	char dir[] = "/tmp/test-log-XXXXXX", key[300], state[300], err[512];
	struct oscore_group_key k;
	struct sgroups *s;
	json_t *o, *back;
	char *text, *out, *line;
	size_t len;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(key, sizeof(key), "%s/gw.key", dir);
	snprintf(state, sizeof(state), "%s/gw.state", dir);
	ASSERT_EQ(0, oscore_group_key_generate_alg(&k, OSCORE_SIG_ES256));
	ASSERT_EQ(0, oscore_group_key_save(&k, key, err, sizeof(err)));
	oscore_group_key_free(&k);
	s = sgroups_open(key, state, "gw1", 64, 5, err, sizeof(err));
	ASSERT_NE(NULL, s) TH_LOG("%s", err);
	for (int g = 0; g < 3; g++) {
		struct sgroup_keys *gk = sgroup_keys_new(0);

		gk->alg = 10;
		gk->sig_alg = OSCORE_SIG_ES256;
		memset(gk->gid, 0xa0 + g, GID_LEN);
		memset(gk->secret, 0x11, 16);
		gk->secret_len = 16;
		gk->sid[0] = 0;
		gk->sid_len = 1;
		ASSERT_EQ(0, sgroups_install(s, names[g], 1, gk, 0));
		sgroup_keys_free(gk);
	}
	/*
	 * A gateway's statistics (agent_stats()): the sections besides
	 * sgroup as a gateway with its kernel and queue writes them, the
	 * sgroup section from the three groups.
	 */
	o = json_loads("{\"coap\":{\"bad_messages\":0,\"duplicates\":0,\"requests\":13,\"responses\":13},"
		       "\"contexts\":2,\"dtls\":{\"auth_failed\":0,\"contexts\":3,\"dropped_full\":0,"
		       "\"dropped_not_hello\":0,\"handshakes\":3,\"hello_verify\":3,\"hs_failed\":0,"
		       "\"hs_timeouts\":0,\"idle_closed\":0,\"peers\":1,\"unknown_identity\":0},"
		       "\"gateway\":{\"groups\":3,\"notified\":4,\"refused\":1,\"relayed\":5,\"reported\":3,\"reports\":4},"
		       "\"kernel\":{\"adopted\":0,\"ceiling_failed\":0,\"checkpoint_failed\":0,\"events_lost\":0,"
		       "\"leftovers\":0,\"lost\":0,\"push_failed\":0,\"push_pending\":0},"
		       "\"nfqueue\":{\"packets\":1200,\"queue\":3,\"recv_failed\":0,\"verdict_failed\":0},"
		       "\"reload_failed\":0}", 0, NULL);
	ASSERT_NE(NULL, o);
	sgroups_stats(s, o);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	ASSERT_NE(NULL, text);
	EXPECT_LT(1024, strlen(text)) TH_LOG("the JSON (%zu bytes) fits the old buffer", strlen(text));
	out = captured(log_text, text, &len);
	ASSERT_NE(NULL, out);
	/* one line, "<6>coapsecd: stats " and the JSON, which parses back */
	EXPECT_EQ('\n', out[len - 1]);
	EXPECT_EQ(out + len - 1, strchr(out, '\n'));
	line = strstr(out, " stats ");
	ASSERT_NE(NULL, line);
	out[len - 1] = 0;
	back = json_loads(line + 7, 0, NULL);
	EXPECT_NE(NULL, back) TH_LOG("not JSON: ...%s", out + (len > 80 ? len - 80 : 0));
	EXPECT_TRUE(json_equal(o, back));
	EXPECT_EQ(3, json_array_size(json_object_get(json_object_get(back, "sgroup"), "groups")));
	json_decref(back);
	json_decref(o);
	free(text);
	free(out);
	sgroups_close(s);
	unlink(key);
	unlink(state);
	rmdir(dir);
}

TEST(too_long_cut_and_marked)
{
	size_t n = LOG_LINE_MAX + 5000, len;
	char *msg = malloc(n + 1), *out, tail[64];

	ASSERT_NE(NULL, msg);
	memset(msg, 'x', n);
	msg[n] = 0;
	out = captured(log_text, msg, &len);
	ASSERT_NE(NULL, out);
	/* "stats " is part of the message: the cut is LOG_LINE_MAX into it */
	snprintf(tail, sizeof(tail), LOG_CUT_MARK "%zu bytes]\n", n + 6);
	EXPECT_EQ(strlen("<6>coapsecd: ") + LOG_LINE_MAX + strlen(tail), len);
	EXPECT_STREQ(tail, out + len - strlen(tail));
	EXPECT_EQ(out + len - 1, strchr(out, '\n'));
	free(out);
	free(msg);
}

TEST_HARNESS_MAIN
