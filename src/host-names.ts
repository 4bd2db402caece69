// The host's name databases nft consults when it reads a ruleset: user and
// group names for skuid and skgid, service names for ports.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AccountNames, CgroupTree } from '../compiler/datatypes.js';
import { strerrorText } from './system-error.js';

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

const CGROUP_ROOT = '/sys/fs/cgroup';

// Every file and directory below the cgroup root by inode, the first found
// winning, as nft's cgroupv2_get_path walks it. nft compares the inode
// readdir reports, which for a file system mounted below the root (the
// cgroup v2 tree under a tmpfs) is that of the directory it covers, not
// the mounted root's that stat gives: such a mount point is walked into
// but names no inode.
function cgroupInodes(dir: string, dev: bigint, into: Map<bigint, string>): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      const st = statSync(path, { bigint: true });
      if (st.dev === dev && !into.has(st.ino)) into.set(st.ino, path.slice(CGROUP_ROOT.length + 1));
      if (st.isDirectory()) cgroupInodes(path, st.dev, into);
    } catch {
      continue;
    }
  }
}

export function hostCgroups(): CgroupTree {
  let inodes: Map<bigint, string> | undefined;
  return {
    inode(path) {
      try {
        return statSync(`${CGROUP_ROOT}/${path}`, { bigint: true }).ino;
      } catch (e) {
        return strerrorText(e);
      }
    },
    path(inode) {
      if (!inodes) {
        inodes = new Map();
        try {
          cgroupInodes(CGROUP_ROOT, statSync(CGROUP_ROOT, { bigint: true }).dev, inodes);
        } catch {
          // No cgroup tree: every id lists as a number.
        }
      }
      return inodes.get(inode);
    },
  };
}
