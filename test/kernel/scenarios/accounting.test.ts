// ct packets, bytes and avgpkt thresholds: their presence switches
// per-connection accounting on, and the listing then shows the counts.
import { describe, it } from "vitest";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct packets > 3 counter
		ct bytes > 500 counter
		ct original bytes > 300 counter
		ct reply packets 1-2 counter
		ct avgpkt > 60 counter
		ct original packets < 2 counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct reply bytes > 1000 counter
		ct packets 1-4 counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: accounting${skipNote}`, () => {
  it("thresholds on per-connection packet and byte counts", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "accounting",
      ruleset: RULESET,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.udpEcho(5353);
        for (let i = 0; i < 2; i++) await lab.curl(8000);
        for (let i = 0; i < 2; i++) await lab.udpSend(5353, { payload: "x".repeat(200 * (i + 1)) });
        await lab.ping(3);
      },
    });
  });

  it("nf_conntrack_acct=1 with a ruleset that does not ask for it", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "acct-sysctl",
      ruleset: `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state new counter
	}
}
`,
      sysctl: { "net.netfilter.nf_conntrack_acct": "1" },
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.curl(8000);
        await lab.ping(2);
      },
    });
  });
});
