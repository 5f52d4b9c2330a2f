# SPDX-License-Identifier: GPL-2.0
"""KTAP output for coapsec's Python tests (the one implementation; shell
tests use selftests/lib.sh, C tests the kernel's kselftest_harness.h).

    k = Ktap(3)              # TAP version 13, 1..3
    k.result(ok, "what")     # ok 1 what / not ok 1 what
    k.diag("text")           # "# text", one line per line of text
    sys.exit(k.finish())     # "# Totals: ..."; 1 when anything failed

A plan that does not match the results reported counts as a failure, so a
test that stops early cannot pass."""


class Ktap:
    def __init__(self, n):
        self.plan = n
        self.n = 0
        self.fail = 0
        self.skip = 0
        self._print("TAP version 13\n1..%d" % n)

    @staticmethod
    def _print(text):
        print(text, flush=True)

    def diag(self, msg):
        for line in str(msg).splitlines():
            self._print("# " + line)

    def result(self, ok, desc):
        self.n += 1
        if not ok:
            self.fail += 1
        self._print("%sok %d %s" % ("" if ok else "not ", self.n, desc))
        return ok

    def skipped(self, desc, why=""):
        self.n += 1
        self.skip += 1
        self._print("ok %d %s # SKIP%s" % (self.n, desc,
                                           " " + why if why else ""))

    def finish(self):
        if self.n != self.plan:
            self.diag("planned %d results, reported %d" % (self.plan, self.n))
        self._print("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d "
                    "error:%d" % (self.n - self.fail - self.skip, self.fail,
                                  self.skip, int(self.n != self.plan)))
        return 1 if self.fail or self.n != self.plan else 0
