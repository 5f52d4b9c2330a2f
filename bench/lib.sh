# SPDX-License-Identifier: GPL-2.0
#
# What the bench scripts (run.sh, smp.sh, profile.sh) share, sourced after
# selftests/lib.sh with CLI set: the veth link between two namespaces and
# the CLI run quietly in one.

link() {		# link NS1 NS2 NET: NS1 gets 10.NET.0.1, NS2 .2
	ip link add "v$3" netns "$1" type veth peer name "v$3" netns "$2"
	ip -n "$1" addr add "10.$3.0.1/24" dev "v$3"
	ip -n "$2" addr add "10.$3.0.2/24" dev "v$3"
	ip -n "$1" link set "v$3" up
	ip -n "$2" link set "v$3" up
}

cs() {			# cs NS ARGS...: the CLI in NS, its output dropped
	local ns=$1

	shift
	ip netns exec "$ns" "$CLI" "$@" > /dev/null
}
