// IPv6: neighbour discovery (untracked), ping, TCP and UDP, ICMPv6 errors.
import { describe, it } from "vitest";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related counter accept
		ct state invalid counter drop
		ct state untracked counter accept
		tcp dport 8000 ct state new counter accept
		udp dport 5353 counter accept
		icmpv6 type echo-request counter accept
		icmp type echo-request counter accept
		counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct state untracked counter
		ct state related counter
		ct direction reply counter
		ct direction original counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: IPv6${skipNote}`, () => {
  it("neighbour discovery, ping, http and UDP over IPv6, port unreachable", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "ipv6",
      ruleset: RULESET,
      ipv6: true,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.udpEcho(5353);
        await lab.ping(3, { family: 6 });
        await lab.curl(8000, { family: 6 });
        await lab.udpSend(5353, { family: 6 });
        await lab.udpSend(5354, { family: 6, waitSeconds: 0.3, allowFailure: true });
        await lab.ping(2, { family: 4 });
      },
    });
  });
});
