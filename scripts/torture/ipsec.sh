#!/bin/sh
# Compact IPsec setup shared by the torture and fault-injection scenarios
# (sourced inside the test VM; see scripts/torture/scenario.sh).
#
# ESP in transport mode between two addresses, IPv4 with cbc(aes) and
# hmac(sha256), IPv6 with rfc4106(gcm(aes)).  Every function prints
# `ip -batch` lines, so that one `ip -n NS -b -` sets up a namespace.
IP=/usr/sbin/ip
ENC="enc cbc(aes) 0x000102030405060708090a0b0c0d0e0f"
AUTH="auth hmac(sha256) 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
AEAD="aead rfc4106(gcm(aes)) 0x000102030405060708090a0b0c0d0e0f10111213 128"

# ipsec_lines FAMILY LOCAL REMOTE: the states of both directions and the
# local end's policies.  The SPI of a direction is 0x1000 + the last byte
# (IPv4) or group (IPv6) of its destination, so both ends agree.
ipsec_lines() {
	if [ "$1" = 4 ]; then algo="$ENC $AUTH"; else algo="$AEAD"; fi
	spi_out=$((0x1000 + ${3##*[.:]}))
	spi_in=$((0x1000 + ${2##*[.:]}))
	echo "xfrm state add src $2 dst $3 proto esp spi $spi_out mode transport $algo"
	echo "xfrm state add src $3 dst $2 proto esp spi $spi_in mode transport $algo"
	echo "xfrm policy add src $2 dst $3 dir out tmpl src $2 dst $3 proto esp mode transport"
	echo "xfrm policy add src $3 dst $2 dir in tmpl src $3 dst $2 proto esp mode transport"
}

# link_lines DEV ADDR4/LEN ADDR6/LEN: addresses on DEV, DEV and lo up.
link_lines() {
	echo "link set lo up"
	echo "addr add $2 dev $1"
	echo "addr add $3 dev $1 nodad"
	echo "link set $1 up"
}

# ipsec_pair NS_A NS_B A4 B4 A6 B6 DEV_A DEV_B: a veth pair between two
# existing namespaces with ESP for both families (/24 and /64 prefixes).
ipsec_pair() {
	$IP -n "$1" link add "$7" type veth peer name "$8" netns "$2" || return 1
	{ link_lines "$7" "$3/24" "$5/64"; ipsec_lines 4 "$3" "$4"; ipsec_lines 6 "$5" "$6"; } |
		$IP -n "$1" -b - || return 1
	{ link_lines "$8" "$4/24" "$6/64"; ipsec_lines 4 "$4" "$3"; ipsec_lines 6 "$6" "$5"; } |
		$IP -n "$2" -b -
}

# ipsec_flush NS: every policy and state of a namespace.
ipsec_flush() {
	$IP -n "$1" xfrm policy flush && $IP -n "$1" xfrm state flush
}

# flow_cache_drop NS: before 4.14, free every bundle NS's flow cache holds
# (see scripts/e2e/scenario.sh: flush_flow_cache).  A policy added makes
# every cached flow stale (xfrm_policy_insert() bumps the cache's genid),
# and taking down xf0, a device that carries nothing, flushes the stale
# ones (NETDEV_DOWN: xfrm_garbage_collect()).
flow_cache_drop() {
	$IP -n "$1" xfrm policy add src 192.0.2.1 dst 192.0.2.2 dir out &&
		$IP -n "$1" xfrm policy delete src 192.0.2.1 dst 192.0.2.2 dir out &&
		$IP -n "$1" link set xf0 down && $IP -n "$1" link set xf0 up
}
