// Conntrack zones set before the conntrack hook, and notrack.
import { describe, it } from "vitest";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

describe.skipIf(unavailable !== null)(`kernel parity: zones and notrack${skipNote}`, () => {
  it("ct zone set in raw chains on both paths", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "zones",
      ruleset: `table inet filter {
	chain raw {
		type filter hook prerouting priority raw; policy accept;
		udp dport 5353 ct zone set 7 counter
		icmp type echo-request ct zone set 3 counter
		ct state new counter
	}

	chain rawout {
		type filter hook output priority raw; policy accept;
		udp sport 5353 ct zone set 7 counter
		icmp type echo-reply ct zone set 3 counter
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ct zone 7 counter
		ct zone 3 counter
		ct zone 0 counter
		ct state new counter
		ct state established counter
	}
}
`,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.udpEcho(5353);
        await lab.udpSend(5353);
        await lab.ping(2);
        await lab.curl(8000);
      },
    });
  });

  it("a zone for the original direction only", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "zone-original",
      ruleset: `table inet filter {
	chain raw {
		type filter hook prerouting priority raw; policy accept;
		udp dport 5353 ct original zone set 5 counter
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ct zone 5 counter
		ct original zone 5 counter
		ct reply zone 0 counter
		ct state new counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct state established counter
		ct zone 5 counter
	}
}
`,
      traffic: async (lab) => {
        await lab.udpEcho(5353);
        await lab.udpSend(5353);
        await lab.udpSend(5353, { payload: "again" });
      },
    });
  });

  it("notrack leaves packets untracked", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "notrack",
      ruleset: `table inet filter {
	chain raw {
		type filter hook prerouting priority raw; policy accept;
		udp dport 5353 notrack counter
	}

	chain rawout {
		type filter hook output priority raw; policy accept;
		udp sport 5353 notrack counter
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ct state untracked counter
		ct state new counter
		ct state established counter
	}
}
`,
      traffic: async (lab) => {
        await lab.udpEcho(5353);
        await lab.udpSend(5353);
        await lab.ping(2);
      },
    });
  });
});
