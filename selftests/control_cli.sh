#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The control plane through coapsec(8): contexts and policies round-trip
# (JSON checked with jq), errors carry the kernel's reason and the right
# exit status, events reach 'coapsec monitor', a user namespace without
# CAP_NET_ADMIN over the network namespace changes nothing, objects stay
# in their namespace and go with it.  Listing by the noun alone and by
# prefixes, IDs above 2^31 under -j, and policies whose context or
# interface is gone.  COAPSEC_CLI runs another build of the CLI.
. selftests/lib.sh
B=${B:-build}
CLI=${COAPSEC_CLI:-$PWD/$B/coapsec}
TMP=$(mktemp -d)
trap 'cleanup_ns; rm -rf "$TMP"' EXIT

ktap_header 64
coapsec_load || { ktap_result 1 "load coapsec"; ktap_finish; }
setup_ns A NB C
a() { ip netns exec "$A" "$CLI" "$@"; }
b() { ip netns exec "$NB" "$CLI" "$@"; }
c() { ip netns exec "$C" "$CLI" "$@"; }
# A listing without the seconds left, which may tick between two calls.
nox() { jq -c 'map(del(.expires))'; }

key=$TMP/master.key
SECRET16=0102030405060708090a0b0c0d0e0f10
(umask 077; printf 'secret %s\nsalt 9e7ca92223786340\n' "$SECRET16" > "$key")
CTX=(alg 10 secret "$key" sender-id 00 recipient-id 01 id-context 37cbf321)

# --- contexts
id=$(a -j context add "${CTX[@]}" lifetime 600 | jq -r .id)
ktap_check "context add returns an id" test -n "$id" -a "$id" != null
j=$(a -j context show)
ktap_check "context show -j: one current context with its IDs" \
	jq -e --argjson id "$id" 'length == 1 and .[0].id == $id and
		.[0].state == "current" and .[0].sender_id == "00" and
		.[0].id_context == "37cbf321" and .[0].recipients[0].id == "01" and
		.[0].recipients[0].replay_window == 32 and .[0].alg == 10 and
		.[0].lifetime == 600 and .[0].expires <= 600' <<< "$j"
ktap_check "context show -j carries no key material" \
	jq -e '[paths | map(tostring) | join(".") | select(test("key|iv"; "i"))] | length == 0' <<< "$j"
ktap_check "context show (text) names the context" \
	bash -c "ip netns exec $A $CLI context show | grep -q '^context $id current alg AES-CCM-16-64-128 sender-id 00 id-context 37cbf321'"
a context swap "$id" "${CTX[@]}" grace 3600 > /dev/null
ktap_check "context swap: current and previous under the same id" \
	jq -e --argjson id "$id" 'length == 2 and all(.id == $id) and
		([.[].state] | sort == ["current", "previous"])' <<< "$(a -j context show)"
ktap_check "context show ID: the current one" \
	jq -e '.[0].state == "current"' <<< "$(a -j context show "$id")"

# --- policies
pid=$(a -j policy add dir out dst 192.0.2.0/24 action protect "$id" | jq -r .id)
ktap_check "policy add returns an id" test -n "$pid" -a "$pid" != null
a policy add priority 5 family inet6 dir in dport any action verify > /dev/null
j=$(a -j policy show)
ktap_check "policy show -j: both, in priority order, fields round-trip" \
	jq -e --argjson id "$id" 'length == 2 and .[1].dir == "in" and
		.[1].priority == 5 and .[1].family == "inet6" and .[1].dport == 0 and
		.[1].action == "verify" and .[0].priority == 0 and
		.[0].dst == "192.0.2.0/24" and .[0].action == "protect" and
		.[0].context_id == $id and .[0].dport == 5683' <<< "$j"
ktap_check "policy show (text)" \
	bash -c "ip netns exec $A $CLI policy show | grep -q 'dst 192.0.2.0/24 dport 5683 action protect $id'"

# policy set: in place (same ID, same place in the listing), refused
# with the kernel's reason when it would move the policy or names nothing.
before=$(a -j policy show | jq -c '[.[].id]')
a policy set "$pid" dir out dst 192.0.2.0/24 action queue queue-num 7 > /dev/null
j=$(a -j policy show)
ktap_check "policy set: replaced in place, same ID and place, now queue 7" \
	jq -e --argjson p "$pid" --argjson b "$before" '[.[].id] == $b and
		(.[] | select(.id == $p) | .action == "queue" and .queue_num == 7)' <<< "$j"
a policy set "$pid" priority 9 dir out dst 192.0.2.0/24 action protect "$id" 2> "$TMP/err"
st=$?
ktap_check "policy set with another priority: exit 1, names policy.priority, unchanged" \
	bash -c "[ $st = 1 ] && grep -q 'policy.priority' $TMP/err &&
		ip netns exec $A $CLI -j policy show $pid | jq -e '.[0].action == \"queue\"' > /dev/null"
a policy set 4242 dir out dst 192.0.2.0/24 action bypass 2> "$TMP/err"
st=$?
ktap_check "policy set of a missing policy: exit 1, 'no such policy'" \
	bash -c "[ $st = 1 ] && grep -q 'no such policy' $TMP/err"
a policy set "$pid" dir out dst 192.0.2.0/24 action protect "$id" > /dev/null
ktap_check "policy set back to protect: as added" \
	bash -c "ip netns exec $A $CLI policy show | grep -q 'dst 192.0.2.0/24 dport 5683 action protect $id'"

# --- errors: exit 1 with the kernel's reason, exit 2 for usage
a context del "$id" 2> "$TMP/err"
st=$?
ktap_check "context del of a protected context: exit 1, says why" \
	bash -c "[ $st = 1 ] && grep -q 'policy protects' $TMP/err"
a context del 4242 2> "$TMP/err"
st=$?
ktap_check "context del of a missing context: exit 1, 'no such context'" \
	bash -c "[ $st = 1 ] && grep -q 'no such context' $TMP/err"
a context add "${CTX[@]}" seq-start 20 hard-limit 10 2> "$TMP/err"
st=$?
ktap_check "kernel range check reaches the user: exit 1, names seq-start" \
	bash -c "[ $st = 1 ] && grep -q 'seq-start' $TMP/err"
a context add "${CTX[@]}" 2> "$TMP/err"
st=$?
ktap_check "duplicate (id-context, kid): exit 1, EEXIST reason" \
	bash -c "[ $st = 1 ] && grep -q 'already used' $TMP/err"
# Owner tags: shown as given, a malformed one refused by the kernel with
# the attribute named (the CLI passes the tag through unchecked).
oid=$(a -j context add alg 10 secret "$key" sender-id 05 recipient-id 06 \
	id-context 37cbf321 owner ops:alice/c1 | jq -r .id)
ktap_check "context add owner TAG: shown by show -j and in text" \
	bash -c "[ \"\$(ip netns exec $A $CLI -j context show $oid | jq -r '.[0].owner')\" = ops:alice/c1 ] &&
		ip netns exec $A $CLI context show $oid | grep -q ' owner ops:alice/c1\$'"
a context add alg 10 secret "$key" sender-id 07 recipient-id 08 owner 'two words' 2> "$TMP/err"
st=$?
ktap_check "context add with a malformed owner: exit 1, names context.owner" \
	bash -c "[ $st = 1 ] && grep -q 'context.owner: expected 1 to 128 printable' $TMP/err"
a context del "$oid"
# The seq-persisted ceiling: given, shown, raised, never lowered.
sid=$(a -j context add alg 10 secret "$key" sender-id 0a recipient-id 0b \
	seq-start 3 seq-persisted 100 | jq -r .id)
ktap_check "context add seq-persisted N: shown by show -j and in text" \
	bash -c "[ \"\$(ip netns exec $A $CLI -j context show $sid | jq -r '.[0].seq_persisted')\" = 100 ] &&
		ip netns exec $A $CLI context show $sid | grep -q ' seq-persisted 100' &&
		[ \"\$(ip netns exec $A $CLI -j context show $id | jq -r '.[0].seq_persisted')\" = null ]"
a context set "$sid" seq-persisted 150
ktap_check "context set ID seq-persisted N: raised" \
	jq -e '.[0].seq_persisted == 150 and .[0].seq == 3' <<< "$(a -j context show "$sid")"
a context set "$sid" seq-persisted 149 2> "$TMP/err"
st=$?
ktap_check "context set seq-persisted lower: exit 1, names context.seq-persisted, unchanged" \
	bash -c "[ $st = 1 ] && grep -q 'context.seq-persisted: below' $TMP/err &&
		[ \"\$(ip netns exec $A $CLI -j context show $sid | jq -r '.[0].seq_persisted')\" = 150 ]"
a context set 4243 seq-persisted 10 2> "$TMP/err"
st=$?
ktap_check "context set of a missing context: exit 1, 'no such context'" \
	bash -c "[ $st = 1 ] && grep -q 'no such context' $TMP/err"
a context del "$sid"
a policy add dir sideways action bypass family inet 2> "$TMP/err"
ktap_check "bad direction: usage error, exit 2" test $? = 2
a policy add dir out family inet action queue queue-num 65536 2> "$TMP/err"
st=$?
a policy add dir out family inet action queue 2> "$TMP/err2"
st2=$?
ktap_check "action queue: queue-num 65536 exit 2, none exit 1, each naming queue-num" \
	bash -c "[ $st = 2 ] && grep -q \"invalid queue-num '65536' (0..65535)\" $TMP/err &&
		[ $st2 = 1 ] && grep -q 'policy.queue-num: required with action queue' $TMP/err2"
a context add alg 10 sender-id 00 recipient-id 01 2> /dev/null
ktap_check "no secret: usage error, exit 2" test $? = 2
a frobnicate 2> /dev/null
ktap_check "unknown command: exit 2" test $? = 2
ok=0
for c in "context add" "context swap" "context del" "context show" "context set" \
	 "policy add" "policy del" "policy show" stats monitor flush features derive; do
	# shellcheck disable=SC2086
	"$CLI" $c --help | grep -q '^Usage: coapsec' || { ok=1; echo "# no help: $c"; }
done
ktap_result $ok "--help for every command"

# --- counters
ktap_check "stats -j: counters and object counts" \
	jq -e '.contexts == 2 and .policies == 2 and .protected == 0 and
		.auth_failures == 0 and .contexts_all_netns >= 2' <<< "$(a -j stats)"
ktap_check "stats -j and text: seq_unpersisted counted" \
	bash -c "ip netns exec $A $CLI -j stats | jq -e '.seq_unpersisted == 0' > /dev/null &&
		ip netns exec $A $CLI stats | grep -q seq_unpersisted"
ktap_check "stats -j context ID" \
	jq -e --argjson id "$id" '.context_id == $id and .verified == 0' <<< "$(a -j stats context "$id")"
ktap_check "stats reset" a stats reset
ktap_check "stats reset context ID" a stats reset context "$id"

# --- events
a -j monitor count 1 timeout 20 > "$TMP/events" &
mon=$!
sleep 1
eid=$(a -j context add alg 10 secret "$key" sender-id 00 recipient-id 02 lifetime 1 | jq -r .id)
wait $mon
ktap_check "monitor: the expiry event of a 1 s context" \
	jq -e --argjson id "$eid" '.event == "expired" and .context_id == $id' "$TMP/events"

# --- unprivileged: a user namespace that does not own the netns
before=$(a -j context show | jq -c "map(del(.expires))")
deny=0
for cmd in "context add ${CTX[*]/$key/-}" "context swap $id ${CTX[*]/$key/-}" \
	   "context del $id" "policy add dir in family inet action bypass" \
	   "policy set $pid dir out dst 192.0.2.0/24 action bypass" \
	   "policy del $pid" "stats reset" "flush"; do
	# shellcheck disable=SC2086
	printf 'secret %s\n' "$SECRET16" | ip netns exec "$A" unshare -U -r "$CLI" $cmd \
		2> "$TMP/err" > /dev/null
	st=$?
	if [ $st != 1 ] || ! grep -q 'not permitted.*CAP_NET_ADMIN' "$TMP/err"; then
		deny=1
		echo "# unprivileged '$cmd': exit $st: $(cat "$TMP/err")"
	fi
done
ktap_result $deny "unprivileged (user namespace): every change refused with EPERM, naming CAP_NET_ADMIN"
ktap_check "unprivileged: nothing changed" test "$before" = "$(a -j context show | jq -c "map(del(.expires))")"
ktap_check "unprivileged: reading is allowed" \
	bash -c "ip netns exec $A unshare -U -r $CLI -j context show | jq -e 'length == 2' > /dev/null"
if command -v setpriv > /dev/null; then
	out=$(printf 'secret %s\n' "$SECRET16" | setpriv --reuid=65534 --regid=65534 --clear-groups \
		unshare -U -r -n sh -c "$CLI context add alg 10 secret - sender-id 00 recipient-id 01 >/dev/null && $CLI -j stats" 2>&1)
	ktap_check "user nobody owns its own netns and may change only that" \
		jq -e '.contexts == 1' <<< "$out"
else
	ktap_result 4 "user nobody in its own netns (no setpriv)"
fi

# --- refusals reach no kernel (namespace C, empty)
short=$TMP/short.key
(umask 077; echo 0102030405060708090a0b0c0d0e0f > "$short")
ok=0
for args in "secret $short sender-id 00 recipient-id 01" \
	    "secret $key sender-id 01 recipient-id 01" \
	    "secret $key sender-id 00 recipient-id 01 window 64 window 32"; do
	# shellcheck disable=SC2086
	c context add $args 2> "$TMP/err" > /dev/null
	st=$?
	[ $st = 2 ] || { ok=1; echo "# context add $args: exit $st: $(cat "$TMP/err")"; }
done
c policy add dir in dir out family inet action bypass 2> /dev/null
[ $? = 2 ] || ok=1
jq -e '.contexts == 0 and .policies == 0' <<< "$(c -j stats)" > /dev/null || ok=1
ktap_result $ok "short secret, sender-id = recipient-id, repeated arguments: exit 2, nothing installed"

# --- listing by the noun alone and by prefixes (namespace C)
c context add "${CTX[@]}" > /dev/null
c policy add dir in family inet action require > /dev/null
ctxs=$(c -j context show | nox)
pols=$(c -j policy show)
same() {	# same WHAT EXPECTED: WHAT is EXPECTED, a list of one
	[ "$1" = "$2" ] && [ "$(jq length <<< "$1")" = 1 ]
}
ktap_check "'context' alone lists, as 'context show'" \
	same "$(c -j context | nox)" "$ctxs"
ktap_check "'policy' alone lists, as 'policy show'" \
	same "$(c -j policy)" "$pols"
ktap_check "prefixes reach the kernel: 'c s' and 'p l' list" \
	bash -c "[ '$(c -j c s | nox)' = '$ctxs' ] && [ '$(c -j p l)' = '$pols' ]"
c flush

# --- IDs above 2^31 stay positive in -j output
j=$(c -j context add id 3000000000 "${CTX[@]}")
ktap_check "context add -j: id 3000000000, not negative" \
	jq -e '.id == 3000000000' <<< "$j"
ktap_check "context show -j: id 3000000000" \
	jq -e '.[0].id == 3000000000' <<< "$(c -j context show)"
j=$(c -j policy add id 4294967295 priority 4000000000 dir out family inet \
	action protect 3000000000)
ktap_check "policy add -j: id 4294967295" jq -e '.id == 4294967295' <<< "$j"
ktap_check "policy show -j: id, priority and context_id above 2^31" \
	jq -e '.[0].id == 4294967295 and .[0].priority == 4000000000 and
		.[0].context_id == 3000000000 and .[0].context_state == "live"' \
	<<< "$(c -j policy show)"
ktap_check "stats -j context 3000000000" \
	jq -e '.context_id == 3000000000' <<< "$(c -j stats context 3000000000)"
c flush

# --- a policy whose interface is gone, then made again under its name
ip -n "$C" link add cs0 type veth peer name cs1
idx=$(ip -n "$C" -j link show cs0 | jq .[0].ifindex)
c policy add dir out family inet dev cs0 action bypass > /dev/null
ktap_check "policy show -j: dev by name while the interface is there" \
	jq -e --argjson i "$idx" '.[0].ifindex == $i and .[0].dev == "cs0" and
		.[0].dev_state == "live"' <<< "$(c -j policy show)"
ktap_check "policy show (text): dev by name" \
	grep -q ' dev cs0 action bypass$' <<< "$(c policy show)"
ip -n "$C" link del cs0
ktap_check "policy show -j: a deleted interface is gone, its index kept" \
	jq -e --argjson i "$idx" '.[0].ifindex == $i and .[0].dev == null and
		.[0].dev_state == "gone"' <<< "$(c -j policy show)"
ktap_check "policy show (text): 'dev ifindex N (gone)'" \
	grep -q " dev ifindex $idx (gone) action bypass\$" <<< "$(c policy show)"
ip -n "$C" link add cs0 type veth peer name cs1
idx2=$(ip -n "$C" -j link show cs0 | jq .[0].ifindex)
ktap_check "an interface made again under its name has a new index: the policy stays gone" \
	jq -e --argjson i "$idx" --argjson n "$idx2" '$n != $i and .[0].ifindex == $i and
		.[0].dev_state == "gone"' <<< "$(c -j policy show)"
c flush

# --- a protect policy whose context expired (20 s: time to add and show
# the policy first, even under TCG, where each command takes seconds)
cid=$(c -j context add "${CTX[@]}" lifetime 20 | jq .id)
c policy add dir out dst 192.0.2.0/24 action protect "$cid" > /dev/null
ktap_check "policy show: a live context is live" \
	jq -e '.[0].context_state == "live"' <<< "$(c -j policy show)"
for _ in $(seq 60); do
	[ "$(c -j context show | jq length)" = 0 ] && break
	sleep 1
done
ktap_check "policy show -j: the expired context is gone" \
	jq -e --argjson id "$cid" '.[0].context_id == $id and
		.[0].context_state == "gone"' <<< "$(c -j policy show)"
ktap_check "policy show (text): 'protect ID (gone)'" \
	grep -q "action protect $cid (gone)\$" <<< "$(c policy show)"
c flush
ip netns del "$C"

# --- namespaces
ia=$(a -j features | jq -r .instance_id)
ktap_check "features: an instance ID of 16 hex digits per namespace, A's not B's" \
	bash -c "[[ '$ia' =~ ^[0-9a-f]{16}\$ ]] && [ \"\$(ip netns exec $NB $CLI -j features | jq -r .instance_id)\" != '$ia' ] &&
		ip netns exec $A $CLI features | grep -q '^version .* instance-id $ia\$'"
ktap_check "netns isolation: nothing of A is visible in B" \
	jq -e 'length == 0' <<< "$(b -j context show)"
ktap_check "netns isolation: no policy of A in B" \
	jq -e 'length == 0' <<< "$(b -j policy show)"
ktap_check "netns isolation: B's counters count nothing of A" \
	jq -e '.contexts == 0 and .policies == 0 and .contexts_all_netns >= 2' <<< "$(b -j stats)"
ktap_check "netns isolation: B cannot delete A's context" \
	bash -c "! ip netns exec $NB $CLI context del $id 2>/dev/null"
ip netns del "$A"
gone=1
for _ in $(seq 30); do
	if jq -e '.contexts_all_netns == 0 and .policies_all_netns == 0' \
		<<< "$(b -j stats)" > /dev/null; then
		gone=0
		break
	fi
	sleep 1
done
ktap_result $gone "deleting a netns frees its contexts and policies (live counts back to 0)"

# --- flush
b context add "${CTX[@]}" > /dev/null
b policy add dir in family inet action require > /dev/null
b flush
ktap_check "flush: no context, no policy left" \
	jq -e '.contexts == 0 and .policies == 0' <<< "$(b -j stats)"

ib=$(b -j features | jq -r .instance_id)
i0=$("$CLI" -j features | jq -r .instance_id)
cleanup_ns
coapsec_unload
ktap_check "module unloads" bash -c '! [ -d /sys/module/coapsec ]'
# A module loaded again has forgotten everything: it says so.
coapsec_load
i1=$("$CLI" -j features | jq -r .instance_id)
coapsec_unload
ktap_check "features: another instance ID after the module is loaded again" \
	bash -c "[[ '$i1' =~ ^[0-9a-f]{16}\$ ]] && [ '$i1' != '$i0' ] && [ '$i1' != '$ib' ]"
ktap_finish
