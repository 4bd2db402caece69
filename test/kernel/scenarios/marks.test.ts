// Rules that set and match conntrack marks, packet marks and ct labels.
import { describe, it } from "vitest";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		ct state new tcp dport 8000 ct mark set 0x2a counter
		ct state new udp dport 5353 ct mark set 0x10 counter
		meta mark set 0x7 counter
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ct mark 0x2a counter
		ct mark 0x10 counter
		ct mark 0x0 counter
		meta mark 0x7 counter
		ct mark 0x10 ct mark set 0x11 counter
		tcp dport 8000 ct label set 3 counter
		ct label 3 counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct mark 0x2a counter
		ct direction reply ct mark 0x11 counter
		ct mark 0x0 counter
		ct label 3 counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: marks${skipNote}`, () => {
  it("ct mark set on new connections, matched both ways; meta mark", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "marks",
      ruleset: RULESET,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.udpEcho(5353);
        await lab.curl(8000);
        await lab.udpSend(5353);
        await lab.ping(1);
      },
    });
  });
});
