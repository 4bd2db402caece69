// A device's own hooks: netdev ingress and egress chains on the veth, and
// an inet ingress chain beside them, over real traffic (ARP included, which
// the first ping brings). Ingress sees every frame the veth receives before
// IP does (a UDP datagram dropped there never reaches the input hook) and
// has no conntrack yet; egress sees every frame the host sends, the link
// layer included. The capture on the veth is an Ethernet pcap that names no
// interface: it is read as taken on the device of the chains.
import { describe, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, noNeighbourProbes, skipNote, unavailable } from "./parity.js";

const RULESET = `table netdev filter {
	chain ingress {
		type filter hook ingress device "eth0" priority 0; policy accept;
		counter
		meta protocol arp counter
		arp operation request counter
		arp operation reply counter
		ether type arp counter
		meta protocol ip counter
		meta l4proto icmp counter
		meta l4proto tcp counter
		ip protocol icmp counter
		icmp type echo-request counter
		tcp dport 8000 counter
		tcp flags syn counter
		meta iifname "eth0" counter
		meta oifname != "eth0" counter
		meta pkttype host counter
		meta pkttype broadcast counter
		meta length > 60 counter
		udp dport 5353 counter drop
	}

	chain egress {
		type filter hook egress device "eth0" priority 0; policy accept;
		counter
		meta protocol arp counter
		arp operation reply counter
		meta protocol ip counter
		ip protocol icmp counter
		tcp sport 8000 counter
		meta oifname "eth0" counter
		meta iifname != "eth0" counter
		meta length > 60 counter
		ether type ip counter
	}
}

table inet t {
	chain ingress {
		type filter hook ingress device "eth0" priority -1; policy accept;
		counter
		meta nfproto ipv4 counter
		tcp dport 8000 counter
		ct state invalid counter
		ct state new counter
	}

	chain input {
		type filter hook input priority 0; policy accept;
		counter
		ct state new counter
		udp dport 5353 counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: netdev ingress and egress${skipNote}`, () => {
  it("ingress and egress chains of the veth count the frames the kernel's do", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "netdev",
      ruleset: RULESET,
      traffic: async (lab) => {
        await noNeighbourProbes(lab);
        await lab.httpServer(8000);
        await lab.udpEcho(5353);
        await lab.ping(2);
        await lab.curl(8000);
        await lab.udpSend(5353, { waitSeconds: 0.3, allowFailure: true });
      },
    });
  });

  // What the host sends itself leaves by lo's egress hook and comes back
  // by its ingress hook, once each; the veth's chains never see it.
  it("lo's ingress and egress chains see what the host sends itself", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "netdev-lo",
      ruleset: `table netdev lo {
	chain ingress {
		type filter hook ingress device "lo" priority 0; policy accept;
		counter
		meta iifname "lo" counter
		tcp dport 8000 counter
		meta length > 100 counter
	}

	chain egress {
		type filter hook egress device "lo" priority 0; policy accept;
		counter
		meta oifname "lo" counter
		icmp type echo-reply counter
		meta length > 100 counter
	}
}

table netdev veth {
	chain ingress {
		type filter hook ingress device "eth0" priority 0; policy accept;
		counter
	}
}
`,
      captureOn: "lo",
      traffic: async (lab) => {
        lab.spawnSrv(`${SYSTEM_PYTHON} -m http.server 8000 --bind 127.0.0.1 --directory ${lab.workDir}`);
        await lab.waitPort(8000, "tcp");
        await lab.srv("ping -n -c 2 -i 0.2 -W 1 127.0.0.1");
        await lab.srv(`curl -sS --noproxy '*' --max-time 5 -o /dev/null http://127.0.0.1:8000/`);
      },
    });
  });
});
