import { describe, expect, it } from "vitest";
import { parseListingCounters } from "./listing.js";

// `nft -a list ruleset` from nft 1.0.6; the plain listing is the same
// without the "# handle N" comments.
const LISTING_WITH_HANDLES = `table inet filter { # handle 1
	set blocked { # handle 3
		type ipv4_addr
		flags interval
		counter
		elements = { 192.0.2.0/24 counter packets 5 bytes 300 }
	}

	chain input { # handle 1
		type filter hook input priority filter; policy accept;
		ip saddr @blocked counter packets 5 bytes 300 drop # handle 4
		tcp dport { 22, 80 } counter packets 12 bytes 840 accept # handle 6
		jump logged # handle 7
	}

	chain logged { # handle 2
		counter packets 0 bytes 0 # handle 8
	}
}
table ip nat { # handle 2
	chain pre { # handle 1
		type nat hook prerouting priority dstnat; policy accept;
		counter packets 31 bytes 2046 # handle 2
	}
}
`;

const EXPECTED = [
  { table: "inet filter", chain: "input", rule: "ip saddr @blocked counter drop", handle: 4, packets: 5, bytes: 300 },
  { table: "inet filter", chain: "input", rule: "tcp dport { 22, 80 } counter accept", handle: 6, packets: 12, bytes: 840 },
  { table: "inet filter", chain: "logged", rule: "counter", handle: 8, packets: 0, bytes: 0 },
  { table: "ip nat", chain: "pre", rule: "counter", handle: 2, packets: 31, bytes: 2046 },
];

describe("parseListingCounters", () => {
  it("reads every rule counter with its table, chain and handle, skipping set element counters", () => {
    expect(parseListingCounters(LISTING_WITH_HANDLES)).toEqual(EXPECTED);
  });

  it("reads a listing without handles", () => {
    const plain = LISTING_WITH_HANDLES.replace(/ # handle \d+/g, "");
    expect(parseListingCounters(plain)).toEqual(EXPECTED.map(({ handle: _handle, ...counter }) => counter));
  });

  it("ignores rules without a counter and an empty ruleset", () => {
    expect(parseListingCounters("table ip t {\n\tchain c {\n\t\tip saddr 10.0.0.1 drop\n\t}\n}\n")).toEqual([]);
    expect(parseListingCounters("")).toEqual([]);
  });
});
