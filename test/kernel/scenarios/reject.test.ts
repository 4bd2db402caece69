// reject: the packet is dropped where the rule stands, as a drop would
// drop it. The kernel also answers its sender (a TCP reset, an ICMP
// error), and the capture holds that answer going out.
import { describe, it } from "vitest";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related counter accept
		tcp dport 8001 counter reject with tcp reset
		udp dport 5354 counter reject
		udp dport 5355 counter reject with icmp admin-prohibited
		ip6 nexthdr udp udp dport 5356 counter reject with icmpv6 port-unreachable
		counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct state established,related counter
		ct state new counter
		ct state invalid counter
		ct state untracked counter
		meta l4proto tcp counter
		meta l4proto icmp counter
		meta l4proto ipv6-icmp counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: reject${skipNote}`, () => {
  it("TCP resets and ICMP errors in place of refused packets", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "reject",
      ruleset: RULESET,
      ipv6: true,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.curl(8000);
        await lab.curl(8001, { connectTimeoutSeconds: 1, allowFailure: true });
        await lab.udpSend(5354, { waitSeconds: 0.3, allowFailure: true });
        await lab.udpSend(5355, { waitSeconds: 0.3, allowFailure: true });
        await lab.udpSend(5356, { family: 6, waitSeconds: 0.3, allowFailure: true });
        await lab.ping(2);
      },
    });
  });
});
