// The bundled example end to end against the kernel: examples/web.nft loaded
// into a real kernel, the example's traffic, tcpdump's capture replayed
// through nftwasm: the same counters and the same conntrack table.
import { readFile } from "node:fs/promises";
import { describe, it } from "vitest";
import { expectKernelParity, skipNote, unavailable } from "./parity.js";
import { webTraffic } from "../web-traffic.js";

const EXAMPLE_RULESET = new URL("../../../examples/web.nft", import.meta.url);

describe.skipIf(unavailable !== null)(`kernel parity: the bundled example${skipNote}`, () => {
  it("examples/web.nft with the example's traffic", { timeout: 60_000 }, async () => {
    await expectKernelParity({ name: "web example", ruleset: await readFile(EXAMPLE_RULESET, "utf8"), traffic: webTraffic });
  });
});
