// Ethernet header fields outside a bridge: nft makes them depend on an
// Ethernet input device (meta iiftype ether), so they match what came in
// and not what the host sends, but for its neighbour advertisements, which
// go out with the solicitation's input device.
import { describe, it } from "vitest";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ether type ip counter
		ether type ip6 counter
		ether saddr != 00:00:00:00:00:00 counter
		meta iiftype ether counter
		meta iiftype loopback counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ether type ip counter
		ether daddr != 00:00:00:00:00:00 counter
		meta iiftype ether counter
		counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: link layer${skipNote}`, () => {
  it("Ethernet fields and the input device's type, in and out", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "link-layer",
      ruleset: RULESET,
      ipv6: true,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.curl(8000);
        await lab.ping(2);
        await lab.ping(2, { family: 6 });
      },
    });
  });
});
