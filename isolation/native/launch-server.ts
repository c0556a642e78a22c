/**
 * A small fork server for native tasks. Forking the agent itself (Node, hundreds of MB mapped) costs
 * 2–10 ms per task and blocks the event loop; a long-lived Perl helper (perl-base is Essential on
 * Debian, so it is always there) forks cheaply, puts each task in its own session with its sandbox
 * files as stdout/stderr, reaps it and reports its exit status. The agent only writes a line per launch.
 *
 * The child writes its pid into the task's cgroups *before* exec, so nothing of the task runs unconfined.
 *
 * Protocol (one line each way, fields hex-encoded, space-separated):
 *   → id cwd stdout stderr owner(uid:gid|-) prctl-nr(|-) njoin join… argc argv… env…
 *                                               ← pid <id> <pid> | fail <id> <hex message>
 *                                               ← exit <pid> <code|-> <signal number|->
 * If the helper dies, launches in flight fail and exit watchers resolve `undefined`: the caller then
 * watches the pid itself (as after an agent restart). The next launch starts a new helper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../../sdk/log';
import { LaunchError } from '../errors';
import { signalName } from '../exit-codes';
import type { LauncherExit } from './exit-watch';

const SCRIPT = String.raw`
use strict; use warnings; use POSIX (); use Fcntl qw(O_WRONLY O_APPEND O_CREAT O_NOFOLLOW);
$| = 1;
sub hex_of { unpack('H*', $_[0]) }
$SIG{CHLD} = sub {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $st = $?;
    if ($st & 127) { print "exit $pid - ", ($st & 127), "\n" } else { print "exit $pid ", ($st >> 8), " -\n" }
  }
};
while (defined(my $line = <STDIN>)) {
  chomp $line;
  my ($id, $cwd, $out, $err, $owner, $prctl, $njoin, @rest) = map { pack('H*', $_) } split / /, $line;
  my @join = splice(@rest, 0, $njoin);
  my $argc = shift @rest;
  my @argv = splice(@rest, 0, $argc);
  my $pid = fork();
  if (!defined $pid) { print "fail $id ", hex_of("fork failed: $!"), "\n"; next; }
  if ($pid == 0) {
    $SIG{CHLD} = 'DEFAULT';
    POSIX::setsid();
    open(STDIN, '<', '/dev/null');
    # O_NOFOLLOW: the sandbox belongs to the task user; a planted symlink must not redirect root's writes.
    for my $pair ([$out, 1], [$err, 2]) {
      my $fh;
      sysopen($fh, $pair->[0], O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0644) or POSIX::_exit(126);
      if ($owner ne '-') { my ($uid, $gid) = split /:/, $owner; chown($uid, $gid, $fh) or POSIX::_exit(126); }
      POSIX::dup2(fileno($fh), $pair->[1]) or POSIX::_exit(126);
      close($fh);
    }
    for my $f (@join) {
      my $fh;
      my $ok = open($fh, '>', $f) && print({$fh} "$$\n") && close($fh);
      if (!$ok) { print STDERR "agora: cannot join cgroup $f: $!\n"; POSIX::_exit(125) }
    }
    if ($prctl ne '-') {
      syscall($prctl + 0, 38, 1, 0, 0, 0) == 0 or do { print STDERR "agora: cannot set no_new_privs: $!\n"; POSIX::_exit(125) };
    }
    chdir($cwd) or do { print STDERR "agora: cannot enter $cwd: $!\n"; POSIX::_exit(126) };
    %ENV = map { split(/=/, $_, 2) } @rest;
    { no warnings; exec { $argv[0] } @argv; }
    print STDERR "agora: cannot exec $argv[0]: $!\n";
    POSIX::_exit(127);
  }
  print "pid $id $pid\n";
}
`;

export interface LaunchRequest {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stdoutFile: string;
  stderrFile: string;
  /** Owner given to the stdout/stderr files (the task user). */
  owner?: { uid: number; gid: number };
  /** cgroup.procs files the child writes its pid to before exec. */
  join: readonly string[];
  /** prctl syscall number to set no_new_privs before exec; undefined: not set. */
  prctlSyscall?: number;
}

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const unhex = (s: string): string => Buffer.from(s, 'hex').toString('utf8');

export class LaunchServer {
  private proc?: ChildProcess;
  private buffer = '';
  private seq = 0;
  private readonly replies = new Map<string, { resolve(pid: number): void; reject(err: Error): void }>();
  private readonly exitWaiters = new Map<number, (e: LauncherExit | undefined) => void>();
  private readonly earlyExits = new Map<number, LauncherExit>();

  constructor(private readonly perlBin: string, private readonly log: Logger) {}

  /** Starts `argv` detached; resolves with its pid once forked. */
  launch(req: LaunchRequest): Promise<number> {
    const proc = this.ensure();
    const id = String(++this.seq);
    const owner = req.owner ? `${req.owner.uid}:${req.owner.gid}` : '-';
    const fields = [id, req.cwd, req.stdoutFile, req.stderrFile, owner, req.prctlSyscall === undefined ? '-' : String(req.prctlSyscall),
      String(req.join.length), ...req.join, String(req.argv.length), ...req.argv,
      ...Object.entries(req.env).map(([k, v]) => `${k}=${v}`)];
    return new Promise((resolve, reject) => {
      this.replies.set(id, { resolve, reject });
      this.refWhileBusy();
      proc.stdin!.write(`${fields.map(hex).join(' ')}\n`);
    });
  }

  /** The exit of a process this server forked; undefined if the server went away first. */
  exited(pid: number): Promise<LauncherExit | undefined> {
    const early = this.earlyExits.get(pid);
    if (early) {
      this.earlyExits.delete(pid);
      return Promise.resolve(early);
    }
    if (!this.proc) return Promise.resolve(undefined);
    return new Promise((resolve) => this.exitWaiters.set(pid, resolve));
  }

  /** Pid of the helper process while it runs. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  close(): void {
    this.proc?.stdin?.end();
  }

  private ensure(): ChildProcess {
    if (this.proc) return this.proc;
    const proc = spawn(this.perlBin, ['-e', SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc = proc;
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => this.onData(chunk));
    proc.once('error', (err) => this.log.error({ err }, 'native launch server error'));
    // A helper that died mid-write gives EPIPE here; its exit handler fails what was in flight.
    proc.stdin!.on('error', (err) => this.log.warn({ err }, 'native launch server input closed'));
    proc.stdout!.on('error', (err) => this.log.warn({ err }, 'native launch server output error'));
    proc.once('exit', (code, signal) => this.onExit(proc, code, signal));
    this.refWhileBusy();
    return proc;
  }

  /** The helper holds the event loop open only while launches are in flight, never for running tasks. */
  private refWhileBusy(): void {
    const p = this.proc;
    if (!p) return;
    const busy = this.replies.size > 0;
    for (const s of [p.stdout, p.stdin] as ({ ref?(): void; unref?(): void } | null)[]) (busy ? s?.ref?.() : s?.unref?.());
    if (busy) p.ref();
    else p.unref();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      this.onLine(line.split(' '));
    }
    this.refWhileBusy();
  }

  private onLine([kind, a, b, c]: string[]): void {
    if (kind === 'pid' && a && b) {
      this.replies.get(a)?.resolve(Number(b));
      this.replies.delete(a);
    } else if (kind === 'fail' && a) {
      this.replies.get(a)?.reject(new LaunchError(unhex(b ?? '')));
      this.replies.delete(a);
    } else if (kind === 'exit' && a) {
      const pid = Number(a);
      const exit: LauncherExit = { code: b === '-' ? null : Number(b), signal: c === '-' || c === undefined ? null : signalName(Number(c)) };
      const waiter = this.exitWaiters.get(pid);
      if (waiter) {
        this.exitWaiters.delete(pid);
        waiter(exit);
      } else {
        this.earlyExits.set(pid, exit);
      }
    } else {
      this.log.warn({ line: [kind, a, b, c].join(' ') }, 'unexpected line from the native launch server');
    }
  }

  private onExit(proc: ChildProcess, code: number | null, signal: string | null): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    if (this.replies.size > 0 || this.exitWaiters.size > 0) this.log.warn({ code, signal }, 'native launch server ended; watching tasks by pid');
    for (const r of this.replies.values()) r.reject(new LaunchError(`launch server ended (${signal ?? `code ${code}`})`));
    this.replies.clear();
    for (const w of this.exitWaiters.values()) w(undefined);
    this.exitWaiters.clear();
  }
}
