/** NodePorts: host ports conflict on the same protocol and port and overlapping addresses. */
import assert from 'node:assert/strict';
import type { Pod } from '../../../../src/api/core/v1/pod-types.js';
import { nodePortsPlugin } from '../../../../src/scheduler/plugins/node-ports/node-ports.js';
import { node, pod, reasonsByNode, runFilter, snapshotOf } from '../../fixtures.js';

const CONFLICT = "node(s) didn't have free ports for the requested pod ports";

function withPort(name: string, hostPort: number, o: { ip?: string; protocol?: 'UDP';
  nodeName?: string } = {}): Pod {
  return pod(name, {
    ...(o.nodeName ? { nodeName: o.nodeName } : {}),
    containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort,
      ...(o.ip ? { hostIP: o.ip } : {}), ...(o.protocol ? { protocol: o.protocol } : {}) }] }],
  });
}

describe('scheduler plugin NodePorts', () => {
  const snap = snapshotOf([node('a'), node('b'), node('c')], [
    withPort('any', 8080, { nodeName: 'a' }),
    withPort('one', 8080, { nodeName: 'b', ip: '10.0.0.1' }),
    withPort('udp', 53, { nodeName: 'c', protocol: 'UDP' }),
  ]);

  it('skips pods without host ports', () => {
    assert.equal(runFilter(nodePortsPlugin(), snap, pod('p')), 'skip');
  });

  it('0.0.0.0 conflicts with any address of the same port', () => {
    assert.deepEqual(reasonsByNode(runFilter(nodePortsPlugin(), snap, withPort('p', 8080))),
      { a: CONFLICT, b: CONFLICT, c: '' });
  });

  it('distinct specific addresses do not conflict; the wildcard in use does', () => {
    const got = runFilter(nodePortsPlugin(), snap, withPort('p', 8080, { ip: '10.0.0.2' }));
    assert.deepEqual(reasonsByNode(got), { a: CONFLICT, b: '', c: '' });
  });

  it('protocols are separate port spaces, and a removed pod frees its port', () => {
    assert.deepEqual(reasonsByNode(runFilter(nodePortsPlugin(), snap, withPort('p', 53))),
      { a: '', b: '', c: '' });
    const dns = withPort('p', 53, { protocol: 'UDP' });
    const udp = reasonsByNode(runFilter(nodePortsPlugin(), snap, dns));
    assert.equal(udp.c, CONFLICT);
    snap.removePod('default/udp');
    const after = reasonsByNode(runFilter(nodePortsPlugin(), snap, dns));
    assert.equal(after.c, '');
  });
});
