import { maintenanceServices, maintenances } from '../../db/schema/index.ts';
import { recordAudit } from './audit.ts';
import { emitEvent } from './events.ts';
import { serviceIdsByKey } from './catalog.ts';
import { type Ctx, inTransaction } from './context.ts';
import { parseInput } from './errors.ts';
import { type In, ScheduleMaintenanceInput } from './inputs.ts';

export async function scheduleMaintenance(ctx: Ctx, input: In<typeof ScheduleMaintenanceInput>) {
  const data = parseInput(ScheduleMaintenanceInput, input);
  return inTransaction(ctx, async (tx) => {
    const ids = await serviceIdsByKey(tx, data.services);
    const [row] = await tx.db
      .insert(maintenances)
      .values({
        title: data.title,
        body: data.body,
        status: data.status,
        scheduledStart: data.scheduledStart,
        scheduledEnd: data.scheduledEnd,
        createdAt: tx.now(),
        updatedAt: tx.now(),
      })
      .returning();
    const maintenance = row!;
    await tx.db.insert(maintenanceServices).values([...ids.values()].map((serviceId) => ({ maintenanceId: maintenance.id, serviceId })));
    await recordAudit(tx, { action: 'maintenance.schedule', objectType: 'maintenance', objectId: maintenance.id, after: maintenance });
    await emitEvent(tx, {
      type: 'maintenance.scheduled',
      subjectId: maintenance.id,
      maintenanceId: maintenance.id,
      serviceKeys: [...data.services].sort(),
      title: maintenance.title,
      body: maintenance.body,
      occurredAt: tx.now(),
      data: {
        status: maintenance.status,
        scheduledStart: maintenance.scheduledStart.toISOString(),
        scheduledEnd: maintenance.scheduledEnd.toISOString(),
      },
    });
    return maintenance;
  });
}
