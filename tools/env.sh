# SPDX-License-Identifier: GPL-2.0
# Sourced by the build and test scripts: where the distribution kernel and
# the caches live.  Everything is resolved, nothing about the ABI is
# hard-coded, so a kernel security update on the host just moves the cache.

COAPSEC_CACHE=${COAPSEC_CACHE:-/var/cache/coapsec}

# The ABI (e.g. 6.1.0-56-amd64) is whatever linux-headers-amd64 points at.
coapsec_kabi() {
	local dep
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
	      grep -o 'linux-headers-[0-9][^ ,]*-amd64' | head -n1)
	if [ -z "$dep" ] && command -v apt-cache >/dev/null; then
		dep=$(apt-cache depends linux-headers-amd64 2>/dev/null |
		      grep -o 'linux-headers-[0-9][^ ,]*-amd64' | head -n1)
	fi
	echo "${dep#linux-headers-}"
}

KABI=${KABI:-$(coapsec_kabi)}
KIMAGE_DIR=${KIMAGE_DIR:-$COAPSEC_CACHE/kernel/$KABI}
LSRC_DIR=${LSRC_DIR:-$COAPSEC_CACHE/linux-source-6.1}
