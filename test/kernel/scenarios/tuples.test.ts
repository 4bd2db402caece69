// ct original / reply addresses and ports, read from both directions of TCP
// and UDP connections over IPv4 and IPv6: the reply tuple is derived from
// the original one (addresses swapped, ports kept apart), and must read as
// the kernel's does.
import { describe, it } from "vitest";
import { dualStackTraffic, expectKernelParity, skipNote, unavailable } from "./parity.js";

const RULESET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct original ip saddr 10.99.0.1 counter
		ct original ip daddr 10.99.0.2 counter
		ct reply ip saddr 10.99.0.2 counter
		ct reply ip daddr 10.99.0.1 counter
		ct original ip6 saddr fd99::1 counter
		ct reply ip6 saddr fd99::2 counter
		ct reply ip6 daddr fd99::1 counter
		meta l4proto tcp ct original proto-dst 8000 counter
		meta l4proto tcp ct reply proto-src 8000 counter
		meta l4proto udp ct original proto-dst 5353 counter
		meta l4proto udp ct reply proto-dst 5353 counter
		meta l4proto udp ct reply proto-src 5353 counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct reply ip daddr 10.99.0.1 counter
		ct reply ip6 daddr fd99::1 counter
		meta l4proto tcp ct original proto-src 8000 counter
		meta l4proto tcp ct reply proto-src 8000 counter
		ct direction reply meta l4proto udp ct reply proto-src 5353 counter
	}
}
`;

describe.skipIf(unavailable !== null)(`kernel parity: tuples${skipNote}`, () => {
  it("original and reply addresses and ports over TCP, UDP and ping, IPv4 and IPv6", { timeout: 60_000 }, async () => {
    await expectKernelParity({
      name: "tuples",
      ruleset: RULESET,
      ipv6: true,
      traffic: dualStackTraffic,
    });
  });
});
