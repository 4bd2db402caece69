// ARP's own hooks: arp input and output chains over the ARP of real traffic
// (the first ping brings a request from cli and srv's reply; a ping to an
// address nobody has brings requests srv answers not), beside a netdev
// ingress chain, which ARP meets first. Both hooks see the ARP header at
// the network base, with meta nfproto arp; coming in the length past the
// link-layer header, going out the whole frame arp_create built. The veth's
// pcap names no device: the hook's own device is then unnamed, as on the
// IP hooks, so only the side without one is matched by name.
import { describe, it } from "vitest";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table arp filter {
	chain input {
		type filter hook input priority 0; policy accept;
		counter
		arp operation request counter
		arp operation reply counter
		arp htype 1 arp ptype ip arp hlen 6 arp plen 4 counter
		arp saddr ip 10.99.0.1 counter
		arp daddr ip 10.99.0.2 counter
		arp daddr ip 10.99.0.9 counter
		arp saddr ether 00:00:00:00:00:00 counter
		meta oifname != "eth0" counter
		meta pkttype broadcast counter
		meta length 28 counter
		meta protocol arp counter
		arp daddr ip 10.99.0.9 counter drop
		counter
	}

	chain output {
		type filter hook output priority 0; policy accept;
		counter
		arp operation reply counter
		arp operation request counter
		arp saddr ip 10.99.0.2 counter
		arp daddr ip 10.99.0.1 counter
		meta iifname != "eth0" counter
		meta length 42 counter
		@ll,0,48 0xffffffffffff counter
	}
}

table netdev filter {
	chain ingress {
		type filter hook ingress device "eth0" priority 0; policy accept;
		meta protocol arp counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: arp input and output${skipNote}`, () => {
  it("arp chains count the ARP packets the kernel's do", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "arp",
      ruleset: RULESET,
      traffic: async (lab) => {
        await lab.ping(2);
        await lab.cli("ping -c 2 -i 0.2 -W 1 10.99.0.9", { allowFailure: true });
      },
    });
  });
});
