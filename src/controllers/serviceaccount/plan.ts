/**
 * The ServiceAccount controller's pure core (kube-controller-manager's serviceaccount-controller):
 * every active namespace has the ServiceAccount "default", because pods that name no service
 * account are admitted with serviceAccountName "default" and would otherwise point at nothing.
 * A namespace being deleted is left alone: its contents are on their way out, and the API server
 * refuses new objects in it anyway.
 */
import type { Namespace } from '../../api/core/v1/cluster-kinds.js';
import type { ServiceAccount } from '../../api/core/v1/service-account.js';

/** MANAGED_SERVICE_ACCOUNTS: the accounts every namespace gets (upstream: just "default"). */
export const MANAGED_SERVICE_ACCOUNTS: readonly string[] = ['default'];

/** ServiceAccountAction: create one account in one namespace. */
export interface ServiceAccountAction {
  type: 'create';
  serviceAccount: ServiceAccount;
}

/** isActive: neither marked for deletion nor Terminating. */
export function isActive(ns: Namespace): boolean {
  return ns.metadata.deletionTimestamp === undefined && ns.status?.phase !== 'Terminating';
}

/** planServiceAccounts: the managed accounts missing from an active namespace. */
export function planServiceAccounts(
  ns: Namespace | undefined,
  existing: readonly ServiceAccount[],
): ServiceAccountAction[] {
  if (ns === undefined || !isActive(ns)) return [];
  const namespace = ns.metadata.name ?? '';
  const have = new Set(existing.map((sa) => sa.metadata.name));
  return MANAGED_SERVICE_ACCOUNTS.filter((name) => !have.has(name)).map((name) => ({
    type: 'create',
    serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
  }));
}
