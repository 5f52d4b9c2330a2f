// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration loading: good configs for each role, and a table of bad
 * ones, each refused with a message naming the file, the field and what
 * was expected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "agent/config.h"

#define K16 "00112233445566778899aabbccddeeff"

static char dir[] = "/tmp/coapsecd-cfg-XXXXXX";

static void put(const char *name, const char *text, mode_t mode)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
}

static void setup_dir(void)
{
	static int done;

	if (done++)
		return;
	if (!mkdtemp(dir))
		abort();
	put("good.key", K16 "\n", 0600);
	put("open.key", K16 "\n", 0644);
	put("short.key", "0011\n", 0600);
	put("nothex.key", "zz112233445566778899aabbccddeeff\n", 0600);
}

static int load(const char *text, mode_t mode, struct agent_config *cfg,
		char *err, char *path)
{
	setup_dir();
	put("c.json", text, mode);
	snprintf(path, 256, "%s/c.json", dir);
	return config_load(path, cfg, err, CFG_ERR_LEN);
}

#define SERVER_OK "{\"role\":\"server\",\"id\":\"in-cse\",\"listen\":\"127.0.0.1:5684\"," \
	"\"db\":\"/tmp/x.db\",\"gateways\":[{\"id\":\"gw1\",\"identity\":\"gw1-psk\",\"key\":\"" K16 "\"}]," \
	"\"groups\":[{\"name\":\"g1\"}],\"members\":[{\"id\":\"d1\",\"group\":\"g1\",\"identity\":\"d1-srv\",\"key\":\"" K16 "\"}]}"

/* SERVER_OK with its "db" replaced by @field (in place, in @txt). */
static const char *server_with(char *txt, const char *field)
{
	static char out[2048];
	const char *db = "\"db\":\"/tmp/x.db\"";
	const char *at = strstr(txt, db);

	snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - txt), txt, field,
		 at + strlen(db));
	return out;
}

#define SERVER_HEAD "{\"role\":\"server\",\"id\":\"s\",\"listen\":\"127.0.0.1:5684\","

TEST(good_configs)
{
	struct agent_config cfg;
	char err[CFG_ERR_LEN], path[256], txt[1024];

	ASSERT_EQ(0, load(SERVER_OK, 0600, &cfg, err, path)) TH_LOG("%s", err);
	EXPECT_EQ(ROLE_SERVER, cfg.role);
	EXPECT_EQ(1, cfg.n_members);
	EXPECT_EQ(16, cfg.members[0].cred.key_len);
	EXPECT_EQ(10, cfg.groups[0].alg);
	EXPECT_EQ(REG_SQLITE, cfg.registry);
	EXPECT_STREQ("/tmp/x.db", cfg.db);
	EXPECT_EQ(REKEY_MIN_INTERVAL_S, cfg.rekey_min_interval_s);
	config_free(&cfg);
	snprintf(txt, sizeof(txt), "%s", SERVER_OK);
	ASSERT_EQ(0, load(server_with(txt, "\"db\":\"/tmp/x.db\",\"rekey_min_interval_s\":0"),
			  0600, &cfg, err, path)) TH_LOG("%s", err);
	EXPECT_EQ(0, cfg.rekey_min_interval_s);
	config_free(&cfg);

	/* The registry in PostgreSQL, or spelt out as SQLite. */
	snprintf(txt, sizeof(txt), "%s", SERVER_OK);
	ASSERT_EQ(0, load(server_with(txt, "\"registry\":{\"backend\":\"postgresql\","
				      "\"conninfo\":\"postgresql://coapsecd:" K16 "@db.example/coapsec?sslmode=verify-full\"}"),
			  0600, &cfg, err, path)) TH_LOG("%s", err);
	EXPECT_EQ(REG_POSTGRESQL, cfg.registry);
	EXPECT_STREQ("postgresql://coapsecd:" K16 "@db.example/coapsec?sslmode=verify-full", cfg.conninfo);
	config_free(&cfg);
	/* config_free wipes the connection string (it may hold a password). */
	EXPECT_EQ(0, cfg.conninfo[0]);
	ASSERT_EQ(0, load(server_with(txt, "\"registry\":{\"backend\":\"postgresql\","
				      "\"conninfo\":\"host=/run/postgresql dbname=coapsec\"}"),
			  0600, &cfg, err, path)) TH_LOG("%s", err);
	EXPECT_EQ(REG_POSTGRESQL, cfg.registry);
	config_free(&cfg);
	/* A Unix socket (no host: libpq's default one) needs no TLS. */
	ASSERT_EQ(0, load(server_with(txt, "\"registry\":{\"backend\":\"postgresql\","
				      "\"conninfo\":\"dbname=coapsec user=coapsecd\"}"),
			  0600, &cfg, err, path)) TH_LOG("%s", err);
	EXPECT_EQ(REG_POSTGRESQL, cfg.registry);
	config_free(&cfg);
	ASSERT_EQ(0, load(server_with(txt, "\"registry\":{\"backend\":\"postgresql\","
				      "\"conninfo\":\"host=db.example,db2.example sslmode=verify-full\"}"),
			  0600, &cfg, err, path)) TH_LOG("%s", err);
	EXPECT_EQ(REG_POSTGRESQL, cfg.registry);
	config_free(&cfg);
	ASSERT_EQ(0, load(server_with(txt, "\"registry\":{\"backend\":\"sqlite\","
				      "\"path\":\"/tmp/y.db\"}"),
			  0600, &cfg, err, path)) TH_LOG("%s", err);
	EXPECT_EQ(REG_SQLITE, cfg.registry);
	EXPECT_STREQ("/tmp/y.db", cfg.db);
	config_free(&cfg);

	ASSERT_EQ(0, load("{\"role\":\"gateway\",\"id\":\"g\",\"listen\":\"127.0.0.1:5684\","
			  "\"server\":{\"address\":\"127.0.0.1:5685\",\"fallback_addresses\":[\"[::1]:5686\",\"127.0.0.2:5684\"],"
			  "\"identity\":\"g\",\"key\":\"" K16 "\"},"
			  "\"members\":[{\"id\":\"d1\",\"identity\":\"i\",\"key\":\"" K16 "\"}]}",
			  0600, &cfg, err, path))
		TH_LOG("%s", err);
	EXPECT_EQ(2, cfg.n_upstream_alt);
	EXPECT_EQ(AF_INET6, cfg.upstream_alt[0].ss.ss_family);
	EXPECT_STREQ("127.0.0.2:5684", cfg.upstream_alt[1].text);
	config_free(&cfg);

	snprintf(txt, sizeof(txt),
		 "{\"role\":\"device\",\"id\":\"d1\",\"gateway\":{\"address\":\"[::1]:5684\","
		 "\"identity\":\"d1-gw\",\"key_file\":\"%s/good.key\"},"
		 "\"server_credential\":{\"identity\":\"d1-srv\",\"key_file\":\"%s/good.key\"}}",
		 dir, dir);
	ASSERT_EQ(0, load(txt, 0644, &cfg, err, path)) TH_LOG("%s", err);
	EXPECT_EQ(ROLE_DEVICE, cfg.role);
	EXPECT_EQ(AF_INET6, cfg.upstream.ss.ss_family);
	EXPECT_EQ(16, cfg.server_cred.key_len);
	config_free(&cfg);
}

/* Two gateways: each member names those that may act for it. */
#define SERVER_2GW "{\"role\":\"server\",\"id\":\"s\",\"listen\":\"127.0.0.1:5684\",\"db\":\"x\"," \
	"\"gateways\":[{\"id\":\"gw1\",\"identity\":\"g1\",\"key\":\"" K16 "\"}," \
	"{\"id\":\"gw2\",\"identity\":\"g2\",\"key\":\"" K16 "\"}],\"groups\":[{\"name\":\"g1\"}],"

TEST(gateway_bindings)
{
	struct agent_config cfg;
	char err[CFG_ERR_LEN], path[256], txt[1024];

	ASSERT_EQ(0, load(SERVER_2GW "\"members\":[{\"id\":\"d1\",\"group\":\"g1\",\"identity\":\"i1\","
			  "\"key\":\"" K16 "\",\"gateways\":[\"gw2\"]},{\"id\":\"d2\",\"group\":\"g1\","
			  "\"identity\":\"i2\",\"key\":\"" K16 "\",\"gateways\":[\"gw1\",\"gw2\"]}]}",
			  0600, &cfg, err, path)) TH_LOG("%s", err);
	EXPECT_FALSE(cfg_member_served_by(&cfg, &cfg.members[0], "gw1"));
	EXPECT_TRUE(cfg_member_served_by(&cfg, &cfg.members[0], "gw2"));
	EXPECT_TRUE(cfg_member_served_by(&cfg, &cfg.members[1], "gw1"));
	EXPECT_TRUE(cfg_gateway_serves_group(&cfg, "gw1", "g1"));
	EXPECT_FALSE(cfg_gateway_serves_group(&cfg, "gw3", "g1"));
	config_free(&cfg);

	/* One gateway: it serves every member, as before the field. */
	ASSERT_EQ(0, load(SERVER_OK, 0600, &cfg, err, path)) TH_LOG("%s", err);
	EXPECT_TRUE(cfg_member_served_by(&cfg, &cfg.members[0], "gw1"));
	EXPECT_FALSE(cfg_member_served_by(&cfg, &cfg.members[0], "gw2"));
	config_free(&cfg);

	/* A device names its gateway's ID (TR-0012 NOTE 2). */
	snprintf(txt, sizeof(txt),
		 "{\"role\":\"device\",\"id\":\"d1\",\"gateway\":{\"address\":\"127.0.0.1:5684\","
		 "\"id\":\"gw1\",\"identity\":\"d1-gw\",\"key_file\":\"%s/good.key\"},"
		 "\"server_credential\":{\"identity\":\"d1-srv\",\"key_file\":\"%s/good.key\"}}",
		 dir, dir);
	ASSERT_EQ(0, load(txt, 0644, &cfg, err, path)) TH_LOG("%s", err);
	EXPECT_STREQ("gw1", cfg.upstream_id);
	config_free(&cfg);
}

#define SERVER_3G "{\"role\":\"server\",\"id\":\"s\",\"listen\":\"127.0.0.1:5684\",\"db\":\"x\"," \
	"\"gateways\":[{\"id\":\"gw1\",\"identity\":\"g1\",\"key\":\"" K16 "\"}]," \
	"\"groups\":[{\"name\":\"doors\"},{\"name\":\"floor-2\"},{\"name\":\"lights\"}],"

/*
 * A member in several groups ("groups"), beside members of one
 * ("group", as before): the gateway serves each of those groups.
 */
TEST(member_groups)
{
	struct agent_config cfg;
	char err[CFG_ERR_LEN], path[256];

	ASSERT_EQ(0, load(SERVER_3G "\"members\":[{\"id\":\"door-1\",\"groups\":[\"doors\",\"floor-2\"],"
			  "\"identity\":\"i1\",\"key\":\"" K16 "\"},{\"id\":\"lamp-1\",\"group\":\"lights\","
			  "\"identity\":\"i2\",\"key\":\"" K16 "\"}]}",
			  0600, &cfg, err, path)) TH_LOG("%s", err);
	ASSERT_EQ(2, cfg.n_members);
	EXPECT_EQ(2, cfg.members[0].n_groups);
	EXPECT_STREQ("doors", cfg.members[0].groups[0]);
	EXPECT_STREQ("floor-2", cfg.members[0].groups[1]);
	EXPECT_TRUE(cfg_member_in_group(&cfg.members[0], "floor-2"));
	EXPECT_FALSE(cfg_member_in_group(&cfg.members[0], "lights"));
	EXPECT_EQ(1, cfg.members[1].n_groups);
	EXPECT_TRUE(cfg_member_in_group(&cfg.members[1], "lights"));
	EXPECT_TRUE(cfg_gateway_serves_group(&cfg, "gw1", "floor-2"));
	EXPECT_TRUE(cfg_gateway_serves_group(&cfg, "gw1", "doors"));
	config_free(&cfg);
}

/* Member IDs are kept in NFKC as well: "\xef\xac\x81" is U+FB01, "fi". */
TEST(member_ids_nfkc)
{
	struct agent_config cfg;
	char err[CFG_ERR_LEN], path[256];

	ASSERT_EQ(0, load(SERVER_2GW "\"members\":[{\"id\":\"\xef\xac\x81x\",\"group\":\"g1\","
			  "\"identity\":\"i1\",\"key\":\"" K16 "\",\"gateways\":[\"gw1\"]}]}",
			  0600, &cfg, err, path)) TH_LOG("%s", err);
	EXPECT_STREQ("\xef\xac\x81x", cfg.members[0].id);
	EXPECT_STREQ("fix", cfg.members[0].norm);
	EXPECT_EQ(&cfg.members[0], cfg_member_by_norm(&cfg, "fix"));
	config_free(&cfg);
}

/* U+FDFA: 3 bytes, 33 after NFKC */
#define FDFA "\xef\xb7\xba"

struct bad {
	const char *json;	/* %1$s is the key directory */
	mode_t mode;
	const char *message;	/* expected after "FILE: " */
};

static const struct bad bad_table[] = {
	{ "{\"role\":\"server\"", 0600, "(file): expected valid JSON" },
	{ "[]", 0600, "(top level): expected a JSON object" },
	{ "{\"id\":\"x\"}", 0600, "role: expected a string, field is missing" },
	{ "{\"role\":\"proxy\",\"id\":\"x\"}", 0600,
	  "role: expected \"device\", \"gateway\" or \"server\", got \"proxy\"" },
	{ "{\"role\":\"device\"}", 0600, "id: expected a string, field is missing" },
	{ "{\"role\":\"device\",\"id\":\"\"}", 0600, "id: expected a non-empty string" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"db\":\"x\"}", 0600,
	  "db: unknown field for role device" },
	{ "{\"role\":\"device\",\"id\":\"d\"}", 0600,
	  "gateway: expected an object, field is missing" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"localhost:5684\"}}", 0600,
	  "gateway.address: expected a numeric \"ADDRESS:PORT\"" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:70000\"}}", 0600,
	  "gateway.address: expected a numeric" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:1\",\"identity\":\"i\"}}",
	  0600, "gateway.key: expected key or key_file, neither is present" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:1\",\"identity\":\"i\",\"key\":\"" K16 "\"}}",
	  0644, "gateway.key: expected the config file to be mode 0600" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:1\",\"identity\":\"i\",\"key\":\"0011\"}}",
	  0600, "gateway.key: expected 16 to 64 bytes as hex" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:1\",\"identity\":\"i\",\"key\":\"" K16 "\",\"key_file\":\"x\"}}",
	  0600, "gateway.key: expected either key or key_file, not both" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:1\",\"identity\":\"i\",\"key_file\":\"%1$s/open.key\"}}",
	  0644, "gateway.key_file: expected key file %1$s/open.key to be mode 0600, it is 0644" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:1\",\"identity\":\"i\",\"key_file\":\"%1$s/none.key\"}}",
	  0644, "gateway.key_file: expected a readable key file, %1$s/none.key: No such file" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:1\",\"identity\":\"i\",\"key_file\":\"%1$s/short.key\"}}",
	  0644, "gateway.key_file: expected key file %1$s/short.key to hold 16 to 64 bytes as hex" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:1\",\"identity\":\"i\",\"key_file\":\"%1$s/nothex.key\"}}",
	  0644, "gateway.key_file: expected key file %1$s/nothex.key to hold" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:1\",\"identity\":\"i\",\"key_file\":\"%1$s\"}}",
	  0644, "gateway.key_file: expected a regular key file" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:1\",\"identity\":\"i\",\"key_file\":\"%1$s/good.key\",\"port\":1}}",
	  0644, "gateway.port: unknown field for role device" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:1\",\"identity\":\"i\",\"key_file\":\"%1$s/good.key\"}}",
	  0644, "server_credential: expected an object, field is missing" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:1\",\"identity\":\"i\",\"key_file\":\"%1$s/good.key\"},"
	  "\"server_credential\":{\"identity\":\"an-identity-longer-than-32-bytes-is-refused\",\"key_file\":\"%1$s/good.key\"}}",
	  0644, "server_credential.identity: expected at most 32 bytes (KsxId = KpsaxiId is the OSCORE ID Context)" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"policies\":[{\"direction\":\"up\"}]}", 0600,
	  "policies[0].direction: expected \"out\", \"fwd\" or \"in\"" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"policies\":[{\"direction\":\"out\",\"action\":\"protect\",\"dst\":\"10.0.0.1\"}]}", 0600,
	  "policies[0].context: expected the name of a context" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"policies\":[{\"direction\":\"in\",\"action\":\"require\",\"family\":\"inet\",\"dst\":\"fd00::1/64\"}]}", 0600,
	  "policies[0].dst: expected \"ADDRESS[/PREFIXLEN]\" of the policy's family" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"policies\":[{\"direction\":\"in\",\"action\":\"require\"}]}", 0600,
	  "policies[0].family: expected \"inet\" or \"inet6\" (or an address to tell)" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"max_peers\":0}", 0600,
	  "max_peers: expected an integer in 1..65536" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"kernel\":\"yes\"}", 0600,
	  "kernel: expected true or false" },
	{ SERVER_HEAD "\"db\":\"x\",\"policies\":[{\"direction\":\"out\",\"action\":\"protect\",\"context\":\"pairwise\",\"family\":\"inet\"}]}", 0600,
	  "policies[0].context: expected \"pairwise:MEMBER\" on a server (it holds a pairwise context per member), got \"pairwise\"" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"rekey_min_interval_s\":5}", 0600,
	  "rekey_min_interval_s: unknown field for role device" },
	{ "{\"role\":\"server\",\"id\":\"s\",\"rekey_min_interval_s\":86401}", 0600,
	  "rekey_min_interval_s: expected an integer in 0..86400" },
	{ "{\"role\":\"server\",\"id\":\"s\",\"listen\":\"127.0.0.1:5684\"}", 0600,
	  "db: expected a string, field is missing" },
	{ "{\"role\":\"server\",\"id\":\"s\",\"listen\":\"127.0.0.1:5684\",\"db\":\"x\",\"gateways\":[]}", 0600,
	  "gateways: expected a non-empty array of objects" },
	{ "{\"role\":\"server\",\"id\":\"s\",\"listen\":\"127.0.0.1:5684\",\"db\":\"x\","
	  "\"gateways\":[{\"id\":\"g\",\"identity\":\"g\",\"key\":\"" K16 "\"}],"
	  "\"groups\":[{\"name\":\"g1\",\"alg\":99}]}", 0600,
	  "groups[0].alg: expected a COSE AEAD id" },
	{ "{\"role\":\"server\",\"id\":\"s\",\"listen\":\"127.0.0.1:5684\",\"db\":\"x\","
	  "\"gateways\":[{\"id\":\"g\",\"identity\":\"g\",\"key\":\"" K16 "\"}],"
	  "\"groups\":[{\"name\":\"g1\",\"secret_len\":20}]}", 0600,
	  "groups[0].secret_len: expected 16 or 32" },
	{ "{\"role\":\"server\",\"id\":\"s\",\"listen\":\"127.0.0.1:5684\",\"db\":\"x\","
	  "\"gateways\":[{\"id\":\"g\",\"identity\":\"g\",\"key\":\"" K16 "\"}],"
	  "\"groups\":[{\"name\":\"g1\"}],\"members\":[{\"id\":\"d1\",\"group\":\"g2\",\"identity\":\"i\",\"key\":\"" K16 "\"}]}",
	  0600, "members[0].group: expected the name of a group in \"groups\", \"g2\" is not one" },
	{ "{\"role\":\"server\",\"id\":\"s\",\"listen\":\"127.0.0.1:5684\",\"db\":\"x\","
	  "\"gateways\":[{\"id\":\"g\",\"identity\":\"g\",\"key\":\"" K16 "\"}],"
	  "\"groups\":[{\"name\":\"g1\"}],\"members\":[{\"id\":\"d1\",\"group\":\"g1\",\"identity\":\"i\",\"key\":\"" K16 "\"},"
	  "{\"id\":\"d1\",\"group\":\"g1\",\"identity\":\"j\",\"key\":\"" K16 "\"}]}",
	  0600, "members[1].id: expected a unique member id, \"d1\" repeats" },
	/* members[].gateways: which gateway may act for which member */
	{ SERVER_2GW "\"members\":[{\"id\":\"d1\",\"group\":\"g1\",\"identity\":\"i\",\"key\":\"" K16 "\"}]}",
	  0600, "members[0].gateways: expected an array of the IDs of the gateways that may act for this member, field is missing (required with more than one gateway)" },
	{ SERVER_2GW "\"members\":[{\"id\":\"d1\",\"group\":\"g1\",\"identity\":\"i\",\"key\":\"" K16 "\",\"gateways\":[]}]}",
	  0600, "members[0].gateways: expected an array of 1 to 8 gateway IDs from \"gateways\"" },
	{ SERVER_2GW "\"members\":[{\"id\":\"d1\",\"group\":\"g1\",\"identity\":\"i\",\"key\":\"" K16 "\",\"gateways\":\"gw1\"}]}",
	  0600, "members[0].gateways: expected an array of 1 to 8 gateway IDs from \"gateways\"" },
	{ SERVER_2GW "\"members\":[{\"id\":\"d1\",\"group\":\"g1\",\"identity\":\"i\",\"key\":\"" K16 "\",\"gateways\":[\"gw1\",\"gw9\"]}]}",
	  0600, "members[0].gateways[1]: expected the id of a gateway in \"gateways\", \"gw9\" is not one" },
	{ SERVER_2GW "\"members\":[{\"id\":\"d1\",\"group\":\"g1\",\"identity\":\"i\",\"key\":\"" K16 "\",\"gateways\":[\"gw1\",\"gw1\"]}]}",
	  0600, "members[0].gateways[1]: expected each gateway once, \"gw1\" repeats" },
	{ SERVER_2GW "\"members\":[{\"id\":\"d1\",\"group\":\"g1\",\"identity\":\"i\",\"key\":\"" K16 "\",\"gateways\":[7]}]}",
	  0600, "members[0].gateways[0]: expected a gateway ID (a string)" },
	{ "{\"role\":\"server\",\"id\":\"s\",\"listen\":\"127.0.0.1:5684\",\"db\":\"x\","
	  "\"gateways\":[{\"id\":\"gw1\",\"identity\":\"g1\",\"key\":\"" K16 "\"},"
	  "{\"id\":\"gw1\",\"identity\":\"g2\",\"key\":\"" K16 "\"}]}", 0600,
	  "gateways[1].id: expected a unique gateway id, \"gw1\" repeats" },
	/* members[].groups: a member in several groups */
	{ SERVER_3G "\"members\":[{\"id\":\"d1\",\"groups\":[\"doors\",\"attic\"],\"identity\":\"i\",\"key\":\"" K16 "\"}]}",
	  0600, "members[0].groups[1]: expected the name of a group in \"groups\", \"attic\" is not one" },
	{ SERVER_3G "\"members\":[{\"id\":\"d1\",\"groups\":[\"doors\",\"doors\"],\"identity\":\"i\",\"key\":\"" K16 "\"}]}",
	  0600, "members[0].groups[1]: expected each group once, \"doors\" repeats" },
	{ SERVER_3G "\"members\":[{\"id\":\"d1\",\"groups\":[],\"identity\":\"i\",\"key\":\"" K16 "\"}]}",
	  0600, "members[0].groups: expected an array of 1 to 4 group names from \"groups\"" },
	{ SERVER_3G "\"members\":[{\"id\":\"d1\",\"groups\":[\"doors\",7],\"identity\":\"i\",\"key\":\"" K16 "\"}]}",
	  0600, "members[0].groups[1]: expected a group name (a string)" },
	{ SERVER_3G "\"members\":[{\"id\":\"d1\",\"group\":\"doors\",\"groups\":[\"lights\"],\"identity\":\"i\",\"key\":\"" K16 "\"}]}",
	  0600, "members[0]: expected \"group\" (a group name) or \"groups\" (an array of 1 to 4 group names), found both" },
	{ SERVER_3G "\"members\":[{\"id\":\"d1\",\"identity\":\"i\",\"key\":\"" K16 "\"}]}",
	  0600, "members[0]: expected \"group\" (a group name) or \"groups\" (an array of 1 to 4 group names), found neither" },
	/* member IDs compared after NFKC: U+FB01 "fi" is "fi" */
	{ SERVER_2GW "\"members\":[{\"id\":\"fix\",\"group\":\"g1\",\"identity\":\"i\",\"key\":\"" K16 "\",\"gateways\":[\"gw1\"]},"
	  "{\"id\":\"\xef\xac\x81x\",\"group\":\"g1\",\"identity\":\"j\",\"key\":\"" K16 "\",\"gateways\":[\"gw1\"]}]}",
	  0600, "members[1].id: expected a member id unique after NFKC, \"\xef\xac\x81x\" is the same as members[0].id" },
	{ "{\"role\":\"gateway\",\"id\":\"g\",\"listen\":\"127.0.0.1:5684\","
	  "\"server\":{\"address\":\"127.0.0.1:5685\",\"identity\":\"g\",\"key\":\"" K16 "\"},"
	  "\"members\":[{\"id\":\"" FDFA FDFA FDFA FDFA FDFA "\",\"identity\":\"i\",\"key\":\"" K16 "\"}]}",
	  0600, "members[0].id: expected valid UTF-8 of at most 127 bytes after NFKC" },
	{ "{\"role\":\"gateway\",\"id\":\"g\",\"listen\":\"127.0.0.1:5684\","
	  "\"server\":{\"address\":\"127.0.0.1:5685\",\"id\":\"s\",\"identity\":\"g\",\"key\":\"" K16 "\"}}",
	  0600, "server.id: unknown field for role gateway" },
	{ "{\"role\":\"gateway\",\"id\":\"g\",\"listen\":\"127.0.0.1:5684\","
	  "\"server\":{\"address\":\"127.0.0.1:5685\",\"identity\":\"g\",\"key\":\"" K16 "\"},"
	  "\"members\":[{\"id\":\"d1\",\"group\":\"g1\",\"identity\":\"i\",\"key\":\"" K16 "\"}]}",
	  0600, "members[0].group: unknown field for role gateway" },
	/* A gateway's fallback server instances. */
	{ "{\"role\":\"gateway\",\"id\":\"g\",\"listen\":\"127.0.0.1:5684\","
	  "\"server\":{\"address\":\"127.0.0.1:5685\",\"fallback_addresses\":[],\"identity\":\"g\",\"key\":\"" K16 "\"}}",
	  0600, "server.fallback_addresses: expected an array of 1 to 4 \"ADDRESS:PORT\" strings" },
	{ "{\"role\":\"gateway\",\"id\":\"g\",\"listen\":\"127.0.0.1:5684\","
	  "\"server\":{\"address\":\"127.0.0.1:5685\",\"fallback_addresses\":[\"127.0.0.1:5686\",\"srv-b:5684\"],\"identity\":\"g\",\"key\":\"" K16 "\"}}",
	  0600, "server.fallback_addresses[1]: expected a numeric \"ADDRESS:PORT\" or \"[IPV6]:PORT\", got \"srv-b:5684\"" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"gateway\":{\"address\":\"127.0.0.1:5685\",\"fallback_addresses\":[\"127.0.0.1:5686\"],"
	  "\"identity\":\"g\",\"key\":\"" K16 "\"}}",
	  0600, "gateway.fallback_addresses: unknown field for role device" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"role\":\"server\"}", 0600,
	  "(file): expected valid JSON: line 1 column 32: duplicate object key" },
	/* What would fail later, caught now: files the agent writes... */
	{ "{\"role\":\"device\",\"id\":\"d\",\"contexts_file\":\"%1$s/none/d.ctx\"}", 0600,
	  "contexts_file: expected the directory of %1$s/none/d.ctx to exist, %1$s/none: No such file or directory" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"contexts_file\":\"%1$s/good.key/d.ctx\"}", 0600,
	  "contexts_file: expected %1$s/good.key to be a directory (for %1$s/good.key/d.ctx), it is not one" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"contexts_file\":\"%1$s\"}", 0600,
	  "contexts_file: expected %1$s to be a regular file" },
	{ "{\"role\":\"server\",\"id\":\"s\",\"listen\":\"127.0.0.1:5684\",\"db\":\"%1$s/none/registry.db\"}", 0600,
	  "db: expected the directory of %1$s/none/registry.db to exist, %1$s/none: No such file or directory" },
	/* The registry: one of db and registry, each field checked. */
	{ SERVER_HEAD "\"db\":\"x\",\"registry\":{\"backend\":\"sqlite\",\"path\":\"x\"}}", 0600,
	  "registry: expected either db or registry, not both" },
	{ SERVER_HEAD "\"registry\":\"postgresql://h/db\"}", 0600,
	  "registry: expected an object: {\"backend\": \"sqlite\", \"path\": FILE} or {\"backend\": \"postgresql\", \"conninfo\": STRING}" },
	{ SERVER_HEAD "\"registry\":{\"path\":\"x\"}}", 0600,
	  "registry.backend: expected a string, field is missing" },
	{ SERVER_HEAD "\"registry\":{\"backend\":\"mysql\"}}", 0600,
	  "registry.backend: expected \"sqlite\" or \"postgresql\", got \"mysql\"" },
	{ SERVER_HEAD "\"registry\":{\"backend\":\"sqlite\",\"conninfo\":\"x\"}}", 0600,
	  "registry.conninfo: unknown field for role server (expected one of: backend, path)" },
	{ SERVER_HEAD "\"registry\":{\"backend\":\"sqlite\",\"path\":\"%1$s/none/r.db\"}}", 0600,
	  "registry.path: expected the directory of %1$s/none/r.db to exist" },
	{ SERVER_HEAD "\"registry\":{\"backend\":\"postgresql\"}}", 0600,
	  "registry.conninfo: expected a string, field is missing" },
	{ SERVER_HEAD "\"registry\":{\"backend\":\"postgresql\",\"conninfo\":\"host=h password " K16 "\"}}", 0600,
	  "registry.conninfo: expected a libpq connection string: keyword=value pairs" },
	{ SERVER_HEAD "\"registry\":{\"backend\":\"postgresql\",\"conninfo\":\"host=h nosuch=1\"}}", 0600,
	  "registry.conninfo: expected a libpq connection string" },
	{ SERVER_HEAD "\"registry\":{\"backend\":\"postgresql\",\"conninfo\":\"host=h password=" K16 "\"}}", 0644,
	  "registry.conninfo: expected the config file to be mode 0600 when the connection string holds a password" },
	{ SERVER_HEAD "\"registry\":{\"backend\":\"postgresql\",\"conninfo\":\"postgresql://u:" K16 "@h/db\"}}", 0644,
	  "registry.conninfo: expected the config file to be mode 0600 when the connection string holds a password" },
	/* A network host only with a verified TLS session (sslmode=verify-full). */
	{ SERVER_HEAD "\"registry\":{\"backend\":\"postgresql\",\"conninfo\":\"host=db.example dbname=coapsec\"}}", 0600,
	  "registry.conninfo: expected sslmode=verify-full with the network host \"db.example\" (got no sslmode)" },
	{ SERVER_HEAD "\"registry\":{\"backend\":\"postgresql\",\"conninfo\":\"host=db.example sslmode=require\"}}", 0600,
	  "registry.conninfo: expected sslmode=verify-full with the network host \"db.example\" (got sslmode=require)" },
	{ SERVER_HEAD "\"registry\":{\"backend\":\"postgresql\",\"conninfo\":\"hostaddr=192.0.2.1 sslmode=verify-ca\"}}", 0600,
	  "registry.conninfo: expected sslmode=verify-full with the network host \"192.0.2.1\" (got sslmode=verify-ca)" },
	{ SERVER_HEAD "\"registry\":{\"backend\":\"postgresql\",\"conninfo\":\"postgresql://u@db.example:5433/db?sslmode=prefer\"}}", 0600,
	  "registry.conninfo: expected sslmode=verify-full with the network host \"db.example\" (got sslmode=prefer)" },
	{ SERVER_HEAD "\"registry\":{\"backend\":\"postgresql\",\"conninfo\":\"service=reg dbname=coapsec\"}}", 0600,
	  "registry.conninfo: expected sslmode=verify-full with the service \"reg\" (got no sslmode)" },
	{ SERVER_HEAD "\"registry\":{\"backend\":\"postgresql\",\"conninfo\":\"host=/run/postgresql,db2.example dbname=coapsec\"}}", 0600,
	  "registry.conninfo: expected sslmode=verify-full with the network host \"db2.example\"" },
	/* ...prefixes with host bits, contexts that never come */
	{ "{\"role\":\"device\",\"id\":\"d\",\"policies\":[{\"direction\":\"in\",\"action\":\"require\",\"src\":\"192.0.2.1/24\"}]}", 0600,
	  "policies[0].src: expected no address bits set after the prefix length, \"192.0.2.1/24\" has some" },
	{ "{\"role\":\"device\",\"id\":\"d\",\"policies\":[{\"direction\":\"out\",\"action\":\"protect\",\"context\":\"lights\",\"dst\":\"fd00::/8\"}]}", 0600,
	  "policies[0].context: expected \"group:NAME\", \"pairwise\" or \"pairwise:MEMBER\", got \"lights\"" },
	{ "{\"role\":\"server\",\"id\":\"s\",\"listen\":\"127.0.0.1:5684\",\"db\":\"x\","
	  "\"gateways\":[{\"id\":\"g\",\"identity\":\"g\",\"key\":\"" K16 "\"}],"
	  "\"groups\":[{\"name\":\"g1\"}],\"members\":[{\"id\":\"d1\",\"group\":\"g1\",\"identity\":\"i\",\"key\":\"" K16 "\"}],"
	  "\"policies\":[{\"direction\":\"out\",\"action\":\"protect\",\"context\":\"group:g2\",\"dst\":\"224.0.1.187\"}]}", 0600,
	  "policies[0].context: expected \"group:NAME\" naming a group in \"groups\", \"g2\" is not one" },
	{ "{\"role\":\"server\",\"id\":\"s\",\"listen\":\"127.0.0.1:5684\",\"db\":\"x\","
	  "\"gateways\":[{\"id\":\"g\",\"identity\":\"g\",\"key\":\"" K16 "\"}],"
	  "\"groups\":[{\"name\":\"g1\"}],\"members\":[{\"id\":\"d1\",\"group\":\"g1\",\"identity\":\"i\",\"key\":\"" K16 "\"}],"
	  "\"policies\":[{\"direction\":\"out\",\"action\":\"protect\",\"context\":\"pairwise:d9\",\"family\":\"inet\"}]}", 0600,
	  "policies[0].context: expected \"pairwise:MEMBER\" naming a member in \"members\", \"d9\" is not one" },
};

TEST(bad_configs)
{
	for (size_t i = 0; i < sizeof(bad_table) / sizeof(bad_table[0]); i++) {
		const struct bad *b = &bad_table[i];
		char json[2048], want[1024], full[1300], err[CFG_ERR_LEN], path[256];
		struct agent_config cfg;

		setup_dir();
		snprintf(json, sizeof(json), b->json, dir);
		snprintf(want, sizeof(want), b->message, dir);
		EXPECT_EQ(-1, load(json, b->mode, &cfg, err, path)) {
			TH_LOG("case %zu accepted", i);
			config_free(&cfg);
			continue;
		}
		snprintf(full, sizeof(full), "%s: %s", path, want);
		EXPECT_EQ(0, strncmp(err, full, strlen(full)))
			TH_LOG("case %zu:\n  got  %s\n  want %s...", i, err, full);
		/* No key material in any message. */
		EXPECT_EQ(NULL, strstr(err, K16));
	}
}

/* Not a table case: root may write anywhere. */
TEST(unwritable_dir)
{
	struct agent_config cfg;
	char err[CFG_ERR_LEN], path[256], sub[300], txt[600], want[1200];

	if (!geteuid())
		SKIP(return, "root writes to any directory");
	setup_dir();
	snprintf(sub, sizeof(sub), "%s/ro", dir);
	ASSERT_EQ(0, mkdir(sub, 0500));
	snprintf(txt, sizeof(txt),
		 "{\"role\":\"device\",\"id\":\"d\",\"contexts_file\":\"%s/d.ctx\"}", sub);
	EXPECT_EQ(-1, load(txt, 0600, &cfg, err, path));
	snprintf(want, sizeof(want),
		 "%s: contexts_file: expected the directory of %s/d.ctx to be writable, %s: Permission denied",
		 path, sub, sub);
	EXPECT_STREQ(want, err);
	rmdir(sub);
}

TEST(missing_file)
{
	struct agent_config cfg;
	char err[CFG_ERR_LEN];

	EXPECT_EQ(-1, config_load("/nonexistent/coapsecd.json", &cfg, err, sizeof(err)));
	EXPECT_STREQ("/nonexistent/coapsecd.json: (file): expected a readable file: No such file or directory",
		     err);
}

TEST(cleanup)
{
	char cmd[300];

	setup_dir();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	EXPECT_EQ(0, system(cmd));
}

TEST_HARNESS_MAIN
