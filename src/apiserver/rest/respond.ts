/**
 * Writing responses: JSON bodies with the right status code, Status errors for every failure
 * (kubectl prints `Error from server (<reason>): <message>` from them), and Warning headers.
 */
import type { ServerResponse } from 'node:http';
import { internalError, isStatusError, type Status } from '../../api/errors.js';

/** sendJson writes one JSON document. */
export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json', warnings: string[] = []): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | string[]> = {
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-cache, private',
  };
  if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(text);
}

/** statusOf turns any thrown value into a Status (unknown errors become 500, logged by caller). */
export function statusOf(err: unknown): Status {
  if (isStatusError(err)) return err.status;
  return internalError(err instanceof Error ? err.message : String(err)).status;
}

/** sendError writes the Status of a failure. */
export function sendError(res: ServerResponse, err: unknown): void {
  const status = statusOf(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status.code, status);
}
