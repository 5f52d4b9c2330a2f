// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of coapsec(8)'s argument parsers.  KTAP. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest.h"
#include "uapi/linux/coapsec.h"
#include "tools/cli/args.h"

static void test_hex(void)
{
	uint8_t b[8];
	size_t n;

	ksft_test_result(!parse_hex("0a0B", b, 8, &n) && n == 2 &&
			 b[0] == 0x0a && b[1] == 0x0b, "hex: mixed case\n");
	ksft_test_result(!parse_hex("", b, 8, &n) && n == 0,
			 "hex: empty is zero bytes\n");
	ksft_test_result(!parse_hex("0x01", b, 8, &n) && n == 1 && b[0] == 1,
			 "hex: 0x prefix\n");
	ksft_test_result(parse_hex("abc", b, 8, &n) < 0, "hex: odd length\n");
	ksft_test_result(parse_hex("zz", b, 8, &n) < 0, "hex: not hex\n");
	ksft_test_result(parse_hex("000102030405060708", b, 8, &n) < 0,
			 "hex: too long\n");
}

static void test_numbers(void)
{
	uint64_t v;
	uint32_t w;

	ksft_test_result(!parse_u64("1099511627775", 0, COAPSEC_SEQ_MAX, &v) &&
			 v == COAPSEC_SEQ_MAX, "u64: 2^40-1\n");
	ksft_test_result(parse_u64("1099511627776", 0, COAPSEC_SEQ_MAX, &v) < 0,
			 "u64: above max\n");
	ksft_test_result(parse_u64("-1", 0, UINT64_MAX, &v) < 0,
			 "u64: negative\n");
	ksft_test_result(parse_u64("12x", 0, 100, &v) < 0, "u64: trailing\n");
	ksft_test_result(parse_u64("", 0, 100, &v) < 0, "u64: empty\n");
	ksft_test_result(!parse_u32("0x10", 0, 100, &w) && w == 16,
			 "u32: hex\n");
	ksft_test_result(parse_u32("0", 1, 100, &w) < 0, "u32: below min\n");
	ksft_test_result(parse_u32("4294967296", 0, UINT32_MAX, &w) < 0,
			 "u32: overflow\n");
}

static void test_alg_dir(void)
{
	uint32_t a;
	uint8_t d;

	ksft_test_result(!parse_alg("10", &a) && a == 10 &&
			 !parse_alg("aes-ccm-16-64-128", &a) && a == 10 &&
			 !parse_alg("A128GCM", &a) && a == 1 &&
			 !parse_alg("a256gcm", &a) && a == 3 &&
			 !parse_alg("chacha20-poly1305", &a) && a == 24,
			 "alg: numbers and COSE names\n");
	ksft_test_result(parse_alg("11", &a) < 0 && parse_alg("aes", &a) < 0,
			 "alg: unknown refused\n");
	ksft_test_result(!parse_dir("out", &d) && d == COAPSEC_DIR_OUT &&
			 !parse_dir("fwd", &d) && d == COAPSEC_DIR_FWD &&
			 !parse_dir("in", &d) && d == COAPSEC_DIR_IN &&
			 parse_dir("inout", &d) < 0, "dir\n");
}

static void test_prefix_mark(void)
{
	uint8_t fam, addr[16], plen;
	uint32_t m, k;

	ksft_test_result(!parse_prefix("192.0.2.0/24", &fam, addr, &plen) &&
			 fam == AF_INET && plen == 24 && addr[0] == 192 &&
			 addr[2] == 2, "prefix: IPv4\n");
	ksft_test_result(!parse_prefix("2001:db8::1", &fam, addr, &plen) &&
			 fam == AF_INET6 && plen == 128 && addr[0] == 0x20 &&
			 addr[15] == 1, "prefix: IPv6 address alone\n");
	ksft_test_result(parse_prefix("192.0.2.0/33", &fam, addr, &plen) < 0 &&
			 parse_prefix("::/129", &fam, addr, &plen) < 0 &&
			 parse_prefix("host", &fam, addr, &plen) < 0 &&
			 parse_prefix("10.0.0.0/", &fam, addr, &plen) < 0,
			 "prefix: invalid refused\n");
	ksft_test_result(!parse_mark("0x10/0xf0", &m, &k) && m == 16 &&
			 k == 0xf0 && !parse_mark("7", &m, &k) && m == 7 &&
			 k == UINT32_MAX && parse_mark("x", &m, &k) < 0,
			 "mark\n");
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		return -1;
	fchmod(fd, mode);
	return close(fd);
}

static void test_secret_file(void)
{
	char dir[] = "/tmp/coapsec-args-XXXXXX", path[64], why[256];
	struct master_secret ms;

	if (!mkdtemp(dir)) {
		ksft_test_result_skip("secret files: no temporary folder\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/key", dir);

	write_file(path, "# comment\nsecret 0102\nsalt 9e7c\n", 0600);
	ksft_test_result(!read_master_secret(path, &ms, why, sizeof(why)) &&
			 ms.secret_len == 2 && ms.secret[1] == 2 &&
			 ms.has_salt && ms.salt_len == 2 && ms.salt[0] == 0x9e,
			 "secret file: secret and salt lines\n");
	write_file(path, "0102030405060708090a0b0c0d0e0f10\n", 0600);
	ksft_test_result(!read_master_secret(path, &ms, why, sizeof(why)) &&
			 ms.secret_len == 16 && !ms.has_salt,
			 "secret file: one hex line\n");
	write_file(path, "0102\n", 0644);
	ksft_test_result(read_master_secret(path, &ms, why, sizeof(why)) ==
			 -EPERM && strstr(why, "0644"),
			 "secret file: mode 0644 refused\n");
	write_file(path, "0102\n", 0640);
	ksft_test_result(read_master_secret(path, &ms, why, sizeof(why)) ==
			 -EPERM, "secret file: mode 0640 refused\n");
	write_file(path, "secret xyz\n", 0600);
	ksft_test_result(read_master_secret(path, &ms, why, sizeof(why)) ==
			 -EINVAL, "secret file: bad hex refused\n");
	write_file(path, "# nothing\n", 0600);
	ksft_test_result(read_master_secret(path, &ms, why, sizeof(why)) ==
			 -EINVAL && strstr(why, "no master secret"),
			 "secret file: empty refused\n");
	unlink(path);
	ksft_test_result(read_master_secret(path, &ms, why, sizeof(why)) ==
			 -ENOENT, "secret file: missing file\n");
	rmdir(dir);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(28);
	test_hex();
	test_numbers();
	test_alg_dir();
	test_prefix_mark();
	test_secret_file();
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}
