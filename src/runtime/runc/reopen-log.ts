/**
 * ReopenContainerLog: after the kubelet rotates a container's log file, conmon must reopen its
 * log path. conmon reads control messages "<type> <height> <width>\n" from the FIFO "ctl" in
 * the bundle; type 2 means "reopen the log file".
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import * as cri from '../../kubelet/cri/types.js';
import type { RuncContext } from './context.js';
import type { ContainerRecord } from './records.js';

/** The conmon control message type that reopens the log. */
const REOPEN_LOG_MESSAGE = '2 0 0\n';

/** reopenLog asks the container's conmon to reopen its log file. */
export async function reopenLog(ctx: RuncContext, record: ContainerRecord): Promise<void> {
  const ctl = join(ctx.records.containerDir(record.id), 'ctl');
  let handle;
  try {
    handle = await open(ctl, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw cri.criPrecondition(`cannot reach conmon of container ${record.id}: ${
      (err as Error).message}`);
  }
  try {
    await handle.write(REOPEN_LOG_MESSAGE);
  } finally {
    await handle.close();
  }
}
