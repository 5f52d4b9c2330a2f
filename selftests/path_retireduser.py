#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12u) A namespace remembers what every retired key used (retired.c)
up to the module parameter retired_keys, 1,048,576 memories of 128 bytes
by default, and any user can make a user and network namespace of its
own, and many: the memory was bounded the same there.  Now a namespace
owned by a user namespace other than the initial one is bounded by
user_retired_keys (default 65536; 4096 here): past it a context is refused, ENOSPC,
with an extack naming that parameter, while a namespace of the initial
user namespace keeps the higher bound.  `coapsec -j stats` shows each
namespace's memory (retired_keys, retired_reserved) and the bound that
applies to it (retired_keys_max).

An unprivileged user (nobody, unshare -Urn) adds and flushes 4200
contexts one at a time (selftests/ctxchurn: 2 memories each, a sender
and a recipient), then adds one more; a namespace of the host then
churns 2100 (4200 memories) and adds one more.  Last, with retired_keys
lowered below user_retired_keys, a user's namespace is bounded by
retired_keys."""
import errno
import json
import os
import subprocess
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import enter  # noqa: E402

host_ns = sys.argv[1]
B = os.environ.get("B", "build")
PY = "/usr/bin/python3"		# readable by nobody, unlike a pyenv in /root
NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
          "--inh-caps=-all")
PARAM = "/sys/module/coapsec/parameters/user_retired_keys"
HOST_PARAM = "/sys/module/coapsec/parameters/retired_keys"
BOUND = 4096
if os.path.exists(PARAM):
    with open(PARAM) as f:
        BOUND = int(f.read())
HOST_BOUND = 1 << 20
if os.path.exists(HOST_PARAM):
    with open(HOST_PARAM) as f:
        HOST_BOUND = int(f.read())
CHURN = BOUND + 104

FILL = r"""
import json, subprocess, sys
sys.path.insert(0, "selftests/lib")
from genl_raw import Genl
B, first, n = sys.argv[1], sys.argv[2], sys.argv[3]
def retired():
    s = subprocess.run([B + "/coapsec", "-j", "stats"], capture_output=True,
                       text=True)
    try:
        j = json.loads(s.stdout)
    except ValueError:
        return s.stderr.strip()[-200:]
    return [j.get(k) for k in ("retired_keys", "retired_reserved",
                               "retired_keys_max")]
before = retired()
r = subprocess.run([B + "/selftests/ctxchurn", first, n, "1"],
                   capture_output=True, text=True)
g = Genl()
err, msg = g.context_new(1, b"\x00", [b"\x01"], b"\x7e\x7e\x7e\x7e")
print(json.dumps({"rc": r.returncode, "out": r.stdout.strip(),
                  "err": r.stderr.strip()[-300:], "new": err, "msg": msg,
                  "before": before, "after": retired()}))
"""


def fill(prefix, first, n):
    r = subprocess.run(list(prefix) + [PY, "-c", FILL, B, hex(first),
                                       str(n)],
                       text=True, capture_output=True)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"rc": r.returncode, "err": r.stderr.strip()[-300:],
                "new": 1, "msg": ""}


def churned(res):
    """How many contexts ctxchurn added and flushed."""
    try:
        return int(res["out"].split()[2])
    except (KeyError, IndexError, ValueError):
        return -1


k = Ktap(5)
user = fill(list(NOBODY) + ["unshare", "-Urn"], 0x30000000, CHURN)
k.diag("unprivileged user namespace: %s" % user)
# Each context leaves 2 memories: exactly BOUND // 2 fit.
if churned(user) < 0 and "unshare" in user.get("err", ""):
    k.skipped("an unprivileged user's namespace remembers at most "
              "user_retired_keys retired keys", "no unprivileged user "
              "namespaces here: %s" % user.get("err", ""))
else:
    k.result(user["new"] == -errno.ENOSPC and
             "user_retired_keys" in user.get("msg", "") and
             churned(user) == BOUND // 2,
             "an unprivileged user's namespace remembers at most "
             "user_retired_keys (%d) retired keys: then ENOSPC, with an "
             "extack naming the parameter" % BOUND)
# [retired_keys, retired_reserved, retired_keys_max]: empty, then full
# with every context flushed (the refused one reserved nothing).
STATS_USER = ("stats in the user's namespace: retired_keys 0 -> %d, "
              "retired_reserved 0, retired_keys_max %d (user_retired_keys)" %
              (BOUND, BOUND))
if churned(user) < 0 and "unshare" in user.get("err", ""):
    k.skipped(STATS_USER, "no unprivileged user namespaces here")
else:
    k.result(user.get("before") == [0, 0, BOUND] and
             user.get("after") == [BOUND, 0, BOUND],
             "%s (%s -> %s)" % (STATS_USER, user.get("before"),
                                user.get("after")))

enter(host_ns)
try:
    host = fill([], 0x40000000, CHURN // 2)
finally:
    enter(None)
k.diag("host namespace: %s" % host)
k.result(host["rc"] == 0 and churned(host) == CHURN // 2 and
         host["new"] == 0,
         "meanwhile a namespace of the initial user namespace remembers "
         "more (%d contexts churned, %d memories) and adds another" %
         (CHURN // 2, CHURN // 2 * 2))
# The one added last holds 2 places (its sender key and recipient).
k.result(host.get("before") == [0, 0, HOST_BOUND] and
         host.get("after") == [CHURN // 2 * 2, 2, HOST_BOUND],
         "stats in the host's namespace: retired_keys 0 -> %d, "
         "retired_reserved 2, retired_keys_max %d (retired_keys) "
         "(%s -> %s)" % (CHURN // 2 * 2, HOST_BOUND, host.get("before"),
                         host.get("after")))

# The lower of the two bounds applies to a user's namespace.
LOW = BOUND // 2
low = {"err": "%s: missing" % HOST_PARAM}
if os.path.exists(HOST_PARAM):
    with open(HOST_PARAM, "w") as f:
        f.write("%d\n" % LOW)
    try:
        low = fill(list(NOBODY) + ["unshare", "-Urn"], 0x50000000, 0)
    finally:
        with open(HOST_PARAM, "w") as f:
            f.write("%d\n" % HOST_BOUND)
k.diag("unprivileged user namespace, retired_keys %d: %s" % (LOW, low))
if churned(low) < 0 and "unshare" in low.get("err", ""):
    k.skipped("a user's namespace under a lower retired_keys: "
              "retired_keys_max is retired_keys", "no unprivileged user "
              "namespaces here: %s" % low.get("err", ""))
else:
    k.result(low.get("new") == 0 and low.get("after") == [0, 2, LOW],
             "a user's namespace under a lower retired_keys (%d): "
             "retired_keys_max is retired_keys (%s)" %
             (LOW, low.get("after")))
sys.exit(k.finish())
