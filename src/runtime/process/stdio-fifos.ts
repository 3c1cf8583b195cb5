/**
 * A container's stdout and stderr are named pipes (FIFOs) in the state directory rather than
 * anonymous pipes, so the container outlives the runtime: the child holds its ends open for
 * reading and writing (O_RDWR), which means it never gets SIGPIPE while no runtime reads, and a
 * restarted runtime reopens the read ends by name and carries on logging. Output written while
 * no runtime runs waits in the pipe (64 KiB on Linux); past that the container's writes block
 * until a runtime is back. The pipes come from a pool (fifo-pool.ts): Node has no mkfifo.
 *
 * stdin (containers with stdin: true) is a FIFO too, never a socket: a process that copies
 * stdin to stdout with sendfile/splice (busybox cat does) holds the stdout pipe's kernel lock
 * while it waits for a socket to deliver, which would block the runtime's own read of that pipe
 * (and with it the whole event loop) until input arrives. Pipe-to-pipe splicing waits without
 * the lock. The runtime holds the only write end, so the container sees EOF when it is closed
 * (stdin_once) and also when the runtime exits: stdin does not survive a runtime restart.
 * A container that splices from a socket of its own into stdout can still stall the reader;
 * a documented limit.
 */
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { FifoPool } from './fifo-pool.js';

/** FifoPaths names a container's pipes; with tty both streams share stdout's. */
export interface FifoPaths {
  /** The directory of the pipes of a container an older runtime started (see fifoPaths);
   *  undefined for the flat layout. */
  legacyDir: string | undefined;
  stdout: string;
  stderr: string | undefined;
  /** Present for containers with stdin: true. */
  stdin: string | undefined;
}

/**
 * fifoPaths lays out the pipes of container id flat in ioDir (the directory exists):
 * <id>.stdout, <id>.stderr, <id>.stdin. Not a directory per container: on a loaded ext4 an
 * mkdir and an rmdir cost 0.4-1.7 ms each (inode allocation), on every start and removal. A
 * container an older runtime started keeps its pipes where that runtime made them: in
 * <oldIoDir>/<id>/, or flat in oldIoDir (the state directory's io/, before the pipes moved to
 * tmpfs: fifo-dir.ts); oldIoDir defaults to ioDir.
 */
export function fifoPaths(
  ioDir: string, id: string, tty: boolean, stdin: boolean, oldIoDir = ioDir,
): FifoPaths {
  const dir = join(oldIoDir, id);
  if (existsSync(dir)) return pathsAt((name) => join(dir, name), tty, stdin, dir);
  const base = oldIoDir !== ioDir && existsSync(join(oldIoDir, `${id}.stdout`)) ? oldIoDir : ioDir;
  return flatFifoPaths(base, id, tty, stdin);
}

/** flatFifoPaths: the pipes of container id flat in ioDir, as this runtime lays them out (no
 *  look at the file system: for a container known to be this runtime's own). Pure. */
export function flatFifoPaths(ioDir: string, id: string, tty: boolean, stdin: boolean): FifoPaths {
  return pathsAt((name) => join(ioDir, `${id}.${name}`), tty, stdin, undefined);
}

/** pathsAt: the pipes a container has (stderr without a tty, stdin when asked), named by at. */
function pathsAt(
  at: (name: string) => string, tty: boolean, stdin: boolean, legacyDir: string | undefined,
): FifoPaths {
  return {
    legacyDir, stdout: at('stdout'),
    stderr: tty ? undefined : at('stderr'), stdin: stdin ? at('stdin') : undefined,
  };
}

/** createFifos puts fresh pipes at the container's paths, taken from the pool. */
export async function createFifos(paths: FifoPaths, pool: FifoPool): Promise<void> {
  await pool.take([paths.stdout, paths.stderr, paths.stdin].filter((p) => p !== undefined));
}

/** openChildEnds opens each pipe read-write for the child's stdout/stderr; close them after
 *  spawning (the child keeps its copies). */
export function openChildEnds(paths: FifoPaths): { stdout: number; stderr: number } {
  const stdout = openSync(paths.stdout, constants.O_RDWR);
  const stderr = paths.stderr === undefined ? stdout : openSync(paths.stderr, constants.O_RDWR);
  return { stdout, stderr };
}

/** closeChildEnds closes the runtime's copies of the child's ends. */
export function closeChildEnds(fds: { stdout: number; stderr: number }): void {
  closeSync(fds.stdout);
  if (fds.stderr !== fds.stdout) closeSync(fds.stderr);
}

/**
 * openStdinEnds opens the stdin pipe: a blocking read end for the child and a non-blocking
 * write end for the runtime. A temporary read-write handle lets both opens succeed at once
 * (a FIFO's write end cannot be opened without a reader, nor a blocking read end without a
 * writer). The caller closes `child` after spawning.
 */
export function openStdinEnds(path: string): { child: number; writer: Socket } {
  const both = openSync(path, constants.O_RDWR);
  try {
    const child = openSync(path, constants.O_RDONLY);
    const writerFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    return { child, writer: new Socket({ fd: writerFd, readable: false, writable: true }) };
  } finally {
    closeSync(both);
  }
}

/** openReader opens a pipe's read end without blocking, as a stream that ends at EOF (when the
 *  last writer, the container and whatever it forked, has closed it). */
export function openReader(path: string): Socket {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  return new Socket({ fd, readable: true, writable: false });
}

/** removeFifos deletes a container's pipes (RemoveContainer), off the event loop. */
export async function removeFifos(paths: FifoPaths): Promise<void> {
  const files = [paths.stdout, paths.stderr, paths.stdin].filter((p) => p !== undefined);
  await Promise.all(files.map((f) => rm(f, { force: true })));
  if (paths.legacyDir !== undefined) await rm(paths.legacyDir, { recursive: true, force: true });
}
