// The traffic of the bundled example (examples/web.pcap): what a small web
// server sees from one client.
import type { Lab } from "./lab.js";

export async function webTraffic(lab: Lab): Promise<void> {
  await lab.httpServer(8000);
  await lab.udpEcho(5353);
  for (let request = 0; request < 3; request++) await lab.curl(8000);
  for (let query = 0; query < 3; query++) await lab.udpSend(5353, { payload: `query ${query}` });
  await lab.ping(3);
  // The ruleset drops port 22: curl gives up after the SYN and one retransmission.
  await lab.curl(22, { connectTimeoutSeconds: 1.5, allowFailure: true });
  // Nothing matches: the chain's policy drops it.
  await lab.udpSend(9999, { waitSeconds: 0 });
}
