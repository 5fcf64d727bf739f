#!/bin/sh
# Like VPN/firewall sidecars: program the NAT table, then run. Needs root (CAP_NET_ADMIN).
set -e
iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
echo "nat rules loaded"
