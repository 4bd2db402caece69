// tproxy on the kernel's prerouting path: nft_tproxy gives the packet a
// transparent socket, one established for its connection or one listening
// on the address and port it names, and otherwise ends the rule. Here no
// program holds a transparent socket: first nothing listens on the tproxy
// ports, then plain (not IP_TRANSPARENT) listeners do, which the kernel
// does not take either. Every tproxy rule ends there, the rules after it
// count the traffic, and HTTP, UDP and ping go through as without it.
import { describe, expect, it } from "vitest";
import { SYSTEM_PYTHON, parseListingCounters, type Lab } from "../lab.js";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table ip tp {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		tcp dport 8000 tproxy to :50080 meta mark set 0x00000001 counter accept
		tcp dport 8000 counter
		udp dport 5353 tproxy to 10.99.0.2:50053 counter
		udp dport 5353 counter
		counter
	}
}
table inet tp6 {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		meta l4proto tcp tproxy ip to :50080 counter accept
		meta l4proto udp tproxy ip to :50053 counter
		ct state new counter
		ct state established counter
		counter
	}
}
`;

async function traffic(lab: Lab): Promise<void> {
  await lab.httpServer(8000);
  await lab.udpEcho(5353);
  await lab.curl(8000);
  await lab.udpSend(5353);
  await lab.ping(2);
}

// A TCP listener and a bound UDP socket on the tproxy ports, without
// IP_TRANSPARENT.
function plainListeners(lab: Lab): Promise<void[]> {
  const program = [
    "import socket, time",
    "t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(('0.0.0.0', 50080)); t.listen()",
    "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('0.0.0.0', 50053))",
    "time.sleep(120)",
  ].join("\n");
  lab.spawnSrv(`${SYSTEM_PYTHON} -c "${program}"`);
  return Promise.all([lab.waitPort(50080, "tcp"), lab.waitPort(50053, "udp")]);
}

describe.skipIf(unavailable !== null)(`kernel parity: tproxy${skipNote}`, () => {
  it("without a transparent socket every tproxy rule ends, as in the kernel", { timeout: 120_000 }, async () => {
    const none = await expectKernelParity({ name: "tproxy-none", ruleset: RULESET, traffic });
    // The tproxy rules never went on to their counters; the rules after
    // them saw the traffic.
    const counted = parseListingCounters(none.kernel.listing).map((c) => c.packets > 0);
    expect(counted).toEqual([false, true, false, true, true, false, false, true, true, true]);
    await expectKernelParity({
      name: "tproxy-plain",
      ruleset: RULESET,
      traffic: async (lab) => {
        await plainListeners(lab);
        await traffic(lab);
      },
    });
  });
});
