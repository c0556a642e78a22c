/** Unix users by name or number, from /etc/passwd (tasks run as an unprivileged user when the agent is root). */
import * as fs from 'node:fs';
import { LaunchError } from '../errors';

export interface UnixUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export function parsePasswd(text: string): Map<string, UnixUser> {
  const users = new Map<string, UnixUser>();
  for (const line of text.split('\n')) {
    const [name, , uid, gid, , home] = line.split(':');
    if (!name || uid === undefined || gid === undefined || line.startsWith('#')) continue;
    users.set(name, { name, uid: Number(uid), gid: Number(gid), home: home ?? '/' });
  }
  return users;
}

export class UserDirectory {
  private cache?: { users: Map<string, UnixUser>; mtimeMs: number };
  constructor(private readonly passwdFile = '/etc/passwd') {}

  /**
   * The user named `nameOrUid`: a name in the file, or a number — its entry if it has one, else that uid with
   * the group of the same number (the agent's per-task uids, agent/task-uids.ts, have no entry).
   */
  resolve(nameOrUid: string): UnixUser {
    const users = this.load();
    const byName = users.get(nameOrUid);
    if (byName) return byName;
    if (/^\d+$/.test(nameOrUid)) {
      for (const u of users.values()) if (u.uid === Number(nameOrUid)) return u;
      return { name: nameOrUid, uid: Number(nameOrUid), gid: Number(nameOrUid), home: '/' };
    }
    throw new LaunchError(`unknown user ${nameOrUid} (not in ${this.passwdFile})`);
  }

  private load(): Map<string, UnixUser> {
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(this.passwdFile).mtimeMs;
      if (this.cache && this.cache.mtimeMs === mtimeMs) return this.cache.users;
      this.cache = { users: parsePasswd(fs.readFileSync(this.passwdFile, 'utf8')), mtimeMs };
    } catch (err) {
      throw new LaunchError(`cannot read ${this.passwdFile}`, { cause: err });
    }
    return this.cache.users;
  }
}
