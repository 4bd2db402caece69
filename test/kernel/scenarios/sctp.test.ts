// SCTP associations over raw sockets (sctp-peer.py): the handshake, data,
// heartbeats, shutdown and abort, and the packets conntrack finds invalid.
import { describe, expect, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, script, skipNote, unavailable } from "./parity.js";

/** Sorted lines without the remaining timeout (it ticks). */
function withoutTimeout(text: string): string[] {
  return text
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).filter((_, i) => i !== 4).join(" "))
    .sort();
}

describe.skipIf(unavailable !== null)(`kernel parity: SCTP${skipNote}`, () => {
  it("tracks associations through their states and refuses what the kernel refuses", { timeout: 60_000 }, async () => {
    let proc = "";
    const { kernel, filter } = await expectKernelParity({
      name: "sctp",
      ruleset: `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related counter accept
		ip protocol sctp ct state new counter accept
		counter drop
	}
}
`,
      // Long enough that closed associations outlive the capture's end.
      sysctl: { "net.netfilter.nf_conntrack_sctp_timeout_closed": "120" },
      traffic: async (lab) => {
        lab.spawnSrv(`${SYSTEM_PYTHON} ${script("sctp-peer.py")} serve`);
        // The peer is a raw socket of protocol 132: ss lists it as port 132.
        const deadline = Date.now() + 5000;
        while (!/:132\b/.test(await lab.srv("ss -Hwan"))) {
          if (Date.now() > deadline) throw new Error("the SCTP peer never opened its raw socket");
          await new Promise((r) => setTimeout(r, 20));
        }
        await lab.cli(`${SYSTEM_PYTHON} ${script("sctp-peer.py")} drive ${lab.srvAddr}`);
        proc = await lab.srv("cat /proc/net/nf_conntrack");
      },
    });
    const states = kernel.conntrack
      .split("\n")
      .filter((line) => line.includes("sctp"))
      .map((line) => line.split(/\s+/)[5])
      .sort();
    expect(states).toEqual(["CLOSED", "CLOSED", "CLOSED", "ESTABLISHED", "ESTABLISHED"]);
    expect(withoutTimeout(filter.conntrackListing({ format: "proc" }))).toEqual(withoutTimeout(proc));
  });
});
