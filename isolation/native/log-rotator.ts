/**
 * Log rotation for native tasks: one small process per task that owns its output, as Mesos's logrotate
 * container logger does. A task's stdout/stderr are then FIFOs read by that process, which writes
 * `stdout`, `stdout.1` … in the sandbox, rotating by size (layout and state: ../logs/log-state.ts).
 *
 * Why a process per task and not the agent reading pipes: the task must outlive the agent. A pipe held by
 * the agent would close when it restarts, and the task's next write would die of SIGPIPE (or block once the
 * pipe is full). The rotator lives in its own session, outside the task's cgroup (a kill of the task
 * never cuts its last words), as the task user (it can only touch what the task could), and ends when
 * every writer of both FIFOs has closed them — when the task and all its processes are gone.
 *
 * Like the launch server, rotators are forked by a long-lived Perl helper (perl-base is Essential on
 * Debian; ~2 MB per rotator), not by the agent: forking Node per task is slow and blocks the event loop.
 * The helper creates the two FIFOs *before* it answers, so the task's init (cloned next by the launch server)
 * opens existing FIFOs; each open blocks until the other side opens, so neither can start alone.
 *
 * Protocol (one line each way, fields hex-encoded): → id dir maxBytes maxFiles owner(uid:gid|-)
 *   ← pid <id> <pid> | fail <id> <hex message>      ← exit <pid>
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../sdk/log';
import { LaunchError } from '../errors';
import type { LogRotation } from '../logs/log-state';
import { isSameProcessAlive } from './proc';

const SCRIPT = String.raw`
use strict; use warnings; use POSIX (); use Fcntl qw(O_RDONLY O_WRONLY O_APPEND O_CREAT O_EXCL O_TRUNC O_NOFOLLOW);
$| = 1;
sub hex_of { unpack('H*', $_[0]) }
# Reaped in the loop, not in the handler: Perl defers handlers to its next op, so a SIGCHLD landing just before
# the loop blocks would wait for the next request (as in launch-server.pl). The handler only interrupts the wait.
$SIG{CHLD} = sub { };
sub reap { while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) { print "exit $pid\n" } }
my $DIR;
sub complain {
  my $fh;
  sysopen($fh, "$DIR/.agora-logger.log", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0644) or return;
  syswrite($fh, "agora log rotator: $_[0]\n"); close($fh);
}
sub save_state {
  my ($s) = @_;
  my $f = "$DIR/.agora-log-$s->{name}.json";
  my $json = '{"files":[' . join(',', map { sprintf('{"ino":%d,"start":%d}', @$_) } @{$s->{files}}) . ']}';
  my $fh;
  sysopen($fh, "$f.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644) or return complain("cannot write $f.tmp: $!");
  syswrite($fh, $json); close($fh);
  rename("$f.tmp", $f) or complain("cannot rename $f.tmp: $!");
}
sub open_current {
  my ($s, $flags) = @_;
  my $fh;
  if (!sysopen($fh, "$DIR/$s->{name}", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | $flags, 0644)) {
    complain("cannot open $s->{name}: $!; its output is dropped");
    open($fh, '>', '/dev/null');
  }
  $s->{fh} = $fh;
  return (stat($fh))[1, 7];
}
sub rotate {
  my ($s, $nfiles) = @_;
  my $p = sub { $_[0] == 0 ? "$DIR/$s->{name}" : "$DIR/$s->{name}.$_[0]" };
  close($s->{fh});
  my $kept = $nfiles - 1;
  if ($kept > 0) { unlink($p->($kept)); for (my $i = $kept - 1; $i >= 0; $i--) { rename($p->($i), $p->($i + 1)) } }
  unlink($p->(0));
  my $start = $s->{files}[0][1] + $s->{size};
  my ($ino) = open_current($s, O_EXCL);
  $s->{size} = 0;
  unshift(@{$s->{files}}, [$ino, $start]);
  splice(@{$s->{files}}, $nfiles) if @{$s->{files}} > $nfiles;
  save_state($s);
}
sub put {
  my ($s, $buf, $max, $nfiles) = @_;
  while (length $buf) {
    my $room = $max - $s->{size};
    if ($room <= 0) { rotate($s, $nfiles); next }
    my $part = substr($buf, 0, $room, '');
    my $off = 0;
    while ($off < length $part) {
      my $w = syswrite($s->{fh}, $part, length($part) - $off, $off);
      if (!defined $w) { next if $!{EINTR}; complain("cannot write $s->{name}: $!; output dropped"); last }
      $off += $w;
    }
    $s->{size} += $off;
  }
}
sub rotator {
  my ($max, $nfiles, $owner, @names) = @_;
  POSIX::setsid();
  open(STDIN, '<', '/dev/null'); open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null');
  my @in;
  for my $n (@names) {
    my $fh;
    sysopen($fh, "$DIR/.agora-$n.fifo", O_RDONLY) or do { complain("cannot open the $n fifo: $!"); POSIX::_exit(3) };
    unlink("$DIR/.agora-$n.fifo");
    push @in, $fh;
  }
  if ($owner ne '-') {
    my ($uid, $gid) = split /:/, $owner;
    $) = "$gid $gid"; $( = $gid; POSIX::setuid($uid);
    if ($< != $uid || $> != $uid) { complain("cannot become $uid:$gid"); POSIX::_exit(4) }
  }
  my @out;
  for my $n (@names) {
    my $s = { name => $n };
    my ($ino, $size) = open_current($s, 0);
    $s->{size} = $size; $s->{files} = [[$ino, 0]];
    save_state($s);
    push @out, $s;
  }
  my $rin = ''; my %open;
  for my $i (0 .. $#in) { vec($rin, fileno($in[$i]), 1) = 1; $open{$i} = 1 }
  while (%open) {
    my $r = $rin;
    if (select($r, undef, undef, undef) < 0) { next if $!{EINTR}; complain("select: $!"); POSIX::_exit(5) }
    for my $i (keys %open) {
      next unless vec($r, fileno($in[$i]), 1);
      my $buf;
      my $got = sysread($in[$i], $buf, 65536);
      if (!defined $got) { next if $!{EINTR} || $!{EAGAIN}; complain("cannot read $names[$i]: $!"); $got = 0 }
      if ($got == 0) { vec($rin, fileno($in[$i]), 1) = 0; delete $open{$i}; next }
      put($out[$i], $buf, $max, $nfiles);
    }
  }
  POSIX::_exit(0);
}
my $pending = '';
for (;;) {
  reap();
  my $want = '';
  vec($want, fileno(STDIN), 1) = 1;
  my $ready = select(my $readable = $want, undef, undef, 0.2);
  next if $ready == 0 || ($ready < 0 && $!{EINTR});
  last if $ready < 0;
  my $n = sysread(STDIN, $pending, 65536, length $pending);
  next if !defined $n && $!{EINTR};
  last if !$n;
  while ((my $nl = index($pending, "\n")) >= 0) {
    serve(substr($pending, 0, $nl));
    substr($pending, 0, $nl + 1, '');
  }
}
sub serve {
  my ($line) = @_;
  my ($id, $dir, $max, $nfiles, $owner) = map { pack('H*', $_) } split / /, $line;
  my @names = ('stdout', 'stderr');
  my $bad;
  for my $n (@names) {
    my $fifo = "$dir/.agora-$n.fifo";
    unlink($fifo);
    if (!POSIX::mkfifo($fifo, 0600)) { $bad = "cannot create $fifo: $!"; last }
  }
  if ($bad) { print "fail $id ", hex_of($bad), "\n"; return }
  my $pid = fork();
  if (!defined $pid) { print "fail $id ", hex_of("fork failed: $!"), "\n"; return }
  if ($pid == 0) { $SIG{CHLD} = 'DEFAULT'; $DIR = $dir; rotator($max + 0, $nfiles + 0, $owner, @names) }
  print "pid $id $pid\n";
}
`;

export interface RotatorRequest {
  dir: string;
  rotation: LogRotation;
  /** The task user: the rotator switches to it once the FIFOs are open. */
  owner?: { uid: number; gid: number };
}

/** A started rotator: its pid, and the FIFOs the task's stdout/stderr must open (in this order). */
export interface StartedRotator {
  pid: number;
  stdoutFile: string;
  stderrFile: string;
}

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const unhex = (s: string): string => Buffer.from(s, 'hex').toString('utf8');

export const fifoPath = (dir: string, stream: 'stdout' | 'stderr'): string => path.join(dir, `.agora-${stream}.fifo`);

export class LogRotatorServer {
  private proc?: ChildProcess;
  private buffer = '';
  private seq = 0;
  private readonly replies = new Map<string, { resolve(pid: number): void; reject(err: Error): void }>();
  private readonly exitWaiters = new Map<number, (ended: boolean) => void>();
  private readonly earlyExits = new Set<number>();

  constructor(
    private readonly perlBin: string,
    private readonly log: Logger,
  ) {}

  start(req: RotatorRequest): Promise<StartedRotator> {
    const { maxBytes, maxFiles } = req.rotation;
    if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0 && Number.isSafeInteger(maxFiles) && maxFiles >= 1)) {
      return Promise.reject(
        new LaunchError(`log rotation needs maxBytes > 0 and maxFiles ≥ 1, got ${maxBytes} × ${maxFiles}`),
      );
    }
    const proc = this.ensure();
    const id = String(++this.seq);
    const owner = req.owner ? `${req.owner.uid}:${req.owner.gid}` : '-';
    return new Promise<number>((resolve, reject) => {
      this.replies.set(id, { resolve, reject });
      this.refWhileBusy();
      proc.stdin!.write(`${[id, req.dir, String(maxBytes), String(maxFiles), owner].map(hex).join(' ')}\n`);
    }).then((pid) => ({ pid, stdoutFile: fifoPath(req.dir, 'stdout'), stderrFile: fifoPath(req.dir, 'stderr') }));
  }

  /** Resolves true once a rotator this server forked has ended; false if the server went away first. */
  exited(pid: number): Promise<boolean> {
    if (this.earlyExits.delete(pid)) return Promise.resolve(true);
    if (!this.proc) return Promise.resolve(false);
    return new Promise((resolve) => this.exitWaiters.set(pid, resolve));
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
    proc.once('error', (err) => this.log.error({ err }, 'log rotator server error'));
    proc.stdin!.on('error', (err) => this.log.warn({ err }, 'log rotator server input closed'));
    proc.stdout!.on('error', (err) => this.log.warn({ err }, 'log rotator server output error'));
    proc.once('exit', (code, signal) => this.onExit(proc, code, signal));
    this.refWhileBusy();
    return proc;
  }

  /** Like the launch server: holds the event loop open only while a start is in flight. */
  private refWhileBusy(): void {
    const p = this.proc;
    if (!p) return;
    const busy = this.replies.size > 0;
    for (const s of [p.stdout, p.stdin] as ({ ref?(): void; unref?(): void } | null)[])
      busy ? s?.ref?.() : s?.unref?.();
    if (busy) p.ref();
    else p.unref();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const [kind, a, b] = this.buffer.slice(0, nl).split(' ');
      this.buffer = this.buffer.slice(nl + 1);
      if (kind === 'pid' && a && b) {
        this.replies.get(a)?.resolve(Number(b));
        this.replies.delete(a);
      } else if (kind === 'fail' && a) {
        this.replies.get(a)?.reject(new LaunchError(`log rotator: ${unhex(b ?? '')}`));
        this.replies.delete(a);
      } else if (kind === 'exit' && a) {
        const pid = Number(a);
        const waiter = this.exitWaiters.get(pid);
        if (waiter) {
          this.exitWaiters.delete(pid);
          waiter(true);
        } else this.earlyExits.add(pid);
      } else this.log.warn({ line: [kind, a, b].join(' ') }, 'unexpected line from the log rotator server');
    }
    this.refWhileBusy();
  }

  private onExit(proc: ChildProcess, code: number | null, signal: string | null): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    if (this.replies.size > 0 || this.exitWaiters.size > 0)
      this.log.warn({ code, signal }, 'log rotator server ended; watching rotators by pid');
    for (const r of this.replies.values())
      r.reject(new LaunchError(`log rotator server ended (${signal ?? `code ${code}`})`));
    this.replies.clear();
    for (const w of this.exitWaiters.values()) w(false);
    this.exitWaiters.clear();
  }
}

/** How long a task's end waits for its rotator to write the last output before reporting anyway. */
export const ROTATOR_DRAIN_MS = 5_000;

/**
 * Resolves once the rotator `pid` has ended (it has written everything the task wrote), or after
 * `timeoutMs` — then it is sent SIGTERM, since no writer is left that it could still serve.
 */
export async function rotatorDrained(
  rotator: { pid: number; startTicks: number },
  ended: Promise<unknown>,
  timeoutMs: number,
  log: Logger,
  taskId: string,
): Promise<void> {
  const { pid } = rotator;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs);
    timer.unref();
  });
  const late = await Promise.race([ended.then(() => false), timedOut]);
  clearTimeout(timer);
  if (!late) return;
  if (!isSameProcessAlive(pid, rotator.startTicks)) return; // gone meanwhile (and the pid may be someone else's now)
  log.warn({ taskId, pid, timeoutMs }, 'log rotator still running after its task ended; stopping it');
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') log.warn({ err, taskId, pid }, 'cannot stop the log rotator');
  }
}

/** A rotator whose task never started: it waits on its FIFOs forever otherwise. */
export function stopUnusedRotator(r: StartedRotator, log: Logger, taskId: string): void {
  try {
    process.kill(r.pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH')
      log.warn({ err, taskId, pid: r.pid }, 'cannot stop the log rotator of a failed launch');
  }
  for (const f of [r.stdoutFile, r.stderrFile]) {
    try {
      fs.unlinkSync(f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        log.warn({ err, taskId, file: f }, 'cannot remove a log FIFO');
    }
  }
}
