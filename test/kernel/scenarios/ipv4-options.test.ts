// IPv4 options a real stack sends (record route, router alert, a loose
// source route), found as the kernel's ipv4_find_option finds them.
import { describe, expect, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, script, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		meta l4proto icmp accept
		ip option rr exists counter
		ip option ra exists counter
		ip option lsrr exists counter
		ip option ssrr exists counter
		ip option rr ptr 4 counter
		ip option lsrr length 7 counter
		ip option ra missing counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: IPv4 options${skipNote}`, () => {
  it("record route, router alert and source route found as the kernel finds them", { timeout: 60_000 }, async () => {
    const { kernel } = await expectKernelParity({
      name: "ipv4-options",
      ruleset: RULESET,
      traffic: async (lab) => {
        await lab.cli(`${SYSTEM_PYTHON} ${script("ipv4-options.py")} ${lab.srvAddr}`);
      },
    });
    expect(kernel.listing).toMatch(/ip option rr exists counter packets 1 /);
    expect(kernel.listing).toMatch(/ip option ra exists counter packets 1 /);
  });
});
