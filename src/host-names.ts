// The host's name databases nft consults when it reads a ruleset: user and
// group names for skuid and skgid, service names for ports.
import { readFileSync } from 'node:fs';
import type { AccountNames } from '../compiler/datatypes.js';

// Names of /etc/passwd or /etc/group (name:password:id:...), as nft looks
// skuid and skgid names up when it reads a ruleset.
function accountFile(path: string): Map<string, number> {
  const names = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id && /^\d+$/.test(id) && !names.has(name)) names.set(name, Number(id));
  }
  return names;
}

// The TCP and UDP services of /etc/services (name port/protocol aliases),
// by name and alias, the first entry winning, as getaddrinfo finds them for
// nft.
export function servicesFile(text: string): Map<string, number> {
  const ports = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, portProto, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    const m = /^(\d+)\/(tcp|udp)$/.exec(portProto ?? '');
    if (!name || !m || Number(m[1]) > 65535) continue;
    for (const n of [name, ...aliases]) if (!ports.has(n)) ports.set(n, Number(m[1]));
  }
  return ports;
}

export function hostServices(): Map<string, number> | undefined {
  try {
    return servicesFile(readFileSync('/etc/services', 'utf8'));
  } catch {
    return undefined;
  }
}

export function hostAccounts(): AccountNames {
  return { users: accountFile('/etc/passwd'), groups: accountFile('/etc/group') };
}
