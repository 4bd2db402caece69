// Rulesets whose JSON, out and in, is compared with the live nft: sets,
// maps and elements, named objects and stateful statements, headers,
// masks and writes.
export const JSON_RULESETS: Record<string, string> = {
  'sets, maps and their elements': `table inet f {
	set blocked {
		type ipv4_addr
		flags interval
		auto-merge
		comment "bad hosts"
		elements = { 10.0.0.0/8, 192.168.1.1, 172.16.0.1-172.16.0.9 }
	}
	set pairs {
		type ipv4_addr . inet_service
		size 1024
		elements = { 1.2.3.4 . 22 comment "ssh", 5.6.7.8 . 443 }
	}
	set dyn {
		type ipv6_addr
		flags dynamic,timeout
		timeout 1h
		gc-interval 30s
	}
	map ports {
		type inet_service : verdict
		elements = { 22 : accept, 23 : drop, 80 : jump web }
	}
	map marks {
		typeof ip saddr : meta mark
		elements = { 1.1.1.1 : 0x00000010 }
	}
	chain web {
		counter packets 3 bytes 180 accept
	}
	chain input {
		type filter hook input priority filter + 10; policy drop;
		ip saddr @blocked counter drop comment "blocked"
		ip saddr . tcp dport @pairs accept
		tcp dport vmap @ports
		meta mark set ip saddr map @marks
		tcp dport { 22, 80-90, 443 } ct state new,established accept
		ip6 saddr != fe80::/10 add @dyn { ip6 saddr timeout 30s }
		udp dport vmap { 53 : accept, 123 : goto web }
	}
}
`,
  'objects and stateful statements': `table ip o {
	counter seen {
		packets 7 bytes 700
	}
	quota big {
		over 10 mbytes used 1 mbytes
	}
	limit slow {
		rate 10/minute burst 3 packets
	}
	ct helper ftp-standard {
		type "ftp" protocol tcp
		l3proto ip
	}
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		tcp dport 21 ct helper set "ftp-standard"
		counter name "seen"
		quota name "big" drop
		limit name "slow" accept
		limit rate over 1 mbytes/second burst 512 kbytes drop
		limit rate 5/second accept
		quota 100 kbytes
		ct count over 20 reject with tcp reset
		log prefix "in: " level info flags tcp sequence,options
		log group 2 snaplen 64 queue-threshold 4
		log flags all
		reject with icmp host-unreachable
		meta l4proto udp reject
		notrack
	}
}
`,
  'headers, masks and writes': `table bridge b {
	chain forward {
		type filter hook forward priority 0; policy accept;
		ether type vlan vlan id 10 counter
		ip saddr 10.0.0.0/24 ip ttl set 3 ip dscp set cs1
		tcp flags & (syn | ack) == syn counter
		tcp flags syn / syn,ack drop
		meta mark set meta mark & 0xffff | 0x10000
		iifname "eth*" tcp option maxseg size 1400 counter
		ip6 nexthdr tcp tcp dport 22 ip6 hoplimit 1 counter
	}
}
`,
  'elements with counters': `table ip c {
	set counted {
		type ipv4_addr
		counter
		elements = { 10.0.0.1 counter packets 3 bytes 180, 10.0.0.2 comment "quiet" }
	}
	chain in {
		type filter hook input priority 0; policy accept;
		ip saddr @counted accept
	}
}
`,
};
