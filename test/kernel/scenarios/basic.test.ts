// TCP, UDP and ICMP through a stateful input chain, against the kernel.
import { describe, expect, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, script, skipNote, unavailable } from "./parity.js";

const STATEFUL = `table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related counter accept
		ct state invalid counter drop
		tcp dport 8000 ct state new counter accept
		udp dport 5353 counter accept
		icmp type echo-request counter accept
		tcp dport 22 counter drop
		counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct state related counter
		ct direction reply counter
		ct direction original counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: basic protocols${skipNote}`, () => {
  it("http over TCP, with a dropped port", { timeout: 60_000 }, async () => {
    const { kernel } = await expectKernelParity({
      name: "http",
      ruleset: STATEFUL,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        for (let i = 0; i < 3; i++) await lab.curl(8000);
        await lab.curl(22, { connectTimeoutSeconds: 1.5, allowFailure: true });
      },
    });
    expect(kernel.conntrack).toContain("TIME_WAIT");
  });

  it("UDP request and response, a stream that becomes assured", { timeout: 60_000 }, async () => {
    const { kernel } = await expectKernelParity({
      name: "udp",
      ruleset: STATEFUL,
      traffic: async (lab) => {
        await lab.udpEcho(5353);
        for (let i = 0; i < 3; i++) await lab.udpSend(5353, { payload: `query ${i}` });
        // One socket talking for longer than two seconds: a UDP stream. No
        // datagram near the two seconds (delays only push them later), where
        // the capture's clock and the kernel's jiffies may fall either side.
        await lab.cli(`${SYSTEM_PYTHON} ${script("udp-stream.py")} ${lab.srvAddr} 5353 4 0.7`);
      },
    });
    expect(kernel.conntrack).toContain("[ASSURED]");
  });

  it("ping, and UDP to a closed port answered by ICMP port unreachable", { timeout: 60_000 }, async () => {
    const { kernel } = await expectKernelParity({
      name: "icmp",
      ruleset: STATEFUL.replace("udp dport 5353 counter accept", "udp dport { 5353, 9999 } counter accept"),
      traffic: async (lab) => {
        await lab.ping(3);
        await lab.udpSend(9999, { waitSeconds: 0 });
        await lab.udpSend(9999, { waitSeconds: 0.3, allowFailure: true });
      },
    });
    expect(kernel.listing).toMatch(/ct state related counter packets [1-9]/);
  });

  it("ICMP errors coming in for connections the server started", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "icmp-in",
      ruleset: STATEFUL,
      traffic: async (lab) => {
        // srv sends to a closed port of cli; cli's port unreachable comes back related.
        for (let i = 0; i < 2; i++) {
          await lab.srv(`${SYSTEM_PYTHON} ${script("../udp-send.py")} ${lab.cliAddr} 7777 probe 0.3`, { allowFailure: true });
        }
      },
    });
  });
});
