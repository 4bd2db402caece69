// IPv6 extension headers the sender's kernel puts in (hop-by-hop and
// destination options), found along the header chain by the kernel's
// ipv6_find_hdr and by nftwasm alike.
import { describe, expect, it } from "vitest";
import { SYSTEM_PYTHON } from "../lab.js";
import { expectKernelParity, script, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		meta l4proto ipv6-icmp accept
		exthdr hbh exists counter
		exthdr dst exists counter
		exthdr hbh missing exthdr dst missing counter
		hbh nexthdr udp counter
		hbh nexthdr 60 counter
		dst nexthdr udp counter
		dst hdrlength 0 counter
		exthdr rt missing counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: IPv6 extension headers${skipNote}`, () => {
  it("hop-by-hop and destination options found as the kernel finds them", { timeout: 60_000 }, async () => {
    const { kernel } = await expectKernelParity({
      name: "ipv6-exthdrs",
      ruleset: RULESET,
      ipv6: true,
      traffic: async (lab) => {
        await lab.cli(`${SYSTEM_PYTHON} ${script("ipv6-exthdrs.py")} ${lab.srvAddr6}`);
      },
    });
    expect(kernel.listing).toMatch(/exthdr hbh exists counter packets 2 /);
    expect(kernel.listing).toMatch(/exthdr dst exists counter packets 2 /);
  });
});
