/**
 * The Perl program behind ToolSpawner (spawner.ts). It runs as one small long-lived child of the
 * runtime and forks the host tools (ip, unshare, mount, runc...) on the runtime's behalf: a fork
 * of a ~5 MB Perl process costs a fraction of one of the runtime's large Node process, and the
 * runtime's event loop never blocks in fork+exec (libuv waits for the child's exec, which under
 * a 100-pod burst on 2 cores took ~9 ms per spawn, ~36 % of the runtime's main-thread samples).
 * Perl because perl-base is Essential in Debian: no new dependency.
 * Some tools are not run at all: the helper makes their one system call itself (Perl's
 * syscall(), numbers for x86_64 and aarch64). mount(8) cost ~2.5 ms of CPU per overlay mount
 * (libmount, mtab, /proc parsing) where mount(2) costs the kernel's work only; unshare(1) cost
 * an exec per pod where the forked child can unshare and bind its namespace before it execs ip.
 *
 * Protocol on stdin (requests) and stdout (replies), all lengths in bytes:
 *   R <id> <detach 0|1> <sync 0|1> <nEnv> <nArgv> <inputLen> <cwdLen> <errPathLen> <netnsLen>
 *     <len>...\n then the env entries ("K=V"), the argv, the input, the cwd, the stderr file
 *     and the netns file, back to back (an empty stderr file: stderr is captured; a netns
 *     file: the tool runs in a new network namespace, bind-mounted there first, as
 *     `unshare --net=FILE` does);
 *   S <id> <nArgs> <len>...\n then the args: the helper itself calls ("mount", source, target,
 *     fstype, flags, data) or ("umount2", target, flags); the reply's code is 0, else 1 with
 *     the error text as stderr, 127 where the machine has no syscall table here;
 *   K <id>\n  sends SIGKILL to that request's process and replies at once (a timed-out request);
 *   reply: <id> <code> <stdoutLen> <stderrLen> <syncLen>\n<stdout><stderr><sync>.
 * code is the exit status, 128 + signal when killed, 127 when fork or exec failed. With sync, the
 * tool gets a pipe as fd 3 and the reply goes as soon as a complete JSON object (up to "}") or EOF
 * arrives there (conmon's sync pipe; its daemon keeps the pipes open for its whole life), and
 * its stdout is /dev/null.
 * Output beyond 4 MiB per stream is dropped, like src/runtime/command.ts does.
 */
export const SPAWNER_SCRIPT = String.raw`
use strict; use warnings; use POSIX (); use IO::Select; use Fcntl;
my $MAX = 4 * 1024 * 1024;
my %SYSCALLS = (x86_64 => { unshare => 272, mount => 165, umount2 => 166 },
  aarch64 => { unshare => 97, mount => 40, umount2 => 39 });
my $sys = $SYSCALLS{(POSIX::uname())[4]};
my ($CLONE_NEWNET, $MS_BIND) = (0x40000000, 4096);
$SIG{PIPE} = 'IGNORE';
pipe(my $sigr, my $sigw) or die "pipe: $!";
for my $h ($sigr, $sigw) { fcntl($h, F_SETFL, fcntl($h, F_GETFL, 0) | O_NONBLOCK); }
$SIG{CHLD} = sub { syswrite($sigw, 'x'); };
my $sel = IO::Select->new(\*STDIN, $sigr);
my (%jobs, %byfd, %bypid);
my $in = '';
sub send_reply {
  my ($j) = @_;
  return if $j->{sent};
  $j->{sent} = 1;
  my $code = defined $j->{code} ? $j->{code} : 0;
  my $msg = "$j->{id} $code " . length($j->{out}) . ' ' . length($j->{err}) . ' '
    . length($j->{sync}) . "\n" . $j->{out} . $j->{err} . $j->{sync};
  my $off = 0;
  while ($off < length $msg) {
    my $n = syswrite(STDOUT, $msg, length($msg) - $off, $off);
    if (!defined $n) { next if $!{EINTR} || $!{EAGAIN}; exit 0; }
    $off += $n;
  }
  for my $fh (values %{$j->{fhs}}) { $sel->remove($fh); delete $byfd{fileno $fh}; close $fh; }
  $j->{fhs} = {};
  delete $jobs{$j->{id}};
}
sub settle {
  my ($j) = @_;
  if ($j->{wantsync}) { send_reply($j) if $j->{syncdone}; return; }
  send_reply($j) if !%{$j->{fhs}} && defined $j->{code};
}
sub fail { my ($id, $text) = @_; send_reply({ id => $id, code => 127, out => '', err => $text,
  sync => '', fhs => {} }); }
sub enter_netns {
  my ($path) = @_;
  die "no syscall table for this machine\n" if !$sys;
  syscall($sys->{unshare}, $CLONE_NEWNET) == 0 or die "unshare: $!\n";
  my $self = '/proc/self/ns/net'; # syscall() needs writable strings, not literals
  syscall($sys->{mount}, $self, $path, 0, $MS_BIND, 0) == 0
    or die "bind /proc/self/ns/net on $path: $!\n";
}
sub syscall_request {
  my ($id, $op, @a) = @_;
  my $r = { id => $id, code => 0, out => '', err => '', sync => '', fhs => {} };
  if (!$sys) { @$r{'code', 'err'} = (127, "no syscall table for this machine\n"); }
  elsif ($op eq 'mount' && @a == 5) {
    syscall($sys->{mount}, $a[0], $a[1], length $a[2] ? $a[2] : 0, $a[3] + 0,
      length $a[4] ? $a[4] : 0) == 0 or @$r{'code', 'err'} = (1, "mount $a[1]: $!\n");
  } elsif ($op eq 'umount2' && @a == 2) {
    syscall($sys->{umount2}, $a[0], $a[1] + 0) == 0
      or @$r{'code', 'err'} = (1, "umount $a[0]: $!\n");
  } else { @$r{'code', 'err'} = (1, "unknown syscall request $op\n"); }
  send_reply($r);
}
sub start {
  my ($id, $detach, $wantsync, $env, $argv, $input, $cwd, $errpath, $netns) = @_;
  my (%p, %c);
  my @outs = $wantsync ? ('sync') : ('out', $errpath eq '' ? ('err') : ());
  for my $k ('in', @outs) {
    pipe(my $r, my $w) or return fail($id, "pipe: $!");
    ($p{$k}, $c{$k}) = $k eq 'in' ? ($w, $r) : ($r, $w);
  }
  my $pid = fork();
  return fail($id, "fork: $!") if !defined $pid;
  if ($pid == 0) {
    $SIG{CHLD} = 'DEFAULT'; $SIG{PIPE} = 'DEFAULT';
    POSIX::setsid() if $detach;
    POSIX::dup2(fileno $c{in}, 0);
    open(my $null, '+<', '/dev/null') or POSIX::_exit(127);
    POSIX::dup2(fileno($c{out} // $null), 1);
    if ($errpath ne '') {
      open(my $e, '>>', $errpath) or POSIX::_exit(127);
      POSIX::dup2(fileno $e, 2);
    } else { POSIX::dup2(fileno($c{err} // $null), 2); }
    POSIX::dup2(fileno $c{sync}, 3) if $wantsync;
    for (@$env) { my ($k, $v) = split /=/, $_, 2; $ENV{$k} = $v; }
    if ($cwd ne '' && !chdir $cwd) { print STDERR "chdir $cwd: $!\n"; POSIX::_exit(127); }
    if ($netns ne '' && !eval { enter_netns($netns); 1 }) { print STDERR $@; POSIX::_exit(127); }
    { no warnings 'exec'; exec { $argv->[0] } @$argv; }
    print STDERR "exec $argv->[0]: $!\n"; POSIX::_exit(127);
  }
  close $_ for values %c;
  my $j = { id => $id, pid => $pid, out => '', err => '', sync => '', wantsync => $wantsync,
    fhs => {}, code => undef };
  $jobs{$id} = $j; $bypid{$pid} = $j;
  my $w = $p{in}; syswrite($w, $input) if length $input; close $w;
  for my $k (@outs) {
    $j->{fhs}{$k} = $p{$k}; $byfd{fileno $p{$k}} = [$j, $k]; $sel->add($p{$k});
  }
}
sub reap {
  my $buf; 1 while sysread($sigr, $buf, 512);
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $j = delete $bypid{$pid} or next;
    $j->{code} = POSIX::WIFEXITED($?) ? POSIX::WEXITSTATUS($?) : 128 + POSIX::WTERMSIG($?);
    settle($j) if !$j->{sent};
  }
}
sub read_tool {
  my ($fh) = @_;
  my $entry = $byfd{fileno $fh} or return;
  my ($j, $k) = @$entry;
  my $n = sysread($fh, my $buf, 65536);
  return if !defined $n && ($!{EINTR} || $!{EAGAIN});
  if (!$n) {
    $sel->remove($fh); delete $byfd{fileno $fh}; close $fh; delete $j->{fhs}{$k};
    $j->{syncdone} = 1 if $k eq 'sync';
  } else {
    $j->{$k} .= $buf if length($j->{$k}) < $MAX;
    $j->{syncdone} = 1 if $k eq 'sync' && index($j->{sync}, '}') >= 0;
  }
  settle($j);
}
sub requests {
  while (1) {
    my $nl = index($in, "\n");
    return if $nl < 0;
    my @h = split / /, substr($in, 0, $nl);
    if ($h[0] eq 'K') {
      substr($in, 0, $nl + 1) = '';
      my $j = $jobs{$h[1]} or next;
      kill 'KILL', $j->{pid} if !defined $j->{code};
      $j->{code} = 137 if !defined $j->{code};
      send_reply($j);
      next;
    }
    if ($h[0] eq 'S') {
      my ($id, $nargs, @lens) = @h[1 .. $#h];
      my $total = 0; $total += $_ for @lens;
      return if length($in) < $nl + 1 + $total;
      my $off = $nl + 1;
      my @args = map { my $s = substr($in, $off, $_); $off += $_; $s } @lens;
      substr($in, 0, $off) = '';
      syscall_request($id, @args);
      next;
    }
    my ($id, $detach, $wantsync, $nenv, $nargv, $inlen, $cwdlen, $errlen, $nslen, @lens) =
      @h[1 .. $#h];
    my $total = $inlen + $cwdlen + $errlen + $nslen; $total += $_ for @lens;
    return if length($in) < $nl + 1 + $total;
    my $off = $nl + 1;
    my @parts = map { my $s = substr($in, $off, $_); $off += $_; $s } @lens;
    my $input = substr($in, $off, $inlen); $off += $inlen;
    my $cwd = substr($in, $off, $cwdlen); $off += $cwdlen;
    my $errpath = substr($in, $off, $errlen); $off += $errlen;
    my $netns = substr($in, $off, $nslen); $off += $nslen;
    substr($in, 0, $off) = '';
    start($id, $detach, $wantsync, [@parts[0 .. $nenv - 1]], [@parts[$nenv .. $#parts]],
      $input, $cwd, $errpath, $netns);
  }
}
while (1) {
  my @ready = $sel->can_read();
  for my $fh (@ready) {
    if ($fh == $sigr) { reap(); }
    elsif ($fh == \*STDIN) {
      my $n = sysread(STDIN, my $buf, 65536);
      next if !defined $n && ($!{EINTR} || $!{EAGAIN});
      exit 0 if !$n;
      $in .= $buf; requests();
    } else { read_tool($fh); }
  }
  reap();
}
`;
