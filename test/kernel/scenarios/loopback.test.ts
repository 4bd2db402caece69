// Traffic the host sends itself, over lo and to its own address: out
// through output and postrouting, back in through prerouting and input, one
// conntrack entry per connection. tcpdump on lo (and on any) holds each
// packet once.
import { describe, expect, it } from "vitest";
import { SYSTEM_PYTHON, type Lab } from "../lab.js";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain prerouting {
		type filter hook prerouting priority filter; policy accept;
		ct state new counter
		ct state established counter
		meta iiftype loopback counter
		counter
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ct state new counter
		ct state established counter
		tcp dport 8000 ct state new counter accept
		meta iiftype loopback counter
		counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct state new counter
		ct state established counter
		meta iiftype loopback counter
		counter
	}

	chain postrouting {
		type filter hook postrouting priority filter; policy accept;
		ct state new counter
		ct state established counter
		ip daddr 127.0.0.0/8 counter
		ip6 daddr ::1 counter
		counter
	}
}
`;

async function selfTraffic(lab: Lab): Promise<void> {
	// lo only: the veth stays without IPv6 and its neighbour discovery.
	await lab.srv("sysctl -qw net.ipv6.conf.lo.disable_ipv6=0");
	const root = `${lab.workDir}/www`;
	await lab.srv(`mkdir -p ${root} && echo hello > ${root}/index.html`);
	lab.spawnSrv(`${SYSTEM_PYTHON} -m http.server 8000 --bind :: --directory ${root}`);
	await lab.waitPort(8000, "tcp");
	for (const host of ["127.0.0.1", lab.srvAddr, "::1"]) {
		await lab.srv(`ping -n -c 2 -i 0.2 -W 1 ${host}`);
		const url = host.includes(":") ? `http://[${host}]:8000/` : `http://${host}:8000/`;
		await lab.srv(`curl -sS --noproxy '*' --max-time 5 ${url}`);
	}
}

describe.skipIf(unavailable !== null)(`kernel parity: loopback${skipNote}`, () => {
	for (const captureOn of ["lo", "any"]) {
		it(`ping and http to 127.0.0.1, ::1 and the host's own address, captured on ${captureOn}`, { timeout: 60_000 }, async () => {
			const { kernel, filter } = await expectKernelParity({ name: `loopback-${captureOn}`, ruleset: RULESET, captureOn, traffic: selfTraffic });
			expect(kernel.listing).toMatch(/chain output \{[^}]*ct state new counter packets [1-9]/);
			expect(kernel.conntrack.trim().split("\n")).toHaveLength(6);
			expect(filter.stats().dropped).toBe(0);
		});
	}
});
