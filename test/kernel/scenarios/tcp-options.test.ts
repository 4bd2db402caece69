// TCP options in the real handshakes of an HTTP exchange (MSS, SACK
// permitted, timestamps, window scale): found, read, and the MSS clamped
// by a rule that a later rule then sees, in the kernel and in nftwasm.
import { describe, expect, it } from "vitest";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp option maxseg exists counter
		tcp option maxseg size 1460 counter
		tcp option sack-perm exists counter
		tcp option sack-perm missing counter
		tcp option timestamp exists counter
		tcp option window count 7 counter
		tcp option timestamp tsecr 0 counter
		tcp option 254 exists counter
		tcp flags syn tcp option maxseg size set 1300
		tcp option maxseg size 1300 counter
		tcp flags syn tcp option maxseg size set 1400
		tcp option maxseg size 1400 counter
		tcp flags syn reset tcp option sack-perm
		tcp option sack-perm exists counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: tcp options${skipNote}`, () => {
  it("reads, clamps and blanks the options of real handshakes", { timeout: 60_000 }, async () => {
    const { kernel } = await expectKernelParity({
      name: "tcp-options",
      ruleset: RULESET,
      traffic: async (lab) => {
        await lab.httpServer(8000);
        await lab.curl(8000);
        await lab.curl(8000);
      },
    });
    // The kernel saw the handshakes' options, clamped the MSS of both SYNs,
    // never raised it again, and blanked SACK permitted.
    const count = (rule: string) => Number(new RegExp(`${rule} counter packets (\\d+)`).exec(kernel.listing)?.[1]);
    expect(count("tcp option maxseg exists")).toBeGreaterThanOrEqual(2);
    expect(count("tcp option maxseg size 1300")).toBe(count("tcp option maxseg exists"));
    expect(count("tcp option maxseg size 1400")).toBe(0);
    expect(count("tcp option sack-perm exists")).toBeGreaterThanOrEqual(2);
  });
});
