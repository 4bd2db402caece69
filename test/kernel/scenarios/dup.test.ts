// dup in the ip family: nf_dup_ipv4 sends a copy of the packet to another
// address through the output and postrouting hooks, untracked, its TTL
// lowered when taken on prerouting or input, and the packet goes on. The
// copies leave srv by a second veth, out of the capture's sight: only the
// output and postrouting chains' counters see them, offline as in the
// kernel. A dup in the output chain copies what srv sends, and its copy,
// meeting the same rule, is not copied again.
import { describe, expect, it } from "vitest";
import { parseListingCounters } from "../lab.js";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table ip d {
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		icmp type echo-request dup to 10.98.0.2
		udp dport 5353 counter dup to 10.98.0.2 counter
	}

	chain in {
		type filter hook input priority 0; policy accept;
		tcp dport 8000 ct state new dup to 10.98.0.2
	}

	chain out {
		type filter hook output priority 0; policy accept;
		icmp type echo-reply dup to 10.98.0.2 counter
		ct state untracked counter
		ct state untracked ip ttl 63 counter
		ct state untracked icmp type echo-request counter
		ct state untracked icmp type echo-reply counter
		ct state untracked udp dport 5353 counter
		ct state untracked tcp dport 8000 counter
		counter
	}

	chain post {
		type filter hook postrouting priority 0; policy accept;
		ct state untracked counter
		ct state untracked ip ttl 64 counter
		counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: dup${skipNote}`, () => {
  it("copies go out through output and postrouting, untracked, as the kernel sends them", { timeout: 120_000 }, async () => {
    const { kernel } = await expectKernelParity({
      name: "dup",
      ruleset: RULESET,
      traffic: async (lab) => {
        await lab.srv(
          "ip link add d0 type veth peer name d1 && ip addr add 10.98.0.1/24 dev d0 && ip link set d0 up && ip link set d1 up"
            + " && ip neigh add 10.98.0.2 lladdr 02:00:00:00:00:02 dev d0 nud permanent",
        );
        await lab.httpServer(8000);
        await lab.udpEcho(5353);
        await lab.curl(8000);
        await lab.udpSend(5353);
        await lab.ping(2);
      },
    });
    // Every copy was counted: those of the two pings and their replies (not
    // copied again), the SYN and the datagram.
    const untracked = parseListingCounters(kernel.listing).filter((c) => c.rule === "ct state untracked counter");
    expect(untracked.map((c) => c.packets)).toEqual([6, 6]);
  });
});
