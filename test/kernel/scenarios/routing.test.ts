// fib, rt, numgen and jhash against the kernel: a router (router-lab.ts)
// with a reverse-path filter, address-type matches, an MSS clamp to the
// route's MTU (lanb's is 1400), a round-robin numgen and jhash buckets;
// real traffic from the hosts, including pings from a source a is not
// routed for (spoofed: b's subnet, and an address r has no route to), TCP
// connection attempts forwarded both ways, pings to the router and its
// broadcast address. The router's capture is replayed with its devices and
// routes; per-rule counters must equal the kernel's.
import { describe, expect, it } from "vitest";
import { runInNamespace } from "../netns.js";
import { unavailable } from "./parity.js";
import { routerCounters, runRouter } from "./router-lab.js";

const RULESET = `table ip t {
	chain c_pre {
		type filter hook prerouting priority 0; policy accept;
		fib saddr . iif oif exists counter
		fib daddr type local counter
		fib daddr . iif type local counter
		fib daddr type broadcast counter
		fib daddr . iif type != { local, broadcast, multicast } counter
		fib saddr oifname "lanb" counter
		fib daddr oif "lana" counter
		jhash ip saddr . ip daddr mod 8 seed 0xdeadbeef 0 counter
		jhash ip saddr . ip daddr mod 8 seed 0xdeadbeef 1 counter
		jhash ip saddr . ip daddr mod 8 seed 0xdeadbeef 2 counter
		jhash ip saddr . ip daddr mod 8 seed 0xdeadbeef 3 counter
		jhash ip saddr . ip daddr mod 8 seed 0xdeadbeef 4 counter
		jhash ip saddr . ip daddr mod 8 seed 0xdeadbeef 5 counter
		jhash ip saddr . ip daddr mod 8 seed 0xdeadbeef 6 counter
		jhash ip saddr . ip daddr mod 8 seed 0xdeadbeef 7 counter
		fib saddr . iif oif missing counter drop
	}

	chain c_in {
		type filter hook input priority 0; policy accept;
		fib daddr type local counter
		fib saddr . iif oif "lana" counter
		rt ip nexthop 10.61.1.1 counter
	}

	chain c_fwd {
		type filter hook forward priority 0; policy accept;
		numgen inc mod 2 0 counter
		numgen inc mod 2 1 counter
		numgen inc mod 3 offset 7 { 7, 9 } counter
		rt mtu 1360 counter
		rt ip nexthop 10.61.2.2 counter
		fib daddr . oif type unicast counter
		jhash ip saddr . ip daddr . ip protocol mod 4 seed 0x1 0 counter
		jhash ip saddr . ip daddr . ip protocol mod 4 seed 0x1 1 counter
		jhash ip saddr . ip daddr . ip protocol mod 4 seed 0x1 2 counter
		jhash ip saddr . ip daddr . ip protocol mod 4 seed 0x1 3 counter
		tcp flags syn tcp option maxseg size set rt mtu
	}

	chain c_out {
		type filter hook output priority 0; policy accept;
		fib daddr type local counter
		fib daddr . oif type unicast counter
		rt mtu 1460 counter
	}

	chain c_post {
		type filter hook postrouting priority 0; policy accept;
		tcp option maxseg size 1360 counter
		rt mtu 1360 counter
	}
}
`;

// A TCP connection attempt from ns to a port nobody listens on: the SYN is
// forwarded, the reset comes back.
const connect = (to: string) => `python3 -c "import socket; s = socket.socket(); s.settimeout(1)
try: s.connect(('${to}', 9))
except OSError: pass"`;

describe("fib, rt, numgen and jhash on a router, against the kernel", () => {
  it.skipIf(unavailable)("per-rule counters equal the kernel's", async () => {
    const run = await runRouter("fib", RULESET, async ({ a, b }) => {
      // a also holds an address of b's subnet and one r has no route to.
      await runInNamespace(a, "ip addr add 10.61.2.99/32 dev eth0 && ip addr add 192.0.2.5/32 dev eth0");
      await runInNamespace(a, "ping -n -q -c 3 -i 0.2 10.61.2.2");
      await runInNamespace(a, "ping -n -q -c 2 -i 0.2 -W 1 -I 10.61.2.99 10.61.2.2", { allowFailure: true });
      await runInNamespace(a, "ping -n -q -c 2 -i 0.2 -W 1 -I 192.0.2.5 10.61.2.2", { allowFailure: true });
      await runInNamespace(b, "ping -n -q -c 2 -i 0.2 10.61.1.2");
      await runInNamespace(a, "ping -n -q -c 2 -i 0.2 10.61.1.1");
      await runInNamespace(a, "ping -n -q -c 1 -i 0.2 10.61.2.1");
      await runInNamespace(a, "ping -n -q -b -c 2 -i 0.2 10.61.1.255", { allowFailure: true });
      await runInNamespace(a, connect("10.61.2.2"));
      await runInNamespace(b, connect("10.61.1.2"));
      await runInNamespace(a, connect("10.61.1.1"));
    }, ["ip link set lanb mtu 1400"]);
    const { ours, theirs } = await routerCounters(RULESET, run);
    expect(theirs.some((c) => c.packets > 0)).toBe(true);
    expect(ours).toEqual(theirs);
  }, 60_000);
});

// Multicast that the router sends and its own groups loop back into
// prerouting in the kernel (not modelled): the prerouting rules look at
// unicast destinations only.
const RULESET6 = `table ip6 t {
	chain c_pre {
		type filter hook prerouting priority 0; policy accept;
		ip6 daddr ff00::/8 return
		# Neighbour discovery comes when the kernel's timers say, also
		# before or after the capture: not compared.
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert } return
		fib saddr . iif oif exists counter
		fib saddr . iif oif missing counter
		fib daddr type local counter
		fib daddr . iif type local counter
		fib daddr type unicast counter
		fib daddr type anycast counter
		fib daddr oif "lanb" counter
		fib saddr oifname "lana" counter
		fib daddr . iif type != { local, broadcast, multicast } counter
	}

	chain c_fwd {
		type filter hook forward priority 0; policy accept;
		rt ip6 nexthop fd61:2::2 counter
		rt mtu 1340 counter
		numgen inc mod 2 1 counter
	}
}
`;

describe("fib and rt over IPv6 on a router, against the kernel", () => {
  it.skipIf(unavailable)("per-rule counters equal the kernel's", async () => {
    const run = await runRouter("fib6", RULESET6, async ({ a, b }) => {
      // a also holds an address of b's subnet.
      await runInNamespace(a, "ip addr add fd61:2::99/128 dev eth0 nodad");
      await runInNamespace(a, "ping -6 -n -q -c 3 -i 0.2 -W 2 fd61:2::2", { allowFailure: true });
      await runInNamespace(a, "ping -6 -n -q -c 2 -i 0.2 -W 1 -I fd61:2::99 fd61:2::2", { allowFailure: true });
      await runInNamespace(b, "ping -6 -n -q -c 2 -i 0.2 -W 2 fd61:1::2", { allowFailure: true });
      await runInNamespace(a, "ping -6 -n -q -c 2 -i 0.2 -W 2 fd61:1::1", { allowFailure: true });
      await runInNamespace(a, "ping -6 -n -q -c 2 -i 0.2 -W 1 fd61:1::", { allowFailure: true });
      await runInNamespace(a, "ping -6 -n -q -c 2 -i 0.2 -W 1 ff02::1%eth0", { allowFailure: true });
    }, ["ip link set lanb mtu 1400"], true);
    const { ours, theirs } = await routerCounters(RULESET6, run);
    expect(theirs.some((c) => c.packets > 0)).toBe(true);
    expect(ours).toEqual(theirs);
  }, 60_000);
});
