// /proc/net/nf_conntrack as the kernel writes it, against nftwasm's
// rendering of the same table.
import { describe, expect, it } from "vitest";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

/** Sorted lines without the remaining timeout (it ticks). */
function normalizeProc(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => /^ipv[46]$/.test(fields[0]!))
    .map((fields) => [...fields.slice(0, 4), ...fields.slice(5)].join(" "))
    .sort();
}

describe.skipIf(unavailable !== null)(`kernel parity: /proc/net/nf_conntrack${skipNote}`, () => {
  it("matches the kernel's file, with zones and accounting", { timeout: 60_000 }, async () => {
    let proc = "";
    const { filter } = await expectKernelParity({
      name: "proc",
      ruleset: `table inet filter {
	chain raw {
		type filter hook prerouting priority raw; policy accept;
		udp dport 5353 ct zone set 9
	}

	chain rawout {
		type filter hook output priority raw; policy accept;
		udp sport 5353 ct zone set 9
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ct bytes > 100 counter
	}
}
`,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.udpEcho(5353);
        await lab.curl(8000);
        await lab.udpSend(5353);
        await lab.ping(2);
        proc = await lab.srv("cat /proc/net/nf_conntrack");
      },
    });
    const ours = filter.conntrackListing({ format: "proc" });
    expect(normalizeProc(ours)).toEqual(normalizeProc(proc));
  });
});
