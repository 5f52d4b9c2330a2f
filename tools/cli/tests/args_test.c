// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of coapsec(8)'s argument parsers, and of the refusals
 * the built CLI ($COAPSEC_CLI, else build/coapsec) makes before it talks
 * to the kernel.  KTAP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

static void test_match_word(void)
{
	static const struct cli_word w[] = {
		CLI_WORD("add", 0), CLI_WORD("swap", 1),
		CLI_WORD("del", 2), CLI_WORD("delete", 2),
		CLI_WORD_PREFERRED("show", 3), CLI_WORD_PREFERRED("list", 3),
		CLI_WORD("flush", 4), CLI_WORD("features", 5),
	};
	size_t n = sizeof(w) / sizeof(w[0]);
	uint64_t seen = 0;

	ksft_test_result(match_word("swap", w, n) == 1 &&
			 match_word("sw", w, n) == 1 &&
			 match_word("a", w, n) == 0,
			 "match_word: names and unique prefixes\n");
	ksft_test_result(match_word("s", w, n) == 3 &&
			 match_word("l", w, n) == 3,
			 "match_word: a prefix of several picks the preferred (show)\n");
	ksft_test_result(match_word("d", w, n) == 2 &&
			 match_word("dele", w, n) == 2,
			 "match_word: a prefix of aliases names their command\n");
	ksft_test_result(match_word("f", w, n) == -ENOTUNIQ &&
			 match_word("x", w, n) == -ENOENT &&
			 match_word("", w, n) == -ENOENT &&
			 match_word("shows", w, n) == -ENOENT,
			 "match_word: ambiguous, unknown, empty and too long refused\n");
	ksft_test_result(!note_once("del", w, n, &seen) &&
			 note_once("delete", w, n, &seen) == -EEXIST &&
			 !note_once("other", w, n, &seen) &&
			 !note_once("other", w, n, &seen),
			 "note_once: an alias counts as its word, others ignored\n");
}

/*
 * The built CLI: runs it with the NULL-terminated @args and returns its
 * exit status (-1 if it did not exit), its stdout and stderr in @out and
 * @err.  The commands given here fail or finish before any netlink.
 */
static const char *cli_path;

static void drain(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	buf[n] = '\0';
	close(fd);
}

static int run_cli(char *out, size_t out_size, char *err, size_t err_size,
		   const char *const *args)
{
	const char *argv[32] = { cli_path };
	int po[2], pe[2], st;
	size_t i;
	pid_t pid;

	for (i = 0; args[i] && i + 2 < sizeof(argv) / sizeof(argv[0]); i++)
		argv[i + 1] = args[i];
	if (pipe(po) || pipe(pe))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		execv(cli_path, (char *const *)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* Usage texts and messages are far below a pipe's buffer. */
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	drain(po[0], out, out_size);
	drain(pe[0], err, err_size);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * ok when the CLI exits with @status and @text is in its stderr.  Every
 * command line here is one the CLI must refuse before it opens netlink,
 * and one that an older CLI would refuse for another reason too, so that
 * no run of this test changes the kernel state of the host.
 */
static void expect(int status, const char *text, const char *what, ...)
{
	const char *args[32];
	char out[8192], err[4096], name[256];
	va_list ap;
	size_t i = 0;
	int st;

	va_start(ap, what);
	while (i < 31 && (args[i] = va_arg(ap, const char *)))
		i++;
	va_end(ap);
	args[i] = NULL;
	st = run_cli(out, sizeof(out), err, sizeof(err), args);
	snprintf(name, sizeof(name), "cli: %s\n", what);
	if (st != status || !strstr(err, text))
		ksft_print_msg("exit %d, stderr: %s%s", st, err,
			       strchr(err, '\n') ? "" : "\n");
	ksft_test_result(st == status && strstr(err, text), "%s", name);
}

static void test_cli(void)
{
	char dir[] = "/tmp/coapsec-cli-XXXXXX", key[64], shortkey[64];
	char out[8192], err[4096];
	int st;

	if (!mkdtemp(dir)) {
		ksft_test_result_skip("cli: no temporary folder\n");
		return;
	}
	snprintf(key, sizeof(key), "%s/key", dir);
	snprintf(shortkey, sizeof(shortkey), "%s/short", dir);
	write_file(key, "0102030405060708090a0b0c0d0e0f10\n", 0600);
	write_file(shortkey, "0102030405060708090a0b0c0d0e0f\n", 0600);

	expect(2, "at least 16", "a master secret of 15 bytes is refused",
	       "derive", "secret", shortkey, "sender-id", "00",
	       "recipient-id", "01", NULL);
	expect(2, "recipient-id 01 is also the sender-id",
	       "a recipient ID equal to the sender ID is refused",
	       "derive", "secret", key, "sender-id", "01",
	       "recipient-id", "02", "recipient-id", "01", NULL);
	expect(2, "recipient-id \"\" is also the sender-id",
	       "empty sender and recipient IDs are refused as equal",
	       "derive", "secret", key, "sender-id", "", "recipient-id", "",
	       NULL);
	expect(2, "recipient-id 02 given twice",
	       "a recipient ID given twice is refused",
	       "derive", "secret", key, "sender-id", "00",
	       "recipient-id", "02", "recipient-id", "02", NULL);
	expect(2, "'window' given twice",
	       "context: an argument given twice is refused",
	       "derive", "secret", key, "sender-id", "00",
	       "recipient-id", "01", "window", "64", "window", "32", NULL);
	expect(2, "'secret' given twice",
	       "context: secret given twice is refused",
	       "derive", "secret", key, "secret", key, "sender-id", "00",
	       "recipient-id", "01", NULL);
	expect(2, "'group' given twice",
	       "context: a flag given twice is refused",
	       "derive", "secret", key, "sender-id", "00",
	       "recipient-id", "01", "group", "group", NULL);
	expect(2, "'priority' given twice",
	       "policy: prio and priority are one argument, refused twice",
	       "policy", "add", "prio", "1", "priority", "2", "dir", "out",
	       "family", "inet", NULL);
	expect(2, "'dst' given twice", "policy: dst given twice is refused",
	       "policy", "add", "dir", "out", "dst", "192.0.2.1",
	       "dst", "192.0.2.2", NULL);

	expect(2, "(0..4294967295)", "lifetime: the error names the range",
	       "derive", "secret", key, "sender-id", "00",
	       "recipient-id", "01", "lifetime", "-1", NULL);
	expect(2, "(1..1099511627775)", "hard-limit: the error names the range",
	       "derive", "secret", key, "sender-id", "00",
	       "recipient-id", "01", "hard-limit", "0", NULL);
	expect(2, "(0..1099511627775)", "seq-start: the error names the range",
	       "derive", "secret", key, "sender-id", "00",
	       "recipient-id", "01", "seq-start", "1099511627776", NULL);
	expect(2, "(1..4294967295)", "context id: the error names the range",
	       "derive", "id", "0", "secret", key, "sender-id", "00",
	       "recipient-id", "01", NULL);
	expect(2, "(1..4294967295)", "context del: the ID's range",
	       "context", "del", "0", NULL);
	expect(2, "(0..4294967295)", "policy priority: the error names the range",
	       "policy", "add", "priority", "x", NULL);
	expect(2, "(1..4294967295)",
	       "policy action protect: the context ID's range",
	       "policy", "add", "dir", "out", "family", "inet", "action",
	       "protect", "0", NULL);
	expect(2, "(1..4294967295)", "stats context: the ID's range",
	       "stats", "context", "0", NULL);
	expect(2, "(1..4294967295)", "monitor count: the range",
	       "monitor", "count", "0", NULL);

	expect(2, "invalid context ID '0'",
	       "prefixes: 'c s 0' is context show", "c", "s", "0", NULL);
	expect(2, "which context (ID)?", "prefixes: 'co sw' is context swap",
	       "co", "sw", NULL);
	expect(2, "invalid policy ID '0'", "prefixes: 'p d 0' is policy del",
	       "p", "d", "0", NULL);
	expect(2, "ambiguous command 'f': features, flush",
	       "prefixes: an ambiguous one is refused, naming the candidates",
	       "f", NULL);
	expect(2, "context: unknown command 'x'",
	       "prefixes: an unknown verb is refused", "c", "x", NULL);

	expect(2, "needs -j", "-p without -j is refused",
	       "-p", "derive", "--help", NULL);
	st = run_cli(out, sizeof(out), err, sizeof(err),
		     (const char *const[]){ "-j", "-p", "derive", "--help",
					    NULL });
	ksft_test_result(st == 0 && strstr(out, "Usage: coapsec"),
			 "cli: -j -p is fine\n");
	st = run_cli(out, sizeof(out), err, sizeof(err),
		     (const char *const[]){ "--help", NULL });
	ksft_test_result(st == 0 && strstr(out, "-V, --version"),
			 "cli: --help lists -V\n");

	unlink(key);
	unlink(shortkey);
	rmdir(dir);
}

int main(void)
{
	cli_path = getenv("COAPSEC_CLI") ?: "build/coapsec";
	ksft_print_header();
	ksft_set_plan(28 + 5 + 26);
	test_hex();
	test_numbers();
	test_alg_dir();
	test_prefix_mark();
	test_secret_file();
	test_match_word();
	test_cli();
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}
