#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12u) A namespace remembers what every retired key used (retired.c)
up to the module parameter retired_keys, 1,048,576 memories of 128 bytes
by default, and any user can make a user and network namespace of its
own, and many: the memory was bounded the same there.  Now a namespace
owned by a user namespace other than the initial one is bounded by
user_retired_keys (default 65536; 4096 here): past it a context is refused, ENOSPC,
with an extack naming that parameter, while a namespace of the initial
user namespace keeps the higher bound.

An unprivileged user (nobody, unshare -Urn) adds and flushes 4200
contexts one at a time (selftests/ctxchurn: 2 memories each, a sender
and a recipient), then adds one more; a namespace of the host then
churns 2100 (4200 memories) and adds one more."""
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
BOUND = 4096
if os.path.exists(PARAM):
    with open(PARAM) as f:
        BOUND = int(f.read())
CHURN = BOUND + 104

FILL = r"""
import json, subprocess, sys
sys.path.insert(0, "selftests/lib")
from genl_raw import Genl
B, first, n = sys.argv[1], sys.argv[2], sys.argv[3]
r = subprocess.run([B + "/selftests/ctxchurn", first, n, "1"],
                   capture_output=True, text=True)
g = Genl()
err, msg = g.context_new(1, b"\x00", [b"\x01"], b"\x7e\x7e\x7e\x7e")
print(json.dumps({"rc": r.returncode, "out": r.stdout.strip(),
                  "err": r.stderr.strip()[-300:], "new": err, "msg": msg}))
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


k = Ktap(2)
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
sys.exit(k.finish())
