/** The console's first screen: what needs an operator's attention now. */
import { count, desc, gt, inArray, isNull, or } from 'drizzle-orm';
import { dataGapNotices, incidents } from '../../db/schema/index.ts';
import type { LocalizedText, MaintenanceStatus, ServiceStatus, StatusSource } from '../domain/vocab.ts';
import { listServices } from './catalog.ts';
import type { Ctx } from './context.ts';
import { type IncidentListItem, toListItems } from './incidents.ts';
import { listMaintenances } from './maintenance.ts';
import { authorize } from './permissions.ts';

export const UPCOMING_MAINTENANCE_DAYS = 7;

export type Dashboard = {
  now: Date;
  /** Open incidents, the ones with a broken "next update by" promise first, then newest first. */
  openIncidents: IncidentListItem[];
  /** Services not operational now (under maintenance included), worst first. */
  servicesNotOperational: {
    key: string;
    name: LocalizedText;
    status: ServiceStatus;
    source: StatusSource;
    since: Date;
    heartbeatOverdue: boolean;
  }[];
  /** Windows running now, then those starting within the next 7 days, soonest first. */
  maintenance: {
    id: string;
    title: LocalizedText;
    status: MaintenanceStatus;
    scheduledStart: Date;
    scheduledEnd: Date;
    serviceKeys: string[];
  }[];
  counts: {
    openIncidents: number;
    overdueIncidents: number;
    services: number;
    servicesNotOperational: number;
    heartbeatsOverdue: number;
    maintenanceInProgress: number;
    maintenanceUpcoming: number;
    openNotices: number;
  };
};

const SEVERITY: Record<ServiceStatus, number> = {
  major_outage: 0,
  partial_outage: 1,
  degraded_performance: 2,
  under_maintenance: 3,
  operational: 4,
};

export async function getDashboard(ctx: Ctx): Promise<Dashboard> {
  authorize(ctx.actor, 'read');
  const now = ctx.now();
  const horizon = new Date(now.getTime() + UPCOMING_MAINTENANCE_DAYS * 86_400_000);

  const openRows = await ctx.db
    .select()
    .from(incidents)
    .where(inArray(incidents.status, ['investigating', 'identified', 'monitoring']))
    .orderBy(desc(incidents.startedAt), desc(incidents.id));
  const openIncidents = (await toListItems(ctx, openRows)).sort((a, b) => Number(b.overdue) - Number(a.overdue));

  const all = await listServices(ctx);
  const servicesNotOperational = all
    .filter((s) => s.status !== 'operational' || s.heartbeatOverdue)
    .sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status] || a.sortOrder - b.sortOrder)
    .map((s) => ({
      key: s.key,
      name: s.name,
      status: s.status,
      source: s.statusSource,
      since: s.statusSince,
      heartbeatOverdue: s.heartbeatOverdue,
    }));

  const windows = (await listMaintenances(ctx, { filter: 'active', limit: 200 })).filter(
    (m) => m.status !== 'scheduled' || m.scheduledStart <= horizon,
  );
  const maintenance = windows
    .sort((a, b) => Number(b.status !== 'scheduled') - Number(a.status !== 'scheduled') || a.scheduledStart.getTime() - b.scheduledStart.getTime())
    .map((m) => ({
      id: m.id,
      title: m.title,
      status: m.status,
      scheduledStart: m.scheduledStart,
      scheduledEnd: m.scheduledEnd,
      serviceKeys: m.serviceKeys,
    }));

  const [{ n: openNotices } = { n: 0 }] = await ctx.db
    .select({ n: count() })
    .from(dataGapNotices)
    .where(or(isNull(dataGapNotices.closedAt), gt(dataGapNotices.closedAt, now)));

  return {
    now,
    openIncidents,
    servicesNotOperational,
    maintenance,
    counts: {
      openIncidents: openIncidents.length,
      overdueIncidents: openIncidents.filter((i) => i.overdue).length,
      services: all.length,
      servicesNotOperational: all.filter((s) => s.status !== 'operational').length,
      heartbeatsOverdue: all.filter((s) => s.heartbeatOverdue).length,
      maintenanceInProgress: maintenance.filter((m) => m.status !== 'scheduled').length,
      maintenanceUpcoming: maintenance.filter((m) => m.status === 'scheduled').length,
      openNotices,
    },
  };
}
