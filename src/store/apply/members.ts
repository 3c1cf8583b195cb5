/**
 * MemberTable is the cluster's members as the log describes them: a conf change adds or removes a
 * member and carries its peer address; MemberAttributes (published by the member once it runs)
 * adds its name and client URLs. Who votes is Raft's business (ConfState), not this table's.
 */
import { ConfChangeType, type ConfChange } from '../../gen/k8ts/raft/v1/raft.js';
import type { MemberAttributes, MemberRecord } from '../../gen/k8ts/store/v1/store.js';
import { assert } from '../../base/assert.js';

export class MemberTable {
  private readonly members = new Map<bigint, MemberRecord>();

  /** applyConfChange: an add creates the record or keeps it (a learner promoted to voter keeps
   *  its name); a non-empty context is the peer address. A remove deletes the record. */
  applyConfChange(cc: ConfChange): void {
    assert(cc.nodeId > 0, 'MemberTable: conf change without a member id');
    const id = BigInt(cc.nodeId);
    switch (cc.type) {
      case ConfChangeType.CONF_CHANGE_TYPE_ADD_VOTER:
      case ConfChangeType.CONF_CHANGE_TYPE_ADD_LEARNER: {
        const record = this.members.get(id) ?? { id, name: '', peerUrls: [], clientUrls: [] };
        const peerUrls = cc.context.length > 0 ? [`http://${cc.context.toString('utf8')}`] : record.peerUrls;
        this.members.set(id, { ...record, peerUrls });
        return;
      }
      case ConfChangeType.CONF_CHANGE_TYPE_REMOVE:
        this.members.delete(id);
        return;
      default:
        // Unspecified or unknown types change nothing here; Raft decides what they mean.
        return;
    }
  }

  /** updateAttributes sets a member's name and client URLs; a member no longer in the table
   *  (removed after it published) is ignored, as etcd does. */
  updateAttributes(attrs: MemberAttributes): void {
    const record = this.members.get(attrs.id);
    if (record === undefined) return;
    this.members.set(attrs.id, { ...record, name: attrs.name, clientUrls: [...attrs.clientUrls] });
  }

  /** list is every member by id. */
  list(): MemberRecord[] {
    return [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** replaceAll installs the members of a snapshot. */
  replaceAll(records: readonly MemberRecord[]): void {
    this.members.clear();
    for (const r of records) this.members.set(r.id, { ...r, peerUrls: [...r.peerUrls], clientUrls: [...r.clientUrls] });
  }
}
