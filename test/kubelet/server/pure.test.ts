/**
 * The pure parts of the kubelet server and of the API server's kubelet proxy: paths, query
 * mapping to CRI requests and LogRequests, container choice with upstream's messages, and the
 * kubelet address of a Node.
 */
import assert from 'node:assert/strict';
import { StatusError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import {
  chooseContainer, kubeletHostPort, kubeletPath, requireNode,
} from '../../../src/apiserver/rest/kubelet-proxy-target.js';
import {
  attachRequest, execRequest, logRequest, portForwardPorts, QueryError,
} from '../../../src/kubelet/server/queries.js';
import { kubeletRoute } from '../../../src/kubelet/server/routes.js';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

describe('kubelet server paths', () => {
  it('routes upstream\'s paths, with or without the pod uid segment', () => {
    assert.deepEqual(kubeletRoute('GET', '/containerLogs/ns/p/c'),
      { kind: 'logs', namespace: 'ns', pod: 'p', container: 'c' });
    assert.deepEqual(kubeletRoute('POST', '/exec/ns/p/c'),
      { kind: 'exec', namespace: 'ns', pod: 'p', container: 'c' });
    assert.deepEqual(kubeletRoute('GET', '/attach/ns/p/uid-1/c'),
      { kind: 'attach', namespace: 'ns', pod: 'p', container: 'c' });
    assert.deepEqual(kubeletRoute('GET', '/portForward/ns/p'),
      { kind: 'portForward', namespace: 'ns', pod: 'p' });
    assert.deepEqual(kubeletRoute('GET', '/healthz'), { kind: 'healthz' });
  });

  it('refuses other paths (404) and methods (405)', () => {
    assert.equal(kubeletRoute('GET', '/exec/ns/p').kind, 'not-found');
    assert.equal(kubeletRoute('GET', '/containerLogs/ns/p/c/extra').kind, 'not-found');
    assert.equal(kubeletRoute('GET', '/exec/%E0%A4%A/p/c').kind, 'not-found');
    assert.equal(kubeletRoute('DELETE', '/exec/ns/p/c').kind, 'method-not-allowed');
    assert.equal(kubeletRoute('POST', '/containerLogs/ns/p/c').kind, 'method-not-allowed');
  });
});

describe('kubelet server queries', () => {
  it('exec: command repeated per argv element, "1" and "true" both set a flag', () => {
    assert.deepEqual(execRequest(
      q('command=sh&command=-c&command=echo+hi&stdout=1&stderr=true'),
      'c1',
    ),
      {
        containerId: 'c1',
        cmd: ['sh', '-c', 'echo hi'],
        stdin: false,
        stdout: true,
        stderr: true,
        tty: false,
      });
  });

  it('a tty drops stderr (merged into stdout), as upstream does', () => {
    assert.deepEqual(attachRequest(q('stdin=true&stdout=true&stderr=true&tty=true'), 'c1'),
      { containerId: 'c1', stdin: true, stdout: true, stderr: false, tty: true });
  });

  it('refuses no streams, no command, bad ports', () => {
    assert.throws(() => attachRequest(q('tty=true'), 'c'), QueryError);
    assert.throws(() => execRequest(q('stdout=1'), 'c'), /at least one command/);
    assert.deepEqual(portForwardPorts(q('port=80&port=8080')), [80, 8080]);
    assert.throws(() => portForwardPorts(q('port=0')), QueryError);
    assert.throws(() => portForwardPorts(q('port=http')), QueryError);
  });

  it('logs: PodLogOptions with sinceSeconds resolved against the wall clock', () => {
    const t = { namespace: 'ns', pod: 'p', container: 'c' };
    assert.deepEqual(logRequest(
      q('follow=true&tailLines=10&limitBytes=5&sinceSeconds=60'),
      t,
      100_000,
    ), {
      ...t, follow: true, previous: false, timestamps: false, tailLines: 10, limitBytes: 5,
      sinceWallMs: 40_000,
    });
    const since = logRequest(q('previous=true&sinceTime=2026-01-02T03:04:05Z'), t, 0);
    assert.equal(since.sinceWallMs, Date.UTC(2026, 0, 2, 3, 4, 5));
    assert.equal(since.previous, true);
  });

  it('logs: bad numbers, both since forms, and a bad time are QueryErrors', () => {
    const t = { namespace: 'ns', pod: 'p', container: 'c' };
    for (const bad of ['tailLines=-1', 'limitBytes=0', 'sinceSeconds=x', 'sinceTime=yesterday',
      'sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z']) {
      assert.throws(() => logRequest(q(bad), t, 0), QueryError, bad);
    }
  });
});

function pod(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'ns' }, spec };
}

function badRequest(fn: () => unknown, message: string): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === message,
  );
}

describe('API server: which kubelet, which container', () => {
  it('a lone container is the default; a named one must exist', () => {
    assert.equal(chooseContainer(pod({ containers: [{ name: 'main' }] }), null), 'main');
    badRequest(() => chooseContainer(pod({ containers: [{ name: 'main' }] }), 'side'),
      'container side is not valid for pod web');
    assert.equal(
      chooseContainer(pod({ containers: [{ name: 'a' }], initContainers: [{ name: 'i' }] }), 'i'),
      'i',
    );
  });

  it('several containers need a name; the message lists init containers first', () => {
    badRequest(() => chooseContainer(
      pod({ initContainers: [{ name: 'i' }], containers: [{ name: 'a' }, { name: 'b' }] }),
      null,
    ),
      'a container name must be specified for pod web, choose one of: [i a b]');
    badRequest(
      () => chooseContainer(pod({ containers: [] }), null),
      'pod web does not have a container',
    );
  });

  it('exec needs a node: "does not have a host assigned"', () => {
    badRequest(() => requireNode(pod({ containers: [] })), 'pod web does not have a host assigned');
    assert.equal(requireNode(pod({ nodeName: 'n1' })), 'n1');
  });

  it('the kubelet is at InternalIP (else Hostname) and daemonEndpoints port, default 10250', () => {
    const node = (status: unknown): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n' },
      status,
    } as KubeObject);
    assert.deepEqual(kubeletHostPort(node({
      addresses: [{ type: 'Hostname', address: 'n' }, { type: 'InternalIP', address: '127.0.0.9' }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10255 } },
    })), { host: '127.0.0.9', port: 10255 });
    assert.deepEqual(
      kubeletHostPort(node({ addresses: [{ type: 'Hostname', address: 'n' }] })),
      { host: 'n', port: 10250 },
    );
    assert.equal(kubeletHostPort(node({})), undefined);
  });

  it('kubelet paths carry the query except container', () => {
    const p = pod({ containers: [{ name: 'main' }] });
    assert.equal(kubeletPath('exec', p, 'main', q('command=ls&container=main&stdout=true')),
      '/exec/ns/web/main?command=ls&stdout=true');
    assert.equal(
      kubeletPath('log', p, 'main', q('follow=true')),
      '/containerLogs/ns/web/main?follow=true',
    );
    assert.equal(kubeletPath('portforward', p, undefined, q('')), '/portForward/ns/web');
  });
});
