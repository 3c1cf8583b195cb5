/**
 * AlarmTable is the set of raised alarms (member, type), replicated like etcd's alarm store so
 * every member refuses the same writes while NOSPACE is raised.
 */
import { AlarmType, type AlarmMember } from '../../gen/etcdserverpb/rpc.js';

export class AlarmTable {
  /** Keyed by `${type}/${memberID}` so one member raises one alarm of a type once. */
  private readonly alarms = new Map<string, AlarmMember>();

  /** activate raises an alarm (idempotent) and returns it, as etcd's Activate does. */
  activate(memberID: bigint, alarm: AlarmType): AlarmMember {
    const key = `${alarm}/${memberID}`;
    const existing = this.alarms.get(key);
    if (existing !== undefined) return existing;
    const raised: AlarmMember = { memberID, alarm };
    this.alarms.set(key, raised);
    return raised;
  }

  /** deactivate clears an alarm and returns it, or undefined when it was not raised. */
  deactivate(memberID: bigint, alarm: AlarmType): AlarmMember | undefined {
    const key = `${alarm}/${memberID}`;
    const existing = this.alarms.get(key);
    this.alarms.delete(key);
    return existing;
  }

  /** list returns the alarms of one type (NONE = all), by type then member id. */
  list(alarm: AlarmType = AlarmType.NONE): AlarmMember[] {
    return [...this.alarms.values()]
      .filter((a) => alarm === AlarmType.NONE || a.alarm === alarm)
      .sort((a, b) => a.alarm - b.alarm || (a.memberID < b.memberID ? -1 : a.memberID > b.memberID ? 1 : 0));
  }

  /** active says whether any member raised an alarm of this type. */
  active(alarm: AlarmType): boolean {
    for (const a of this.alarms.values()) if (a.alarm === alarm) return true;
    return false;
  }

  clear(): void {
    this.alarms.clear();
  }
}
