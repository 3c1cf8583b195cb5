/**
 * The API outcomes controllers treat as normal rather than as failures to retry, and the one
 * way they render an error into a log line, an event or a condition message.
 */
import { StatusError } from '../../api/errors.js';

/** hasCode: e is the API's answer with this HTTP code (404 NotFound, 409 Conflict...). */
export function hasCode(e: unknown, code: number): boolean {
  return e instanceof StatusError && e.status.code === code;
}

/** TERMINATING_MESSAGE: how the API server words the refusal when the cause is missing. */
const TERMINATING_MESSAGE = /because it is being terminated/;

/**
 * namespaceTerminating: a create refused because its namespace is being deleted; retrying
 * cannot help, so the key is dropped (upstream's NamespaceTerminatingCause). k8ts's API server
 * sends the 403 without that cause, so its message is recognized as well.
 */
export function namespaceTerminating(e: unknown): boolean {
  if (!(e instanceof StatusError) || e.status.code !== 403) return false;
  return (e.status.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating') ||
    TERMINATING_MESSAGE.test(e.message);
}

/** describeError: an error's message for logs, events and conditions. */
export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
