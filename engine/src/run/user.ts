/**
 * `-u` / the image's User resolved as Docker resolves it (moby/sys/user):
 * `name`, `uid`, `name:group`, `uid:gid`, through the image's /etc/passwd
 * and /etc/group read inside the root filesystem. Numeric ids need no
 * files; an unknown name is Docker's error.
 */
import { readFileInRoot } from './rootfs-path';
import { UnknownUserError } from './errors';

export interface ExecUser {
  uid: number;
  gid: number;
  /** Supplementary groups: the primary group, then those of /etc/group that list the user (Docker's). */
  additionalGids: number[];
  /** From passwd; `/` when the user has no entry (as Docker). */
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 0x7fffffff;

function numeric(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_ID ? n : undefined;
}

function lines(text: string | undefined): string[][] {
  if (text === undefined) return [];
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const f of lines(text)) {
    const uid = numeric(f[2] ?? '');
    const gid = numeric(f[3] ?? '');
    if (uid === undefined || gid === undefined) continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? '' });
  }
  return out;
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const f of lines(text)) {
    const gid = numeric(f[2] ?? '');
    if (gid === undefined) continue;
    out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').filter((m) => m !== '') });
  }
  return out;
}

/** Resolves a user spec against passwd and group file contents (undefined: the file is missing). */
export function resolveUser(spec: string, passwdText: string | undefined, groupText: string | undefined): ExecUser {
  const [userPart, groupPart] = spec.includes(':') ? [spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1)] : [spec, undefined];
  const passwd = parsePasswd(passwdText);
  const user: ExecUser = { uid: 0, gid: 0, additionalGids: [], home: '/' };
  let name: string | undefined;
  if (userPart !== '') {
    const uid = numeric(userPart);
    const entry = passwd.find((p) => (uid === undefined ? p.name === userPart : p.uid === uid));
    if (entry) {
      Object.assign(user, { uid: entry.uid, gid: entry.gid, home: entry.home || '/' });
      name = entry.name;
    } else if (uid !== undefined) {
      user.uid = uid;
    } else {
      const why = passwdText === undefined ? 'no passwd file' : 'no matching entries in passwd file';
      throw new UnknownUserError(`unable to find user ${userPart}: ${why}`);
    }
  } else {
    const root = passwd.find((p) => p.uid === 0);
    if (root) Object.assign(user, { gid: root.gid, home: root.home || '/' });
    name = root?.name;
  }
  const groups = parseGroup(groupText);
  if (groupPart !== undefined && groupPart !== '') {
    const gid = numeric(groupPart);
    const entry = groups.find((g) => (gid === undefined ? g.name === groupPart : g.gid === gid));
    if (entry) user.gid = entry.gid;
    else if (gid !== undefined) user.gid = gid;
    else {
      const why = groupText === undefined ? 'no group file' : 'no matching entries in group file';
      throw new UnknownUserError(`unable to find group ${groupPart}: ${why}`);
    }
  }
  // as Docker: the primary group first, then the groups that list the user
  user.additionalGids = [user.gid];
  if (name !== undefined) {
    for (const g of groups) {
      if (g.members.includes(name) && !user.additionalGids.includes(g.gid)) user.additionalGids.push(g.gid);
    }
  }
  return user;
}

/** Reads the image's /etc/passwd and /etc/group inside `rootfs` (never through a link out of it) and resolves `spec`. */
export async function resolveUserInRoot(rootfs: string, spec: string): Promise<ExecUser> {
  const [passwd, group] = await Promise.all([readFileInRoot(rootfs, '/etc/passwd'), readFileInRoot(rootfs, '/etc/group')]);
  return resolveUser(spec, passwd, group);
}
