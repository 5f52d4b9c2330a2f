#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The repository stands alone: no file in it names the shared folder that
# lies beside the clone on developers' machines (its vectors, bench,
# hooks or notes), which a user's clone does not have.  Scans what git tracks plus untracked files it does not ignore; in
# a tree that is not a git work tree (tools/check's copy, a tarball), every
# text file outside build/.  This file is the only one allowed to name
# them.  KTAP.
set -u
cd "$(dirname "$0")/../.."
self=tools/tests/self-contained.sh
pattern='\.\./shared|shared/(vectors|bench|hooks|VM\.md|DESIGN\.md|STYLE\.md)'
. selftests/lib.sh
result() {	# result OK(1 or empty) DESCRIPTION
	ktap_result "$([ "$1" = 1 ] && echo 0 || echo 1)" "$2"
}

files() {
	if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
		git ls-files -co --exclude-standard -z | xargs -0 -r sh -c \
			'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh
	else
		find . -path ./build -prune -o -path ./.git -prune -o -type f -printf '%P\0'
	fi
}

ktap_header 3
mapfile -d '' all < <(files)
result "$([ ${#all[@]} -gt 50 ] && echo 1)" \
	"self-contained: the scan sees the tree (${#all[@]} files)"
# The pattern is not vacuous: it finds a path into the folder (spelt in
# two pieces here, so that this file does not name it).
sample="..""/shared/vectors/rfc8613.json"
result "$(printf '%s\n' "$sample" | grep -Eq "$pattern" && echo 1)" \
	"self-contained: the pattern matches a path into the folder"
hits=$(printf '%s\0' "${all[@]}" | grep -zvx "$self" |
       xargs -0 -r grep -InE "$pattern" --)
if [ -n "$hits" ]; then
	echo "# files that name a folder outside the repository:"
	sed 's/^/#   /' <<< "$hits"
fi
result "$([ -z "$hits" ] && echo 1)" \
	"self-contained: no file names the shared folder beside the clone"
ktap_finish
