/**
 * CriError: the one error type a CRI runtime throws and the CRI client rejects with. It carries a
 * gRPC status code because that is how the CRI reports failures on the wire (the kubelet branches
 * on NotFound after a restart, on DeadlineExceeded for exec probes), and because an in-process
 * runtime served by src/runtime/cri-server.ts must fail exactly as it would through the socket.
 */
import { status } from '@grpc/grpc-js';

/** CriError is an operating error of a CRI call, with the gRPC status it travels as. */
export class CriError extends Error {
  override name = 'CriError';
  constructor(
    readonly code: status,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** criNotFound: an unknown sandbox, container or image id, worded as containerd words it so
 *  logs read the same whichever runtime the node uses. */
export function criNotFound(kind: 'sandbox' | 'container' | 'image', id: string): CriError {
  const message = `an error occurred when try to find ${kind} "${id}": not found`;
  return new CriError(status.NOT_FOUND, message);
}

/** criInvalid: a request the runtime cannot act on (missing config, empty id, bad values). */
export function criInvalid(message: string): CriError {
  return new CriError(status.INVALID_ARGUMENT, message);
}

/** criPrecondition: a request that is valid but not in the object's current state (start of a
 *  container that is not CREATED, exec in a container that is not running). */
export function criPrecondition(message: string): CriError {
  return new CriError(status.FAILED_PRECONDITION, message);
}

/** isCriNotFound tells callers (the kubelet's cleanup paths) that the object is already gone. */
export function isCriNotFound(err: unknown): boolean {
  return err instanceof CriError && err.code === status.NOT_FOUND;
}

export { status as CriCode };
