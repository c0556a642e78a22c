#!/usr/bin/perl
# Agora's log rotator helper for native tasks: one long-lived process per native containerizer, started by
# log-rotator.ts (perl-base only), which forks one rotator per task — in its own session, as the task user —
# owning the task's stdout/stderr FIFOs and writing `stdout`, `stdout.1` … by size. The protocol (one line each
# way, fields hex-encoded) is in log-rotator.ts.
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
