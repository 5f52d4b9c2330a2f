// SPDX-License-Identifier: GPL-2.0
/*
 * The server's SQLite registry: what it keeps survives closing and
 * reopening (a server restart), and membership changes rekey the group.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "kselftest_harness.h"
#include "agent/registry.h"

static void member(struct cfg_member *m, const char *id, const char *group)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	snprintf(m->norm, sizeof(m->norm), "%s", id);	/* ASCII: NFKC itself */
	snprintf(m->group, sizeof(m->group), "%s", group);
	snprintf(m->cred.identity, sizeof(m->cred.identity), "%s@srv", id);
	m->cred.key_len = 16;
}

static int count_cb(void *arg, const struct reg_member *m)
{
	(*(int *)arg)++;
	return 0;
}

static char rekeyed_name[64];
static int rekeyed_n;

static void rekeyed(void *arg, const char *group)
{
	snprintf(rekeyed_name, sizeof(rekeyed_name), "%s", group);
	rekeyed_n++;
}

FIXTURE(reg)
{
	char dir[64], path[96];
	struct agent_config cfg;
	struct cfg_member members[3];
	struct cfg_group groups[2];
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
};

FIXTURE_SETUP(reg)
{
	strcpy(self->dir, "/tmp/coapsecd-reg-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/registry.db", self->dir);
	memset(&self->cfg, 0, sizeof(self->cfg));
	strcpy(self->groups[0].name, "lights");
	strcpy(self->groups[1].name, "doors");
	for (int i = 0; i < 2; i++) {
		self->groups[i].alg = 10;
		self->groups[i].secret_len = 16;
	}
	member(&self->members[0], "dev-1", "lights");
	member(&self->members[1], "dev-2", "lights");
	member(&self->members[2], "dev-3", "doors");
	self->cfg.groups = self->groups;
	self->cfg.n_groups = 2;
	self->cfg.members = self->members;
	self->cfg.n_members = 3;
	self->cfg.grace_s = 30;
	mbedtls_entropy_init(&self->ent);
	mbedtls_ctr_drbg_init(&self->drbg);
	ASSERT_EQ(0, mbedtls_ctr_drbg_seed(&self->drbg, mbedtls_entropy_func,
					   &self->ent, NULL, 0));
}

FIXTURE_TEARDOWN(reg)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	system(cmd);
	mbedtls_ctr_drbg_free(&self->drbg);
	mbedtls_entropy_free(&self->ent);
}

TEST_F(reg, survives_restart)
{
	char err[256];
	struct registry *r = registry_open(self->path, err, sizeof(err));
	struct reg_member m1, m2;
	struct reg_group g1, g2;
	uint8_t rand[KS_RAND_LEN] = { 1, 2, 3 }, ks[KS_LEN] = { 9, 8, 7 };
	struct stat st;

	ASSERT_NE(NULL, r) TH_LOG("%s", err);
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, NULL, NULL));
	EXPECT_EQ(3, registry_member_count(r));
	ASSERT_EQ(0, registry_member_issue(r, "dev-1", "gw1", rand, ks));
	ASSERT_EQ(0, registry_member_set_sr_seq(r, "dev-1", 5));
	ASSERT_EQ(0, registry_member_set_issued_epoch(r, "dev-1", 1));
	ASSERT_EQ(0, registry_member_get(r, "dev-1", &m1));
	ASSERT_EQ(0, registry_group_get(r, "lights", &g1));
	EXPECT_EQ(1, g1.epoch);
	EXPECT_EQ(16, g1.secret_len);
	/* Sender IDs are unique in the group; 00 is the gateway's. */
	ASSERT_EQ(0, registry_member_get(r, "dev-2", &m2));
	EXPECT_EQ(1, m1.sid_len);
	EXPECT_NE(0, m1.sid[0]);
	EXPECT_NE(0, m2.sid[0]);
	EXPECT_NE(m1.sid[0], m2.sid[0]);
	registry_close(r);

	/* The file holds keys: private. */
	ASSERT_EQ(0, stat(self->path, &st));
	EXPECT_EQ(0, st.st_mode & 077);

	r = registry_open(self->path, err, sizeof(err));
	ASSERT_NE(NULL, r) TH_LOG("%s", err);
	/* A restart with the same configuration changes nothing. */
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, rekeyed, NULL));
	EXPECT_EQ(0, rekeyed_n);
	ASSERT_EQ(0, registry_member_get(r, "dev-1", &m2));
	EXPECT_TRUE(m2.issued);
	EXPECT_EQ(0, memcmp(m2.ks, ks, KS_LEN));
	EXPECT_EQ(0, memcmp(m2.rand, rand, KS_RAND_LEN));
	EXPECT_STREQ("dev-1@srv", m2.ksid);
	EXPECT_STREQ("gw1", m2.gateway);
	EXPECT_EQ(5, m2.sr_seq);
	EXPECT_EQ(1, m2.issued_epoch);
	EXPECT_EQ(0, memcmp(m1.sid, m2.sid, m1.sid_len));
	ASSERT_EQ(0, registry_group_get(r, "lights", &g2));
	EXPECT_EQ(0, memcmp(&g1, &g2, sizeof(g1)));
	EXPECT_EQ(1, registry_member_get(r, "nobody", &m2));
	registry_close(r);
}

TEST_F(reg, removal_rekeys_the_group)
{
	char err[256];
	struct registry *r = registry_open(self->path, err, sizeof(err));
	struct reg_group before, after, doors1, doors2;
	struct reg_member m;
	int n = 0;

	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, NULL, NULL));
	ASSERT_EQ(0, registry_group_get(r, "lights", &before));
	ASSERT_EQ(0, registry_group_get(r, "doors", &doors1));
	self->cfg.n_members = 1;	/* dev-2 and dev-3 go */
	self->members[0] = self->members[0];
	rekeyed_n = 0;
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, rekeyed, NULL));
	EXPECT_EQ(2, rekeyed_n);
	EXPECT_EQ(1, registry_member_get(r, "dev-2", &m));
	ASSERT_EQ(0, registry_group_get(r, "lights", &after));
	EXPECT_EQ(2, after.epoch);
	EXPECT_NE(0, memcmp(before.gid, after.gid, GID_LEN));
	EXPECT_NE(0, memcmp(before.secret, after.secret, after.secret_len));
	/* The old Gid stays known for the grace period. */
	EXPECT_EQ(0, memcmp(before.gid, after.old_gid, GID_LEN));
	EXPECT_GT(after.retire_at, 0);
	registry_group_members(r, "lights", count_cb, &n);
	EXPECT_EQ(1, n);
	ASSERT_EQ(0, registry_group_get(r, "doors", &doors2));
	EXPECT_EQ(2, doors2.epoch);
	registry_close(r);
}

TEST_F(reg, served_epochs)
{
	char err[256];
	struct registry *r = registry_open(self->path, err, sizeof(err));

	ASSERT_NE(NULL, r);
	EXPECT_EQ(0, registry_served_epoch(r, "gw1", "lights"));
	ASSERT_EQ(0, registry_set_served_epoch(r, "gw1", "lights", 3));
	registry_close(r);
	r = registry_open(self->path, err, sizeof(err));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(3, registry_served_epoch(r, "gw1", "lights"));
	registry_close(r);
}

static int gw_cb(void *arg, const char *gateway, const uint8_t *sid,
		 uint8_t len)
{
	char *out = arg;

	snprintf(out + strlen(out), 64, "%s=%02x%s ", gateway, sid[0],
		 len > 1 ? "+" : "");
	return 0;
}

/*
 * Each gateway serving a member of a group has its own sender ID there,
 * unique with the members' ones, kept across restarts; one that stops
 * serving the group loses it and the group is rekeyed.
 */
TEST_F(reg, gateway_sender_ids)
{
	struct cfg_gateway gws[2] = { { .id = "gw1" }, { .id = "gw2" } };
	char err[256], list[256] = "", again[256] = "";
	struct registry *r = registry_open(self->path, err, sizeof(err));
	uint8_t s1[SID_MAX_LEN], s2[SID_MAX_LEN], l1, l2;
	struct reg_member m1, m2;
	struct reg_group before, after;

	ASSERT_NE(NULL, r);
	self->cfg.gateways = gws;
	self->cfg.n_gateways = 2;
	/* lights: dev-1 through gw1, dev-2 through gw2; doors: gw1 */
	self->members[0].gw[0] = 0;
	self->members[0].n_gw = 1;
	self->members[1].gw[0] = 1;
	self->members[1].n_gw = 1;
	self->members[2].gw[0] = 0;
	self->members[2].n_gw = 1;
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, NULL, NULL));
	ASSERT_EQ(0, registry_gateway_sid(r, "gw1", "lights", s1, &l1));
	ASSERT_EQ(0, registry_gateway_sid(r, "gw2", "lights", s2, &l2));
	EXPECT_EQ(1, registry_gateway_sid(r, "gw2", "doors", s2, &l2));
	ASSERT_EQ(0, registry_gateway_sid(r, "gw2", "lights", s2, &l2));
	ASSERT_EQ(0, registry_member_get(r, "dev-1", &m1));
	ASSERT_EQ(0, registry_member_get(r, "dev-2", &m2));
	EXPECT_EQ(1, l1);
	EXPECT_EQ(1, l2);
	EXPECT_NE(s1[0], s2[0]);
	EXPECT_NE(m1.sid[0], s1[0]);
	EXPECT_NE(m1.sid[0], s2[0]);
	EXPECT_NE(m2.sid[0], s1[0]);
	EXPECT_NE(m2.sid[0], s2[0]);
	ASSERT_EQ(0, registry_group_gateways(r, "lights", gw_cb, list));
	TH_LOG("lights: %s", list);
	EXPECT_NE(NULL, strstr(list, "gw1="));
	EXPECT_NE(NULL, strstr(list, "gw2="));
	/* A restart with the same configuration keeps them. */
	registry_close(r);
	r = registry_open(self->path, err, sizeof(err));
	ASSERT_NE(NULL, r);
	rekeyed_n = 0;
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, rekeyed, NULL));
	EXPECT_EQ(0, rekeyed_n);
	ASSERT_EQ(0, registry_group_gateways(r, "lights", gw_cb, again));
	EXPECT_STREQ(list, again);
	/* gw2 no longer serves dev-2: it loses its ID, lights is rekeyed. */
	ASSERT_EQ(0, registry_member_set_issued_epoch(r, "dev-1", 1));
	ASSERT_EQ(0, registry_group_get(r, "lights", &before));
	self->members[1].gw[0] = 0;
	ASSERT_EQ(0, registry_sync(r, &self->cfg, &self->drbg, rekeyed, NULL));
	EXPECT_EQ(1, registry_gateway_sid(r, "gw2", "lights", s2, &l2));
	ASSERT_EQ(0, registry_group_get(r, "lights", &after));
	EXPECT_EQ(before.epoch + 1, after.epoch);
	EXPECT_STREQ("lights", rekeyed_name);
	registry_close(r);
}

TEST_HARNESS_MAIN
