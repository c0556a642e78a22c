/**
 * Opens a file of a task's sandbox for the agent (root) without letting the task point it elsewhere. The
 * sandbox's contents are the task's: any name in it may be a symlink, a FIFO or a directory swapped for a
 * link while we look. So the path is never checked as text and then opened; instead:
 *
 *   open(<real sandbox>/<path>, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)   the last component may not be a link;
 *                                                                     a FIFO does not block the open
 *   readlink(/proc/self/fd/<fd>)                                      where the kernel says the open file is:
 *                                                                     a symlinked directory component that
 *                                                                     leaves the sandbox shows up here
 *   fstat(fd).isFile()                                                regular files only (no FIFO, device)
 *
 * The checks are on the descriptor itself, so a rename or a link planted between them changes nothing.
 * (Hard links are the kernel's business: `fs.protected_hardlinks=1`, the default, keeps a task from
 * linking a file it cannot read.)
 */
import { closeSync, constants, fstatSync, openSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

export type ConfinedOpenFailure = 'outside' | 'missing' | 'not-a-file';

export class ConfinedOpenError extends Error {
  constructor(
    readonly kind: ConfinedOpenFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ConfinedOpenError';
  }
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Pure: whether `rel` is a relative path with no `..` component (the textual part of the check). */
export function isPlainRelative(rel: string): boolean {
  return rel.length > 0 && !rel.startsWith('/') && !rel.split('/').includes('..') && !rel.includes('\0');
}

/** Pure: whether the kernel's path of an open file lies inside the sandbox's real path. */
export function insideRoot(realRoot: string, actual: string): boolean {
  return actual.startsWith(realRoot.endsWith('/') ? realRoot : `${realRoot}/`);
}

/** A read-only descriptor of the regular file `rel` inside `root`; the caller closes it. */
export function openConfined(root: string, rel: string): number {
  if (!isPlainRelative(rel)) throw new ConfinedOpenError('outside', `path '${rel}' is outside the sandbox`);
  let realRoot: string;
  let fd: number;
  try {
    realRoot = realpathSync(root);
    fd = openSync(join(realRoot, rel), READ_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new ConfinedOpenError('missing', `no file '${rel}' in the sandbox`);
    if (code === 'ELOOP') throw new ConfinedOpenError('outside', `path '${rel}' is a symbolic link (not followed)`);
    throw err;
  }
  try {
    const actual = readlinkSync(`/proc/self/fd/${fd}`);
    if (!insideRoot(realRoot, actual))
      throw new ConfinedOpenError('outside', `path '${rel}' leads outside the sandbox (through a symbolic link)`);
    if (!fstatSync(fd).isFile())
      throw new ConfinedOpenError('not-a-file', `'${rel}' in the sandbox is not a regular file`);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
