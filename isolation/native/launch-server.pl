#!/usr/bin/perl
# Agora's native launch server — the most privileged code in the project: it runs as root and creates every
# native task. Started by launch-server.ts (one per native containerizer, perl-base only: Essential on Debian).
# It reads one launch request per line on stdin and answers on stdout; every field is hex-encoded and the
# fields are separated by one space:
#
#   -> <id> <cwd> <stdout> <stderr> <status file> <uid:gid|-> <nops> <cgroup op ...> <njoin> <cgroup.procs ...>
#      <nvol> <ro|rw> <host path> <path below cwd> ... <argc> <argv ...> <NAME=value ...>
#                                             a cgroup op is "m <dir>" (mkdir -p) or "w <file> <value>";
#                                             stdout/stderr are files or FIFOs (a log rotator's, read elsewhere)
#   <- pid <id> <host pid>                    the task's init was created (pid 1 of its own pid namespace)
#   <- fail <id> <hex message>                nothing was created
#   <- exit <host pid> <code|-> <signal|->    an init ended and was reaped here
#
# `perl launch-server.pl --syscalls` prints the syscall numbers it uses (and those of syscall.ph) and exits.
#
# A task costs one clone() here, one fork() in its init and a single exec: its own command.
#
#   launch server (root, host namespaces)
#     `- clone(CLONE_NEWPID) -> the task's init, pid 1 of a new pid namespace; its host pid is the checkpoint's
#          setsid; stdin </dev/null; stdout/stderr -> sandbox files or the log rotator's FIFOs (O_NOFOLLOW,
#          owned by the task user; a FIFO's open waits for its rotator, here, not in the server's loop)
#          creates the task's cgroups (the ops the agent planned: directories, limits) and joins every one
#          (writes 0, "myself", to each cgroup.procs) before anything else runs
#          unshare(mount, ipc, uts); / made rprivate; a fresh /proc; no_new_privs
#          host volumes, still as root: bind-mounted at <sandbox>/<path> (directories made as needed, never
#          through a symlink), read-only ones remounted read-only; private to the task's mount namespace
#          chdir to the sandbox; setgroups(none), setgid, setuid (the task user); the task's environment
#          `- fork -> exec the command (argv; `sh -c` only when the task asked for a shell)
#          waits for it (reaping orphans meanwhile), writes its status (code, or 128+signal) to the status
#          file, and exits with it; the kernel then kills whatever is left in the namespace.
#
# Why an init and not the command as pid 1: the status must be written by something that outlives the agent
# (the agent recovers it after a restart); a namespace's pid 1 receives only the signals it handles, so `sleep`
# as pid 1 would shrug off SIGTERM; and orphans need reaping. The init ignores the SIGTERM a kill sends to every
# process of the task, as pid 1 does; the command gets it, ends, and the init reports how.
#
# The namespaces other than pid are made in the init (in parallel on every core), not in this loop: the loop
# only clones, so it can take the next request at once. Exit codes of an init whose command never started:
# 125 could not isolate (cgroup, namespace, mount, privileges, fork), 126 could not set up the sandbox;
# 127 is a command that could not be executed.
use strict;
use warnings;
use POSIX ();
use Fcntl qw(O_WRONLY O_APPEND O_CREAT O_NOFOLLOW);

use constant {
  CLONE_NEWNS => 0x00020000, CLONE_NEWUTS => 0x04000000, CLONE_NEWIPC => 0x08000000, CLONE_NEWPID => 0x20000000,
  MS_RDONLY => 1, MS_NOSUID => 2, MS_NODEV => 4, MS_NOEXEC => 8, MS_REMOUNT => 32, MS_BIND => 4096, MS_REC => 0x4000,
  MS_PRIVATE => 0x40000,
  PR_SET_NO_NEW_PRIVS => 38,
};

# Syscall numbers by machine (uname -m). x86_64 has its own table; aarch64 and riscv64 use the generic one.
my %TABLE = (
  x86_64  => { clone => 56,  unshare => 272, mount => 165, prctl => 157, setgroups => 116 },
  aarch64 => { clone => 220, unshare => 97,  mount => 40,  prctl => 167, setgroups => 159 },
  riscv64 => { clone => 220, unshare => 97,  mount => 40,  prctl => 167, setgroups => 159 },
);

# The same numbers from syscall.ph (Debian package libperl, not always installed); undef when it is missing.
sub from_syscall_ph {
  my %nr;
  my $ok = eval {
    local $SIG{__WARN__} = sub { };
    package main; ## no critic
    require 'syscall.ph';
    for my $name (qw(clone unshare mount prctl setgroups)) {
      my $f = main->can("SYS_$name") or return 0;
      $nr{$name} = $f->();
    }
    1;
  };
  return $ok ? \%nr : undef;
}

my $MACHINE = (POSIX::uname())[4];
my $NR = $TABLE{$MACHINE} // from_syscall_ph();

if (@ARGV && $ARGV[0] eq '--syscalls') {
  my $show = sub { my $t = shift; $t ? join(' ', map { "$_=$t->{$_}" } sort keys %$t) : 'unknown' };
  print "machine $MACHINE\n", "table ", $show->($TABLE{$MACHINE}), "\n", "syscall.ph ", $show->(from_syscall_ph()), "\n";
  exit 0;
}

$| = 1;
sub hex_of { unpack('H*', $_[0]) }

# Children are reaped here, in the loop, never in a %SIG handler: Perl runs handlers only between its own ops,
# so a SIGCHLD that lands after the last check and before the loop blocks in read() waited for the next request
# (an init that failed at once, e.g. on a planted symlink, stayed a zombie and its exit was never reported). The
# handler only interrupts the wait; the wait has a timeout, which bounds that race to one tick.
$SIG{CHLD} = sub { };
use constant TICK => 0.2;

sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $st = $?;
    if ($st & 127) { print "exit $pid - ", ($st & 127), "\n" } else { print "exit $pid ", ($st >> 8), " -\n" }
  }
}

my $pending = '';
for (;;) {
  reap();
  my $want = '';
  vec($want, fileno(STDIN), 1) = 1;
  my $ready = select(my $readable = $want, undef, undef, TICK);
  next if $ready == 0 || ($ready < 0 && $!{EINTR});               # a tick, or a signal: reap, then wait again
  last if $ready < 0;                                             # no input to wait for: nothing can come
  my $n = sysread(STDIN, $pending, 65536, length $pending);
  next if !defined $n && $!{EINTR};
  last if !$n;                                                    # end of input (or an error): the agent is gone
  while ((my $nl = index($pending, "\n")) >= 0) {
    serve(substr($pending, 0, $nl));
    substr($pending, 0, $nl + 1, '');
  }
}

# One launch request (see the header): answers pid or fail.
sub serve {
  my ($line) = @_;
  my ($id, $cwd, $out, $err, $status, $user, $nops, @rest) = map { pack('H*', $_) } split / /, $line;
  if (!defined $nops || $nops !~ /^\d+$/) { print "fail ", ($id // '-'), " ", hex_of('malformed request'), "\n"; return }
  my @ops = splice(@rest, 0, $nops);
  my $njoin = shift(@rest) // 0;
  my @join = splice(@rest, 0, $njoin);
  my $nvol = shift(@rest) // 0;
  if ($nvol !~ /^\d+$/) { print "fail $id ", hex_of('malformed request'), "\n"; return }
  my @vols = map { [splice(@rest, 0, 3)] } 1 .. $nvol;
  my $argc = shift(@rest) // 0;
  my @argv = splice(@rest, 0, $argc);
  my @env = @rest;
  if (!$NR) { print "fail $id ", hex_of("no syscall numbers known for machine $MACHINE"), "\n"; return }
  if (!@argv) { print "fail $id ", hex_of('empty command'), "\n"; return }
  # A raw clone is a fork whose child starts in a new pid namespace (Perl's fork takes no flags).
  my $pid = syscall($NR->{clone}, CLONE_NEWPID | POSIX::SIGCHLD(), 0, 0, 0, 0);
  if ($pid < 0) { print "fail $id ", hex_of("cannot create the task's pid namespace: $!"), "\n"; return }
  if ($pid == 0) {
    init_task({ cwd => $cwd, out => $out, err => $err, status => $status, user => $user,
      ops => \@ops, join => \@join, vols => \@vols, argv => \@argv, env => \@env });
  }
  print "pid $id $pid\n";
}

sub give_up { my ($code, $msg) = @_; print STDERR "agora: $msg\n"; POSIX::_exit($code) }

# Runs in the clone, as pid 1 of the task's pid namespace; never returns.
sub init_task {
  my ($t) = @_;
  $SIG{CHLD} = 'DEFAULT';
  $0 = 'agora-init';
  POSIX::setsid();
  open(STDIN, '<', '/dev/null') or POSIX::_exit(126);
  # O_NOFOLLOW: the sandbox belongs to the task user; a planted symlink must not redirect root's writes.
  for my $pair ([$t->{out}, 1], [$t->{err}, 2]) {
    my $fh;
    sysopen($fh, $pair->[0], O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0644) or POSIX::_exit(126);
    if ($t->{user} ne '-') { my ($uid, $gid) = split /:/, $t->{user}; chown($uid, $gid, $fh) or POSIX::_exit(126) }
    POSIX::dup2(fileno($fh), $pair->[1]) or POSIX::_exit(126);
    close($fh);
  }
  for my $op (@{ $t->{ops} }) {
    my ($kind, $file, $value) = split / /, $op, 3;
    if ($kind eq 'm') { mkdir_p($file) or give_up(125, "cannot set up the task cgroup: cannot create $file: $!") }
    else {
      my $fh;
      my $ok = open($fh, '>', $file) && print({$fh} $value) && close($fh);
      give_up(125, "cannot set up the task cgroup: cannot write $value to $file: $!") if !$ok;
    }
  }
  for my $f (@{ $t->{join} }) {
    my $fh;
    # 0 means "the writing process": our own pid, as the kernel sees it from the host's pid namespace.
    my $ok = open($fh, '>', $f) && print({$fh} "0\n") && close($fh);
    give_up(125, "cannot join cgroup $f: $!") if !$ok;
  }
  isolate();
  mount_volume($t->{cwd}, $t->{user}, @$_) for @{ $t->{vols} };
  # Entered as root, as the agent made it: the task user owns the sandbox, not every directory above it.
  chdir($t->{cwd}) or give_up(126, "cannot enter $t->{cwd}: $!");
  drop_privileges($t->{user}) if $t->{user} ne '-';
  %ENV = map { split(/=/, $_, 2) } @{ $t->{env} };
  my @argv = @{ $t->{argv} };
  my $cmd = fork();
  give_up(125, "cannot fork the task's command: $!") if !defined $cmd;
  if ($cmd == 0) {
    { no warnings; exec { $argv[0] } @argv; }
    give_up(127, "cannot exec $argv[0]: $!");
  }
  my $st;
  while ((my $p = waitpid(-1, 0)) > 0) {
    if ($p == $cmd) { $st = $?; last }
  }
  give_up(125, "lost the task's command") if !defined $st;
  my $code = ($st & 127) ? 128 + ($st & 127) : ($st >> 8);
  # As the task user, like the command's own files; the agent reads it after the task (or after a restart).
  if (open(my $fh, '>', $t->{status})) { print {$fh} "$code\n"; close($fh) }
  else { print STDERR "agora: cannot write $t->{status}: $!\n" }
  POSIX::_exit($code);
}

sub mkdir_p {
  my ($dir) = @_;
  return 1 if -d $dir;
  my ($parent) = $dir =~ m{^(.+)/[^/]+$};
  mkdir_p($parent) if defined $parent;
  return mkdir($dir) || $!{EEXIST};
}

# Mount, ipc and uts namespaces of our own, and a /proc that shows only the task's pid namespace.
sub isolate {
  syscall($NR->{unshare}, CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) == 0 or give_up(125, "cannot create namespaces: $!");
  my ($none, $root, $proc, $proc_dir) = ('none', '/', 'proc', '/proc');
  syscall($NR->{mount}, $none, $root, 0, MS_REC | MS_PRIVATE, 0) == 0 or give_up(125, "cannot make / private: $!");
  syscall($NR->{mount}, $proc, $proc_dir, $proc, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0) == 0 or give_up(125, "cannot mount /proc: $!");
  syscall($NR->{prctl}, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 or give_up(125, "cannot set no_new_privs: $!");
}

# A host directory bind-mounted at <sandbox>/<rel>, as root, in the task's own (private) mount namespace. The
# sandbox belongs to the task user: every directory on the way is checked not to be a symlink (made, and given to
# the task user, when missing), so the mount lands below the sandbox. The host path was granted by the agent.
sub mount_volume {
  my ($sandbox, $user, $mode, $host, $rel) = @_;
  my $fail = sub { give_up(125, "cannot mount a volume: $host at $sandbox/$rel: $_[0]") };
  $fail->('malformed volume') if !defined $rel || ($mode ne 'ro' && $mode ne 'rw');
  my @parts = grep { length && $_ ne '.' } split m{/}, $rel;
  $fail->('the path must be relative, without ..') if $rel =~ m{^/} || !@parts || grep { $_ eq '..' } @parts;
  my $target = $sandbox;
  for my $p (@parts) {
    $target .= "/$p";
    if (-l $target) { $fail->("$target is a symlink") }
    next if -d _;
    $fail->("$target exists and is not a directory") if -e _;
    mkdir($target, 0755) or $fail->("cannot create $target: $!");
    if ($user ne '-') { my ($uid, $gid) = split /:/, $user; chown($uid, $gid, $target) or $fail->("cannot chown $target: $!") }
  }
  my $none = 'none';
  syscall($NR->{mount}, $host, $target, $none, MS_BIND, 0) == 0 or $fail->("$!");
  if ($mode eq 'ro') {
    syscall($NR->{mount}, $none, $target, $none, MS_REMOUNT | MS_BIND | MS_RDONLY, 0) == 0 or $fail->("cannot make it read-only: $!");
  }
}

# setgroups(0) clears every supplementary group; setgid and setuid as root set real, effective and saved ids.
sub drop_privileges {
  my ($uid, $gid) = split /:/, $_[0];
  syscall($NR->{setgroups}, 0, 0) == 0 or give_up(125, "cannot clear supplementary groups: $!");
  POSIX::setgid($gid) or give_up(125, "cannot set gid $gid: $!");
  POSIX::setuid($uid) or give_up(125, "cannot set uid $uid: $!");
  my @groups = split ' ', $(;
  give_up(125, "still privileged after dropping to $uid:$gid") if $< != $uid || $> != $uid || $groups[0] != $gid;
}
